// Package promconfig renders prometheus.yml from the typed settings and a
// topology.Layout, built on Prometheus' own config types: the central
// Prometheus's (Render) and an agent host's (RenderAgent, for
// `prometheus --agent`).
package promconfig

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	promcfg "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"go.yaml.in/yaml/v2"

	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Intervals. A 30s scrape halves the samples (CPU, disk, memory) of the
// Prometheus default of 15s on a small VPS, and is still fine-grained enough
// for alerts whose `for:` windows are minutes. Rules must use rate() windows of
// at least 2m (4 x ScrapeInterval) so that one missed scrape does not blank a
// panel or resolve an alert.
const (
	ScrapeInterval     = 30 * time.Second
	ScrapeTimeout      = 10 * time.Second
	EvaluationInterval = 30 * time.Second
)

// SampleLimit caps the samples of one scrape. A target that exceeds it (say,
// a backend release that puts a user ID in a label) fails its scrape — up
// drops to 0 and the target-down alert names it — instead of silently
// multiplying Prometheus' memory. The largest target here, cAdvisor, stays
// far below it with a few dozen containers.
const SampleLimit = 50000

// StackLabel is the external label that names the stack on every series and
// alert leaving this Prometheus.
const StackLabel = "stack"

// selfMonitored are the jobs of the monitoring stack itself. Their histogram
// buckets (per-handler HTTP/gRPC latency, query and compaction timings) are the
// bulk of their series and no dashboard or alert of this project reads them;
// the _sum and _count series stay, so mean latencies still work.
var selfMonitored = map[services.Name]bool{
	services.Prometheus:   true,
	services.Alertmanager: true,
	services.Loki:         true,
	services.Alloy:        true,
	services.Grafana:      true,
}

// Dropped documents every metric_relabel_configs drop, for the header of the
// rendered file and the README.
const Dropped = `Series dropped at scrape time (metric_relabel_configs):
  every job:        go_gc_*, go_sched_*, go_godebug_*, go_cpu_*, go_sync_* (Go runtime internals)
  prometheus, alertmanager, loki, alloy, grafana:
                    *_bucket (their own histogram buckets; _sum and _count are kept)
  cadvisor:         container_tasks_state, container_memory_failures_total,
                    container_cpu_usage_seconds_total with cpu="cpuN" (per-CPU),
                    series of systemd slices that are not containers
                    (name="" and id under /system.slice, /user.slice or /init.scope)`

// HostLabel is the target label that names the host a series was scraped
// on. Every scrape job of the central Prometheus and of every agent sets it,
// so series from several hosts stay apart in the central TSDB and in every
// engine it remote-writes to.
const HostLabel = "host"

// Options are the inputs of the central prometheus.yml.
type Options struct {
	Stack  string // external label stack, on everything that leaves this Prometheus
	Host   string // host label of every scrape target here (required)
	Layout topology.Layout
	// RemoteWrite lists the engines that receive everything this Prometheus
	// holds (its own scrapes and what agents sent it); none = local only.
	RemoteWrite []RemoteWrite
	// Auth is the web config user this Prometheus scrapes itself as, when its
	// web endpoints require basic auth (--web.config.file); nil = no auth.
	Auth *BasicAuth
}

// RemoteWrite is one remote_write endpoint.
type RemoteWrite struct {
	// Name is the queue's remote_name label (in its metrics and in the
	// PrometheusRemoteWriteFailing alert); unique per Prometheus.
	Name string
	URL  string
	// At most one of BasicAuth and BearerTokenFile. The secrets are files
	// uploaded next to prometheus.yml, never values in it.
	BasicAuth       *BasicAuth
	BearerTokenFile string
	// Headers are sent with every request, e.g. X-Scope-OrgID (Mimir, Loki)
	// or THANOS-TENANT. Authorization cannot be set here (Prometheus refuses
	// it: use BasicAuth or BearerTokenFile).
	Headers map[string]string
	// KeepMetrics is a regular expression (RE2, anchored) of the metric
	// names to send; "" sends every series.
	KeepMetrics string
}

// BasicAuth is a user name and the path of the file holding its password.
type BasicAuth struct {
	Username, PasswordFile string
}

// Queue is the queue_config of every remote_write, sized for a 2 GB host.
// Prometheus holds up to max_shards x (capacity + max_samples_per_send)
// samples in memory per endpoint: 10 x (2500 + 500) = 30,000, at roughly
// 100 bytes each in the queue and a few hundred more while a batch is encoded
// (labels are written out per series in a request): a few MB, under 10 MB
// even with every shard busy. Prometheus' defaults (50 x (10,000 + 2,000) =
// 600,000 samples) can take 60-100 MB, a fifth of Prometheus' 512 MB limit.
// Throughput is still far above what one small stack produces: 10 shards x
// 500 samples per request at 100-200 ms per request is 25,000-50,000
// samples/s, against a few hundred per host at a 30s scrape interval, so a
// backlog of an hour drains in minutes. Nothing is dropped for its age
// (sample_age_limit 0): while a receiver is down the queue waits on the WAL,
// which holds the head block's samples (one to three hours on a server,
// cut back at each head compaction; up to four hours on an agent). A receiver that answers 429
// (rate limited, as Mimir and managed services do) is retried with backoff
// instead of having the batch dropped; the PrometheusRemoteWriteFailing alert
// reports a queue that stays behind.
var Queue = promcfg.QueueConfig{
	Capacity:          2500,
	MaxShards:         10,
	MinShards:         1,
	MaxSamplesPerSend: 500,
	BatchSendDeadline: model.Duration(5 * time.Second),
	MinBackoff:        model.Duration(30 * time.Millisecond),
	MaxBackoff:        model.Duration(5 * time.Second),
	RetryOnRateLimit:  true,
}

// Render returns the central prometheus.yml. Same input, byte-identical
// output. The result is loaded back with Prometheus' own config.Load, so
// remote-write input it refuses (a reserved header, a bad regular
// expression, a duplicate name) fails here, at preview, not in the container.
func Render(o Options) ([]byte, error) {
	if o.Stack == "" {
		return nil, errors.New("promconfig: empty stack name")
	}
	if o.Host == "" {
		return nil, errors.New("promconfig: empty host label")
	}
	layout := o.Layout
	if layout.AlertmanagerAddr == "" {
		return nil, errors.New("promconfig: layout has no Alertmanager address")
	}
	if layout.Files.PrometheusRulesGlob == "" {
		return nil, errors.New("promconfig: layout has no rule files glob")
	}
	if err := o.Auth.check("self-scrape"); err != nil {
		return nil, err
	}

	cfg := promcfg.Config{
		GlobalConfig: global(o.Stack),
		AlertingConfig: promcfg.AlertingConfig{
			AlertmanagerConfigs: promcfg.AlertmanagerConfigs{alertmanager(layout.AlertmanagerAddr)},
		},
		RuleFiles: []string{layout.Files.PrometheusRulesGlob},
	}
	for _, svc := range services.Jobs() {
		t, ok := layout.Targets[svc]
		if !ok || t.Address == "" {
			return nil, fmt.Errorf("promconfig: layout has no scrape target for %s", svc)
		}
		sc := scrapeConfig(svc, t, o.Host)
		if svc == services.Prometheus && o.Auth != nil {
			sc.HTTPClientConfig.BasicAuth = o.Auth.upstream()
		}
		cfg.ScrapeConfigs = append(cfg.ScrapeConfigs, sc)
	}
	names := map[string]bool{}
	for _, rw := range o.RemoteWrite {
		if names[rw.Name] {
			return nil, fmt.Errorf("promconfig: two remote_write endpoints named %q", rw.Name)
		}
		names[rw.Name] = true
		c, err := remoteWrite(rw)
		if err != nil {
			return nil, err
		}
		cfg.RemoteWriteConfigs = append(cfg.RemoteWriteConfigs, c)
	}
	return marshal(cfg, "# Retention is set by command-line flags, not in this file.\n")
}

// AgentJobs are the scrape jobs of an agent host, in the order rendered: the
// agent itself and the exporters and log shipper deployed next to it.
var AgentJobs = []services.Name{services.Prometheus, services.NodeExporter, services.Cadvisor, services.Alloy}

// ReceiverName is the remote_name of an agent's queue to the central
// Prometheus.
const ReceiverName = "central"

// AgentOptions are the inputs of an agent host's prometheus.yml, for
// `prometheus --agent`: it scrapes the host's own exporters and forwards
// every sample to the central Prometheus's remote-write receiver. It keeps
// only a write-ahead log, no rules and no alerting: alerts are evaluated
// centrally on what it sent.
type AgentOptions struct {
	Stack   string                            // external label stack, as on the central Prometheus
	Host    string                            // host label of every series from this host (required)
	Targets map[services.Name]topology.Target // one per AgentJobs entry; Alloy only where it runs
	// ReceiverURL is the central receiver,
	// http://<private address>:<port>/api/v1/write, and Auth its agent user.
	ReceiverURL string
	Auth        BasicAuth
}

// RenderAgent returns an agent host's prometheus.yml. Same input,
// byte-identical output. Like Render it loads the result back with
// config.Load; the agent-mode refusals (alerting, rule_files, remote_read)
// cannot occur, since nothing here sets those sections.
func RenderAgent(o AgentOptions) ([]byte, error) {
	if o.Stack == "" {
		return nil, errors.New("promconfig: agent: empty stack name")
	}
	if o.Host == "" {
		return nil, errors.New("promconfig: agent: empty host label")
	}
	if o.Auth == (BasicAuth{}) {
		return nil, errors.New("promconfig: agent: the central receiver requires basic auth (the agent user)")
	}
	cfg := promcfg.Config{GlobalConfig: global(o.Stack)}
	for _, svc := range AgentJobs {
		t, ok := o.Targets[svc]
		if !ok && svc == services.Alloy {
			continue // Alloy runs on an agent host only when logs have somewhere to go
		}
		if !ok || t.Address == "" {
			return nil, fmt.Errorf("promconfig: agent: no scrape target for %s", svc)
		}
		cfg.ScrapeConfigs = append(cfg.ScrapeConfigs, scrapeConfig(svc, t, o.Host))
	}
	auth := o.Auth
	rw, err := remoteWrite(RemoteWrite{Name: ReceiverName, URL: o.ReceiverURL, BasicAuth: &auth})
	if err != nil {
		return nil, fmt.Errorf("%w (agent receiver)", err)
	}
	cfg.RemoteWriteConfigs = []*promcfg.RemoteWriteConfig{rw}
	return marshal(cfg, "# Agent mode (prometheus --agent): scrapes this host and remote-writes to the central Prometheus.\n")
}

func global(stack string) promcfg.GlobalConfig {
	return promcfg.GlobalConfig{
		ScrapeInterval:     model.Duration(ScrapeInterval),
		ScrapeTimeout:      model.Duration(ScrapeTimeout),
		EvaluationInterval: model.Duration(EvaluationInterval),
		SampleLimit:        SampleLimit,
		// Prometheus expands $VAR in external label values when it loads
		// the file; "$$" is its escape for a literal "$".
		ExternalLabels: labels.FromStrings(StackLabel, strings.ReplaceAll(stack, "$", "$$")),
	}
}

func marshal(cfg promcfg.Config, note string) ([]byte, error) {
	body, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("promconfig: %w", err)
	}
	if _, err := promcfg.Load(string(body), slog.New(slog.DiscardHandler)); err != nil {
		return nil, fmt.Errorf("promconfig: Prometheus refuses the rendered configuration: %w", err)
	}
	var out bytes.Buffer
	out.WriteString("# Generated by koprogo-monitoring (render/promconfig). Do not edit: run `pulumi up`.\n")
	out.WriteString(note)
	for _, line := range strings.Split(Dropped, "\n") {
		out.WriteString("# " + line + "\n")
	}
	out.Write(body)
	return out.Bytes(), nil
}

func (a *BasicAuth) check(what string) error {
	if a == nil {
		return nil
	}
	if a.Username == "" || a.PasswordFile == "" {
		return fmt.Errorf("promconfig: %s basic auth needs a user name and a password file", what)
	}
	return nil
}

func (a *BasicAuth) upstream() *config.BasicAuth {
	return &config.BasicAuth{Username: a.Username, PasswordFile: a.PasswordFile}
}

func remoteWrite(rw RemoteWrite) (*promcfg.RemoteWriteConfig, error) {
	if rw.Name == "" {
		return nil, errors.New("promconfig: a remote_write endpoint has no name")
	}
	u, err := url.Parse(rw.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("promconfig: remote_write %s: URL %q is not an absolute http(s) URL", rw.Name, rw.URL)
	}
	if u.User != nil {
		// Prometheus would send it, and it would sit in prometheus.yml.
		return nil, fmt.Errorf("promconfig: remote_write %s: credentials in the URL; use a password file", rw.Name)
	}
	if rw.BasicAuth != nil && rw.BearerTokenFile != "" {
		return nil, fmt.Errorf("promconfig: remote_write %s: basic auth and a bearer token are exclusive", rw.Name)
	}
	if err := rw.BasicAuth.check("remote_write " + rw.Name); err != nil {
		return nil, err
	}
	c := promcfg.DefaultRemoteWriteConfig
	c.Name = rw.Name
	c.URL = &config.URL{URL: u}
	c.QueueConfig = Queue
	// Exemplars are off by default; said here because a receiver that does
	// not store them would reject the whole request otherwise.
	c.SendExemplars = false
	if rw.BasicAuth != nil {
		c.HTTPClientConfig.BasicAuth = rw.BasicAuth.upstream()
	}
	if rw.BearerTokenFile != "" {
		c.HTTPClientConfig.Authorization = &config.Authorization{Type: "Bearer", CredentialsFile: rw.BearerTokenFile}
	}
	if len(rw.Headers) > 0 {
		c.Headers = maps.Clone(rw.Headers)
	}
	if rw.KeepMetrics != "" {
		re, err := relabel.NewRegexp(rw.KeepMetrics)
		if err != nil {
			return nil, fmt.Errorf("promconfig: remote_write %s: KeepMetrics: %w", rw.Name, err)
		}
		r := relabel.DefaultRelabelConfig
		r.SourceLabels = model.LabelNames{model.MetricNameLabel}
		r.Regex = re
		r.Action = relabel.Keep
		c.WriteRelabelConfigs = []*relabel.Config{&r}
	}
	return &c, nil
}

func alertmanager(addr string) *promcfg.AlertmanagerConfig {
	am := promcfg.DefaultAlertmanagerConfig
	am.ServiceDiscoveryConfigs = discovery.Configs{staticTarget(addr, nil)}
	return &am
}

func scrapeConfig(svc services.Name, t topology.Target, host string) *promcfg.ScrapeConfig {
	// Start from Prometheus' defaults: several of its fields (honor_timestamps,
	// enable_compression, follow_redirects, ...) are always marshalled, and a
	// zero value would silently turn them off.
	sc := promcfg.DefaultScrapeConfig
	sc.JobName = string(svc)
	if t.MetricsPath != "" {
		sc.MetricsPath = t.MetricsPath
	}
	sc.ServiceDiscoveryConfigs = discovery.Configs{staticTarget(t.Address, model.LabelSet{HostLabel: model.LabelValue(host)})}
	sc.MetricRelabelConfigs = metricRelabels(svc)
	return &sc
}

func staticTarget(addr string, labels model.LabelSet) discovery.StaticConfig {
	return discovery.StaticConfig{&targetgroup.Group{
		Targets: []model.LabelSet{{model.AddressLabel: model.LabelValue(addr)}},
		Labels:  labels,
		Source:  "0",
	}}
}

func metricRelabels(svc services.Name) []*relabel.Config {
	rs := []*relabel.Config{dropNames(`go_(gc|sched|godebug|cpu|sync)_.+`)}
	if selfMonitored[svc] {
		rs = append(rs, dropNames(`.+_bucket`))
	}
	if svc == services.Cadvisor {
		rs = append(rs,
			dropNames(`container_tasks_state|container_memory_failures_total`),
			drop([]model.LabelName{model.MetricNameLabel, "cpu"}, `container_cpu_usage_seconds_total;cpu[0-9]+`),
			drop([]model.LabelName{"name", "id"}, `;/(system\.slice|user\.slice|init\.scope)(/.*)?`),
		)
	}
	return rs
}

func dropNames(re string) *relabel.Config {
	return drop([]model.LabelName{model.MetricNameLabel}, re)
}

func drop(source []model.LabelName, re string) *relabel.Config {
	r := relabel.DefaultRelabelConfig
	r.SourceLabels = source
	r.Regex = relabel.MustNewRegexp(re)
	r.Action = relabel.Drop
	return &r
}
