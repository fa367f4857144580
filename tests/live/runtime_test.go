package live

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/tests/live/stack"
)

// runtimeMetrics maps the Go runtime environment variables to the gauges
// client_golang exports from the runtime's own view of them.
var runtimeMetrics = map[string]string{
	"GOMEMLIMIT": "go_gc_gomemlimit_bytes",
	"GOGC":       "go_gc_gogc_percent",
	"GOMAXPROCS": "go_sched_gomaxprocs_threads",
}

// checkRuntimeEnv reads each running Go service's own /metrics and requires
// the runtime to report the environment its container gets (flags.Env at
// the settings' limit): a harness that dropped it, or a binary that
// ignored it, would make every measurement here differ from production.
func checkRuntimeEnv(ctx context.Context, t *testing.T, st *stack.Stack) {
	for _, svc := range []services.Name{services.Prometheus, services.Alertmanager, services.NodeExporter, services.PostgresExporter} {
		limit := st.Settings.Service(svc).MemoryMB
		target := st.Layout.Targets[svc]
		path := target.MetricsPath
		if path == "" {
			path = "/metrics" // Prometheus' default, as the scrape job uses it
		}
		got, err := scrapeGauges(ctx, "http://"+target.Address+path)
		if err != nil {
			t.Errorf("%s: %v", svc, err)
			continue
		}
		for _, kv := range flags.Env(svc, limit) {
			k, v, _ := strings.Cut(kv, "=")
			m, ok := runtimeMetrics[k]
			if !ok {
				t.Errorf("%s: no runtime gauge known for %s", svc, k)
				continue
			}
			want, err := strconv.ParseFloat(strings.TrimSuffix(v, "MiB"), 64)
			if err != nil {
				t.Fatalf("%s: %s: %v", svc, kv, err)
			}
			if k == "GOMEMLIMIT" {
				want *= 1 << 20
				if want >= float64(limit)*(1<<20) {
					t.Errorf("%s: GOMEMLIMIT %s is not below the %d MiB limit", svc, v, limit)
				}
			}
			if g, ok := got[m]; !ok || g != want {
				t.Errorf("%s: %s = %v (exported: %v), want %v from %s", svc, m, g, ok, want, kv)
			}
		}
	}
}

// scrapeGauges returns the unlabelled samples of the runtime gauges.
func scrapeGauges(ctx context.Context, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	want := map[string]bool{}
	for _, m := range runtimeMetrics {
		want[m] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		if out[name], err = strconv.ParseFloat(value, 64); err != nil {
			return nil, fmt.Errorf("%s: %q: %v", url, sc.Text(), err)
		}
	}
	return out, sc.Err()
}
