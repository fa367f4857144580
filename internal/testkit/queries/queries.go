// Package queries extracts every query of the built-in dashboards, as
// Grafana receives them, for tests that parse them or run them against a
// live Prometheus.
package queries

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/dashboards"
)

// Language is the query language of a target.
type Language string

const (
	PromQL Language = "promql"
	LogQL  Language = "logql"
)

// Query is one target of one panel, as stored in the dashboard JSON, with
// Grafana variables ($instance, $__rate_interval, ...) still in place: use
// Substitute before handing it to a parser or a query API.
type Query struct {
	Dashboard string // dashboard UID
	Panel     string // panel title
	RefID     string
	Language  Language
	Expr      string
}

// All lists every PromQL and LogQL target of every built-in dashboard,
// read back from the dashboards' JSON through the Foundation SDK's types, so
// the list is what Grafana receives. Template variable queries
// (label_values(...)) are Grafana functions, not PromQL, and are not listed.
func All(t config.Thresholds) ([]Query, error) {
	ds, err := dashboards.Builtin(t)
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, d := range ds {
		qs, err := panelQueries(d)
		if err != nil {
			return nil, err
		}
		out = append(out, qs...)
	}
	return out, nil
}

var registerPlugins sync.Once

// RegisterPlugins registers the SDK's panel and query plugins, which its
// decoders need (once per process).
func RegisterPlugins() { registerPlugins.Do(plugins.RegisterDefaultPlugins) }

// Parse reads dashboard JSON into the SDK's type, as the SDK documents it
// (json.Unmarshal after registering the panel and query plugins, which turn
// targets into typed queries). The SDK's UnmarshalJSONStrict is not used: in
// v0.0.22 it decodes every panel as null.
func Parse(raw []byte) (dashboard.Dashboard, error) {
	RegisterPlugins()
	var d dashboard.Dashboard
	err := json.Unmarshal(raw, &d)
	return d, err
}

func panelQueries(d dashboards.Dashboard) ([]Query, error) {
	model, err := Parse(d.JSON)
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	var out []Query
	for _, p := range Panels(model) {
		for _, target := range p.Targets {
			q := Query{Dashboard: d.UID, Panel: deref(p.Title)}
			switch tq := target.(type) {
			case *prometheus.Dataquery:
				q.Language, q.RefID, q.Expr = PromQL, deref(tq.RefId), tq.Expr
			case *loki.Dataquery:
				q.Language, q.RefID, q.Expr = LogQL, deref(tq.RefId), tq.Expr
			default:
				return nil, fmt.Errorf("dashboard %s, panel %q: target of unexpected type %T", d.UID, q.Panel, target)
			}
			out = append(out, q)
		}
	}
	return out, nil
}

// Panels flattens top-level panels and panels nested in collapsed rows.
func Panels(d dashboard.Dashboard) []dashboard.Panel {
	var out []dashboard.Panel
	for _, p := range d.Panels {
		if p.Panel != nil {
			out = append(out, *p.Panel)
		}
		if p.RowPanel != nil {
			out = append(out, p.RowPanel.Panels...)
		}
	}
	return out
}

// builtinValues are stand-ins for Grafana's built-in variables: intervals
// Grafana would compute from the time range and the panel width.
var builtinValues = map[string]string{
	"__rate_interval": "2m",
	"__interval":      "1m",
	"__auto":          "1m",
	"__range":         "6h",
}

// Variables lists the Grafana variables a query uses, by name, built-ins
// (__rate_interval, ...) included.
func Variables(expr string) []string {
	var out []string
	for _, m := range variableRef.FindAllStringSubmatch(expr, -1) {
		out = append(out, m[1]+m[2])
	}
	return out
}

// IsBuiltin reports whether a built-in variable is one Substitute knows.
func IsBuiltin(name string) bool {
	_, ok := builtinValues[name]
	return ok
}

var variableRef = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)`)

// Substitute replaces Grafana variables in a query so that a parser or a
// query API accepts it: built-in intervals by durations, dashboard variables
// ($instance, $container, ...) by the regex ".+" (every dashboard variable
// sits in a =~ matcher or a |~ line filter, where Grafana substitutes a
// regex too). An unknown built-in variable is an error.
func Substitute(expr string) (string, error) {
	var bad error
	out := variableRef.ReplaceAllStringFunc(expr, func(m string) string {
		sub := variableRef.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		if v, ok := builtinValues[name]; ok {
			return v
		}
		if len(name) > 2 && name[:2] == "__" {
			bad = fmt.Errorf("query %q: unknown Grafana built-in variable $%s", expr, name)
			return m
		}
		return ".+"
	})
	return out, bad
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
