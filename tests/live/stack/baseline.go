package stack

import (
	"log/slog"

	promcfg "github.com/prometheus/prometheus/config"

	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// baselinePromConfig is the untuned comparison for the footprint report: the
// production configuration (same jobs, targets, intervals, rules and
// alerting) without any metric_relabel_configs, so every series the
// exporters expose is stored. Loaded and re-marshalled through Prometheus'
// own config package, never edited as text.
func baselinePromConfig(stackName string, l topology.Layout) ([]byte, error) {
	prod, err := promconfig.Render(promconfig.Options{Stack: stackName, Host: HostLabel, Layout: l})
	if err != nil {
		return nil, err
	}
	cfg, err := promcfg.Load(string(prod), slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	for _, sc := range cfg.ScrapeConfigs {
		sc.MetricRelabelConfigs = nil
	}
	return marshal(cfg), nil
}

// marshal writes a loaded configuration back. Loading fills the runtime
// section with its defaults (gogc 75, or the GOGC of the process that loads
// it), and a runtime.gogc in the file overrides the GOGC environment variable
// of the Prometheus that reads it: the section is cleared, so that, as with
// the file render/promconfig writes, the environment decides.
func marshal(cfg *promcfg.Config) []byte {
	cfg.Runtime = promcfg.RuntimeConfig{}
	return []byte(cfg.String())
}
