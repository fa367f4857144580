package config

// Key describes one stack configuration key. The table below is the single
// source of truth: the loader reads exactly these keys, and a test checks that
// the README's configuration table lists the same keys, defaults and meanings.
type Key struct {
	Name    string
	Default string // rendered default ("" = none)
	Secret  bool   // must be set with `pulumi config set --secret`
	Doc     string
}

// Keys lists every configuration key the program reads, in README order.
var Keys = []Key{
	// Where to deploy.
	{Name: "dockerHost", Default: "", Doc: "Docker engine to deploy to: `ssh://user@host[:port]`, `unix:///path/to/docker.sock`, or empty for the local socket."},
	{Name: "dockerSshOpts", Default: "[]", Doc: "Extra `ssh` options for an `ssh://` host, as a JSON list (e.g. `[\"-i\",\"~/.ssh/vps\",\"-o\",\"StrictHostKeyChecking=yes\"]`)."},
	{Name: "bindAddress", Default: "127.0.0.1", Doc: "Host address every published port binds to. Keep 127.0.0.1 and reach the UIs through an SSH tunnel; anything else exposes them."},
	{Name: "namePrefix", Default: "koprogo-mon", Doc: "Prefix of every container, volume and network name (lets two stacks share one host)."},
	{Name: "appNetwork", Default: "koprogo", Doc: "Existing Docker network of the application (Traefik, backend, PostgreSQL) that Prometheus and the PostgreSQL exporter join. Empty: do not join."},

	// Images, pinned.
	{Name: "prometheusImage", Default: DefaultImages.Prometheus, Doc: "Prometheus image (explicit tag or digest; `latest` is refused)."},
	{Name: "alertmanagerImage", Default: DefaultImages.Alertmanager, Doc: "Alertmanager image."},
	{Name: "grafanaImage", Default: DefaultImages.Grafana, Doc: "Grafana image."},
	{Name: "lokiImage", Default: DefaultImages.Loki, Doc: "Loki image."},
	{Name: "alloyImage", Default: DefaultImages.Alloy, Doc: "Grafana Alloy image (log shipper; Promtail reached end of life on 2026-03-02)."},
	{Name: "nodeExporterImage", Default: DefaultImages.NodeExporter, Doc: "node_exporter image."},
	{Name: "postgresExporterImage", Default: DefaultImages.PostgresExporter, Doc: "postgres_exporter image."},
	{Name: "cadvisorImage", Default: DefaultImages.Cadvisor, Doc: "cAdvisor image."},

	// Host ports (bound to bindAddress).
	{Name: "grafanaPort", Default: "3001", Doc: "Host port of Grafana."},
	{Name: "prometheusPort", Default: "9090", Doc: "Host port of Prometheus."},
	{Name: "alertmanagerPort", Default: "9093", Doc: "Host port of Alertmanager."},
	{Name: "lokiPort", Default: "3100", Doc: "Host port of Loki."},
	{Name: "alloyPort", Default: "12345", Doc: "Host port of Alloy's HTTP server (UI, metrics)."},
	{Name: "nodeExporterPort", Default: "9100", Doc: "Host port of node_exporter."},
	{Name: "postgresExporterPort", Default: "9187", Doc: "Host port of postgres_exporter."},
	{Name: "cadvisorPort", Default: "8082", Doc: "Host port of cAdvisor."},

	// Retention.
	{Name: "metricsRetentionTime", Default: "30d", Doc: "Prometheus `--storage.tsdb.retention.time` (Prometheus duration)."},
	{Name: "metricsRetentionSize", Default: "8GB", Doc: "Prometheus `--storage.tsdb.retention.size` cap (e.g. `8GB`); the oldest blocks go first when it is reached."},
	{Name: "logRetentionDays", Default: "7", Doc: "Days Loki keeps logs before its compactor deletes them."},
	{Name: "protectVolumes", Default: "true", Doc: "Mark data volumes `protect` so `pulumi destroy` refuses to delete them (they are retained on delete either way)."},

	// Memory limits (MiB).
	{Name: "prometheusMemoryMb", Default: "512", Doc: "Memory limit of Prometheus, MiB."},
	{Name: "alertmanagerMemoryMb", Default: "64", Doc: "Memory limit of Alertmanager, MiB."},
	{Name: "grafanaMemoryMb", Default: "256", Doc: "Memory limit of Grafana, MiB."},
	{Name: "lokiMemoryMb", Default: "384", Doc: "Memory limit of Loki, MiB."},
	{Name: "alloyMemoryMb", Default: "192", Doc: "Memory limit of Alloy, MiB."},
	{Name: "nodeExporterMemoryMb", Default: "48", Doc: "Memory limit of node_exporter, MiB."},
	{Name: "postgresExporterMemoryMb", Default: "48", Doc: "Memory limit of postgres_exporter, MiB."},
	{Name: "cadvisorMemoryMb", Default: "128", Doc: "Memory limit of cAdvisor, MiB."},
	{Name: "memoryBudgetMb", Default: "1792", Doc: "Upper bound for the sum of all memory limits, MiB; validation fails above it."},

	// Scrape targets of the application.
	{Name: "traefikMetricsTarget", Default: "traefik:8082", Doc: "`host:port` of Traefik's Prometheus metrics entrypoint on appNetwork."},
	{Name: "backendMetricsTarget", Default: "backend:8080", Doc: "`host:port` of the KoproGo backend on appNetwork."},
	{Name: "backendMetricsPath", Default: "/metrics", Doc: "HTTP path of the backend's metrics."},
	{Name: "nodeTextfileHostDir", Default: "/var/lib/node_exporter/textfile", Doc: "Host directory the backup job writes `*.prom` files to (`koprogo_last_backup_timestamp_seconds`); node_exporter mounts it read-only for its textfile collector. Absolute path, no `..`."},
	{Name: "criticalContainers", Default: "postgres,backend,traefik", Doc: "Comma-separated container names whose absence is a critical alert."},
	{Name: "postgresDsn", Secret: true, Doc: "PostgreSQL DSN for postgres_exporter (`postgresql://user:pass@host:5432/db?sslmode=...`). Required."},

	// Alerting.
	{Name: "alertsEnabled", Default: "true", Doc: "Send alert e-mails. When true, the smtp* keys are required."},
	{Name: "smtpHost", Default: "", Doc: "SMTP server host name."},
	{Name: "smtpPort", Default: "587", Doc: "SMTP port (587 STARTTLS or 465 implicit TLS; TLS is always required)."},
	{Name: "smtpFrom", Default: "", Doc: "Sender address of alert e-mails."},
	{Name: "smtpTo", Default: "", Doc: "Comma-separated recipients of alert e-mails."},
	{Name: "smtpUsername", Default: "", Doc: "SMTP login (empty: no authentication)."},
	{Name: "smtpPassword", Secret: true, Doc: "SMTP password. Required when smtpUsername is set."},
	{Name: "deadMansSwitchUrl", Secret: true, Doc: "Optional URL pinged by the always-firing Watchdog alert (healthchecks-style dead-man switch)."},

	// Grafana.
	{Name: "grafanaAdminUser", Default: "admin", Doc: "Grafana admin login."},
	{Name: "grafanaAdminPassword", Secret: true, Doc: "Grafana admin password, at least 20 characters. Generated (and exported as a secret) when unset."},
	{Name: "grafanaRootUrl", Default: "http://localhost:3001/", Doc: "Public URL of Grafana as users reach it (`GF_SERVER_ROOT_URL`)."},
	{Name: "grafanaApiUrl", Default: "http://127.0.0.1:3001", Doc: "URL where `pulumi up` reaches Grafana's HTTP API (by default the local end of the SSH tunnel, which `sshTunnel` opens on grafanaPort)."},
	{Name: "grafanaManageContent", Default: "true", Doc: "Push datasources and dashboards through the Grafana provider. Set false for a first bootstrap when the API is not reachable yet."},

	// Alert thresholds.
	{Name: "alertCpuHighPercent", Default: "85", Doc: "Host CPU busy percentage (iowait and steal excluded) that raises HostCpuHigh."},
	{Name: "alertMemoryHighPercent", Default: "90", Doc: "Host memory used percentage (MemAvailable-based) that raises HostMemoryHigh."},
	{Name: "alertLoadPerCore", Default: "2", Doc: "15-minute load average per CPU core above which HostLoadHigh fires."},
	{Name: "alertDiskFreePercent", Default: "10", Doc: "Free space percentage on the host root below which HostDiskSpaceLow fires."},
	{Name: "alertBackupMaxAgeHours", Default: "26", Doc: "Age of the last successful backup, hours, above which BackupTooOld fires."},
	{Name: "alertContainerMemoryPercent", Default: "90", Doc: "Container memory working set as a percentage of its memory limit that raises ContainerMemoryNearLimit."},
	{Name: "alertHttpP99Ms", Default: "500", Doc: "Traefik p99 request latency target, milliseconds."},
	{Name: "alertHttp5xxPercent", Default: "5", Doc: "Share of 5xx responses, percent, above which the 5xx alert fires."},
	{Name: "alertPgConnectionsPercent", Default: "80", Doc: "PostgreSQL connections in use as a percentage of max_connections that raises PostgresTooManyConnections."},
	{Name: "alertPgLongTransactionSeconds", Default: "300", Doc: "Age of the oldest open transaction, seconds, above which PostgresLongRunningTransaction fires."},
	{Name: "alertPgSlowQueryMs", Default: "500", Doc: "Mean statement time, milliseconds, above which PostgresSlowQueries fires (needs pg_stat_statements)."},
}
