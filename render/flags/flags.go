// Package flags returns the command-line arguments of every service. The
// stack passes container paths and the in-container listen address; the live
// test passes temp paths and loopback ports, so both run the same flag sets.
package flags

import (
	"net"
	"strings"

	"github.com/koprogo/koprogo-monitoring/config"
)

// PrometheusOptions are the paths and addresses Prometheus needs.
type PrometheusOptions struct {
	ConfigFile    string
	StoragePath   string
	ListenAddress string // host:port
	ExternalURL   string // "" = derived by Prometheus from the listen address
	RetentionTime config.Duration
	RetentionSize config.ByteSize
	// WebConfigFile is the exporter-toolkit web config (basic auth users,
	// render/webconfig); "" = none, every endpoint open to whoever reaches
	// the port.
	WebConfigFile string
	// ReceiverListenAddress (host:port) is a second listener, where agent
	// hosts write; "" = no receiver. It turns on /api/v1/write, on every
	// listener, so only with a WebConfigFile: an open receiver lets anyone
	// who reaches it write series. A listener of its own lets the
	// container publish it from its own container port: two bindings of
	// one container port come back from Docker in the reverse order, a
	// diff that replaces the container on every `pulumi up`.
	ReceiverListenAddress string
}

// Prometheus returns the prometheus arguments. --web.enable-lifecycle is not
// set: a configuration change replaces the container (the files are uploads),
// so the reload endpoint would only widen the attack surface.
func Prometheus(o PrometheusOptions) []string {
	args := []string{
		"--config.file=" + o.ConfigFile,
		"--storage.tsdb.path=" + o.StoragePath,
		"--storage.tsdb.retention.time=" + o.RetentionTime.String(),
		"--storage.tsdb.retention.size=" + o.RetentionSize.String(),
		"--web.listen-address=" + o.ListenAddress,
	}
	if o.ExternalURL != "" {
		args = append(args, "--web.external-url="+o.ExternalURL)
	}
	if o.WebConfigFile != "" {
		args = append(args, "--web.config.file="+o.WebConfigFile)
	}
	if o.ReceiverListenAddress != "" {
		args = append(args, "--web.listen-address="+o.ReceiverListenAddress, "--web.enable-remote-write-receiver")
	}
	return args
}

// PrometheusEnv is the Go runtime environment of the Prometheus containers
// (central and agent), besides the GOMEMLIMIT every Go service gets (Env).
// Prometheus has no command-line flag for either setting; both only change
// how its Go runtime manages memory and threads, never what it scrapes,
// stores, evaluates or answers. Measured with the real binary under the
// dashboards' query load (docs/footprint.md, "Prometheus variants"):
//
//   - GOGC=25: the garbage collector runs when the heap has grown by 25%
//     instead of Prometheus' own default of 75%. At a few thousand series
//     the live heap is about 25 MiB, mostly fixed costs (the TSDB head's
//     series stripes, scrape caches, package initialisation), and what a
//     higher GOGC adds is garbage waiting to be collected: about 20 MiB of
//     peak RSS less, for about 0.2 CPU seconds per minute more. Lower
//     values (GOGC=10) save only 2-3 MiB more for twice that CPU.
//   - GOMAXPROCS=1: one thread runs Go code at a time (a query, the GC,
//     compaction), so Prometheus never takes both cores of the 2-core VPS
//     from PostgreSQL and the backend; fewer per-thread caches and GC
//     workers save 2-3 MiB and some CPU. A single PromQL query is evaluated
//     by one goroutine either way; concurrent dashboard queries wait their
//     turn (measured: tens of milliseconds more per query).
//
// Prometheus reads GOGC from the environment when its configuration file
// sets no runtime.gogc (the rendered prometheus.yml sets none), and its
// --auto-gomaxprocs honours a GOMAXPROCS that is already set.
func PrometheusEnv() []string {
	return []string{"GOGC=25", "GOMAXPROCS=1"}
}

// PrometheusAgentOptions are the paths and address of an agent host's
// Prometheus.
type PrometheusAgentOptions struct {
	ConfigFile    string
	StoragePath   string // the write-ahead log of samples not yet sent
	ListenAddress string // host:port (its own /metrics, scraped by itself)
}

// PrometheusAgent returns the arguments of `prometheus --agent`: no TSDB,
// so no retention flags (Prometheus refuses server-only flags in agent
// mode); the WAL keeps what the central receiver has not acknowledged, and
// is truncated once it has.
func PrometheusAgent(o PrometheusAgentOptions) []string {
	return []string{
		"--agent",
		"--config.file=" + o.ConfigFile,
		"--storage.agent.path=" + o.StoragePath,
		"--web.listen-address=" + o.ListenAddress,
	}
}

// AlertmanagerOptions are the paths and addresses Alertmanager needs.
type AlertmanagerOptions struct {
	ConfigFile    string
	StoragePath   string
	ListenAddress string // host:port
	ExternalURL   string // "" = derived from the listen address; links in e-mails use it
}

// Alertmanager returns the alertmanager arguments. An empty
// --cluster.listen-address turns gossip off: there is one instance on one
// host, and an open cluster port would only accept peers nobody runs.
func Alertmanager(o AlertmanagerOptions) []string {
	args := []string{
		"--config.file=" + o.ConfigFile,
		"--storage.path=" + o.StoragePath,
		"--web.listen-address=" + o.ListenAddress,
		"--cluster.listen-address=",
	}
	if o.ExternalURL != "" {
		args = append(args, "--web.external-url="+o.ExternalURL)
	}
	return args
}

// NodeExporterOptions are the paths and address node_exporter needs.
type NodeExporterOptions struct {
	RootFS        string // host root as seen by the exporter ("/host" in the container, "/" on a host)
	TextfileDir   string // *.prom files published by host jobs (e.g. the backup's last-success timestamp)
	ListenAddress string // host:port
}

// nodeCollectorsOff are default collectors that have nothing to report on a
// single cloud VPS (no InfiniBand, Fibre Channel, tape, NFS server, IPVS,
// bcache, btrfs or ZFS) or that need privileges the container does not have
// (RAPL energy counters are root-only since CVE-2020-8694). Dropping them
// saves scrape time and series without losing any signal the alerts use.
var nodeCollectorsOff = []string{"bcache", "btrfs", "fibrechannel", "infiniband", "ipvs", "nfs", "nfsd", "rapl", "tapestats", "zfs"}

// NodeExporter returns the node_exporter arguments. --path.rootfs makes the
// filesystem collector report the host's mounts (so the disk-space alert sees
// the host's disk, not the container's overlay).
func NodeExporter(o NodeExporterOptions) []string {
	args := []string{
		"--path.rootfs=" + o.RootFS,
		"--collector.textfile.directory=" + o.TextfileDir,
		"--web.listen-address=" + o.ListenAddress,
	}
	for _, c := range nodeCollectorsOff {
		args = append(args, "--no-collector."+c)
	}
	return args
}

// PostgresExporterOptions are the address postgres_exporter needs; the
// connection comes from DATA_SOURCE_*_FILE (see package pgdsn).
type PostgresExporterOptions struct {
	ListenAddress string // host:port
}

// PostgresExporter returns the postgres_exporter arguments.
// stat_statements feeds the slow-query alert (pg_stat_statements_seconds_total
// / pg_stat_statements_calls_total); it needs the pg_stat_statements
// extension in the monitored database. Query texts stay off (the default):
// they may carry personal data and multiply series.
func PostgresExporter(o PostgresExporterOptions) []string {
	return []string{
		"--web.listen-address=" + o.ListenAddress,
		"--collector.stat_statements",
	}
}

// CadvisorOptions are the address cAdvisor needs.
type CadvisorOptions struct {
	ListenAddress string // host:port; cAdvisor takes the host and port as separate flags
}

// cadvisorMetricsOff are cAdvisor metric groups nothing here reads. Kept:
// cpu, memory, oom_event (container alerts), disk, diskIO and network
// (dashboards). Every name must be one cAdvisor knows, or it refuses to start
// ("unsupported metric"): these are from the --disable_metrics options listed
// in docs/runtime_options.md of v0.60.5 ("accelerator" no longer exists since
// v0.47).
var cadvisorMetricsOff = []string{
	"advtcp", "app", "cpuLoad", "cpu_topology", "cpuset", "hugetlb", "memory_numa",
	"percpu", "perf_event", "process", "referenced_memory", "resctrl", "sched", "tcp", "udp",
}

// Cadvisor returns the cAdvisor arguments: Docker containers only, a 30s
// housekeeping interval (the scrape interval is not shorter), no container
// labels or environment copied into series (they multiply cardinality and can
// leak values set in the environment).
func Cadvisor(o CadvisorOptions) ([]string, error) {
	host, port, err := net.SplitHostPort(o.ListenAddress)
	if err != nil {
		return nil, err
	}
	return []string{
		"--listen_ip=" + host,
		"--port=" + port,
		"--docker_only=true",
		"--housekeeping_interval=30s",
		"--disable_metrics=" + strings.Join(cadvisorMetricsOff, ","),
		"--store_container_labels=false",
	}, nil
}

// LokiOptions are the paths Loki needs; its listen port is in the config file.
type LokiOptions struct {
	ConfigFile string
}

// Loki returns the loki arguments (Go flag syntax, single dash).
func Loki(o LokiOptions) []string {
	return []string{"-config.file=" + o.ConfigFile}
}

// AlloyOptions are the paths and address Alloy needs.
type AlloyOptions struct {
	ConfigFile    string
	StoragePath   string // WAL and positions: where shipping resumes after a restart
	ListenAddress string // host:port of the UI and /metrics
}

// Alloy returns the alloy arguments: the run subcommand, then its flags.
// Usage reporting to Grafana Labs is turned off.
func Alloy(o AlloyOptions) []string {
	return []string{
		"run",
		"--server.http.listen-addr=" + o.ListenAddress,
		"--storage.path=" + o.StoragePath,
		"--disable-reporting",
		o.ConfigFile,
	}
}
