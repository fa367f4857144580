package dashboards_test

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	promparser "github.com/prometheus/prometheus/promql/parser"

	"github.com/koprogo/koprogo-monitoring/alerts"
	. "github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/queries"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
)

var alertMarker = regexp.MustCompile(`\[alert: (\w+)\]$`)

// comparison finds the alert's condition: the first comparison with a number
// on its right (pre-order, so `X > t and Y > 0.1` gives X > t).
func comparison(t *testing.T, expr string) (lhs promparser.Expr, threshold float64) {
	t.Helper()
	e, err := promparser.NewParser(promparser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	promparser.Inspect(e, func(n promparser.Node, _ []promparser.Node) error {
		if b, ok := n.(*promparser.BinaryExpr); ok && lhs == nil && b.Op.IsComparisonOperator() {
			if num, ok := b.RHS.(*promparser.NumberLiteral); ok {
				lhs, threshold = b.LHS, num.Val
			}
		}
		return nil
	})
	if lhs == nil {
		t.Fatalf("%q has no comparison with a number", expr)
	}
	return lhs, threshold
}

// normal prints an expression without what differs between a rule and a
// panel by design: range windows (fixed in rules, $__rate_interval in
// panels) and the matchers of dashboard variables (".+" once substituted).
func normal(t *testing.T, e promparser.Expr) string {
	t.Helper()
	e, err := promparser.NewParser(promparser.Options{}).ParseExpr(e.String()) // a copy
	if err != nil {
		t.Fatal(err)
	}
	promparser.Inspect(e, func(n promparser.Node, _ []promparser.Node) error {
		switch n := n.(type) {
		case *promparser.MatrixSelector:
			n.Range = 0
		case *promparser.VectorSelector:
			kept := n.LabelMatchers[:0]
			for _, m := range n.LabelMatchers {
				if m.Value != ".+" {
					kept = append(kept, m)
				}
			}
			n.LabelMatchers = kept
		}
		return nil
	})
	return e.String()
}

// TestPanelsShowTheirAlertsExpression: a panel that shows an alert's
// threshold ([alert: Name] in its description, and every panel that speaks
// of a threshold must) queries exactly the alert's expression, and turns
// colour at each of the alert's thresholds. With thresholds off the
// defaults, so that a constant in either place is caught.
func TestPanelsShowTheirAlertsExpression(t *testing.T) {
	c := stacks.Minimal().With(map[string]string{
		"alertCpuHighPercent": "71", "alertMemoryHighPercent": "83", "alertDiskFreePercent": "17",
		"alertBackupMaxAgeHours": "31", "alertContainerMemoryPercent": "77", "alertHttpP99Ms": "730",
		"alertHttp5xxPercent": "3", "alertPgConnectionsPercent": "67", "alertPgLongTransactionSeconds": "190",
		"alertPgSlowQueryMs": "230", "lokiDiskBudgetGb": "7", "logRetentionDays": "5",
	})
	s := c.Parse(t, "prod")
	byName := map[string][]alerts.Rule{}
	for _, g := range alerts.Groups(s.Alerts) {
		for _, r := range g.Rules {
			byName[r.Name] = append(byName[r.Name], r)
		}
	}
	ds, err := Builtin(s.Alerts.Thresholds)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range ds {
		model, err := queries.Parse(d.JSON)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range queries.Panels(model) {
			where := d.UID + "/" + deref(p.Title)
			desc := deref(p.Description)
			m := alertMarker.FindStringSubmatch(desc)
			if m == nil {
				if strings.Contains(strings.ToLower(desc), "threshold") {
					t.Errorf("%s speaks of a threshold but names no alert ([alert: Name]): %q", where, desc)
				}
				continue
			}
			rules := byName[m[1]]
			if len(rules) == 0 {
				t.Errorf("%s names alert %s, which no rule defines", where, m[1])
				continue
			}
			checked++
			want, _ := comparison(t, rules[0].Expr)
			if len(p.Targets) == 0 {
				t.Errorf("%s has no query", where)
			}
			for _, target := range p.Targets {
				q, ok := target.(*prometheus.Dataquery)
				if !ok {
					t.Errorf("%s: a non-PromQL target", where)
					continue
				}
				expr, err := queries.Substitute(q.Expr)
				if err != nil {
					t.Fatal(err)
				}
				got, err := promparser.NewParser(promparser.Options{}).ParseExpr(expr)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if normal(t, got) != normal(t, want) {
					t.Errorf("%s shows\n  %s\nbut %s fires on\n  %s", where, normal(t, got), m[1], normal(t, want))
				}
			}
			var steps []float64
			if fc := p.FieldConfig; fc != nil && fc.Defaults.Thresholds != nil {
				for _, st := range fc.Defaults.Thresholds.Steps {
					if st.Value != nil {
						steps = append(steps, *st.Value)
					}
				}
			}
			for _, r := range rules {
				_, th := comparison(t, r.Expr)
				found := false
				for _, v := range steps {
					found = found || math.Abs(v-th) < 1e-9
				}
				if !found {
					t.Errorf("%s: %s (%s) fires at %v, but the panel's colour steps are %v", where, r.Name, r.Severity, th, steps)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d panels show an alert", checked)
	}
}
