package promconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/promslog"
	promcfg "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"

	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

const agentGolden = "testdata/prometheus.agent.golden.yml"

func agentOptions() AgentOptions {
	return AgentOptions{
		Stack: "prod", Host: "worker-1",
		Targets: map[services.Name]topology.Target{
			services.Prometheus:   {Address: "koprogo-mon-prometheus:9090"},
			services.NodeExporter: {Address: "koprogo-mon-node-exporter:9100"},
			services.Cadvisor:     {Address: "koprogo-mon-cadvisor:8080"},
			services.Alloy:        {Address: "koprogo-mon-alloy:12345"},
		},
		ReceiverURL: "http://10.8.0.1:9090/api/v1/write",
		Auth:        BasicAuth{Username: "agent", PasswordFile: "/etc/prometheus/secrets/agent_password"},
	}
}

func renderAgent(t *testing.T, o AgentOptions) []byte {
	t.Helper()
	out, err := RenderAgent(o)
	require.NoError(t, err)
	return out
}

// loadAgent loads a file the way `prometheus --agent` does: config.LoadFile
// with agentMode, which refuses alerting, rule_files and remote_read.
func loadAgent(t *testing.T, out []byte) *promcfg.Config {
	t.Helper()
	file := filepath.Join(t.TempDir(), "prometheus.yml")
	require.NoError(t, os.WriteFile(file, out, 0o644))
	cfg, err := promcfg.LoadFile(file, true, promslog.NewNopLogger())
	require.NoError(t, err, "the agent-mode loader rejected the rendered file:\n%s", out)
	return cfg
}

// TestAgentLoadsInAgentMode: the agent scrapes its own host's jobs, every
// target labelled with the agent's host, and forwards everything to the
// central receiver as the agent user.
func TestAgentLoadsInAgentMode(t *testing.T) {
	o := agentOptions()
	cfg := loadAgent(t, renderAgent(t, o))
	central := map[string]*promcfg.ScrapeConfig{}
	for _, sc := range load(t, render(t, "prod", prodLayout(t))).ScrapeConfigs {
		central[sc.JobName] = sc
	}

	require.Equal(t, labels.FromStrings("stack", "prod"), cfg.GlobalConfig.ExternalLabels)
	require.Empty(t, cfg.RuleFiles)
	require.Empty(t, cfg.AlertingConfig.AlertmanagerConfigs)

	require.Len(t, cfg.ScrapeConfigs, len(AgentJobs))
	for i, svc := range AgentJobs {
		sc := cfg.ScrapeConfigs[i]
		require.Equal(t, string(svc), sc.JobName)
		require.Equal(t, []string{o.Targets[svc].Address}, staticAddrs(t, sc.ServiceDiscoveryConfigs), svc)
		require.Equal(t, map[string]string{"host": "worker-1"}, targetLabels(t, sc.ServiceDiscoveryConfigs), svc)
		require.Equal(t, central[sc.JobName].MetricRelabelConfigs, sc.MetricRelabelConfigs, "%s: the central job's drops", svc)
	}

	require.Len(t, cfg.RemoteWriteConfigs, 1)
	rw := cfg.RemoteWriteConfigs[0]
	require.Equal(t, ReceiverName, rw.Name)
	require.Equal(t, "http://10.8.0.1:9090/api/v1/write", rw.URL.String())
	require.Equal(t, &config.BasicAuth{Username: "agent", PasswordFile: "/etc/prometheus/secrets/agent_password"}, rw.HTTPClientConfig.BasicAuth)
	require.Equal(t, Queue, rw.QueueConfig)
	require.Empty(t, rw.WriteRelabelConfigs, "an agent forwards everything it scrapes")
}

// TestAgentModeLoaderIsStrict: the check above can fail: the central
// configuration (alerting, rule files) is refused by the agent-mode loader.
func TestAgentModeLoaderIsStrict(t *testing.T) {
	file := filepath.Join(t.TempDir(), "prometheus.yml")
	require.NoError(t, os.WriteFile(file, render(t, "prod", prodLayout(t)), 0o644))
	_, err := promcfg.LoadFile(file, true, promslog.NewNopLogger())
	require.ErrorContains(t, err, "not allowed in agent mode")
}

func TestAgentGolden(t *testing.T) {
	testkit.Golden(t, agentGolden, renderAgent(t, agentOptions()), *update)
}

func TestAgentDeterministic(t *testing.T) {
	require.Equal(t, renderAgent(t, agentOptions()), renderAgent(t, agentOptions()))
}

// TestPromtoolChecksAgentConfig: the real promtool, in agent mode.
func TestPromtoolChecksAgentConfig(t *testing.T) {
	promtoolCheck(t, Options{}, true)
}

func TestAgentRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(*AgentOptions)
		want string
	}{
		"no stack":        {func(o *AgentOptions) { o.Stack = "" }, "stack"},
		"no host":         {func(o *AgentOptions) { o.Host = "" }, "host"},
		"no auth":         {func(o *AgentOptions) { o.Auth = BasicAuth{} }, "basic auth"},
		"no password":     {func(o *AgentOptions) { o.Auth.PasswordFile = "" }, "password file"},
		"no receiver":     {func(o *AgentOptions) { o.ReceiverURL = "" }, "not an absolute"},
		"missing target":  {func(o *AgentOptions) { delete(o.Targets, services.Cadvisor) }, "cadvisor"},
		"password in URL": {func(o *AgentOptions) { o.ReceiverURL = "http://agent:x@10.8.0.1:9090/api/v1/write" }, "credentials in the URL"},
	} {
		t.Run(name, func(t *testing.T) {
			o := agentOptions()
			c.edit(&o)
			_, err := RenderAgent(o)
			require.ErrorContains(t, err, c.want)
		})
	}
}

// An agent host without Alloy (no log endpoint) has no alloy job, which
// would otherwise be down for good; the other jobs stay.
func TestAgentWithoutAlloy(t *testing.T) {
	o := agentOptions()
	delete(o.Targets, services.Alloy)
	out := string(renderAgent(t, o))
	require.NotContains(t, out, "job_name: alloy")
	for _, j := range []services.Name{services.Prometheus, services.NodeExporter, services.Cadvisor} {
		require.Contains(t, out, "job_name: "+string(j))
	}
	require.Contains(t, string(renderAgent(t, agentOptions())), "job_name: alloy")
}
