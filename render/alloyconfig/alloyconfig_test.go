package alloyconfig

// The rendered file is read with Alloy's own parser and evaluator (Go module
// github.com/grafana/alloy/syntax, the code the Alloy binary uses for its
// configuration language): the file parses, every component body decodes
// into its documented arguments (schema_test.go), and every reference
// resolves to an export of a component the file declares. Alloy's component
// registry is not available without the binary, so the arguments' schema is
// the documented one.

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/units"
	promparser "github.com/prometheus/prometheus/promql/parser"

	"github.com/grafana/alloy/syntax/ast"
	"github.com/grafana/alloy/syntax/parser"
	"github.com/grafana/alloy/syntax/vm"
	"github.com/stretchr/testify/require"

	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/render/lokiconfig"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const golden = "testdata/config.prod.golden.alloy"

var prodOptions = Options{
	Stack:          "prod",
	Host:           "vps-prod.koprogo.com",
	LokiPushURL:    "http://koprogo-mon-loki:3100/loki/api/v1/push",
	LokiContainer:  "koprogo-mon-loki",
	AlloyContainer: "koprogo-mon-alloy",
}

func render(t *testing.T, o Options) []byte {
	t.Helper()
	out, err := Render(o)
	require.NoError(t, err)
	return out
}

// component is one top-level block of the file, decoded.
type component struct {
	name, label string
	args        any // a pointer to the component's type in schema_test.go
}

func (c component) id() string { return c.name + "." + c.label }

// exportValue is what the test scope gives an export: its own reference, so
// a decoded argument says which export it points at.
func exportValue(ref string) string { return "ref:" + ref }

// load parses src with Alloy's parser and evaluates every component body
// with Alloy's evaluator, in a scope holding the exports of the declared
// components only.
func load(src []byte) ([]component, error) {
	f, err := parser.ParseFile("config.alloy", src)
	if err != nil {
		return nil, fmt.Errorf("Alloy's parser refuses the file: %w", err)
	}
	var blocks []*ast.BlockStmt
	scope := map[string]any{}
	for _, stmt := range f.Body {
		b, ok := stmt.(*ast.BlockStmt)
		if !ok {
			return nil, fmt.Errorf("top-level statement %T: only component blocks are expected", stmt)
		}
		name := strings.Join(b.Name, ".")
		def, known := components[name]
		switch {
		case !known:
			return nil, fmt.Errorf("component %q is not one this project documents", name)
		case b.Label == "":
			return nil, fmt.Errorf("%s needs a label", name)
		}
		// Nest the exports as Alloy's scope does: loki.write.<label>.receiver.
		node := scope
		for _, part := range append(slices.Clone(b.Name), b.Label) {
			next, ok := node[part].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[part] = next
			}
			node = next
		}
		if len(node) > 0 {
			return nil, fmt.Errorf("%s.%s is declared twice", name, b.Label)
		}
		for _, e := range def.exports {
			node[e] = exportValue(name + "." + b.Label + "." + e)
		}
		blocks = append(blocks, b)
	}

	var out []component
	for _, b := range blocks {
		name := strings.Join(b.Name, ".")
		c := component{name: name, label: b.Label, args: components[name].args()}
		if err := vm.New(b.Body).Evaluate(vm.NewScope(scope), c.args); err != nil {
			return nil, fmt.Errorf("%s: Alloy's evaluator refuses the arguments: %w", c.id(), err)
		}
		out = append(out, c)
	}
	return out, nil
}

func mustLoad(t *testing.T, src []byte) []component {
	t.Helper()
	cs, err := load(src)
	require.NoError(t, err)
	return cs
}

// one returns the only component of a name, with its arguments.
func one[T any](t *testing.T, cs []component, name string) (component, *T) {
	t.Helper()
	var found []component
	for _, c := range cs {
		if c.name == name {
			found = append(found, c)
		}
	}
	require.Len(t, found, 1, "components named %s", name)
	args, ok := found[0].args.(*T)
	require.True(t, ok, "%s decodes into %T", name, found[0].args)
	return found[0], args
}

func TestAlloyEvaluatesTheFile(t *testing.T) {
	cs := mustLoad(t, render(t, prodOptions))
	require.Len(t, cs, 9)
}

// The evaluator really checks: an undocumented argument, a reference to an
// undeclared component and a bad duration are refused.
func TestLoadRefusesBrokenFiles(t *testing.T) {
	good := string(render(t, prodOptions))
	for name, broken := range map[string]string{
		"unknown argument":    strings.Replace(good, `refresh_interval = "15s"`, `refresh_intervall = "15s"`, 1),
		"undeclared ref":      strings.Replace(good, "discovery.docker.containers.targets", "discovery.docker.other.targets", 1),
		"unknown export":      strings.Replace(good, "discovery.docker.containers.targets", "discovery.docker.containers.output", 1),
		"bad duration":        strings.Replace(good, `refresh_interval = "15s"`, `refresh_interval = "15 seconds"`, 1),
		"unbalanced":          strings.Replace(good, "}\n", "\n", 1),
		"missing endpoint":    strings.Replace(good, "endpoint {", "endpoints {", 1),
		"unknown stage":       strings.Replace(good, "stage.truncate {", "stage.truncated {", 1),
		"string for a bool":   strings.Replace(good, "tail_from_end = true", `tail_from_end = "true"`, 1),
		"component of a typo": strings.Replace(good, "loki.source.file ", "loki.source.files ", 1),
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, good, broken, "the breakage did not apply")
			_, err := load([]byte(broken))
			require.Error(t, err, "the broken file was accepted")
			t.Log(err)
		})
	}
}

func TestShipsEverySourceToLoki(t *testing.T) {
	cs := mustLoad(t, render(t, prodOptions))

	w, write := one[lokiWrite](t, cs, "loki.write")
	require.Len(t, write.Endpoints, 1)
	require.Equal(t, prodOptions.LokiPushURL, write.Endpoints[0].URL)
	require.Equal(t, map[string]string{LabelStack: "prod", LabelHost: "vps-prod.koprogo.com"}, write.ExternalLabels)
	// Every source goes through the processing stage, which writes.
	p, process := one[lokiProcess](t, cs, "loki.process")
	require.Equal(t, []any{exportValue(w.id() + ".receiver")}, process.ForwardTo)
	receiver := []any{exportValue(p.id() + ".receiver")}

	dc, _ := one[discoveryDocker](t, cs, "discovery.docker")
	dr, _ := one[discoveryRelabel](t, cs, "discovery.relabel")
	_, docker := one[lokiSourceDocker](t, cs, "loki.source.docker")
	require.Equal(t, receiver, docker.ForwardTo)
	require.Equal(t, "unix://"+DockerSocket, docker.Host)
	require.Equal(t, exportValue(dc.id()+".targets"), docker.Targets)
	require.Equal(t, exportValue(dr.id()+".rules"), docker.RelabelRules)
	require.Equal(t, map[string]string{LabelJob: JobDocker}, docker.Labels)

	fm, match := one[localFileMatch](t, cs, "local.file_match")
	_, file := one[lokiSourceFile](t, cs, "loki.source.file")
	require.Equal(t, receiver, file.ForwardTo)
	require.Equal(t, exportValue(fm.id()+".targets"), file.Targets)
	require.True(t, file.TailFromEnd)
	var globs []string
	for _, pt := range match.PathTargets {
		require.Equal(t, JobVarLogs, pt[LabelJob])
		globs = append(globs, pt["__path__"])
	}
	require.Equal(t, HostFileGlobs, globs)

	lr, _ := one[lokiRelabel](t, cs, "loki.relabel")
	_, journal := one[lokiSourceJournal](t, cs, "loki.source.journal")
	require.Equal(t, receiver, journal.ForwardTo)
	require.Equal(t, exportValue(lr.id()+".rules"), journal.RelabelRules)
	require.Equal(t, map[string]string{LabelJob: JobJournal}, journal.Labels)
}

func TestLabelRules(t *testing.T) {
	cs := mustLoad(t, render(t, prodOptions))
	targets := func(rules []relabelRule) map[string]string {
		m := map[string]string{}
		for _, r := range rules {
			require.Len(t, r.SourceLabels, 1)
			m[r.TargetLabel] = r.SourceLabels[0] + " ~ " + r.Regex
		}
		return m
	}
	_, dr := one[discoveryRelabel](t, cs, "discovery.relabel")
	require.Empty(t, dr.Targets, "only the rules of discovery.relabel are used")
	require.Equal(t, map[string]string{
		LabelContainer:      "__meta_docker_container_name ~ /(.*)",
		LabelComposeService: "__meta_docker_container_label_com_docker_compose_service ~ (.+)",
		LabelComposeProject: "__meta_docker_container_label_com_docker_compose_project ~ (.+)",
		LabelStream:         "__meta_docker_container_log_stream ~ (.+)",
	}, targets(dr.Rules))
	_, lr := one[lokiRelabel](t, cs, "loki.relabel")
	require.Equal(t, map[string]string{
		LabelUnit:  "__journal__systemd_unit ~ (.+)",
		LabelLevel: "__journal_priority_keyword ~ (.+)",
		LabelHost:  "__journal__hostname ~ (.+)",
	}, targets(lr.Rules))
}

// TestEscapesInterpolatedStrings: hostile values come back byte for byte
// through Alloy's own parser and cannot break out of their literal.
func TestEscapesInterpolatedStrings(t *testing.T) {
	o := prodOptions
	o.Stack = "a\"b\\c\nd}\u00e9\x01"
	o.LokiPushURL = `http://loki:3100/loki/api/v1/push?x="} loki.write "evil" {`
	cs := mustLoad(t, render(t, o))
	require.Len(t, cs, 9, "no component injected")
	_, write := one[lokiWrite](t, cs, "loki.write")
	require.Equal(t, o.LokiPushURL, write.Endpoints[0].URL)
	require.Equal(t, o.Stack, write.ExternalLabels[LabelStack])
}

func TestRejectsBadInput(t *testing.T) {
	bad := prodOptions
	bad.LokiPushURL = "loki:3100"
	_, err := Render(bad)
	require.Error(t, err)
	bad = prodOptions
	bad.Stack = ""
	_, err = Render(bad)
	require.Error(t, err)
	bad = prodOptions
	bad.LokiPushURL = ""
	_, err = Render(bad)
	require.ErrorContains(t, err, "logs would go nowhere")
	bad = prodOptions
	bad.LokiContainer = ""
	_, err = Render(bad)
	require.Error(t, err)
}

// Further endpoints: a Loki cluster with a tenant and basic auth from a
// file, a managed Loki with a bearer token file, with or without the local
// Loki; the batch size Loki's limits are derived from on each.
func TestFurtherEndpoints(t *testing.T) {
	o := prodOptions
	o.Endpoints = []Endpoint{
		{Name: "cluster", URL: "https://loki.example.com/loki/api/v1/push", Tenant: "koprogo", Username: "koprogo", PasswordFile: "/etc/alloy/secrets/cluster"},
		{Name: "cloud", URL: "https://logs.example.net/loki/api/v1/push", BearerTokenFile: "/etc/alloy/secrets/cloud"},
	}
	for _, local := range []bool{true, false} {
		if !local {
			o.LokiPushURL = ""
		}
		_, write := one[lokiWrite](t, mustLoad(t, render(t, o)), "loki.write")
		want := []lokiWriteEndpoint{
			{Name: "cluster", URL: o.Endpoints[0].URL, TenantID: "koprogo", BatchSize: "1MiB", BasicAuth: &basicAuth{Username: "koprogo", PasswordFile: "/etc/alloy/secrets/cluster"}},
			{Name: "cloud", URL: o.Endpoints[1].URL, BatchSize: "1MiB", BearerTokenFile: "/etc/alloy/secrets/cloud"},
		}
		if local {
			want = append([]lokiWriteEndpoint{{URL: prodOptions.LokiPushURL, BatchSize: "1MiB"}}, want...)
		}
		require.Equal(t, want, write.Endpoints, "local Loki %v", local)
	}
}

// TestBatchSizeIsLokisDerivation: Alloy's batch is the size Loki's push
// body limit is derived from.
func TestBatchSizeIsLokisDerivation(t *testing.T) {
	_, write := one[lokiWrite](t, mustLoad(t, render(t, prodOptions)), "loki.write")
	n, err := units.ParseBase2Bytes(write.Endpoints[0].BatchSize)
	require.NoError(t, err)
	require.EqualValues(t, lokiconfig.AlloyBatchSize, n)
	require.EqualValues(t, lokiconfig.PushBodyLimit, 4*n)
}

// stages flattens the rendered processing stages.
func stages(t *testing.T) []stage {
	t.Helper()
	_, process := one[lokiProcess](t, mustLoad(t, render(t, prodOptions)), "loki.process")
	return process.Stages
}

// TestFeedbackRules: what Alloy would ship back of Loki's refused pushes
// (and of its own dropped batches) is dropped, and nothing else: the
// rendered expressions, as Alloy's evaluator reads them, run with Go's RE2
// (Alloy's regexp engine) over the lines the real Loki 3.7.3 logged, and
// apply to the Loki and Alloy containers only.
func TestFeedbackRules(t *testing.T) {
	raw, err := os.ReadFile("testdata/loki-3.7.3-lines.txt")
	require.NoError(t, err)
	var drop, keep []string
	for _, line := range strings.Split(string(raw), "\n") {
		if kind, text, ok := strings.Cut(line, "\t"); ok {
			switch kind {
			case "drop":
				drop = append(drop, text)
			case "keep":
				keep = append(keep, text)
			}
		}
	}
	require.NotEmpty(t, drop)
	require.NotEmpty(t, keep)
	rules := map[string]*dropStage{}
	for _, st := range stages(t) {
		if st.Match == nil {
			continue
		}
		ms, err := promparser.NewParser(promparser.Options{}).ParseMetricSelector(st.Match.Selector)
		require.NoError(t, err, st.Match.Selector)
		require.Len(t, ms, 1)
		require.Equal(t, LabelContainer, ms[0].Name)
		require.Len(t, st.Match.Stages, 1)
		require.NotNil(t, st.Match.Stages[0].Drop)
		require.False(t, ms[0].Matches("koprogo-backend"), "%s applies to other containers", st.Match.Selector)
		rules[ms[0].Value] = st.Match.Stages[0].Drop
	}
	lokiRule := rules[prodOptions.LokiContainer]
	require.NotNil(t, lokiRule, "no rule for Loki's container")
	re := regexp.MustCompile(lokiRule.Expression)
	for _, l := range drop {
		require.True(t, re.MatchString(l), "Loki's refused-push line is shipped back:\n%s", l)
	}
	for _, l := range keep {
		require.False(t, re.MatchString(l), "Loki's line is dropped:\n%s", l)
	}
	require.Equal(t, "loki_push_refused", lokiRule.DropReason)

	alloyRule := rules[prodOptions.AlloyContainer]
	require.NotNil(t, alloyRule, "no rule for Alloy's container")
	re = regexp.MustCompile(alloyRule.Expression)
	// The line Alloy logs when it gives up a batch (message from
	// internal/component/common/loki/client/shards.go, logfmt as Alloy
	// prints it), and lines it must keep.
	require.True(t, re.MatchString(`ts=2026-11-30T08:00:00Z level=error msg="final error sending batch, no retries left, dropping data" component_path=/ component_id=loki.write.loki component=client host=koprogo-mon-loki:3100 status=400 tenant="" error="server returned HTTP status 400 Bad Request (400): entry too far behind"`))
	require.False(t, re.MatchString(`ts=2026-11-30T08:00:00Z level=info msg="tail routine: started" component_path=/ component_id=loki.source.docker.containers`))
	require.False(t, re.MatchString(`ts=2026-11-30T08:00:00Z level=error msg="failed to read journal" component_id=loki.source.journal.journal`))
}

// TestTruncationIsVisible: lines are cut to Loki's limit before they leave
// Alloy, with Loki's marker, the suffix counted within the limit.
func TestTruncationIsVisible(t *testing.T) {
	var rules []truncateRule
	for _, st := range stages(t) {
		if st.Truncate != nil {
			rules = append(rules, st.Truncate.Rules...)
		}
	}
	require.Len(t, rules, 1)
	limit, err := units.ParseBase2Bytes(rules[0].Limit)
	require.NoError(t, err)
	require.EqualValues(t, lokiconfig.MaxLineSize, limit)
	require.Equal(t, lokiconfig.TruncatedSuffix, rules[0].Suffix)
	require.Empty(t, rules[0].Sources, "the line itself is truncated")
	// Truncation comes after the feedback rules: a dropped line is not cut.
	last := stages(t)[len(stages(t))-1]
	require.NotNil(t, last.Truncate)
}

func TestDeterministic(t *testing.T) {
	require.Equal(t, render(t, prodOptions), render(t, prodOptions))
}

func TestGolden(t *testing.T) {
	testkit.Golden(t, golden, render(t, prodOptions), *update)
}
