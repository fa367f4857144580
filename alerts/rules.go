package alerts

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/signals"
)

// Windows. Prometheus scrapes every 30s (render/promconfig); rate windows of
// 5m or more hold at least ten samples, so one missed scrape neither blanks a
// rate nor resolves an alert.

// Timing. An exporter that goes down takes the data of the alerts built on
// it: their series go stale at once. Its own down alert (exporterDownFor)
// must therefore fire before any alert it inhibits could be sent, including
// the critical route's short group wait (the inhibition timing test checks
// every pair from the rules and alertmanager.yml); and rules that fire on
// missing data (absent) fire only while their exporter is up, so an
// exporter crash produces only the exporter's alert.
const (
	exporterDownFor = time.Minute
	// dataAlertFor is the shortest hold of an alert an exporter-down alert
	// inhibits: long enough that the exporter's alert, evaluated up to one
	// interval later, already fires when this one could be sent.
	dataAlertFor = 2 * time.Minute
	// eventFor holds alerts on counters of events (an OOM kill, a
	// deadlock, a restart): their increase stays above 0 for the whole
	// window, so the hold delays them a little and loses nothing.
	eventFor = 2 * time.Minute
)

// Fixed thresholds: the conditions below are not a matter of taste per stack.
// A config key can be added when an operator needs to tune one.
const (
	diskCriticalFactor   = 0.5  // critical at half the free-space threshold
	diskFillFreePercent  = 40   // only predict on filesystems already below this
	clockOffsetSeconds   = 0.05 // node_timex offset
	rebootWindow         = 15 * time.Minute
	containerSeenSeconds = 120 // cAdvisor housekeeping is ~15s; a stopped container stops updating
	containerRestarts    = 2   // starts within 15m
	containerThrottled   = 25  // % of CFS periods throttled
	pgCacheHitPercent    = 90
	pgMinBlockReads      = 10 // blocks/s read from disk before the hit ratio means anything
	minRequestRate       = 0.1
	tlsWarningDays       = 14 // Let's Encrypt renews at 30 days: under 14 renewal is failing
	tlsCriticalDays      = 3
	promStoragePercent   = 90
	flappingChanges      = 4    // two down-and-up episodes
	lokiGrowthWindow     = "6h" // a working day's swings average out
	// A healthy remote-write queue sends a sample within seconds (a batch
	// leaves at 500 samples or after 5 s; the WAL is read as it is
	// written); 30 s behind at two evaluations in a row is a minute without
	// a successful send, so a 2-minute receiver outage always fires it.
	remoteWriteBehind    = 30 * time.Second
	remoteWriteBehindFor = 30 * time.Second
	// A host whose series stopped arriving is reported for this long after
	// its last sample, then forgotten (a host taken out of service).
	hostMemory      = 24 * time.Hour
	hostSilentAfter = 5 * time.Minute // plus PromQL's 5-minute lookback
)

func job(s services.Name) string { return signals.Job(s) }

// Several hosts. Every series carries a host label (the central host's and
// each agent's); an alert about a host's data keeps it, so that it names the
// host and an exporter down on one host inhibits only that host's alerts
// (render/amconfig). node_exporter and cAdvisor, which every host runs
// (promconfig.AgentJobs; Alloy only with logEndpoints), have their down
// alert per host, including a host that reports but has no target of the
// job. absent() cannot be per host: it only says a series
// exists on no host at all. It stays where that is the question (a job of
// the central host only, a critical container or the backup metric, which
// may live on any host), guarded by everywhereUp so that an exporter down
// or a host gone silent, which have their own per-host alerts, does not also
// raise a "missing" alert nobody can inhibit.

// knownHosts is one series per host seen in hostMemory: each host's
// Prometheus (the central one, every agent) scrapes itself, so its up
// series is the host's heartbeat. Series without a host label (written
// before hosts were labelled) are left out.
func knownHosts() string {
	return `group by (host) (present_over_time(up{` + job(services.Prometheus) + `,host!=""}[` + model.Duration(hostMemory).String() + `]))`
}

// exporterDownExpr fires per host for an exporter every host runs: its
// target is down, or the host reports (its Prometheus's own up series) but
// has no target of the job. The absent() branch is for a stack where no
// Prometheus reports its own up series either (its job dropped from the
// configuration): then nothing is per host, and JobMissing names the
// Prometheus job too.
func exporterDownExpr(n services.Name) string {
	up := `up{` + job(n) + `}`
	pr := `up{` + job(services.Prometheus) + `}`
	return up + ` == 0` +
		` or (group by (host) (` + pr + `) unless on (host) ` + up + `)` +
		` or (absent(` + up + `) unless on () ` + pr + `)`
}

// everywhereUp is true (one empty-labelled sample) while the job's target
// answers on every host seen in hostMemory (at least one target, and as
// many up as there are hosts): `<absent rule> and everywhereUp(job)` fires
// on missing data only when no host's exporter is down, missing or silent,
// each of which has its own per-host alert and would explain the gap.
func everywhereUp(n services.Name) string {
	return `on () (count(up{` + job(n) + `} == 1) >= (count(` + knownHosts() + `) or vector(0)))`
}

func hostRules(t config.Thresholds) []Rule {
	ne := job(services.NodeExporter)
	node := signals.Of(services.NodeExporter)
	// Summaries name the host: instance is the exporter's address, the
	// same on every host.
	//
	// Every filesystem that holds data, the host root (reported as
	// mountpoint="/" with --path.rootfs) and any data disk alike.
	fs := node.With(signals.RealFilesystems)
	diskLow := func(sev string, pct float64, hold time.Duration) Rule {
		return Rule{
			Name: "HostDiskSpaceLow", Severity: sev, Component: Host,
			Expr:        signals.FilesystemFreePercent(fs) + ` < ` + num(pct),
			For:         hold,
			Summary:     `Disk space low on {{ $labels.host }} ({{ $labels.mountpoint }})`,
			Description: `Only {{ $value | printf "%.1f" }}% free on {{ $labels.mountpoint }} ({{ $labels.device }}) of {{ $labels.host }}; ` + sev + ` below ` + num(pct) + `%.`,
			Threshold:   "free space on a filesystem < " + num(pct) + " %",
			Key:         "alertDiskFreePercent",
		}
	}
	return []Rule{
		{
			Name: "NodeExporterDown", Severity: Critical, Component: Monitoring,
			Expr:        exporterDownExpr(services.NodeExporter),
			For:         exporterDownFor,
			Summary:     `node_exporter is down{{ with $labels.host }} on {{ . }}{{ end }}`,
			Description: `Prometheus cannot scrape node_exporter{{ with $labels.host }} on host {{ . }}{{ end }}: no host metrics, no backup timestamp from it. That host's host and backup alerts are inhibited meanwhile.`,
			Threshold:   "up == 0, or a reporting host without the target",
		},
		{
			Name: "HostCpuHigh", Severity: Warning, Component: Host,
			Expr:        signals.CPUBusyPercent(node, "5m") + ` > ` + num(t.CPUHighPercent),
			For:         15 * time.Minute,
			Summary:     `CPU busy on {{ $labels.host }}`,
			Description: `CPU busy at {{ $value | printf "%.1f" }}% on {{ $labels.host }} for 15 minutes (iowait and steal not counted as busy); threshold ` + num(t.CPUHighPercent) + `%.`,
			Threshold:   "CPU busy > " + num(t.CPUHighPercent) + " %",
			Key:         "alertCpuHighPercent",
		},
		{
			Name: "HostMemoryHigh", Severity: Warning, Component: Host,
			Expr:        signals.MemoryUsedPercent(node) + ` > ` + num(t.MemoryHighPercent),
			For:         10 * time.Minute,
			Summary:     `Memory nearly exhausted on {{ $labels.host }}`,
			Description: `{{ $value | printf "%.1f" }}% of memory in use (MemAvailable-based) on {{ $labels.host }}; threshold ` + num(t.MemoryHighPercent) + `%.`,
			Threshold:   "memory used > " + num(t.MemoryHighPercent) + " %",
			Key:         "alertMemoryHighPercent",
		},
		diskLow(Warning, t.DiskFreePercent, 5*time.Minute),
		diskLow(Critical, t.DiskFreePercent*diskCriticalFactor, dataAlertFor),
		{
			Name: "HostDiskFillingUp", Severity: Warning, Component: Host,
			Expr: signals.FilesystemFreePercent(fs) + fmt.Sprintf(` < %d`, diskFillFreePercent) +
				` and predict_linear(node_filesystem_avail_bytes` + fs.String() + `[6h], 24 * 3600) < 0`,
			For:         time.Hour,
			Summary:     `Disk filling up on {{ $labels.host }} ({{ $labels.mountpoint }})`,
			Description: `{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.host }} is {{ $value | printf "%.1f" }}% free and will be full within 24 hours at the rate of the last 6 hours.`,
			Threshold:   fmt.Sprintf("full within 24 h (linear over 6 h) and < %d %% free", diskFillFreePercent),
		},
		{
			Name: "HostFilesystemReadOnly", Severity: Critical, Component: Host,
			Expr:        `node_filesystem_readonly` + fs.String() + ` == 1`,
			For:         dataAlertFor,
			Summary:     `Read-only filesystem on {{ $labels.host }} ({{ $labels.mountpoint }})`,
			Description: `{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.host }} is mounted read-only, usually the kernel's reaction to an I/O error: writes (PostgreSQL, Prometheus) fail.`,
			Threshold:   "readonly == 1",
		},
		{
			Name: "HostLoadHigh", Severity: Warning, Component: Host,
			Expr:        `node_load15` + node.String() + ` / on (host, instance) ` + signals.CPUCount(node) + ` > ` + num(t.LoadPerCore),
			For:         15 * time.Minute,
			Summary:     `High load on {{ $labels.host }}`,
			Description: `15-minute load average is {{ $value | printf "%.2f" }} per core on {{ $labels.host }}; threshold ` + num(t.LoadPerCore) + `.`,
			Threshold:   "load15 per core > " + num(t.LoadPerCore),
			Key:         "alertLoadPerCore",
		},
		{
			Name: "HostOomKill", Severity: Warning, Component: Host,
			Expr:        `increase(node_vmstat_oom_kill{` + ne + `}[10m]) > 0`,
			For:         eventFor,
			Summary:     `OOM kill on {{ $labels.host }}`,
			Description: `The kernel killed about {{ $value | printf "%.0f" }} process(es) for lack of memory on {{ $labels.host }} in the last 10 minutes.`,
			Threshold:   "any OOM kill in 10 m",
		},
		{
			Name: "HostClockSkew", Severity: Warning, Component: Host,
			Expr:        `abs(node_timex_offset_seconds{` + ne + `}) > ` + num(clockOffsetSeconds),
			For:         10 * time.Minute,
			Summary:     `Clock skew on {{ $labels.host }}`,
			Description: `The clock of {{ $labels.host }} is off by {{ $value | humanizeDuration }}; threshold ` + num(clockOffsetSeconds) + ` s. TLS, token expiry and log ordering depend on it.`,
			Threshold:   "|offset| > " + num(clockOffsetSeconds) + " s",
		},
		{
			Name: "HostClockNotSynchronised", Severity: Warning, Component: Host,
			Expr:        `min_over_time(node_timex_sync_status{` + ne + `}[5m]) == 0`,
			For:         10 * time.Minute,
			Summary:     `Clock not synchronised on {{ $labels.host }}`,
			Description: `The kernel reports the clock of {{ $labels.host }} as unsynchronised (NTP not running or unreachable).`,
			Threshold:   "sync_status == 0",
		},
		{
			Name: "HostRebooted", Severity: Info, Component: Host,
			Expr:        `time() - node_boot_time_seconds{` + ne + `} < ` + num(rebootWindow.Seconds()),
			Summary:     `{{ $labels.host }} rebooted`,
			Description: `{{ $labels.host }} booted {{ $value | humanizeDuration }} ago.`,
			Threshold:   "uptime < 15 m",
		},
	}
}

func containerRules(critical []string, t config.Thresholds) []Rule {
	ca := job(services.Cadvisor)
	named := `{` + ca + `,name!=""}`
	rules := []Rule{
		{
			// Distinct from a missing container: the exporter is down, so
			// every container alert is inhibited until it is back.
			Name: "CadvisorDown", Severity: Warning, Component: Monitoring,
			Expr:        exporterDownExpr(services.Cadvisor),
			For:         exporterDownFor,
			Summary:     `cAdvisor is down{{ with $labels.host }} on {{ . }}{{ end }}`,
			Description: `Prometheus cannot scrape cAdvisor{{ with $labels.host }} on host {{ . }}{{ end }}: no container metrics from it. That host's container alerts are inhibited meanwhile.`,
			Threshold:   "up == 0, or a reporting host without the target",
		},
		{
			// Docker restarts a crashing container in place: same cgroup,
			// same series, a new start time at every restart.
			Name: "ContainerRestarting", Severity: Warning, Component: Container,
			Expr:        `changes(container_start_time_seconds` + named + `[15m]) >= ` + num(containerRestarts),
			For:         eventFor,
			Summary:     `Container {{ $labels.name }} is restarting{{ with $labels.host }} on {{ . }}{{ end }}`,
			Description: `Container {{ $labels.name }} restarted {{ $value }} times in the last 15 minutes (crash loop?).`,
			Threshold:   fmt.Sprintf(">= %d restarts in 15 m", containerRestarts),
		},
		{
			// Containers without a limit report 0 and are left out.
			Name: "ContainerMemoryNearLimit", Severity: Warning, Component: Container,
			Expr:        signals.ContainerMemoryPercentOfLimit(signals.Of(services.Cadvisor).With(`name!=""`)) + ` > ` + num(t.ContainerMemoryPercent),
			For:         10 * time.Minute,
			Summary:     `Container {{ $labels.name }} near its memory limit{{ with $labels.host }} on {{ . }}{{ end }}`,
			Description: `Container {{ $labels.name }} uses {{ $value | printf "%.1f" }}% of its memory limit; at 100% the kernel OOM-kills it.`,
			Threshold:   "working set > " + num(t.ContainerMemoryPercent) + " % of limit",
			Key:         "alertContainerMemoryPercent",
		},
		{
			Name: "ContainerCpuThrottled", Severity: Warning, Component: Container,
			Expr: `100 * sum by (host, instance, name) (rate(container_cpu_cfs_throttled_periods_total` + named + `[5m]))` +
				` / sum by (host, instance, name) (rate(container_cpu_cfs_periods_total` + named + `[5m])) > ` + num(containerThrottled),
			For:         15 * time.Minute,
			Summary:     `Container {{ $labels.name }} CPU-throttled{{ with $labels.host }} on {{ . }}{{ end }}`,
			Description: `Container {{ $labels.name }} was throttled in {{ $value | printf "%.1f" }}% of its CPU periods over 15 minutes: its CPU limit is too low for its load.`,
			Threshold:   fmt.Sprintf("> %d %% of CFS periods throttled", containerThrottled),
		},
	}
	if len(critical) == 0 {
		return rules
	}
	// One branch per container: a stale last-seen time (stopped, but cAdvisor
	// still lists it), per host, or no series on any host (removed, renamed,
	// never started) while every host's cAdvisor answers. criticalContainers
	// names containers, not hosts: a container may run on any host, so
	// "absent" can only mean absent everywhere. Names are validated by
	// config ([A-Za-z0-9_.-]), safe inside quotes.
	var branches []string
	for _, n := range critical {
		sel := `{` + ca + `,name="` + n + `"}`
		branches = append(branches,
			fmt.Sprintf(`(time() - max by (host, name) (container_last_seen%s) > %d)`, sel, containerSeenSeconds),
			`(absent(container_last_seen{name="`+n+`"}) and `+everywhereUp(services.Cadvisor)+`)`)
	}
	missing := Rule{
		Name: "ContainerMissing", Severity: Critical, Component: Container,
		Expr:        strings.Join(branches, " or "),
		For:         dataAlertFor,
		Summary:     `Critical container {{ $labels.name }} is missing{{ with $labels.host }} on {{ . }}{{ end }}`,
		Description: `Container {{ $labels.name }} is not running: cAdvisor{{ with $labels.host }} on {{ . }}{{ end }} has not seen it for over ` + fmt.Sprint(containerSeenSeconds) + ` seconds{{ if not $labels.host }}, or no host's cAdvisor ever did{{ end }} (stopped, removed or renamed).`,
		Threshold:   fmt.Sprintf("not seen for %d s, or absent", containerSeenSeconds),
		Key:         "criticalContainers",
	}
	return append([]Rule{missing}, rules...)
}

func postgresRules(t config.Thresholds) []Rule {
	pe := job(services.PostgresExporter)
	pg := signals.Of(services.PostgresExporter)
	byDB := func(metric string) string {
		return `sum by (host, instance, datname) (rate(` + metric + `{` + pe + `}[10m]))`
	}
	return []Rule{
		{
			Name: "PostgresExporterDown", Severity: Critical, Component: Postgres,
			Expr:        `up{` + pe + `} == 0 or absent(up{` + pe + `})`,
			For:         exporterDownFor,
			Summary:     `postgres_exporter is down`,
			Description: `Prometheus cannot scrape postgres_exporter: the state of PostgreSQL is unknown. The other PostgreSQL alerts are inhibited meanwhile.`,
			Threshold:   "up == 0 or no series",
		},
		{
			// Only what the exporter reports: with the exporter gone pg_up
			// has no series, and that is PostgresExporterDown's alert, not
			// a claim about the database.
			Name: "PostgresDown", Severity: Critical, Component: Postgres,
			Expr:        `pg_up{` + pe + `} == 0`,
			For:         dataAlertFor,
			Summary:     `PostgreSQL is down`,
			Description: `postgres_exporter answers but cannot connect to PostgreSQL (pg_up is 0): the application has no database.`,
			Threshold:   "pg_up == 0",
		},
		{
			Name: "PostgresTooManyConnections", Severity: Warning, Component: Postgres,
			Expr:        signals.PgConnectionsPercent(pg) + ` > ` + num(t.PgConnectionsPercent),
			For:         5 * time.Minute,
			Summary:     `PostgreSQL connections near max_connections`,
			Description: `{{ $value | printf "%.1f" }}% of max_connections in use on {{ $labels.instance }}; threshold ` + num(t.PgConnectionsPercent) + `%. New connections are refused at 100%.`,
			Threshold:   "connections > " + num(t.PgConnectionsPercent) + " % of max_connections",
			Key:         "alertPgConnectionsPercent",
		},
		{
			Name: "PostgresDeadlocks", Severity: Warning, Component: Postgres,
			Expr:        `increase(pg_stat_database_deadlocks{` + pe + `}[10m]) > 0`,
			For:         eventFor,
			Summary:     `Deadlocks in database {{ $labels.datname }}`,
			Description: `About {{ $value | printf "%.0f" }} deadlock(s) in database {{ $labels.datname }} in the last 10 minutes: PostgreSQL aborted the transactions involved.`,
			Threshold:   "any deadlock in 10 m",
		},
		{
			Name: "PostgresLongRunningTransaction", Severity: Warning, Component: Postgres,
			Expr:        signals.PgLongestTransactionSeconds(pg) + ` > ` + num(t.PgLongTxSeconds),
			For:         2 * time.Minute,
			Summary:     `Long-running transaction in database {{ $labels.datname }}`,
			Description: `A transaction in database {{ $labels.datname }} has been open for {{ $value | humanizeDuration }}: it holds locks and blocks vacuum.`,
			Threshold:   "a transaction open > " + num(t.PgLongTxSeconds) + " s",
			Key:         "alertPgLongTransactionSeconds",
		},
		{
			Name: "PostgresLowCacheHitRatio", Severity: Warning, Component: Postgres,
			Expr: `100 * ` + byDB("pg_stat_database_blks_hit") +
				` / (` + byDB("pg_stat_database_blks_hit") + ` + ` + byDB("pg_stat_database_blks_read") + `) < ` + num(pgCacheHitPercent) +
				` and ` + byDB("pg_stat_database_blks_read") + ` > ` + num(pgMinBlockReads),
			For:         30 * time.Minute,
			Summary:     `Low cache hit ratio in database {{ $labels.datname }}`,
			Description: `Only {{ $value | printf "%.1f" }}% of block reads in database {{ $labels.datname }} hit shared_buffers over 30 minutes: shared_buffers or memory is too small for the working set.`,
			Threshold:   fmt.Sprintf("hit ratio < %d %% (with > %d disk reads/s)", pgCacheHitPercent, pgMinBlockReads),
		},
		{
			// Needs postgres_exporter's --collector.stat_statements and the
			// pg_stat_statements extension; without them the rule is quiet.
			Name: "PostgresSlowQueries", Severity: Warning, Component: Postgres,
			Expr:        signals.PgMeanStatementMs(pg, "10m") + ` > ` + num(t.PgSlowQueryMs),
			For:         15 * time.Minute,
			Summary:     `Slow queries in database {{ $labels.datname }}`,
			Description: `Mean statement time in database {{ $labels.datname }} is {{ $value | printf "%.0f" }} ms over 10 minutes; threshold ` + num(t.PgSlowQueryMs) + ` ms.`,
			Threshold:   "mean statement time > " + num(t.PgSlowQueryMs) + " ms",
			Key:         "alertPgSlowQueryMs",
		},
	}
}

func appRules(t config.Thresholds) []Rule {
	tr := job(services.Traefik)
	traefik := signals.Of(services.Traefik)
	busy := ` and ` + signals.HTTPRequestRate(traefik, "5m") + ` > ` + num(minRequestRate)
	// max by (cn): after a renewal Traefik may list the old certificate
	// until it reloads; the newest one for a name is what clients get.
	certDays := `(max by (cn) (traefik_tls_certs_not_after{` + tr + `}) - time()) / 86400`
	cert := func(sev string, days int) Rule {
		return Rule{
			Name: "TlsCertificateExpiring", Severity: sev, Component: App,
			Expr:        fmt.Sprintf(`%s < %d`, certDays, days),
			For:         15 * time.Minute,
			Summary:     `TLS certificate for {{ $labels.cn }} expires soon`,
			Description: `The certificate Traefik serves for {{ $labels.cn }} expires in {{ $value | printf "%.1f" }} days; ` + sev + fmt.Sprintf(` under %d days. Automatic renewal is failing.`, days),
			Threshold:   fmt.Sprintf("expires in < %d days", days),
		}
	}
	return []Rule{
		{
			Name: "BackendDown", Severity: Critical, Component: App,
			Expr:        `up{` + job(services.Backend) + `} == 0 or absent(up{` + job(services.Backend) + `})`,
			For:         2 * time.Minute,
			Summary:     `KoproGo backend is down`,
			Description: `Prometheus cannot reach the backend's metrics endpoint: the backend is down or unreachable on the application network.`,
			Threshold:   "up == 0 or no series",
		},
		{
			Name: "HttpErrorRateHigh", Severity: Critical, Component: App,
			Expr:        signals.HTTP5xxPercent(traefik, "5m") + ` > ` + num(t.HTTP5xxPercent) + busy,
			For:         5 * time.Minute,
			Summary:     `High 5xx rate on {{ $labels.service }}`,
			Description: `{{ $value | printf "%.1f" }}% of requests to Traefik service {{ $labels.service }} fail with 5xx; threshold ` + num(t.HTTP5xxPercent) + `%.`,
			Threshold:   "5xx > " + num(t.HTTP5xxPercent) + " % of requests (with > " + num(minRequestRate) + " req/s)",
			Key:         "alertHttp5xxPercent",
		},
		{
			// Traefik's default buckets are 0.1, 0.3, 1.2 and 5 s: the p99 is
			// interpolated between them, good enough to see a target missed.
			Name: "HttpLatencyP99High", Severity: Warning, Component: App,
			Expr:        signals.HTTPLatencyMs(0.99, traefik, "service", "5m") + ` > ` + num(t.HTTPP99Ms) + busy,
			For:         10 * time.Minute,
			Summary:     `Slow responses on {{ $labels.service }}`,
			Description: `p99 latency of Traefik service {{ $labels.service }} is {{ $value | printf "%.0f" }} ms; target ` + num(t.HTTPP99Ms) + ` ms.`,
			Threshold:   "p99 > " + num(t.HTTPP99Ms) + " ms (with > " + num(minRequestRate) + " req/s)",
			Key:         "alertHttpP99Ms",
		},
		cert(Warning, tlsWarningDays),
		cert(Critical, tlsCriticalDays),
	}
}

func backupRules(t config.Thresholds) []Rule {
	node := signals.Of(services.NodeExporter)
	return []Rule{{
		// The reason label tells the two cases apart in the notification.
		// The backup job may run on any host: too_old is per host, but a
		// missing metric is missing from every host, and counts only while
		// every host's node_exporter answers (else NodeExporterDown or
		// HostNotReporting, per host, says why).
		Name: "BackupTooOld", Severity: Critical, Component: Backup,
		Expr: `label_replace(` + signals.BackupAgeHours(node) + ` > ` + num(t.BackupMaxAgeHours) + `, "reason", "too_old", "", "")` +
			` or label_replace(absent(koprogo_last_backup_timestamp_seconds` + node.String() + `) and ` + everywhereUp(services.NodeExporter) + `, "reason", "metric_missing", "", "")`,
		For:     30 * time.Minute,
		Summary: `Last successful backup is too old`,
		Description: `{{ if eq $labels.reason "metric_missing" }}No koprogo_last_backup_timestamp_seconds metric on any host: the backup job never wrote it to the node_exporter textfile directory, or the file is gone.` +
			`{{ else }}The last successful backup on {{ $labels.host }} finished {{ $value | printf "%.1f" }} hours ago; limit ` + num(t.BackupMaxAgeHours) + ` hours.{{ end }}`,
		Threshold: "last success > " + num(t.BackupMaxAgeHours) + " h ago, or no metric",
		Key:       "alertBackupMaxAgeHours",
	}}
}

// dedicatedDown are jobs with their own "down" alert (which also fires when
// the job has no series at all); TargetDown and JobMissing cover the rest.
var dedicatedDown = []services.Name{services.NodeExporter, services.Cadvisor, services.PostgresExporter, services.Backend, services.Loki, services.Alloy}

func monitoringRules() []Rule {
	var skip, missing []string
	for _, s := range dedicatedDown {
		skip = append(skip, string(s))
	}
	for _, j := range services.Jobs() {
		if !slices.Contains(dedicatedDown, j) {
			missing = append(missing, `absent(up{`+job(j)+`})`)
		}
	}
	pr := job(services.Prometheus)
	am := job(services.Alertmanager)
	// Loki runs on the central host only, and Alloy on every host only
	// when logEndpoints is set: a host without the target is not a fault,
	// so absent() here means no target on any host; a target that is down
	// is named with its host.
	down := func(name string, svc services.Name, what, effect string) Rule {
		return Rule{
			Name: name, Severity: Warning, Component: Monitoring,
			Expr:        `up{` + job(svc) + `} == 0 or absent(up{` + job(svc) + `})`,
			For:         5 * time.Minute,
			Summary:     what + ` is down{{ with $labels.host }} on {{ . }}{{ end }}`,
			Description: `Prometheus cannot scrape ` + what + `: ` + effect,
			Threshold:   "up == 0 or no series",
		}
	}
	return []Rule{
		{
			// Always firing: the dead-man switch. Its absence at the
			// receiving end means the alerting pipeline is broken.
			Name: Watchdog, Severity: None, Component: Monitoring,
			Expr:        `vector(1)`,
			Summary:     `Alerting pipeline heartbeat`,
			Description: `Always firing. It is sent to the dead-man switch, never to people; if the switch stops receiving it, Prometheus, Alertmanager or the host is down.`,
			Threshold:   "always",
		},
		{
			Name: "TargetDown", Severity: Warning, Component: Monitoring,
			Expr:        `up{job!~"` + strings.Join(skip, "|") + `"} == 0`,
			For:         5 * time.Minute,
			Summary:     `Scrape target {{ $labels.job }} is down`,
			Description: `Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}{{ with $labels.host }} on host {{ . }}{{ end }} for 5 minutes.`,
			Threshold:   "up == 0 (jobs without their own alert)",
		},
		down("LokiDown", services.Loki, "Loki", "logs are not stored and Grafana's log panels are empty."),
		down("AlloyDown", services.Alloy, "Alloy", "container and host logs are not shipped to Loki."),
		{
			// A job Prometheus does not scrape at all has no up series, so
			// TargetDown (up == 0) never sees it: a job renamed in the
			// scrape configuration, or a target dropped by relabelling.
			Name: "JobMissing", Severity: Warning, Component: Monitoring,
			Expr:        strings.Join(missing, " or "),
			For:         5 * time.Minute,
			Summary:     `Prometheus scrapes no target of job {{ $labels.job }}`,
			Description: `Prometheus has no up series for job {{ $labels.job }}: nothing of it is scraped, so none of its alerts can fire.`,
			Threshold:   "no up series for the job",
		},
		{
			// Fails every other scrape: never down for 5 minutes in a row,
			// so TargetDown stays quiet while panels have gaps and rate()
			// alerts see half their samples.
			Name: "TargetFlapping", Severity: Warning, Component: Monitoring,
			Expr:        `changes(up[30m]) >= ` + num(flappingChanges),
			For:         5 * time.Minute,
			Summary:     `Scrape target {{ $labels.job }} is flapping`,
			Description: `{{ $labels.job }} at {{ $labels.instance }}{{ with $labels.host }} on host {{ . }}{{ end }} went down and up {{ $value | printf "%.0f" }} times in 30 minutes (up changed that often): it restarts, or its scrapes time out.`,
			Threshold:   fmt.Sprintf(">= %d changes of up in 30 m", flappingChanges),
		},
		{
			// Answers, but with nothing in it: a wrong metrics path behind a
			// proxy, or metrics turned off in the application.
			Name: "ScrapeReturnsNothing", Severity: Warning, Component: Monitoring,
			// on host too: every host has a node-exporter:9100.
			Expr:        `scrape_samples_scraped == 0 and on (host, job, instance) up == 1`,
			For:         10 * time.Minute,
			Summary:     `Scrape target {{ $labels.job }} returns no metrics`,
			Description: `{{ $labels.job }} at {{ $labels.instance }}{{ with $labels.host }} on host {{ . }}{{ end }} answers its scrapes with no sample at all: its dashboards are empty and its alerts cannot fire.`,
			Threshold:   "scrape returns 0 samples",
		},
		{
			Name: "PrometheusNotificationsFailing", Severity: Warning, Component: Monitoring,
			// No Alertmanager counts only for a Prometheus that evaluates
			// rules: an agent host's Prometheus has neither, by design.
			Expr: `increase(prometheus_notifications_errors_total{` + pr + `}[10m]) > 0` +
				` or (prometheus_notifications_alertmanagers_discovered{` + pr + `} < 1` +
				` and on (host, instance) prometheus_rule_group_rules{` + pr + `})`,
			For:         10 * time.Minute,
			Summary:     `Prometheus cannot send alerts to Alertmanager`,
			Description: `Prometheus fails to send alerts to Alertmanager, or has none to send them to: alerts fire but nobody is told. This e-mail may never arrive; the dead-man switch then reports it.`,
			Threshold:   "send errors in 10 m, or no Alertmanager",
		},
		{
			Name: "PrometheusRuleGroupsMissed", Severity: Warning, Component: Monitoring,
			Expr:        `increase(prometheus_rule_group_iterations_missed_total{` + pr + `}[30m]) > 0`,
			For:         eventFor,
			Summary:     `Prometheus skipped rule evaluations`,
			Description: `Rule group {{ $labels.rule_group }} missed {{ $value | printf "%.0f" }} evaluation(s) in 30 minutes (an evaluation took longer than the interval): its alerts fire late or not at all.`,
			Threshold:   "any missed iteration in 30 m",
		},
		{
			// The central Prometheus's queues to the engines (and, once
			// their samples arrive, the agents' queues to it). Samples an
			// engine refuses are dropped for good; an engine that does not
			// answer keeps them waiting in the WAL. The second branch
			// compares what was appended with what the queue has sent:
			// prometheus_remote_storage_highest_timestamp_in_seconds is
			// deprecated but is the one set on append, while the queue's
			// own highest timestamp stops with the queue when it blocks.
			Name: "PrometheusRemoteWriteFailing", Severity: Warning, Component: Monitoring,
			Expr: `label_replace(increase(prometheus_remote_storage_samples_failed_total{` + pr + `}[5m]) > 0, "reason", "dropped", "", "")` +
				` or label_replace(prometheus_remote_storage_highest_timestamp_in_seconds{` + pr + `}` +
				` - ignoring (remote_name, url) group_right prometheus_remote_storage_queue_highest_sent_timestamp_seconds{` + pr + `}` +
				` > ` + num(remoteWriteBehind.Seconds()) + `, "reason", "behind", "", "")`,
			For:     remoteWriteBehindFor,
			Summary: `Remote write to {{ $labels.remote_name }} failing`,
			Description: `{{ if eq $labels.reason "dropped" }}Prometheus on {{ $labels.host }} dropped about {{ $value | printf "%.0f" }} sample(s) in 5 minutes that {{ $labels.url }} refused: they are lost for that engine.` +
				`{{ else }}Remote write from {{ $labels.host }} to {{ $labels.url }} is {{ $value | humanizeDuration }} behind: the engine is unreachable, refuses the credentials or is too slow. The samples wait in the write-ahead log and are sent once it accepts them again.{{ end }}`,
			Threshold: fmt.Sprintf("samples dropped in 5 m, or sending > %d s behind", int(remoteWriteBehind.Seconds())),
		},
		{
			// An agent host that stops sending raises nothing else: its
			// series, and so its alerts, simply stop (knownHosts: each
			// host's Prometheus's own up series is its heartbeat).
			Name: "HostNotReporting", Severity: Warning, Component: Monitoring,
			Expr:        knownHosts() + ` unless group by (host) (up{` + pr + `})`,
			For:         hostSilentAfter,
			Summary:     `No metrics from host {{ $labels.host }}`,
			Description: `Nothing has arrived from host {{ $labels.host }} for 10 minutes: its agent is down or cannot remote-write to the central Prometheus, so none of its alerts can fire. Its agent keeps what it scrapes in its write-ahead log and sends it once it reaches the receiver again.`,
			Threshold:   "a host seen in 24 h sends nothing for 10 m",
		},
		{
			Name: "PrometheusRuleEvaluationFailures", Severity: Warning, Component: Monitoring,
			Expr:        `increase(prometheus_rule_evaluation_failures_total{` + pr + `}[10m]) > 0`,
			Summary:     `Prometheus rule evaluations failing`,
			Description: `{{ $value | printf "%.0f" }} evaluation failure(s) of rule group {{ $labels.rule_group }} in 10 minutes: some alerts may never fire.`,
			Threshold:   "any failure in 10 m",
		},
		{
			Name: "PrometheusConfigReloadFailed", Severity: Warning, Component: Monitoring,
			Expr:        `prometheus_config_last_reload_successful{` + pr + `} == 0`,
			For:         5 * time.Minute,
			Summary:     `Prometheus configuration reload failed`,
			Description: `Prometheus could not load its configuration or rule files; it keeps running the previous ones.`,
			Threshold:   "last reload unsuccessful",
		},
		{
			Name: "AlertmanagerConfigReloadFailed", Severity: Warning, Component: Monitoring,
			Expr:        `alertmanager_config_last_reload_successful{` + am + `} == 0`,
			For:         5 * time.Minute,
			Summary:     `Alertmanager configuration reload failed`,
			Description: `Alertmanager could not load its configuration; it keeps running the previous one.`,
			Threshold:   "last reload unsuccessful",
		},
		{
			// Held: one SMTP hiccup that the retry delivers is not a page.
			Name: "AlertmanagerNotificationsFailing", Severity: Critical, Component: Monitoring,
			Expr:        `sum by (host, instance, integration) (increase(alertmanager_notifications_failed_total{` + am + `}[5m])) > 0`,
			For:         10 * time.Minute,
			Summary:     `Alertmanager cannot deliver {{ $labels.integration }} notifications`,
			Description: `{{ $labels.integration }} notifications have kept failing for 10 minutes ({{ $value | printf "%.0f" }} in the last 5). If e-mail itself is failing this message may only be visible in the Alertmanager UI.`,
			Threshold:   "failures in every 5 m for 10 m",
		},
		{
			Name: "PrometheusTsdbCompactionsFailing", Severity: Warning, Component: Monitoring,
			Expr:        `increase(prometheus_tsdb_compactions_failed_total{` + pr + `}[6h]) > 0`,
			Summary:     `Prometheus TSDB compactions failing`,
			Description: `{{ $value | printf "%.0f" }} failed compaction(s) in 6 hours: the head block grows, memory and disk use rise.`,
			Threshold:   "any failure in 6 h",
		},
		{
			Name: "PrometheusTsdbWalCorruptions", Severity: Warning, Component: Monitoring,
			Expr:        `increase(prometheus_tsdb_wal_corruptions_total{` + pr + `}[6h]) > 0`,
			Summary:     `Prometheus WAL corruption`,
			Description: `Prometheus found {{ $value | printf "%.0f" }} corruption(s) in its write-ahead log in 6 hours (unclean shutdown or disk trouble); some recent samples are lost.`,
			Threshold:   "any corruption in 6 h",
		},
		{
			// Size-based retention counts blocks, WAL and head chunks; the
			// limit is the --storage.tsdb.retention.size flag (0 = none).
			Name: "PrometheusStorageNearCap", Severity: Warning, Component: Monitoring,
			Expr: `100 * (prometheus_tsdb_storage_blocks_bytes{` + pr + `} + prometheus_tsdb_wal_storage_size_bytes{` + pr + `} + prometheus_tsdb_head_chunks_storage_size_bytes{` + pr + `})` +
				` / (prometheus_tsdb_retention_limit_bytes{` + pr + `} > 0) > ` + num(promStoragePercent),
			For:         time.Hour,
			Summary:     `Prometheus storage near its size cap`,
			Description: `Prometheus storage is at {{ $value | printf "%.1f" }}% of its size cap: the oldest blocks are deleted before the retention time is reached.`,
			Threshold:   fmt.Sprintf("> %d %% of metricsRetentionSize", promStoragePercent),
		},
	}
}

// logRules watch what happens to logs between the containers and Loki's
// disk: lines lost on the way (Alloy gave up, Loki refused), lines cut, and
// the disk the retained logs take against lokiDiskBudgetGb.
func logRules(l config.LogStorage) []Rule {
	loki, alloy := signals.Of(services.Loki), signals.Of(services.Alloy)
	budget := l.BudgetBytes()
	budgetText := fmt.Sprintf("%d GiB (lokiDiskBudgetGb)", l.BudgetGiB)
	return []Rule{
		{
			Name: "LokiDiskBudgetNearlyUsed", Severity: Warning, Component: Monitoring,
			Expr:        signals.LokiStoredPercentOfBudget(loki, l.Days, budget) + ` > ` + num(signals.LokiBudgetWarnPercent),
			For:         time.Hour,
			Summary:     `Loki's logs nearly fill their disk budget`,
			Description: fmt.Sprintf(`The log chunks Loki stored over the last %d days (its retention) take {{ $value | printf "%%.0f" }}%% of the budget of %s. Loki has no size limit: past the budget it keeps writing until the host disk is full.`, l.Days, budgetText),
			Threshold:   fmt.Sprintf("chunks stored over logRetentionDays > %d %% of lokiDiskBudgetGb", signals.LokiBudgetWarnPercent),
			Key:         "lokiDiskBudgetGb",
		},
		{
			Name: "LokiDiskBudgetOutgrown", Severity: Warning, Component: Monitoring,
			Expr:        signals.LokiProjectedPercentOfBudget(loki, lokiGrowthWindow, l.Days, budget) + ` > 100`,
			For:         3 * time.Hour,
			Summary:     `Logs arrive faster than Loki's disk budget allows`,
			Description: fmt.Sprintf(`At the rate of the last %s, %d days of logs would take {{ $value | printf "%%.0f" }}%% of the budget of %s: within the retention, Loki's volume will outgrow it.`, lokiGrowthWindow, l.Days, budgetText),
			Threshold:   fmt.Sprintf("%d days at the rate of the last %s > lokiDiskBudgetGb", l.Days, lokiGrowthWindow),
			Key:         "lokiDiskBudgetGb",
		},
		{
			Name: "LokiLinesRefused", Severity: Warning, Component: Monitoring,
			Expr:        signals.LokiRefusedLines(loki, "10m") + ` > 0`,
			Summary:     `Loki refused log lines ({{ $labels.reason }})`,
			Description: `Loki refused about {{ $value | printf "%.0f" }} line(s) in 10 minutes for reason {{ $labels.reason }}: they are lost (too old, too far behind newer lines of their stream, in the future, too many streams). Rate-limited lines are not counted: clients retry them.`,
			Threshold:   "any line refused in 10 m, rate limits excepted",
		},
		{
			Name: "AlloyLogsDropped", Severity: Warning, Component: Monitoring,
			Expr:        signals.AlloyDroppedEntries(alloy, "10m") + ` > 0`,
			Summary:     `Alloy on {{ $labels.host }} dropped log entries for {{ $labels.exported_host }}`,
			Description: `Alloy on {{ $labels.host }} gave up sending about {{ $value | printf "%.0f" }} log entries to {{ $labels.exported_host }} in 10 minutes (reason {{ $labels.reason }}): they are lost. Refused by Loki (see LokiLinesRefused), or the endpoint was unreachable through every retry.`,
			Threshold:   "any entry dropped in 10 m",
		},
		{
			// Not a page: the line is kept, cut, and says so.
			Name: "LogLinesTruncated", Severity: Info, Component: Monitoring,
			Expr:        signals.AlloyTruncatedLines(alloy, "1h") + ` > 0 or ` + signals.LokiTruncatedLines(loki, "1h") + ` > 0`,
			Summary:     `Log lines over the line limit were truncated`,
			Description: `About {{ $value | printf "%.0f" }} line(s) over 256 KB were cut in the last hour by {{ $labels.instance }}{{ with $labels.host }} on {{ . }}{{ end }}; each ends with "[truncated]".`,
			Threshold:   "any line truncated in 1 h",
		},
	}
}
