package stack_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The Docker provider reads every container back from the engine after
// creating it. An input it normalises (an empty list where the engine
// reports the image's default, a duration spelt otherwise than Go's
// time.Duration.String, a field left unset that the engine fills in) then
// shows as a change on the next `pulumi up`: an update, or a replacement
// when the field forces one, as most container fields do. These checks hold
// every container of both stacks to forms that read back unchanged, so a new
// service cannot reintroduce such a diff.

// durationInputs are container inputs the provider stores as Go durations.
var durationInputs = map[string]bool{"interval": true, "timeout": true, "startPeriod": true, "startInterval": true}

// engineFilled are container inputs the engine fills in when they are
// unset, which the provider then reports as a change: they must be set.
var engineFilled = []resource.PropertyKey{"memorySwap", "networkMode"}

func TestNoInputTheProviderNormalises(t *testing.T) {
	check := func(t *testing.T, b built) {
		for _, c := range b.m.ofType(typeContainer) {
			for _, p := range normalisationProblems(c.name, c.inputs) {
				t.Error(p)
			}
			if m, s := c.inputs["memory"], c.inputs["memorySwap"]; !m.IsNumber() || !s.IsNumber() || m.NumberValue() != s.NumberValue() {
				t.Errorf("%s: memorySwap %v, want memory %v (no swap)", c.name, s, m)
			}
		}
	}
	forEachStack(t, check)
	// Agent hosts add containers, and a second published port to the
	// central Prometheus.
	t.Run("agents", func(t *testing.T) { check(t, agentStack(t, true)) })
}

// normalisationProblems lists the inputs of a container that the provider
// would read back differently.
func normalisationProblems(name string, inputs resource.PropertyMap) []string {
	var out []string
	for _, k := range engineFilled {
		if v, ok := inputs[k]; !ok || v.IsNull() {
			out = append(out, fmt.Sprintf("%s.%s is unset: the engine fills it in and the provider reads that back as a change", name, k))
		}
	}
	var walk func(path string, v resource.PropertyValue)
	walk = func(path string, v resource.PropertyValue) {
		switch {
		case v.IsSecret():
			walk(path, v.SecretValue().Element)
		case v.IsOutput():
			walk(path, v.OutputValue().Element)
		case v.IsArray():
			if len(v.ArrayValue()) == 0 {
				out = append(out, path+" is an empty list: leave it unset, so the image's or the engine's value stands")
			}
			for _, e := range v.ArrayValue() {
				walk(path+"[]", e)
			}
		case v.IsObject():
			if len(v.ObjectValue()) == 0 {
				out = append(out, path+" is an empty object: leave it unset")
			}
			for k, e := range v.ObjectValue() {
				p := path + "." + string(k)
				if durationInputs[string(k)] && e.IsString() {
					d, err := time.ParseDuration(e.StringValue())
					if err != nil || d.String() != e.StringValue() {
						out = append(out, fmt.Sprintf("%s = %q: write %v, the form the provider reads back", p, e.StringValue(), d))
					}
				}
				walk(p, e)
			}
		}
	}
	for k, v := range inputs {
		walk(name+"."+string(k), v)
	}
	return append(out, daemonForms(name, inputs)...)
}

// daemonForms: values the Docker daemon rewrites when it stores a container
// (seen on Docker 20.10 in the session lab, docs/verification.md), which the
// provider reads back verbatim as a change that replaces the container.
func daemonForms(name string, inputs resource.PropertyMap) []string {
	var out []string
	strs := func(k resource.PropertyKey, from resource.PropertyMap) []string {
		var ss []string
		if v, ok := from[k]; ok && v.IsArray() {
			for _, e := range v.ArrayValue() {
				if e.IsString() {
					ss = append(ss, e.StringValue())
				}
			}
		}
		return ss
	}
	if c, ok := inputs["capabilities"]; ok && c.IsObject() {
		for _, k := range []resource.PropertyKey{"adds", "drops"} {
			for _, cp := range strs(k, c.ObjectValue()) {
				if cp != "ALL" && (!strings.HasPrefix(cp, "CAP_") || strings.ToUpper(cp) != cp) {
					out = append(out, fmt.Sprintf("%s.capabilities.%s %q: write %q, the form the daemon stores", name, k, cp, "CAP_"+strings.TrimPrefix(strings.ToUpper(cp), "CAP_")))
				}
			}
		}
	}
	opts := strs("securityOpts", inputs)
	for _, o := range opts {
		if i, j := strings.Index(o, ":"), strings.Index(o, "="); i >= 0 && (j < 0 || i < j) {
			out = append(out, fmt.Sprintf("%s.securityOpts %q: use key=value (the colon form is deprecated)", name, o))
		}
	}
	// Two bindings of one container port: the daemon reports them in the
	// reverse order (round 4), and ports forces a replacement.
	if ps, ok := inputs["ports"]; ok && ps.IsArray() {
		seen := map[float64]bool{}
		for _, p := range ps.ArrayValue() {
			if !p.IsObject() || !p.ObjectValue()["internal"].IsNumber() {
				continue
			}
			in := p.ObjectValue()["internal"].NumberValue()
			if seen[in] {
				out = append(out, fmt.Sprintf("%s.ports publishes container port %v twice: the daemon reads the bindings back in another order; give each its own container port", name, in))
			}
			seen[in] = true
		}
	}
	if pm, ok := inputs["pidMode"]; ok && pm.IsString() && pm.StringValue() == "host" && !slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "label=") }) {
		out = append(out, name+".securityOpts has no label= option: with pidMode host the daemon adds label=disable, read back as a change")
	}
	return out
}

// Each class of normalised input is caught.
func TestNormalisationChecksCatchEachClass(t *testing.T) {
	good := resource.PropertyMap{"memorySwap": resource.NewNumberProperty(64), "networkMode": resource.NewStringProperty("bridge")}
	with := func(k resource.PropertyKey, v resource.PropertyValue) resource.PropertyMap {
		m := good.Copy()
		m[k] = v
		return m
	}
	if p := normalisationProblems("c", good); len(p) != 0 {
		t.Fatalf("a normalised container is refused: %q", p)
	}
	for name, in := range map[string]resource.PropertyMap{
		"empty entrypoint":      with("entrypoints", resource.NewArrayProperty(nil)),
		"start period in s":     with("healthcheck", resource.NewObjectProperty(resource.PropertyMap{"startPeriod": resource.NewStringProperty("120s")})),
		"empty capabilities":    with("capabilities", resource.NewObjectProperty(resource.PropertyMap{})),
		"memorySwap left unset": func() resource.PropertyMap { m := good.Copy(); delete(m, "memorySwap"); return m }(),
		"capability without CAP_": with("capabilities", resource.NewObjectProperty(resource.PropertyMap{
			"adds": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("SYSLOG")})})),
		"security option with a colon": with("securityOpts", resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("no-new-privileges:true")})),
		"one container port published twice": with("ports", resource.NewArrayProperty([]resource.PropertyValue{
			resource.NewObjectProperty(resource.PropertyMap{"internal": resource.NewNumberProperty(9090), "external": resource.NewNumberProperty(9090)}),
			resource.NewObjectProperty(resource.PropertyMap{"internal": resource.NewNumberProperty(9090), "external": resource.NewNumberProperty(9091)}),
		})),
		"host PID without a label option": func() resource.PropertyMap {
			m := with("pidMode", resource.NewStringProperty("host"))
			m["securityOpts"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("no-new-privileges=true")})
			return m
		}(),
	} {
		if p := normalisationProblems("c", in); len(p) == 0 {
			t.Errorf("%s passed the check", name)
		}
	}
}
