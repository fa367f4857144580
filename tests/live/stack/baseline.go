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
	return []byte(cfg.String()), nil
}
