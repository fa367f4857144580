package alerts

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
)

// testedStacks are rendered and tested, each from its Pulumi.<stack>.yaml.
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
	"lokiDiskBudgetGb":              "12",
	"logRetentionDays":              "3",
	"criticalContainers":            "postgres,backend",
}

// stackAlerts parses the stack's real Pulumi.<stack>.yaml, the way `pulumi
// up` would see it (a missing file fails the test), and returns the alert
// settings.
func stackAlerts(t *testing.T, stack string) config.Alerts {
	t.Helper()
	file := stack
	if stack == tunedStack {
		file = "prod"
	}
	c := stacks.File(t, file)
	if stack == tunedStack {
		c = c.With(tunedValues)
	}
	return c.Parse(t, stack).Alerts
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
	ruleKeys := map[string]bool{}
	for _, g := range Groups(stackAlerts(t, "prod")) {
		for _, r := range g.Rules {
			ruleKeys[r.Key] = true
		}
	}
	for _, k := range config.Keys {
		// Threshold keys are alert<Name> (alertsEnabled and alertmanager*
		// are not) and every key a rule names as its setting.
		isThreshold := strings.HasPrefix(k.Name, "alert") && len(k.Name) >= 6 && k.Name[5] >= 'A' && k.Name[5] <= 'Z'
		if !isThreshold && !ruleKeys[k.Name] {
			continue
		}
		if v, ok := tunedValues[k.Name]; !ok || v == k.Default {
			t.Errorf("tunedValues must set %s to a value other than its default %q (got %q)", k.Name, k.Default, v)
		}
	}
}
