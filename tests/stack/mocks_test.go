package stack_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/bcrypt"
)

// Mock outputs of the resources whose outputs the program reads.
const (
	typeRemoteImage    = "docker:index/remoteImage:RemoteImage"
	typeContainer      = "docker:index/container:Container"
	typeVolume         = "docker:index/volume:Volume"
	typeNetwork        = "docker:index/network:Network"
	typeDockerProvider = "pulumi:providers:docker"
	typeRandomPassword = "random:index/randomPassword:RandomPassword"
	typeCommand        = "command:local:Command"
)

// generated is what the mocked RandomPassword named name returns.
func generated(name string) string { return "generated-by-mock-" + name + "-0123456789" }

const (
	generatedAdmin     = "grafana-admin-password"
	generatedBootstrap = "grafana-bootstrap-password"
)

// fakeImageID is what the mocked RemoteImage reports as imageId for a name.
func fakeImageID(image string) string {
	h := sha256.Sum256([]byte(image))
	return "sha256:" + hex.EncodeToString(h[:])
}

// registered is one RegisterResource call, as the engine would receive it.
type registered struct {
	typ, name string
	parent    resource.URN
	provider  resource.URN // "" for components and providers
	inputs    resource.PropertyMap
	deps      []resource.URN // explicit dependencies (DependsOn)
	protect   bool
	retain    bool
	dbr       bool
	replaceOn []string
}

// dependsOn reports whether r depends on the resource target.
func (r *registered) dependsOn(target *registered) bool {
	for _, d := range r.deps {
		if string(d.Type()) == target.typ && d.Name() == target.name {
			return true
		}
	}
	return false
}

type mocks struct {
	mu  sync.Mutex
	all []*registered
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	r := &registered{
		typ:       args.TypeToken,
		name:      args.Name,
		parent:    resource.URN(rpc.GetParent()),
		inputs:    args.Inputs,
		protect:   rpc.GetProtect(),
		retain:    rpc.GetRetainOnDelete(),
		dbr:       rpc.GetDeleteBeforeReplace(),
		replaceOn: rpc.GetReplaceOnChanges(),
	}
	for _, d := range rpc.GetDependencies() {
		r.deps = append(r.deps, resource.URN(d))
	}
	if ref := args.Provider; ref != "" {
		r.provider = resource.URN(ref[:strings.LastIndex(ref, "::")])
	}
	outs := args.Inputs.Copy()
	switch args.TypeToken {
	case typeRemoteImage:
		name := args.Inputs["name"].StringValue()
		outs["imageId"] = resource.NewStringProperty(fakeImageID(name))
		outs["repoDigest"] = resource.NewStringProperty(strings.Split(name, ":")[0] + "@" + fakeImageID(name))
	case typeRandomPassword:
		outs["result"] = resource.MakeSecret(resource.NewStringProperty(generated(args.Name)))
		// A real bcrypt hash of the result, as pulumi-random computes it
		// (at the lowest cost, for speed).
		h, err := bcrypt.GenerateFromPassword([]byte(generated(args.Name)), bcrypt.MinCost)
		if err != nil {
			return "", nil, err
		}
		outs["bcryptHash"] = resource.MakeSecret(resource.NewStringProperty(string(h)))
	}
	m.mu.Lock()
	m.all = append(m.all, r)
	m.mu.Unlock()
	return args.Name + "-id", outs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// find returns the one resource of a type and name, failing otherwise.
func (m *mocks) find(t *testing.T, typ, name string) *registered {
	t.Helper()
	var found []*registered
	for _, r := range m.all {
		if r.typ == typ && r.name == name {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s named %q, want 1", len(found), typ, name)
	}
	return found[0]
}

// component returns the one component resource (koprogo:monitoring:*)
// named name.
func (m *mocks) component(t *testing.T, name string) *registered {
	t.Helper()
	var found []*registered
	for _, r := range m.all {
		if strings.HasPrefix(r.typ, "koprogo:monitoring:") && r.name == name {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d components named %q, want 1", len(found), name)
	}
	return found[0]
}

func (m *mocks) ofType(typ string) []*registered {
	var out []*registered
	for _, r := range m.all {
		if r.typ == typ {
			out = append(out, r)
		}
	}
	return out
}

// walk calls visit for every string inside v, saying whether it sits under a
// secret marker.
func walk(v resource.PropertyValue, secret bool, visit func(s string, secret bool)) {
	switch {
	case v.IsSecret():
		walk(v.SecretValue().Element, true, visit)
	case v.IsOutput():
		o := v.OutputValue()
		walk(o.Element, secret || o.Secret, visit)
	case v.IsString():
		visit(v.StringValue(), secret)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			walk(e, secret, visit)
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			walk(e, secret, visit)
		}
	}
}

func obj(t *testing.T, v resource.PropertyValue) resource.PropertyMap {
	t.Helper()
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsOutput() {
		v = v.OutputValue().Element
	}
	if !v.IsObject() {
		t.Fatalf("not an object: %v", v)
	}
	return v.ObjectValue()
}

func arr(t *testing.T, v resource.PropertyValue) []resource.PropertyValue {
	t.Helper()
	if v.IsNull() {
		return nil
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsArray() {
		t.Fatalf("not an array: %v", v)
	}
	return v.ArrayValue()
}

// plain returns a string property, unwrapping a secret; the bool says
// whether it was secret.
func plain(v resource.PropertyValue) (string, bool) {
	secret := false
	if v.IsSecret() {
		v, secret = v.SecretValue().Element, true
	}
	if v.IsOutput() {
		o := v.OutputValue()
		v, secret = o.Element, secret || o.Secret
	}
	if !v.IsString() {
		return "", secret
	}
	return v.StringValue(), secret
}

func strs(t *testing.T, v resource.PropertyValue) []string {
	t.Helper()
	var out []string
	for _, e := range arr(t, v) {
		s, _ := plain(e)
		out = append(out, s)
	}
	return out
}
