package promconfig

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	promcfg "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/stretchr/testify/require"

	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const golden = "testdata/prometheus.prod.golden.yml"

// prodLayout is the production layout of the minimal configuration.
func prodLayout(t *testing.T) topology.Layout {
	t.Helper()
	s := stacks.Minimal().Parse(t, "prod")
	return s.Layout()
}

func render(t *testing.T, stack string, l topology.Layout) []byte {
	t.Helper()
	return renderOpts(t, Options{Stack: stack, Host: "vps-1", Layout: l})
}

func renderOpts(t *testing.T, o Options) []byte {
	t.Helper()
	out, err := Render(o)
	require.NoError(t, err)
	return out
}

func load(t *testing.T, out []byte) *promcfg.Config {
	t.Helper()
	cfg, err := promcfg.Load(string(out), promslog.NewNopLogger())
	require.NoError(t, err, "upstream config.Load rejected the rendered file:\n%s", out)
	return cfg
}

func TestLoadsWithUpstreamLoader(t *testing.T) {
	l := prodLayout(t)
	cfg := load(t, render(t, "prod", l))

	require.Equal(t, model.Duration(ScrapeInterval), cfg.GlobalConfig.ScrapeInterval)
	require.Equal(t, model.Duration(ScrapeTimeout), cfg.GlobalConfig.ScrapeTimeout)
	require.Equal(t, model.Duration(EvaluationInterval), cfg.GlobalConfig.EvaluationInterval)
	require.Equal(t, labels.FromStrings("stack", "prod"), cfg.GlobalConfig.ExternalLabels)
	require.Equal(t, []string{"/etc/prometheus/rules/*.yml"}, cfg.RuleFiles)

	require.Len(t, cfg.AlertingConfig.AlertmanagerConfigs, 1)
	am := cfg.AlertingConfig.AlertmanagerConfigs[0]
	require.Equal(t, promcfg.AlertmanagerAPIVersionV2, am.APIVersion)
	require.Equal(t, []string{"koprogo-mon-alertmanager:9093"}, staticAddrs(t, am.ServiceDiscoveryConfigs))

	// Settings Prometheus would otherwise default differently and that a
	// zero value in the typed structs would silently flip.
	scs, err := cfg.GetScrapeConfigs()
	require.NoError(t, err)
	for _, sc := range scs {
		require.True(t, sc.HonorTimestamps, sc.JobName)
		require.True(t, sc.EnableCompression, sc.JobName)
		require.True(t, sc.HTTPClientConfig.FollowRedirects, sc.JobName)
		require.Equal(t, "http", sc.Scheme, sc.JobName)
		require.Equal(t, model.Duration(ScrapeInterval), sc.ScrapeInterval, sc.JobName)
		require.Equal(t, uint(SampleLimit), sc.SampleLimit, sc.JobName)
	}
}

func TestEveryJobInOrderWithItsTarget(t *testing.T) {
	l := prodLayout(t)
	l.Targets[services.Backend] = topology.Target{Address: "backend:8080", MetricsPath: "/internal/metrics"}
	cfg := load(t, render(t, "prod", l))

	require.Len(t, cfg.ScrapeConfigs, len(services.Jobs()))
	for i, svc := range services.Jobs() {
		sc := cfg.ScrapeConfigs[i]
		require.Equal(t, string(svc), sc.JobName)
		require.Equal(t, []string{l.Targets[svc].Address}, staticAddrs(t, sc.ServiceDiscoveryConfigs), svc)
		want := l.Targets[svc].MetricsPath
		if want == "" {
			want = "/metrics"
		}
		require.Equal(t, want, sc.MetricsPath, svc)
	}
}

func TestMissingTargetIsAnError(t *testing.T) {
	l := prodLayout(t)
	delete(l.Targets, services.Traefik)
	_, err := Render(Options{Stack: "prod", Host: "vps-1", Layout: l})
	require.ErrorContains(t, err, "traefik")
}

// TestExternalLabelDollarIsLiteral: Prometheus expands $VAR in external
// labels at load time; the renderer must escape it.
func TestExternalLabelDollarIsLiteral(t *testing.T) {
	t.Setenv("HOME", "/should/not/appear")
	cfg := load(t, render(t, "a$HOME", prodLayout(t)))
	require.Equal(t, "a$HOME", cfg.GlobalConfig.ExternalLabels.Get("stack"))
}

// TestRoundTrip: marshalling the loaded config and loading it again gives the
// same configuration, i.e. nothing in the rendered file depends on a field
// that does not survive Prometheus' own marshal/unmarshal.
func TestRoundTrip(t *testing.T) {
	first := load(t, render(t, "prod", prodLayout(t)))
	second := load(t, []byte(first.String()))
	require.Equal(t, first.String(), second.String())
	require.Equal(t, first.GlobalConfig, second.GlobalConfig)
	require.Equal(t, first.AlertingConfig.AlertmanagerConfigs[0].ServiceDiscoveryConfigs,
		second.AlertingConfig.AlertmanagerConfigs[0].ServiceDiscoveryConfigs)
	for i := range first.ScrapeConfigs {
		require.Equal(t, first.ScrapeConfigs[i].ServiceDiscoveryConfigs, second.ScrapeConfigs[i].ServiceDiscoveryConfigs)
	}
}

func TestDeterministic(t *testing.T) {
	l := prodLayout(t)
	require.Equal(t, render(t, "prod", l), render(t, "prod", l))
}

func TestGolden(t *testing.T) {
	out := render(t, "prod", prodLayout(t))
	testkit.Golden(t, golden, out, *update)
}

// TestPromtoolCheckConfig runs the real promtool on a file rendered with
// paths in a temp dir, with one rule file matching the glob (promtool also
// checks the rule files).
func TestPromtoolCheckConfig(t *testing.T) {
	promtool := testkit.Tool(t, "promtool")
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	require.NoError(t, os.Mkdir(rules, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rules, "probe.yml"),
		[]byte("groups:\n- name: probe\n  rules:\n  - alert: Probe\n    expr: up == 0\n"), 0o644))

	l := prodLayout(t)
	l.Files.PrometheusRulesGlob = filepath.Join(rules, "*.yml")
	file := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(file, render(t, "prod", l), 0o644))

	ctx := t.Context()
	cmd := exec.CommandContext(ctx, promtool, "check", "config", file)
	var combined bytes.Buffer
	cmd.Stdout, cmd.Stderr = &combined, &combined
	require.NoError(t, cmd.Run(), "promtool check config failed:\n%s", combined.String())
	require.Contains(t, combined.String(), "SUCCESS")
	require.Contains(t, combined.String(), "1 rules found")
}

// TestDropsOnlyWhatIsDocumented exercises the relabel rules with Prometheus'
// own relabel engine on representative series.
func TestDropsOnlyWhatIsDocumented(t *testing.T) {
	cfg := load(t, render(t, "prod", prodLayout(t)))
	jobs := map[string]*promcfg.ScrapeConfig{}
	for _, sc := range cfg.ScrapeConfigs {
		jobs[sc.JobName] = sc
	}
	cases := []struct {
		job     string
		series  []string
		dropped bool
	}{
		{"prometheus", []string{"__name__", "go_gc_duration_seconds"}, true},
		{"backend", []string{"__name__", "go_sched_gomaxprocs_threads"}, true},
		{"prometheus", []string{"__name__", "prometheus_http_request_duration_seconds_bucket", "le", "0.1"}, true},
		{"loki", []string{"__name__", "loki_request_duration_seconds_bucket"}, true},
		{"loki", []string{"__name__", "loki_request_duration_seconds_count"}, false},
		{"prometheus", []string{"__name__", "go_goroutines"}, false},
		{"prometheus", []string{"__name__", "process_resident_memory_bytes"}, false},
		{"prometheus", []string{"__name__", "prometheus_tsdb_head_series"}, false},
		{"traefik", []string{"__name__", "traefik_entrypoint_request_duration_seconds_bucket", "le", "0.5"}, false},
		{"backend", []string{"__name__", "http_request_duration_seconds_bucket", "le", "0.5"}, false},
		{"cadvisor", []string{"__name__", "container_tasks_state", "name", "x"}, true},
		{"cadvisor", []string{"__name__", "container_cpu_usage_seconds_total", "cpu", "cpu0", "name", "x"}, true},
		{"cadvisor", []string{"__name__", "container_cpu_usage_seconds_total", "cpu", "total", "name", "x"}, false},
		{"cadvisor", []string{"__name__", "container_cpu_usage_seconds_total", "name", "x", "id", "/system.slice/docker-abc.scope"}, false},
		{"cadvisor", []string{"__name__", "container_memory_usage_bytes", "id", "/system.slice/sshd.service"}, true},
		{"cadvisor", []string{"__name__", "container_memory_usage_bytes", "id", "/"}, false},
		{"cadvisor", []string{"__name__", "container_last_seen", "name", "postgres", "id", "/docker/abc"}, false},
		{"node-exporter", []string{"__name__", "node_cpu_seconds_total", "cpu", "0", "mode", "idle"}, false},
	}
	for _, c := range cases {
		sc := jobs[c.job]
		require.NotNil(t, sc, c.job)
		kept := relabel.ProcessBuilder(labels.NewBuilder(labels.FromStrings(c.series...)), sc.MetricRelabelConfigs...)
		require.Equal(t, !c.dropped, kept, "%s %v", c.job, c.series)
	}
}

func staticAddrs(t *testing.T, cs discovery.Configs) []string {
	t.Helper()
	var addrs []string
	for _, c := range cs {
		sc, ok := c.(discovery.StaticConfig)
		require.True(t, ok, "unexpected discovery config %T", c)
		for _, g := range sc {
			for _, tg := range g.Targets {
				addrs = append(addrs, string(tg[model.AddressLabel]))
			}
		}
	}
	return addrs
}
