package flags

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/koprogo/koprogo-monitoring/services"
)

// goMemLimitOf returns GOMEMLIMIT's value in MiB from env, or -1.
func goMemLimitOf(t *testing.T, env []string) int {
	t.Helper()
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOMEMLIMIT="); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(v, "MiB"))
			if err != nil || !strings.HasSuffix(v, "MiB") {
				t.Fatalf("GOMEMLIMIT=%q is not a whole number of MiB", v)
			}
			return n
		}
	}
	return -1
}

// TestEnvGoMemLimitBelowLimit: every Go service gets a GOMEMLIMIT that
// follows its limit (not a constant), below it, and not so far below that
// the GC would run flat out long before the container is full.
func TestEnvGoMemLimitBelowLimit(t *testing.T) {
	for _, row := range services.All {
		for _, limit := range []int{row.MinMemoryMB, row.MemoryMB, 333, 4096} {
			got := goMemLimitOf(t, Env(row.Name, limit))
			if !row.GoRuntime {
				if got != -1 {
					t.Errorf("%s is not a Go program but gets GOMEMLIMIT=%dMiB", row.Name, got)
				}
				continue
			}
			if got >= limit || got < limit*8/10 {
				t.Errorf("%s with a %d MiB limit: GOMEMLIMIT=%dMiB, want below the limit and at least 80%% of it", row.Name, limit, got)
			}
		}
	}
	if a, b := GoMemLimitMiB(200), GoMemLimitMiB(400); b <= a {
		t.Errorf("GOMEMLIMIT does not grow with the limit: %d MiB at 200, %d MiB at 400", a, b)
	}
}

// TestEnvPrometheusRuntime: Prometheus gets its measured runtime settings,
// and only Prometheus (the others were not measured with them).
func TestEnvPrometheusRuntime(t *testing.T) {
	for _, row := range services.All {
		env := Env(row.Name, row.MemoryMB)
		for _, kv := range PrometheusEnv() {
			if has := slices.Contains(env, kv); has != (row.Name == services.Prometheus) {
				t.Errorf("%s: %s in its environment = %v (%q)", row.Name, kv, has, env)
			}
		}
	}
}
