package dashboards_test

import (
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	. "github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/queries"
)

// stackDatasources are the datasources the stack creates (the Grafana
// content test holds the created ones to these UIDs and types).
var stackDatasources = map[string]string{PrometheusUID: TypePrometheus, LokiUID: TypeLoki, AlertmanagerUID: TypeAlertmanager}

// TestEveryDatasourceReferenceResolves: every panel, every query target and
// every template variable of every built-in dashboard names a datasource the
// stack creates, of the type its query is written for. A wrong UID anywhere
// would leave a panel or a variable empty in Grafana, whatever the golden
// file says.
func TestEveryDatasourceReferenceResolves(t *testing.T) {
	refs := 0
	check := func(where string, ref *common.DataSourceRef, wantType string) {
		t.Helper()
		refs++
		if ref == nil || ref.Uid == nil || ref.Type == nil {
			t.Errorf("%s: no datasource (uid and type) named", where)
			return
		}
		typ, ok := stackDatasources[*ref.Uid]
		switch {
		case !ok:
			t.Errorf("%s: datasource uid %q is not one the stack creates", where, *ref.Uid)
		case typ != *ref.Type:
			t.Errorf("%s: datasource %q has type %q, the stack's is %q", where, *ref.Uid, *ref.Type, typ)
		case wantType != "" && typ != wantType:
			t.Errorf("%s: a %s query sent to the %s datasource %q", where, wantType, typ, *ref.Uid)
		}
	}
	for _, d := range builtin(t) {
		model, err := queries.Parse(d.JSON)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range queries.Panels(model) {
			where := d.UID + "/" + deref(p.Title)
			if p.Datasource != nil {
				check(where, p.Datasource, "")
			}
			for _, target := range p.Targets {
				switch q := target.(type) {
				case *prometheus.Dataquery:
					check(where+"/"+deref(q.RefId), q.Datasource, TypePrometheus)
				case *loki.Dataquery:
					check(where+"/"+deref(q.RefId), q.Datasource, TypeLoki)
				default:
					t.Errorf("%s: target of type %T", where, target)
				}
			}
		}
		for _, v := range model.Templating.List {
			if v.Datasource != nil || v.Type == "query" {
				check(d.UID+"/$"+v.Name, v.Datasource, "")
			}
		}
		for _, a := range model.Annotations.List {
			check(d.UID+"/annotation "+a.Name, a.Datasource, "")
		}
	}
	if refs < 50 {
		t.Fatalf("only %d datasource references checked", refs)
	}
}

// TestVariablesComeFromTheDatasourceTheyFilter: a query variable takes its
// values from a datasource of the type of every query that uses it (a Loki
// label's values from Loki), so the filter offers values those queries
// can match.
func TestVariablesComeFromTheDatasourceTheyFilter(t *testing.T) {
	uses := 0
	for _, d := range builtin(t) {
		model, err := queries.Parse(d.JSON)
		if err != nil {
			t.Fatal(err)
		}
		from := map[string]string{}
		for _, v := range model.Templating.List {
			if v.Type == "query" && v.Datasource != nil && v.Datasource.Type != nil {
				from[v.Name] = *v.Datasource.Type
			}
		}
		for _, p := range queries.Panels(model) {
			for _, target := range p.Targets {
				var expr, typ string
				switch q := target.(type) {
				case *prometheus.Dataquery:
					expr, typ = q.Expr, TypePrometheus
				case *loki.Dataquery:
					expr, typ = q.Expr, TypeLoki
				}
				for _, name := range queries.Variables(expr) {
					if vt, ok := from[name]; ok {
						uses++
						if vt != typ {
							t.Errorf("%s/%s: a %s query filtered by $%s, whose values come from %s", d.UID, deref(p.Title), typ, name, vt)
						}
					}
				}
			}
		}
	}
	if uses == 0 {
		t.Fatal("no query uses a query variable")
	}
}
