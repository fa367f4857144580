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

	"github.com/koprogo/koprogo-monitoring/tests/live/stack"
)

// notExportedHere lists metric names the rules or dashboards use that no
// process of the live stack exports, each with where the name comes from.
// An entry whose metric does exist here, or that nothing references, fails
// the test: the list stays exact.
var notExportedHere = map[string]string{}

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
	checked := 0
	for _, n := range names {
		source, listed := notExportedHere[n]
		switch {
		case exists[n] && listed:
			t.Errorf("metric %s exists in the live stack but is listed in notExportedHere (%s): remove the entry", n, source)
		case exists[n] || recorded[n]:
			checked++
		case listed:
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
	t.Logf("%d referenced metric names exist in the live Prometheus, %d are explained as not exported here", checked, len(names)-checked)
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
