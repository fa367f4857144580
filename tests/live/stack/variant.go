package stack

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	promcfg "github.com/prometheus/prometheus/config"

	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// PrometheusVariant is one more Prometheus process, started next to a running
// stack: it scrapes the same targets and evaluates the same rules, so the
// footprint benchmark can run several at once and compare flags, environments
// and configurations under the same conditions.
type PrometheusVariant struct {
	Name string
	// UntunedConfig renders the baseline prometheus.yml (no
	// metric_relabel_configs) instead of the production one.
	UntunedConfig bool
	// NoRules loads no rule file: what rule evaluation costs.
	NoRules bool
	// ExtraSeries adds this many copies of the node-exporter and
	// postgres-exporter scrape jobs (each copy under its own job name, so
	// its series are distinct): what more head series cost.
	ExtraSeries int
	// Args returns the command line; nil = flags.Prometheus, as deployed.
	Args func(flags.PrometheusOptions) []string
	// Env is added to the process environment.
	Env []string
}

// StartPrometheus starts v with its own data directory and port; its
// "prometheus" job scrapes itself, as in production. Close stops it.
func (st *Stack) StartPrometheus(v PrometheusVariant) (promURL string, p *Process, err error) {
	ports, err := freePorts(1)
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	l := st.Layout
	l.Targets = map[services.Name]topology.Target{}
	for k, t := range st.Layout.Targets {
		l.Targets[k] = t
	}
	l.Targets[services.Prometheus] = topology.Target{Address: addr, MetricsPath: st.Layout.Targets[services.Prometheus].MetricsPath}
	cfg, err := variantConfig(st.Settings.Stack, l, v)
	if err != nil {
		return "", nil, fmt.Errorf("variant %s: %w", v.Name, err)
	}
	dir := filepath.Join(st.Dir, "variant-"+v.Name)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return "", nil, err
	}
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		return "", nil, err
	}
	o := flags.PrometheusOptions{
		ConfigFile: cfgFile, StoragePath: filepath.Join(dir, "data"), ListenAddress: addr,
		RetentionTime: st.Settings.Retention.MetricsTime, RetentionSize: st.Settings.Retention.MetricsSize,
	}
	args := flags.Prometheus(o)
	if v.Args != nil {
		args = v.Args(o)
	}
	tools, err := FindTools()
	if err != nil {
		return "", nil, err
	}
	name := "prometheus-" + v.Name
	p, err = startProcess(name, st.Dir, tools.Prometheus, args, v.Env, nil)
	if err != nil {
		return "", nil, err
	}
	st.Processes[name] = p
	st.closers = append(st.closers, func() error { return p.Stop(syscall.SIGTERM, 20*time.Second) })
	promURL = "http://" + addr
	if err := waitHTTP(promURL+"/-/ready", p, 90*time.Second); err != nil {
		return "", nil, fmt.Errorf("variant %s: %w", v.Name, err)
	}
	return promURL, p, nil
}

// variantConfig renders prometheus.yml for v: the production or baseline
// file, changed through Prometheus' own config package, never as text.
func variantConfig(stackName string, l topology.Layout, v PrometheusVariant) ([]byte, error) {
	if v.UntunedConfig {
		return baselinePromConfig(stackName, l)
	}
	out, err := promconfig.Render(promconfig.Options{Stack: stackName, Host: HostLabel, Layout: l})
	if err != nil || (!v.NoRules && v.ExtraSeries == 0) {
		return out, err
	}
	cfg, err := promcfg.Load(string(out), slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	if v.NoRules {
		cfg.RuleFiles = nil
	}
	var copies []*promcfg.ScrapeConfig
	for i := range v.ExtraSeries {
		for _, sc := range cfg.ScrapeConfigs {
			if sc.JobName == string(services.NodeExporter) || sc.JobName == string(services.PostgresExporter) {
				c := *sc
				c.JobName = fmt.Sprintf("%s-copy%d", sc.JobName, i+1)
				copies = append(copies, &c)
			}
		}
	}
	cfg.ScrapeConfigs = append(cfg.ScrapeConfigs, copies...)
	return marshal(cfg), nil
}
