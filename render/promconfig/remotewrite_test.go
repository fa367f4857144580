package promconfig

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/prometheus/common/config"
	promcfg "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/stretchr/testify/require"

	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/services"
)

const remoteWriteGolden = "testdata/prometheus.remotewrite.golden.yml"

// engines are remote_write endpoints of every kind the options allow: basic
// auth (VictoriaMetrics, Grafana Cloud), a bearer token, tenant headers
// (Mimir, Thanos Receive) and a subset of the metrics.
func engines() []RemoteWrite {
	return []RemoteWrite{
		{
			Name: "victoriametrics", URL: "http://10.8.0.1:8428/api/v1/write",
			BasicAuth: &BasicAuth{Username: "koprogo", PasswordFile: "/etc/prometheus/secrets/remote_write_victoriametrics"},
		},
		{
			Name: "mimir", URL: "https://mimir.example.net/api/v1/push",
			BearerTokenFile: "/etc/prometheus/secrets/remote_write_mimir",
			Headers:         map[string]string{"X-Scope-OrgID": "koprogo"},
			KeepMetrics:     "up|node_.+|pg_.+",
		},
	}
}

func withEngines(t *testing.T) Options {
	t.Helper()
	return Options{
		Stack: "prod", Host: "vps-1", Layout: prodLayout(t), RemoteWrite: engines(),
		Auth: &BasicAuth{Username: "stack", PasswordFile: "/etc/prometheus/secrets/web_stack_password"},
	}
}

func TestRemoteWriteGolden(t *testing.T) {
	testkit.Golden(t, remoteWriteGolden, renderOpts(t, withEngines(t)), *update)
}

// TestRemoteWriteSettings reads the endpoints back through Prometheus' own
// loader: credentials are file paths, tenants are headers, the queue is
// Queue, exemplars and native histograms stay home, metadata is sent as by
// default.
func TestRemoteWriteSettings(t *testing.T) {
	out := renderOpts(t, withEngines(t))
	cfg := load(t, out)
	require.Len(t, cfg.RemoteWriteConfigs, 2)

	vm, mimir := cfg.RemoteWriteConfigs[0], cfg.RemoteWriteConfigs[1]
	require.Equal(t, "victoriametrics", vm.Name)
	require.Equal(t, "http://10.8.0.1:8428/api/v1/write", vm.URL.String())
	require.Equal(t, &config.BasicAuth{Username: "koprogo", PasswordFile: "/etc/prometheus/secrets/remote_write_victoriametrics"}, vm.HTTPClientConfig.BasicAuth)
	require.Empty(t, vm.HTTPClientConfig.BasicAuth.Password, "a password value in prometheus.yml")
	require.Nil(t, vm.HTTPClientConfig.Authorization)
	require.Empty(t, vm.Headers)
	require.Empty(t, vm.WriteRelabelConfigs, "no KeepMetrics: every series is sent")

	require.Equal(t, "mimir", mimir.Name)
	require.Nil(t, mimir.HTTPClientConfig.BasicAuth)
	require.Equal(t, &config.Authorization{Type: "Bearer", CredentialsFile: "/etc/prometheus/secrets/remote_write_mimir"}, mimir.HTTPClientConfig.Authorization)
	require.Equal(t, map[string]string{"X-Scope-OrgID": "koprogo"}, mimir.Headers)

	for _, rw := range cfg.RemoteWriteConfigs {
		require.Equal(t, Queue, rw.QueueConfig, rw.Name)
		require.NoError(t, rw.QueueConfig.Validate(), rw.Name)
		require.Equal(t, promcfg.DefaultMetadataConfig, rw.MetadataConfig, rw.Name)
		require.False(t, rw.SendExemplars, rw.Name)
		require.False(t, rw.SendNativeHistograms, rw.Name)
		require.Equal(t, promcfg.DefaultRemoteWriteConfig.ProtobufMessage, rw.ProtobufMessage, "%s: the v1 message every engine here accepts", rw.Name)
		require.Zero(t, rw.QueueConfig.SampleAgeLimit, "%s: samples held back by an outage must still be sent", rw.Name)
	}
	// No secret value can be in the file: there is none in the options, and
	// the loaded configuration has nothing inline either.
	require.NotContains(t, string(out), "password:")
	require.NotContains(t, string(out), "credentials:")
}

// TestQueueFitsSmallHost guards the sizing stated on Queue: the samples one
// endpoint can hold in memory (every shard's buffer full plus a batch being
// sent) stay a small fraction of Prometheus' memory on a 2 GB host, and the
// queue can still send far more than a stack scrapes.
func TestQueueFitsSmallHost(t *testing.T) {
	inMemory := Queue.MaxShards * (Queue.Capacity + Queue.MaxSamplesPerSend)
	require.LessOrEqual(t, inMemory, 50_000, "samples buffered per endpoint")
	require.GreaterOrEqual(t, Queue.Capacity, 3*Queue.MaxSamplesPerSend,
		"capacity should buffer several requests per shard (Prometheus' guidance), or a slow request stalls the shard")
	// At one request per 200 ms per shard.
	require.GreaterOrEqual(t, Queue.MaxShards*Queue.MaxSamplesPerSend*5, 20_000, "samples/s at full concurrency")
	require.True(t, Queue.RetryOnRateLimit, "a 429 would drop the batch")
}

// TestKeepMetricsSendsOnlyTheSubset runs the write relabelling with
// Prometheus' relabel engine: the regular expression is anchored and
// matches metric names only.
func TestKeepMetricsSendsOnlyTheSubset(t *testing.T) {
	cfg := load(t, renderOpts(t, withEngines(t)))
	rules := cfg.RemoteWriteConfigs[1].WriteRelabelConfigs
	for series, sent := range map[string]bool{
		"up":                          true,
		"node_load15":                 true,
		"pg_up":                       true,
		"process_resident_memory":     false,
		"prometheus_tsdb_head_series": false,
		"my_node_load15":              false, // anchored: no match inside a name
	} {
		kept := relabel.ProcessBuilder(labels.NewBuilder(labels.FromStrings("__name__", series, "job", "node-exporter", "node", "up")), rules...)
		require.Equal(t, sent, kept, series)
	}
}

// TestEveryTargetCarriesHost: the host label is a target label of every
// scrape job (so of every series), with the configured value.
func TestEveryTargetCarriesHost(t *testing.T) {
	cfg := load(t, renderOpts(t, Options{Stack: "prod", Host: "vps-1", Layout: prodLayout(t)}))
	require.Len(t, cfg.ScrapeConfigs, len(services.Jobs()))
	for _, sc := range cfg.ScrapeConfigs {
		require.Equal(t, map[string]string{"host": "vps-1"}, targetLabels(t, sc.ServiceDiscoveryConfigs), sc.JobName)
	}
	_, err := Render(Options{Stack: "prod", Layout: prodLayout(t)})
	require.ErrorContains(t, err, "host")
}

// TestSelfScrapeAuthenticates: with a web config, the prometheus job scrapes
// itself as the given user from its password file, and no other job sends
// those credentials.
func TestSelfScrapeAuthenticates(t *testing.T) {
	cfg := load(t, renderOpts(t, withEngines(t)))
	for _, sc := range cfg.ScrapeConfigs {
		if sc.JobName == string(services.Prometheus) {
			require.Equal(t, &config.BasicAuth{Username: "stack", PasswordFile: "/etc/prometheus/secrets/web_stack_password"}, sc.HTTPClientConfig.BasicAuth)
			continue
		}
		require.Nil(t, sc.HTTPClientConfig.BasicAuth, sc.JobName)
	}
	cfg = load(t, render(t, "prod", prodLayout(t)))
	for _, sc := range cfg.ScrapeConfigs {
		require.Nil(t, sc.HTTPClientConfig.BasicAuth, sc.JobName)
	}
}

// TestWithoutRemoteWriteNothingLeaves: the default configuration has no
// remote_write section at all.
func TestWithoutRemoteWriteNothingLeaves(t *testing.T) {
	out := render(t, "prod", prodLayout(t))
	require.Empty(t, load(t, out).RemoteWriteConfigs)
	require.NotContains(t, string(out), "remote_write")
}

// TestRemoteWriteRefusals: what Prometheus would refuse at start-up, or what
// would put a secret into prometheus.yml, fails at render time.
func TestRemoteWriteRefusals(t *testing.T) {
	base := func() RemoteWrite { return RemoteWrite{Name: "vm", URL: "http://10.8.0.1:8428/api/v1/write"} }
	cases := map[string]struct {
		rws  []RemoteWrite
		want string
	}{
		"no name":              {[]RemoteWrite{{URL: "http://x:1/api/v1/write"}}, "no name"},
		"duplicate name":       {[]RemoteWrite{base(), base()}, "two remote_write endpoints named"},
		"relative URL":         {[]RemoteWrite{{Name: "vm", URL: "/api/v1/write"}}, "not an absolute"},
		"credentials in URL":   {[]RemoteWrite{{Name: "vm", URL: "https://user:pw@x/api/v1/write"}}, "credentials in the URL"},
		"basic and bearer":     {[]RemoteWrite{{Name: "vm", URL: "http://x:1/", BasicAuth: &BasicAuth{"u", "/f"}, BearerTokenFile: "/t"}}, "exclusive"},
		"basic without file":   {[]RemoteWrite{{Name: "vm", URL: "http://x:1/", BasicAuth: &BasicAuth{Username: "u"}}}, "password file"},
		"bad regex":            {[]RemoteWrite{{Name: "vm", URL: "http://x:1/", KeepMetrics: "up("}}, "KeepMetrics"},
		"authorization header": {[]RemoteWrite{{Name: "vm", URL: "http://x:1/", Headers: map[string]string{"Authorization": "Bearer x"}}}, "refuses"},
		"reserved header":      {[]RemoteWrite{{Name: "vm", URL: "http://x:1/", Headers: map[string]string{"Content-Encoding": "gzip"}}}, "reserved header"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			o := withEngines(t)
			o.RemoteWrite = c.rws
			_, err := Render(o)
			require.ErrorContains(t, err, c.want)
		})
	}
	o := withEngines(t)
	o.Auth = &BasicAuth{Username: "stack"}
	_, err := Render(o)
	require.ErrorContains(t, err, "password file")
}

// TestPromtoolChecksRemoteWriteConfig: the real promtool accepts the central
// configuration with endpoints and self-scrape auth.
func TestPromtoolChecksRemoteWriteConfig(t *testing.T) {
	promtoolCheck(t, withEngines(t), false)
}

func promtoolCheck(t *testing.T, o Options, agent bool) {
	t.Helper()
	promtool := testkit.Tool(t, "promtool")
	dir := t.TempDir()
	var out []byte
	if agent {
		out = renderAgent(t, agentOptions())
	} else {
		rules := filepath.Join(dir, "rules")
		require.NoError(t, os.Mkdir(rules, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(rules, "probe.yml"),
			[]byte("groups:\n- name: probe\n  rules:\n  - alert: Probe\n    expr: up == 0\n"), 0o644))
		o.Layout.Files.PrometheusRulesGlob = filepath.Join(rules, "*.yml")
		out = renderOpts(t, o)
	}
	file := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(file, out, 0o644))
	args := []string{"check", "config"}
	if agent {
		args = append(args, "--agent")
	}
	cmd := exec.CommandContext(t.Context(), promtool, append(args, file)...)
	var combined bytes.Buffer
	cmd.Stdout, cmd.Stderr = &combined, &combined
	require.NoError(t, cmd.Run(), "promtool %v failed:\n%s", args, combined.String())
	require.Contains(t, combined.String(), "SUCCESS")
}

// targetLabels returns the group labels of the one static target group.
func targetLabels(t *testing.T, cs discovery.Configs) map[string]string {
	t.Helper()
	require.Len(t, cs, 1)
	sc, ok := cs[0].(discovery.StaticConfig)
	require.True(t, ok, "unexpected discovery config %T", cs[0])
	require.Len(t, sc, 1)
	out := map[string]string{}
	for k, v := range sc[0].Labels {
		out[string(k)] = string(v)
	}
	return out
}
