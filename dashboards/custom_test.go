package dashboards_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/queries"
)

func prepareFixture(t *testing.T) (Dashboard, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "custom", "community-export.json"))
	require.NoError(t, err)
	d, err := PrepareCustom("community-export.json", raw)
	require.NoError(t, err)
	var model map[string]any
	require.NoError(t, json.Unmarshal(d.JSON, &model))
	return d, model
}

func panelByTitle(t *testing.T, model map[string]any, title string) map[string]any {
	t.Helper()
	for _, p := range model["panels"].([]any) {
		if p.(map[string]any)["title"] == title {
			return p.(map[string]any)
		}
	}
	t.Fatalf("no panel %q", title)
	return nil
}

func ref(typ, uid string) map[string]any { return map[string]any{"type": typ, "uid": uid} }

func TestPrepareCustomExport(t *testing.T) {
	d, model := prepareFixture(t)
	require.Equal(t, "community-node", d.UID)
	require.Equal(t, "Community node dashboard", d.Title)
	for _, k := range []string{"__inputs", "__requires", "__elements", "id", "version"} {
		require.NotContains(t, model, k)
	}
	require.NotContains(t, string(d.JSON), "${DS_")
	require.NotContains(t, string(d.JSON), "${VAR_")

	cpu := panelByTitle(t, model, "CPU (input object)")
	require.Equal(t, ref(TypePrometheus, PrometheusUID), cpu["datasource"])
	target := cpu["targets"].([]any)[0].(map[string]any)
	require.Equal(t, ref(TypePrometheus, PrometheusUID), target["datasource"])
	require.Equal(t, `rate(node_cpu_seconds_total{job="node-exporter"}[$__rate_interval])`, target["expr"], "constant input filled in, Grafana variables kept")

	require.Equal(t, ref(TypePrometheus, PrometheusUID), panelByTitle(t, model, "Load (input string, legacy)")["datasource"],
		"a legacy string reference becomes a {type, uid} object")
	foreign := panelByTitle(t, model, "Foreign uid")
	require.Equal(t, ref(TypePrometheus, PrometheusUID), foreign["datasource"], "another instance's UID points at the stack")
	require.Equal(t, ref(TypePrometheus, PrometheusUID), foreign["targets"].([]any)[0].(map[string]any)["datasource"])

	require.Equal(t, ref(TypePrometheus, "${ds}"), panelByTitle(t, model, "Variable datasource")["datasource"], "dashboard variables are left alone")

	mixed := panelByTitle(t, model, "Mixed")
	require.Equal(t, ref("datasource", "-- Mixed --"), mixed["datasource"])
	targets := mixed["targets"].([]any)
	require.Equal(t, ref(TypeLoki, LokiUID), targets[0].(map[string]any)["datasource"])
	require.Equal(t, ref("influxdb", "influx-1"), targets[1].(map[string]any)["datasource"], "types the stack lacks are left alone")

	annotation := model["annotations"].(map[string]any)["list"].([]any)[0].(map[string]any)
	require.Equal(t, ref("grafana", "-- Grafana --"), annotation["datasource"])
	require.Contains(t, string(d.JSON), `"query":"12345678901234567890.5"`)
}

func TestPrepareCustomDeterministic(t *testing.T) {
	a, _ := prepareFixture(t)
	for range 5 {
		b, _ := prepareFixture(t)
		require.True(t, bytes.Equal(a.JSON, b.JSON))
	}
}

// TestPrepareCustomDecodesIntoSDK checks the rewritten fixture is still a
// dashboard the Foundation SDK reads, with the rewritten references.
func TestPrepareCustomDecodesIntoSDK(t *testing.T) {
	d, _ := prepareFixture(t)
	model, err := queries.Parse(d.JSON)
	require.NoError(t, err)
	require.Equal(t, "community-node", deref(model.Uid))
	ps := queries.Panels(model)
	require.Len(t, ps, 5)
	require.Equal(t, PrometheusUID, deref(ps[0].Datasource.Uid))
}

func TestPrepareCustomAPIExportAndDerivedUID(t *testing.T) {
	raw := []byte(`{"meta": {"slug": "x"}, "dashboard": {"id": 12, "title": "Mine", "panels": []}}`)
	d, err := PrepareCustom("My Team's Board.json", raw)
	require.NoError(t, err)
	require.Equal(t, "custom-my-team-s-board", d.UID)
	require.Equal(t, `{"panels":[],"title":"Mine","uid":"custom-my-team-s-board"}`, string(d.JSON))

	long, err := PrepareCustom(strings.Repeat("very long name ", 10)+".json", []byte(`{"title":"Long"}`))
	require.NoError(t, err)
	require.LessOrEqual(t, len(long.UID), 40)
	require.Regexp(t, `^[a-zA-Z0-9_-]+$`, long.UID)
}

func TestPrepareCustomRefuses(t *testing.T) {
	cases := map[string]struct{ json, wantErr string }{
		"missing datasource type": {`{"title":"x","__inputs":[{"name":"DS_INFLUX","type":"datasource","pluginId":"influxdb"}]}`, `needs a "influxdb" datasource`},
		"library panels":          {`{"title":"x","__elements":{"abc":{"name":"p"}}}`, "library panels"},
		"no title":                {`{"uid":"x","panels":[]}`, "no title"},
		"bad uid":                 {`{"uid":"has space","title":"x"}`, "at most 40"},
		"not an object":           {`[1,2]`, "not a dashboard JSON object"},
		"trailing data":           {`{"title":"x"} {}`, "trailing data"},
		"unknown input type":      {`{"title":"x","__inputs":[{"name":"P","type":"panel"}]}`, `type "panel"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := PrepareCustom("f.json", []byte(c.json))
			require.ErrorContains(t, err, c.wantErr)
		})
	}
}

func TestLoadCustom(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("b.json", `{"uid":"b-board","title":"B"}`)
	write("a.json", `{"title":"A"}`)
	write("notes.txt", `not a dashboard`)
	ds, err := LoadCustom(dir)
	require.NoError(t, err)
	require.Len(t, ds, 2)
	require.Equal(t, "custom-a", ds[0].UID, "files are read in name order")
	require.Equal(t, "b-board", ds[1].UID)

	write("c.json", `{"uid":"`+OverviewUID+`","title":"C"}`)
	write("d.json", `{"uid":"b-board","title":"D"}`)
	_, err = LoadCustom(dir)
	require.ErrorContains(t, err, "c.json: uid \""+OverviewUID+"\" is already used by built-in")
	require.ErrorContains(t, err, "d.json: uid \"b-board\" is already used by "+filepath.Join(dir, "b.json"))

	none, err := LoadCustom(filepath.Join(dir, "missing"))
	require.NoError(t, err)
	require.Empty(t, none)
}

// TestRepositoryCustomDashboards loads the operators' folder of this
// checkout, so a broken file fails `go test` instead of `pulumi up`.
func TestRepositoryCustomDashboards(t *testing.T) {
	dir := filepath.Join("..", CustomDir)
	_, err := os.Stat(filepath.Join(dir, "README.md"))
	require.NoError(t, err, "%s should exist and explain itself", dir)
	_, err = LoadCustom(dir)
	require.NoError(t, err)
}
