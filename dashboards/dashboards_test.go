package dashboards_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/hostaware"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"

	. "github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/queries"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// defaultThresholds are the stack defaults, read through the real config parser.
func defaultThresholds(t *testing.T) config.Thresholds {
	t.Helper()
	th := stacks.Minimal().Parse(t, "prod").Alerts.Thresholds
	require.NotZero(t, th.CPUHighPercent, "config defaults did not fill the thresholds")
	return th
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func builtin(t *testing.T) []Dashboard {
	t.Helper()
	ds, err := Builtin(defaultThresholds(t))
	require.NoError(t, err)
	return ds
}

// expected lists each dashboard and panels a reader relies on finding.
var expected = []struct {
	uid, title string
	panels     []string
	variables  []string
}{
	{OverviewUID, "KoproGo overview",
		[]string{"CPU busy", "Memory used", "Disk free", "Network", "Load", "Scrape targets", "Containers not seen", "Container restarts",
			"Request rate", "5xx ratio", "p99 latency", "PostgreSQL", "Connections", "Firing alerts", "Last backup"},
		[]string{"host"}},
	{PostgresUID, "KoproGo PostgreSQL",
		[]string{"Connections vs max", "Transactions/s", "Cache hit ratio", "Deadlocks", "Locks by mode", "Database size", "Longest transaction", "Slowest statements"},
		[]string{"datname"}},
	{ContainersUID, "KoproGo Docker containers",
		[]string{"CPU", "Memory working set", "Memory vs limit", "Network", "Restarts", "Filesystem usage", "Filesystem I/O"},
		[]string{"host", "container"}},
	{TraefikUID, "KoproGo Traefik HTTP",
		[]string{"Requests by service", "Requests by status code", "Latency quantiles", "Open connections", "TLS certificate expiry"},
		[]string{"service"}},
	{LogsUID, "KoproGo logs",
		[]string{"Container logs", "Errors", "Log lines by container", "Error lines by container"},
		[]string{"container", "search"}},
}

func TestBuiltinDashboards(t *testing.T) {
	ds := builtin(t)
	require.Len(t, ds, len(expected))
	// A custom dashboard may not take a built-in dashboard's UID.
	for _, d := range ds {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "mine.json"), []byte(`{"title":"Mine","uid":"`+d.UID+`"}`), 0o644))
		_, err := LoadCustom(dir)
		require.ErrorContains(t, err, "already used by built-in dashboard", d.UID)
	}
	for i, want := range expected {
		d := ds[i]
		t.Run(want.uid, func(t *testing.T) {
			require.Equal(t, want.uid, d.UID)
			require.Equal(t, want.title, d.Title)
			require.LessOrEqual(t, len(d.UID), 40, "Grafana limits UIDs to 40 characters")

			model, err := queries.Parse(d.JSON)
			require.NoError(t, err, "decoding into the Foundation SDK's dashboard type")
			again, err := json.Marshal(model)
			require.NoError(t, err)
			require.Equal(t, string(d.JSON), string(again), "JSON does not round-trip through dashboard.Dashboard")
			require.Equal(t, want.uid, deref(model.Uid))
			require.Equal(t, want.title, deref(model.Title))
			require.Contains(t, model.Tags, Tag)

			strictParts(t, d.JSON)

			var top map[string]any
			require.NoError(t, json.Unmarshal(d.JSON, &top))
			require.NotContains(t, top, "id", "a fixed id would clash between Grafana instances; Grafana assigns it")
			require.NotContains(t, top, "version", "Grafana bumps the version itself; sending one causes diffs")

			var titles []string
			ids := map[uint32]bool{}
			for _, p := range model.Panels {
				if p.RowPanel != nil {
					require.False(t, ids[p.RowPanel.Id], "duplicate panel id %d", p.RowPanel.Id)
					ids[p.RowPanel.Id] = true
					continue
				}
				require.NotNil(t, p.Panel.Id, "panel %q has no id", deref(p.Panel.Title))
				require.False(t, ids[*p.Panel.Id], "duplicate panel id %d", *p.Panel.Id)
				ids[*p.Panel.Id] = true
				require.NotNil(t, p.Panel.GridPos)
				require.LessOrEqual(t, p.Panel.GridPos.X+p.Panel.GridPos.W, uint32(24), "panel %q overflows the grid", deref(p.Panel.Title))
				require.NotEmpty(t, deref(p.Panel.Description), "panel %q has no description", deref(p.Panel.Title))
				require.NotEmpty(t, p.Panel.Targets, "panel %q has no query", deref(p.Panel.Title))
				require.NotNil(t, p.Panel.Datasource)
				uid := deref(p.Panel.Datasource.Uid)
				require.Contains(t, []string{PrometheusUID, LokiUID}, uid, "panel %q uses an unknown datasource", deref(p.Panel.Title))
				titles = append(titles, deref(p.Panel.Title))
			}
			for _, title := range want.panels {
				require.Contains(t, titles, title)
			}
			var vars []string
			for _, v := range model.Templating.List {
				vars = append(vars, v.Name)
			}
			require.Equal(t, want.variables, vars)
		})
	}
}

// strictParts decodes every panel, row and variable with the SDK's strict
// decoders, which reject unknown fields, missing required fields and wrong
// types. (The dashboard-level strict decoder of v0.0.22 drops the panels, so
// the parts are decoded one by one.)
func strictParts(t *testing.T, raw []byte) {
	t.Helper()
	queries.RegisterPlugins()
	var parts struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []json.RawMessage `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(raw, &parts))
	require.NotEmpty(t, parts.Panels)
	for i, p := range parts.Panels {
		var kind struct {
			Type string `json:"type"`
		}
		require.NoError(t, json.Unmarshal(p, &kind))
		var err error
		if kind.Type == "row" {
			var row dashboard.RowPanel
			err = row.UnmarshalJSONStrict(p)
		} else {
			var panel dashboard.Panel
			err = panel.UnmarshalJSONStrict(p)
		}
		require.NoError(t, realError(err), "panel %d (%s) fails strict decoding", i, kind.Type)
	}
	for i, v := range parts.Templating.List {
		var variable dashboard.VariableModel
		require.NoError(t, realError(variable.UnmarshalJSONStrict(v)), "variable %d fails strict decoding", i)
	}
}

// realError drops the empty error list the SDK's strict decoders return on
// success (a typed nil cog.BuildErrors).
func realError(err error) error {
	if errs, ok := err.(cog.BuildErrors); ok && len(errs) == 0 {
		return nil
	}
	return err
}

func TestStrictPartsRejectsUnknownFields(t *testing.T) {
	var panel dashboard.Panel
	err := realError(panel.UnmarshalJSONStrict([]byte(`{"type":"timeseries","title":"x","unexpected":1}`)))
	require.ErrorContains(t, err, "unexpected", "the strict decoder must catch what strictParts relies on it to catch")
}

func TestDeterministic(t *testing.T) {
	a, b := builtin(t), builtin(t)
	require.Equal(t, len(a), len(b))
	for i := range a {
		require.True(t, bytes.Equal(a[i].JSON, b[i].JSON), "dashboard %s differs between two builds", a[i].UID)
	}
}

// TestGolden keeps the dashboards' JSON reviewable in testdata/ and makes
// every change to it visible in a diff. Regenerate with -update.
func TestGolden(t *testing.T) {
	for _, d := range builtin(t) {
		var pretty bytes.Buffer
		require.NoError(t, json.Indent(&pretty, d.JSON, "", "  "))
		pretty.WriteByte('\n')
		path := filepath.Join("testdata", d.UID+".golden.json")
		testkit.Golden(t, path, pretty.Bytes(), *update)
	}
}

func TestThresholdsFollowSettings(t *testing.T) {
	base, err := Builtin(defaultThresholds(t))
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		change func(*config.Thresholds)
		want   []string
	}{
		{"the p99 threshold drives the latency panels", func(th *config.Thresholds) { th.HTTPP99Ms *= 2 }, []string{OverviewUID, TraefikUID}},
		{"the container memory threshold drives the memory-vs-limit panel", func(th *config.Thresholds) { th.ContainerMemoryPercent = 75 }, []string{ContainersUID}},
		{"the long-transaction threshold drives the longest-transaction panels", func(th *config.Thresholds) { th.PgLongTxSeconds = 120 }, []string{PostgresUID}},
		{"the Loki disk budget drives the Loki disk panels", func(th *config.Thresholds) { th.LogStorage.BudgetGiB = 9 }, []string{LogsUID}},
		{"the log retention drives the Loki disk panels", func(th *config.Thresholds) { th.LogStorage.Days = 3 }, []string{LogsUID}},
	} {
		th := defaultThresholds(t)
		tc.change(&th)
		changed, err := Builtin(th)
		require.NoError(t, err)
		var differs []string
		for i := range base {
			if !bytes.Equal(base[i].JSON, changed[i].JSON) {
				differs = append(differs, base[i].UID)
			}
		}
		require.Equal(t, tc.want, differs, tc.name)
	}
}

func allQueries(t *testing.T) []queries.Query {
	t.Helper()
	qs, err := queries.All(defaultThresholds(t))
	require.NoError(t, err)
	return qs
}

func TestQueriesCoverEveryDashboard(t *testing.T) {
	seen := map[string]map[queries.Language]int{}
	for _, q := range allQueries(t) {
		require.NotEmpty(t, q.Expr, "%s/%s/%s has an empty query", q.Dashboard, q.Panel, q.RefID)
		if seen[q.Dashboard] == nil {
			seen[q.Dashboard] = map[queries.Language]int{}
		}
		seen[q.Dashboard][q.Language]++
	}
	for _, want := range expected {
		require.NotEmpty(t, seen[want.uid], "no queries listed for %s", want.uid)
	}
	require.Positive(t, seen[LogsUID][queries.LogQL])
	require.Positive(t, seen[LogsUID][queries.PromQL], "the logs dashboard shows the pipeline's health from Prometheus")
	require.Positive(t, seen[OverviewUID][queries.PromQL])
}

// TestPromQLParses parses every PromQL target with Prometheus' own parser
// after the Grafana variables are substituted, and requires a fixed metric
// name in every selector (the live test checks those names against the
// running exporters).
func TestPromQLParses(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	n := 0
	for _, q := range allQueries(t) {
		if q.Language != queries.PromQL {
			continue
		}
		n++
		expr, err := queries.Substitute(q.Expr)
		require.NoError(t, err)
		require.NotContains(t, expr, "$", "%s/%s: variable left after substitution", q.Dashboard, q.Panel)
		e, err := p.ParseExpr(expr)
		if !assert(t, err == nil, "%s/%s/%s: %q does not parse: %v", q.Dashboard, q.Panel, q.RefID, expr, err) {
			continue
		}
		for _, sel := range parser.ExtractSelectors(e) {
			named := slices.ContainsFunc(sel, func(m *labels.Matcher) bool {
				return m.Name == labels.MetricName && m.Type == labels.MatchEqual
			})
			assert(t, named, "%s/%s: selector %v has no fixed metric name", q.Dashboard, q.Panel, sel)
		}
	}
	require.Greater(t, n, 40)
}

// streamSelector is the first {...} of a LogQL query. Grafana's Loki parser
// (github.com/grafana/loki/v3/pkg/logql/syntax) is AGPL-3.0 and cannot be a
// dependency of this project, so LogQL is checked only this far: the stream
// selector, which has PromQL's label-matcher syntax, parses with
// Prometheus' parser and has at least one non-empty matcher (Loki rejects a
// selector that can match every stream). Line filters and metric functions
// are not validated here.
var streamSelector = regexp.MustCompile(`\{[^{}]*\}`)

func TestLogQLStreamSelectors(t *testing.T) {
	n := 0
	for _, q := range allQueries(t) {
		if q.Language != queries.LogQL {
			continue
		}
		n++
		expr, err := queries.Substitute(q.Expr)
		require.NoError(t, err)
		sel := streamSelector.FindString(expr)
		require.NotEmpty(t, sel, "%s/%s: no stream selector in %q", q.Dashboard, q.Panel, expr)
		matchers, err := parser.NewParser(parser.Options{}).ParseMetricSelector(sel)
		require.NoError(t, err, "%s/%s: stream selector %s", q.Dashboard, q.Panel, sel)
		require.True(t, slices.ContainsFunc(matchers, func(m *labels.Matcher) bool { return !m.Matches("") }),
			"%s/%s: %s can match every stream", q.Dashboard, q.Panel, sel)
	}
	require.Positive(t, n)
}

// TestVariablesAreDeclared requires every $variable a query uses to be a
// template variable of its dashboard (or a Grafana built-in).
func TestVariablesAreDeclared(t *testing.T) {
	declared := map[string][]string{}
	for _, d := range builtin(t) {
		model, err := queries.Parse(d.JSON)
		require.NoError(t, err)
		for _, v := range model.Templating.List {
			declared[d.UID] = append(declared[d.UID], v.Name)
		}
	}
	for _, q := range allQueries(t) {
		for _, name := range queries.Variables(q.Expr) {
			if strings.HasPrefix(name, "__") {
				require.True(t, queries.IsBuiltin(name), "%s/%s: unknown built-in $%s", q.Dashboard, q.Panel, name)
				continue
			}
			require.Contains(t, declared[q.Dashboard], name, "%s/%s uses $%s", q.Dashboard, q.Panel, name)
		}
	}
}

// assert reports a failure without stopping, so one run lists every bad query.
func assert(t *testing.T, ok bool, format string, args ...any) bool {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}

// TestPanelsKeepHostsApart: no panel aggregates or matches the series of
// several hosts together (hostaware.Problems), and on the dashboards with a
// $host variable every selector of a job every host runs is narrowed by it.
func TestPanelsKeepHostsApart(t *testing.T) {
	withHost := map[string]bool{OverviewUID: true, ContainersUID: true}
	for _, q := range allQueries(t) {
		if q.Language != queries.PromQL {
			continue
		}
		if withHost[q.Dashboard] {
			require.Contains(t, declaredVariables(t, q.Dashboard), "host", q.Dashboard)
		}
		expr, err := queries.Substitute(q.Expr)
		require.NoError(t, err)
		problems, err := hostaware.Problems(expr)
		require.NoError(t, err)
		for _, p := range problems {
			t.Errorf("%s/%s/%s: %s", q.Dashboard, q.Panel, q.RefID, p)
		}
		if !withHost[q.Dashboard] {
			continue
		}
		// Substitute turns $host into ".+": host=~".+" is the variable.
		e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
		require.NoError(t, err)
		for _, sel := range parser.ExtractSelectors(e) {
			job := ""
			for _, m := range sel {
				if m.Name == "job" {
					job = m.Value
				}
			}
			if job != "" && !slices.Contains(everyHostJobs(), job) {
				continue // a job of the central host only: the stack's
			}
			filtered := slices.ContainsFunc(sel, func(m *labels.Matcher) bool { return m.Name == "host" && m.Value == ".+" })
			assert(t, filtered, "%s/%s/%s: selector %v is not narrowed by $host", q.Dashboard, q.Panel, q.RefID, sel)
		}
	}
}

func everyHostJobs() []string {
	var out []string
	for _, j := range promconfig.AgentJobs {
		out = append(out, string(j))
	}
	return out
}

func declaredVariables(t *testing.T, uid string) []string {
	t.Helper()
	for _, d := range builtin(t) {
		if d.UID != uid {
			continue
		}
		model, err := queries.Parse(d.JSON)
		require.NoError(t, err)
		var names []string
		for _, v := range model.Templating.List {
			names = append(names, v.Name)
		}
		return names
	}
	t.Fatalf("no dashboard %s", uid)
	return nil
}
