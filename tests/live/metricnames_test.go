package live

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/koprogo/koprogo-monitoring/internal/testkit/queries"
	"github.com/koprogo/koprogo-monitoring/tests/live/stack"
)

// notExportedHere lists metric names the rules or dashboards use that no
// process of the live stack exports, each with where the name comes from.
// An entry whose metric does exist here, or that nothing references, fails
// the test: the list stays exact.
var notExportedHere = map[string]string{
	// cAdvisor: not run here (not built; see stack.NotRunning). Names
	// from cAdvisor's metric table, docs/storage/prometheus.md at v0.53.0
	// (https://github.com/google/cadvisor/blob/v0.53.0/docs/storage/prometheus.md),
	// all in metric groups the deployed flags keep (cpu, memory, disk,
	// diskIO, network) or always exported (last_seen, start_time, spec).
	"container_cpu_cfs_periods_total":           cadvisorDoc,
	"container_cpu_cfs_throttled_periods_total": cadvisorDoc,
	"container_cpu_usage_seconds_total":         cadvisorDoc,
	"container_fs_reads_bytes_total":            cadvisorDoc,
	"container_fs_usage_bytes":                  cadvisorDoc,
	"container_fs_writes_bytes_total":           cadvisorDoc,
	"container_last_seen":                       cadvisorDoc,
	"container_memory_working_set_bytes":        cadvisorDoc,
	"container_network_receive_bytes_total":     cadvisorDoc,
	"container_network_transmit_bytes_total":    cadvisorDoc,
	"container_spec_memory_limit_bytes":         cadvisorDoc,
	"container_start_time_seconds":              cadvisorDoc,

	// Traefik: the application's proxy, not run here. Names from Traefik's
	// metrics reference (https://doc.traefik.io/traefik/observability/metrics/overview/):
	// global metrics and service metrics (histogram _bucket series).
	"traefik_open_connections":                        traefikDoc + " (global: open connections)",
	"traefik_tls_certs_not_after":                     traefikDoc + " (global: TLS certificates not after)",
	"traefik_service_requests_total":                  traefikDoc + " (service: requests total)",
	"traefik_service_request_duration_seconds_bucket": traefikDoc + " (service: request duration histogram)",

	// Loki and Alloy: AGPL / not built here, so not run by the live stack.
	// The Loki names were read from the /metrics of the real Loki 3.7.3 run
	// in-session with the rendered loki.yaml (docs/verification.md); the
	// Alloy names are registered in Alloy v1.19.0's source at the paths
	// given.
	"loki_ingester_chunk_stored_bytes_total": lokiRun,
	"loki_discarded_samples_total":           lokiRun,
	"loki_mutated_samples_total":             lokiRun,
	"loki_write_dropped_entries_total":       alloySrc + "internal/component/common/loki/client/metrics.go",
	"loki_process_truncated_fields_total":    alloySrc + "internal/component/loki/process/stages/truncate.go",
	"loki_process_dropped_lines_total":       alloySrc + "internal/component/loki/process/stages/match.go",

	// Written by the host's backup job, not by any exporter: the contract in
	// components/nodeexporter.go (node_exporter's textfile directory) and
	// the README's backup section.
	"koprogo_last_backup_timestamp_seconds": "backup job -> node_exporter textfile collector (components/nodeexporter.go)",

	// Exported per remote_write queue, and this stack has none; TestRemoteWrite
	// requires them on its central Prometheus, which has one.
	"prometheus_remote_storage_queue_highest_sent_timestamp_seconds": remoteWriteQueueDoc,
	"prometheus_remote_storage_samples_failed_total":                 remoteWriteQueueDoc,
}

const (
	cadvisorDoc = "cAdvisor v0.53.0 docs/storage/prometheus.md"
	traefikDoc  = "Traefik metrics reference"
	lokiRun     = "Loki 3.7.3 /metrics, session run (docs/verification.md)"
	alloySrc    = "Alloy v1.19.0 "
	// remoteWriteQueueDoc prefixes the entries TestRemoteWrite checks.
	remoteWriteQueueDoc = "Prometheus storage/remote/queue_manager.go, one series per remote_write queue"
)

// checkMetricNames requires every metric name referenced by an alert rule or
// a dashboard query to exist in this Prometheus, be recorded by a rule, or be
// explained in notExportedHere.
func checkMetricNames(ctx context.Context, t *testing.T, st *stack.Stack, groups *rulefmt.RuleGroups) {
	p := parser.NewParser(parser.Options{})
	refs := map[string][]string{} // metric name -> where it is used
	recorded := map[string]bool{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
			where := "rule " + g.Name + "/" + r.Alert + r.Record
			names, err := metricNames(p, r.Expr)
			if err != nil {
				t.Errorf("%s: %v", where, err)
			}
			for _, n := range names {
				refs[n] = append(refs[n], where)
			}
		}
	}
	qs, err := queries.All(st.Settings.Alerts.Thresholds)
	if err != nil {
		t.Fatalf("queries.All: %v", err)
	}
	for _, q := range qs {
		if q.Language != queries.PromQL {
			continue // LogQL goes to Loki, which the live stack does not run
		}
		where := fmt.Sprintf("dashboard %s panel %q %s", q.Dashboard, q.Panel, q.RefID)
		expr, err := queries.Substitute(q.Expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		names, err := metricNames(p, expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
		}
		for _, n := range names {
			refs[n] = append(refs[n], where)
		}
	}
	if len(refs) == 0 {
		t.Fatal("no metric names found in the rules and dashboards")
	}

	var resp labelValuesResponse
	if err := stack.GetJSON(ctx, st.PromURL+"/api/v1/label/__name__/values", &resp); err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{}
	for _, n := range resp.Data {
		exists[n] = true
	}

	var names []string
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	checked, explained := 0, 0
	for _, n := range names {
		source, listed := notExportedHere[n]
		switch {
		case exists[n] && listed:
			t.Errorf("metric %s exists in the live stack but is listed in notExportedHere (%s): remove the entry", n, source)
		case exists[n] || recorded[n]:
			checked++
		case listed:
			explained++
			t.Logf("not exported here: %s (%s)", n, source)
		default:
			t.Errorf("unknown metric %s (used by %v): not exported by the live stack and not explained in notExportedHere", n, refs[n])
		}
	}
	for n, source := range notExportedHere {
		if _, used := refs[n]; !used {
			t.Errorf("notExportedHere lists %s (%s), which no rule or dashboard uses: remove the entry", n, source)
		}
	}
	t.Logf("%d referenced metric names exist in the live Prometheus (or are recorded by a rule), %d are explained as not exported here", checked, explained)
}

// metricNames returns the metric names an expression selects, parsed with
// Prometheus' own PromQL parser. A selector without a fixed name (only a
// regex on __name__) is an error: it cannot be checked.
func metricNames(p parser.Parser, expr string) ([]string, error) {
	e, err := p.ParseExpr(expr)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", expr, err)
	}
	var names []string
	for _, sel := range parser.ExtractSelectors(e) {
		found := false
		for _, m := range sel {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				if !slices.Contains(names, m.Value) {
					names = append(names, m.Value)
				}
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("selector %v in %q has no fixed metric name", sel, expr)
		}
	}
	return names, nil
}
