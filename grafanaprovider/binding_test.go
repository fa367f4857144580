package grafanaprovider

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// recorder is a pulumi mock that keeps every registration.
type recorder struct {
	mu   sync.Mutex
	regs map[string]pulumi.MockResourceArgs // by resource name
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.regs[args.Name] = args
	return args.Name + "-id", args.Inputs, nil
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func run(t *testing.T, program pulumi.RunFunc) map[string]pulumi.MockResourceArgs {
	t.Helper()
	r := &recorder{regs: map[string]pulumi.MockResourceArgs{}}
	if err := pulumi.RunErr(program, pulumi.WithMocks("project", "stack", r)); err != nil {
		t.Fatal(err)
	}
	return r.regs
}

func TestSecretInputsAndPluginOptions(t *testing.T) {
	regs := run(t, func(ctx *pulumi.Context) error {
		if _, err := NewProvider(ctx, "grafana", &ProviderArgs{
			Url:  pulumi.String("http://127.0.0.1:3001"),
			Auth: pulumi.String("admin:pw"),
		}); err != nil {
			return err
		}
		if _, err := NewFolder(ctx, "folder", &FolderArgs{Title: pulumi.String("F")}); err != nil {
			return err
		}
		if _, err := NewDashboard(ctx, "dash", &DashboardArgs{ConfigJson: pulumi.String("{}")}); err != nil {
			return err
		}
		_, err := NewDataSource(ctx, "ds", &DataSourceArgs{
			Type:                  pulumi.String("prometheus"),
			SecureJsonDataEncoded: pulumi.String(`{"basicAuthPassword":"x"}`),
			HttpHeaders:           pulumi.StringMap{"X-Token": pulumi.String("t")},
			JsonDataEncoded:       pulumi.String("{}"),
		})
		return err
	})
	secret := map[string][]string{
		"grafana": {"auth"},
		"ds":      {"httpHeaders", "secureJsonDataEncoded"},
		"folder":  nil,
		"dash":    nil,
	}
	for name, secrets := range secret {
		reg, ok := regs[name]
		if !ok {
			t.Fatalf("%s was not registered", name)
		}
		rpc := reg.RegisterRPC
		if rpc.GetVersion() != PluginVersion || rpc.GetPluginDownloadURL() != PluginDownloadURL {
			t.Errorf("%s: version %q, plugin download URL %q", name, rpc.GetVersion(), rpc.GetPluginDownloadURL())
		}
		for _, s := range secrets {
			if v, ok := reg.Inputs[resource.PropertyKey(s)]; !ok || !v.IsSecret() {
				t.Errorf("%s: input %s is not sent as a secret (%v)", name, s, v)
			}
			if !slices.Contains(rpc.GetAdditionalSecretOutputs(), s) {
				t.Errorf("%s: output %s is not declared secret (%v)", name, s, rpc.GetAdditionalSecretOutputs())
			}
		}
	}
	if v := regs["ds"].Inputs["jsonDataEncoded"]; v.IsSecret() {
		t.Error("jsonDataEncoded is not secret in the schema but was sent as one")
	}
}

func TestRequiredArguments(t *testing.T) {
	cases := map[string]func(ctx *pulumi.Context) error{
		"Title": func(ctx *pulumi.Context) error {
			_, err := NewFolder(ctx, "f", &FolderArgs{Uid: pulumi.String("u")})
			return err
		},
		"Type": func(ctx *pulumi.Context) error {
			_, err := NewDataSource(ctx, "d", &DataSourceArgs{Name: pulumi.String("n")})
			return err
		},
		"ConfigJson": func(ctx *pulumi.Context) error {
			_, err := NewDashboard(ctx, "b", &DashboardArgs{Folder: pulumi.String("f")})
			return err
		},
	}
	for field, program := range cases {
		err := pulumi.RunErr(program, pulumi.WithMocks("project", "stack", &recorder{regs: map[string]pulumi.MockResourceArgs{}}))
		if err == nil || !strings.Contains(err.Error(), "'"+field+"'") {
			t.Errorf("missing %s: got error %v", field, err)
		}
	}
}
