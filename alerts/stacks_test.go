package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/koprogo/koprogo-monitoring/config"
)

// testedStacks are rendered and tested; each uses its Pulumi.<stack>.yaml
// when the file exists, otherwise the defaults.
var testedStacks = []string{"prod", "staging", tunedStack}

// tunedStack is no Pulumi stack: it is prod's file with every alert threshold
// key set off its default (tunedValues). The real stacks keep the defaults, so
// without it nothing would show that the rules and their firing/quiet cases
// follow the settings rather than the former constants.
const tunedStack = "tuned"

var tunedValues = map[string]string{
	"alertCpuHighPercent":           "70",
	"alertMemoryHighPercent":        "80",
	"alertLoadPerCore":              "1.5",
	"alertDiskFreePercent":          "20",
	"alertBackupMaxAgeHours":        "50",
	"alertContainerMemoryPercent":   "75",
	"alertHttpP99Ms":                "800",
	"alertHttp5xxPercent":           "2",
	"alertPgConnectionsPercent":     "60",
	"alertPgLongTransactionSeconds": "120",
	"alertPgSlowQueryMs":            "250",
}

// dummySecrets fill the required secrets (stack files hold them encrypted,
// and the rules never read them).
var dummySecrets = map[string]string{
	"postgresDsn":          "postgresql://exporter:dummy@postgres:5432/koprogo?sslmode=disable",
	"smtpPassword":         "dummy",
	"deadMansSwitchUrl":    "https://hc.example.invalid/ping/dummy",
	"grafanaAdminPassword": "dummy-dummy-dummy-dummy",
}

// stackSettings parses the stack's config file with config.Parse, the way
// `pulumi up` would see it.
func stackSettings(t *testing.T, stack string) config.Settings {
	t.Helper()
	values := map[string]string{}
	secret := map[string]bool{}
	project := projectName(t)
	file := stack
	if stack == tunedStack {
		file = "prod"
	}
	raw, err := os.ReadFile(filepath.Join("..", "Pulumi."+file+".yaml"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		// Defaults; alerts on so that the SMTP keys are exercised too.
		values["smtpHost"] = "smtp.example.invalid"
		values["smtpFrom"] = "alerts@example.invalid"
		values["smtpTo"] = "ops@example.invalid"
	case err != nil:
		t.Fatal(err)
	default:
		var file struct {
			Config map[string]any `yaml:"config"`
		}
		if err := yaml.Unmarshal(raw, &file); err != nil {
			t.Fatalf("Pulumi.%s.yaml: %v", file, err)
		}
		for k, v := range file.Config {
			name, ok := strings.CutPrefix(k, project+":")
			if !ok {
				continue // provider keys (docker:host, ...)
			}
			switch v := v.(type) {
			case string:
				values[name] = v
			case map[string]any:
				if _, enc := v["secure"]; !enc {
					t.Fatalf("Pulumi.%s.yaml: %s is an object, not a value", file, k)
				}
				values[name], secret[name] = dummySecrets[name], true
				if values[name] == "" {
					values[name] = "dummy"
				}
			case []any:
				b, _ := json.Marshal(v)
				values[name] = string(b)
			default:
				values[name] = fmt.Sprint(v)
			}
		}
	}
	if stack == tunedStack {
		for k, v := range tunedValues {
			values[k] = v
		}
	}
	if _, ok := values["postgresDsn"]; !ok {
		values["postgresDsn"], secret["postgresDsn"] = dummySecrets["postgresDsn"], true
	}
	if values["smtpUsername"] != "" {
		if _, ok := values["smtpPassword"]; !ok {
			values["smtpPassword"], secret["smtpPassword"] = dummySecrets["smtpPassword"], true
		}
	}
	s, err := config.Parse(stack, values, secret)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return s
}

func projectName(t *testing.T) string {
	raw, err := os.ReadFile(filepath.Join("..", "Pulumi.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return "koprogo-monitoring"
	}
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(raw, &p); err != nil || p.Name == "" {
		t.Fatalf("Pulumi.yaml: no project name (%v)", err)
	}
	return p.Name
}

func run(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestTunedStackMovesEveryThreshold keeps tunedValues complete: a threshold
// key added later without a tuned value would only ever be tested at its
// default.
func TestTunedStackMovesEveryThreshold(t *testing.T) {
	for _, k := range config.Keys {
		// Threshold keys are alert<Name>; alertsEnabled and alertmanager* are not.
		if !strings.HasPrefix(k.Name, "alert") || len(k.Name) < 6 || k.Name[5] < 'A' || k.Name[5] > 'Z' {
			continue
		}
		if v, ok := tunedValues[k.Name]; !ok || v == k.Default {
			t.Errorf("tunedValues must set %s to a value other than its default %q (got %q)", k.Name, k.Default, v)
		}
	}
}
