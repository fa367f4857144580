package components

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/grafanaprovider"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/services"
)

// contentMocks records every registration by resource name. Outputs echo
// the inputs, plus the URLs Grafana would return.
type contentMocks struct {
	mu   sync.Mutex
	regs map[string]pulumi.MockResourceArgs
}

func (m *contentMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.regs[args.Name] = args
	out := args.Inputs.Copy()
	out["url"] = resource.NewStringProperty("http://grafana.test/" + args.Name)
	return args.Name + "-id", out, nil
}

func (m *contentMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func contentSettings(t *testing.T) config.Settings {
	t.Helper()
	c := stacks.Minimal()
	c.Set("grafanaAdminPassword", "a-very-long-admin-password-0123", true)
	return c.With(map[string]string{"alertsEnabled": "false", "grafanaPort": "3002"}).Parse(t, "prod")
}

const grafanaContainerType = "docker:index/container:Container"

// runContent runs NewGrafanaContent beside a stand-in Grafana container.
func runContent(t *testing.T, s config.Settings, customDir string) (map[string]pulumi.MockResourceArgs, error) {
	t.Helper()
	m := &contentMocks{regs: map[string]pulumi.MockResourceArgs{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var grafana pulumi.CustomResourceState
		if err := ctx.RegisterResource(grafanaContainerType, "grafana", pulumi.Map{}, &grafana); err != nil {
			return err
		}
		_, err := NewGrafanaContent(ctx, "grafana-content", &GrafanaContentArgs{
			APIURL:              s.Grafana.APIURL,
			Layout:              s.Layout(),
			Thresholds:          s.Alerts.Thresholds,
			AdminUser:           s.Grafana.AdminUser,
			AdminPassword:       s.Grafana.AdminPassword.Output(),
			Grafana:             &grafana,
			CustomDashboardsDir: customDir,
		})
		return err
	}, pulumi.WithMocks("koprogo-monitoring", "prod", m))
	return m.regs, err
}

func str(t *testing.T, v resource.PropertyValue) string {
	t.Helper()
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	require.True(t, v.IsString(), "%v is not a string", v)
	return v.StringValue()
}

func TestGrafanaContent(t *testing.T) {
	s := contentSettings(t)
	custom := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(custom, "node-full.json"), []byte(
		`{"__inputs":[{"name":"DS_PROMETHEUS","type":"datasource","pluginId":"prometheus"}],"title":"Node full","panels":[{"id":1,"type":"timeseries","datasource":"${DS_PROMETHEUS}"}]}`), 0o644))
	regs, err := runContent(t, s, custom)
	require.NoError(t, err)

	grafana := regs["grafana"]
	require.Equal(t, grafanaContainerType, grafana.TypeToken)
	component := regs["grafana-content"]
	require.Equal(t, "koprogo:monitoring:GrafanaContent", component.TypeToken)

	provider := regs["grafana-content-provider"]
	require.Equal(t, "pulumi:providers:grafana", provider.TypeToken)
	require.Equal(t, s.Grafana.APIURL, str(t, provider.Inputs["url"]))
	auth := provider.Inputs["auth"]
	require.True(t, auth.IsSecret(), "the provider's auth must be a secret")
	require.Equal(t, "admin:a-very-long-admin-password-0123", str(t, auth))
	require.Contains(t, provider.RegisterRPC.GetAdditionalSecretOutputs(), "auth")

	// Every registration through the provider, by type.
	byType := map[string][]pulumi.MockResourceArgs{}
	for _, r := range regs {
		byType[r.TypeToken] = append(byType[r.TypeToken], r)
	}
	require.Len(t, byType["grafana:oss/dataSource:DataSource"], 3)
	require.Len(t, byType["grafana:oss/folder:Folder"], 1)
	require.Len(t, byType["grafana:oss/dashboard:Dashboard"], 6, "five built-in dashboards and the custom one")

	grafanaDeps := func(r pulumi.MockResourceArgs) bool {
		return slices.ContainsFunc(r.RegisterRPC.GetDependencies(), func(urn string) bool {
			return strings.HasSuffix(urn, "::grafana") && strings.Contains(urn, grafanaContainerType)
		})
	}
	for _, r := range append([]pulumi.MockResourceArgs{provider}, slices.Concat(
		byType["grafana:oss/dataSource:DataSource"], byType["grafana:oss/folder:Folder"], byType["grafana:oss/dashboard:Dashboard"])...) {
		rpc := r.RegisterRPC
		require.True(t, grafanaDeps(r), "%s does not depend on the Grafana container: %v", r.Name, rpc.GetDependencies())
		require.Equal(t, grafanaprovider.PluginVersion, rpc.GetVersion(), r.Name)
		require.Equal(t, grafanaprovider.PluginDownloadURL, rpc.GetPluginDownloadURL(), r.Name)
		require.True(t, strings.HasSuffix(rpc.GetParent(), "::grafana-content"), "%s parent %s", r.Name, rpc.GetParent())
		if r.TypeToken != "pulumi:providers:grafana" {
			require.True(t, strings.HasPrefix(r.Provider, "urn:pulumi:prod::koprogo-monitoring::") &&
				strings.Contains(r.Provider, "pulumi:providers:grafana::grafana-content-provider::"),
				"%s uses provider %q, want the Grafana provider resource", r.Name, r.Provider)
		}
	}

	layout := s.Layout()
	want := map[string]struct {
		name, uid string
		svc       services.Name
		isDefault bool
	}{
		"prometheus":   {"Prometheus", dashboards.PrometheusUID, services.Prometheus, true},
		"loki":         {"Loki", dashboards.LokiUID, services.Loki, false},
		"alertmanager": {"Alertmanager", dashboards.AlertmanagerUID, services.Alertmanager, false},
	}
	for typ, w := range want {
		ds := regs["grafana-content-datasource-"+typ]
		require.Equal(t, typ, str(t, ds.Inputs["type"]))
		require.Equal(t, w.name, str(t, ds.Inputs["name"]))
		require.Equal(t, w.uid, str(t, ds.Inputs["uid"]))
		require.Equal(t, "http://"+layout.Targets[w.svc].Address, str(t, ds.Inputs["url"]))
		require.Equal(t, w.isDefault, ds.Inputs["isDefault"].BoolValue())
		require.False(t, ds.Inputs["jsonDataEncoded"].IsSecret())
		var jsonData map[string]any
		require.NoError(t, json.Unmarshal([]byte(str(t, ds.Inputs["jsonDataEncoded"])), &jsonData))
		if typ == "alertmanager" {
			require.Equal(t, "prometheus", jsonData["implementation"])
		}
		if typ == "prometheus" {
			require.Equal(t, "30s", jsonData["timeInterval"])
		}
	}

	folder := regs["grafana-content-folder"]
	require.Equal(t, dashboards.FolderUID, str(t, folder.Inputs["uid"]))
	require.Equal(t, dashboards.FolderTitle, str(t, folder.Inputs["title"]))

	builtin, err := dashboards.Builtin(s.Alerts.Thresholds)
	require.NoError(t, err)
	for _, b := range builtin {
		d, ok := regs["grafana-content-dashboard-"+b.UID]
		require.True(t, ok, "dashboard %s not registered", b.UID)
		require.Equal(t, string(b.JSON), str(t, d.Inputs["configJson"]))
		require.Equal(t, dashboards.FolderUID, str(t, d.Inputs["folder"]))
		require.True(t, d.Inputs["overwrite"].BoolValue())
	}
	customBoard := regs["grafana-content-dashboard-custom-node-full"]
	require.Contains(t, str(t, customBoard.Inputs["configJson"]), `"datasource":{"type":"prometheus","uid":"`+dashboards.PrometheusUID+`"}`)
}

func TestGrafanaContentRefusesBrokenCustomDashboard(t *testing.T) {
	custom := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(custom, "influx.json"), []byte(
		`{"__inputs":[{"name":"DS_INFLUX","type":"datasource","pluginId":"influxdb"}],"title":"Influx"}`), 0o644))
	regs, err := runContent(t, contentSettings(t), custom)
	require.ErrorContains(t, err, "influx.json")
	require.NotContains(t, regs, "grafana-content-provider", "nothing is registered when a dashboard is broken")
}
