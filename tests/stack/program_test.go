package stack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/program"
)

// runAsEngine runs program.Run the way `pulumi up` runs main.go: the stack's
// configuration arrives in PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS
// (what the Go language host sets), read by pulumi.RunErr itself.
func runAsEngine(t *testing.T, c stacks.Config) (*mocks, error) {
	t.Helper()
	all := map[string]string{}
	var secret []string
	for k, v := range c.Values {
		all[config.Project+":"+k] = v
		if c.Secret[k] {
			secret = append(secret, config.Project+":"+k)
		}
	}
	// A provider's key: another namespace, not the program's business.
	all["docker:host"] = "unix:///var/run/docker.sock"
	raw, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := json.Marshal(secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(raw))
	t.Setenv(pulumi.EnvConfigSecretKeys, string(keys))
	m := &mocks{}
	return m, pulumi.RunErr(program.Run, pulumi.WithMocks(config.Project, "prod", m))
}

func TestProgramRunsWithTheEnginesConfiguration(t *testing.T) {
	m, err := runAsEngine(t, stacks.File(t, "prod"))
	if err != nil {
		t.Fatalf("program.Run: %v", err)
	}
	if len(m.ofType(typeContainer)) == 0 {
		t.Fatal("no container registered")
	}
}

// A mistyped key reaches the program only through PULUMI_CONFIG (ctx answers
// for declared keys only): it must stop the run before any resource.
func TestUnknownKeyStopsTheRealPath(t *testing.T) {
	c := stacks.File(t, "prod").With(map[string]string{"alertDiskFreePercnt": "25"})
	m, err := runAsEngine(t, c)
	if err == nil || !strings.Contains(err.Error(), "alertDiskFreePercnt: is not a known key") {
		t.Fatalf("program.Run with a mistyped key: %v", err)
	}
	if len(m.all) != 0 {
		t.Errorf("%d resources registered before the configuration was refused", len(m.all))
	}
}
