// Package hostaware finds the places in a PromQL expression that would merge
// the series of several hosts. Every host (the central one and each agent)
// runs the jobs of promconfig.AgentJobs at the same addresses, so instance
// is the same on every host and only the host label tells them apart. The
// alert rules' and the dashboards' tests run every expression through it.
package hostaware

import (
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/services"
)

const host = promconfig.HostLabel

// onEveryHost reports whether a selector may pick series of a job every
// host runs: its job is one of them, or it does not fix the job.
func onEveryHost(vs *parser.VectorSelector) bool {
	for _, m := range vs.LabelMatchers {
		if m.Name == "job" && m.Type == labels.MatchEqual {
			return slices.ContainsFunc(promconfig.AgentJobs, func(j services.Name) bool { return string(j) == m.Value })
		}
	}
	return true
}

// Problems lists what in expr would merge hosts:
//   - an aggregation by labels that include instance but not host;
//   - an aggregation by labels without host over a job every host runs
//     (max by (name) of container_last_seen takes one host's container for
//     another's). An aggregation without by (sum(...), count(...)) is
//     deliberately over everything and is not reported;
//   - a vector match on (...) that includes instance but not host: two
//     hosts' series collide in the match.
func Problems(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.AggregateExpr:
			if n.Without || len(n.Grouping) == 0 || slices.Contains(n.Grouping, host) {
				return nil
			}
			everyHost := false
			parser.Inspect(n.Expr, func(c parser.Node, _ []parser.Node) error {
				if vs, ok := c.(*parser.VectorSelector); ok && onEveryHost(vs) {
					everyHost = true
				}
				return nil
			})
			if slices.Contains(n.Grouping, "instance") || everyHost {
				out = append(out, fmt.Sprintf("%s by %v merges hosts: %s", n.Op, n.Grouping, n))
			}
		case *parser.BinaryExpr:
			if m := n.VectorMatching; m != nil && m.On && slices.Contains(m.MatchingLabels, "instance") && !slices.Contains(m.MatchingLabels, host) {
				out = append(out, fmt.Sprintf("match on %v collides hosts: %s", m.MatchingLabels, n))
			}
		}
		return nil
	})
	return out, nil
}
