package config

import (
	"fmt"
	"strconv"

	"github.com/koprogo/koprogo-monitoring/services"
)

// Key is one stack configuration key, declared once: its name, its default
// as typed in a stack file ("" = none, or derived: see Doc), its meaning,
// and the typed value it parses into.
type Key struct {
	Name    string
	Default string
	Doc     string
	// Derived is the default of a key that follows other keys when unset
	// (e.g. http://localhost:<grafanaPort>/); Default is then "".
	Derived string
	// Secret keys must be set with `pulumi config set --secret`.
	Secret bool
	// Required keys have no default: the stack must set them.
	Required bool
	value    Value
}

// Type is the key's type as Pulumi.yaml declares it (integer, boolean or
// string: Pulumi has no number type, so thresholds are strings there).
func (k Key) Type() string {
	switch k.value.(type) {
	case *Port, intIn:
		return "integer"
	case boolValue:
		return "boolean"
	}
	return "string"
}

// derived declares a key whose default follows other keys (see check).
func derived(k Key, def string) Key { k.Derived = def; return k }

func key(name, def, doc string, v Value) Key {
	sv, secret := v.(secretValue)
	return Key{Name: name, Default: def, Doc: doc, Secret: secret, Required: secret && sv.required != "", value: v}
}

// Keys lists every key the program reads, in README order. (The values they
// point at belong to a throwaway Settings: Parse declares its own.)
var Keys = declare(newSettings(""))

// declare binds every key to the field of s it fills, in README order.
func declare(s *Settings) []Key {
	keys := []Key{
		// Where to deploy.
		key("dockerHost", "", "Docker engine to deploy to: `ssh://user@host[:port]`, `unix:///path/to/docker.sock`, or empty for the local socket.",
			dockerHost{&s.Docker.Host}),
		key("dockerSshOpts", "[]", "Extra `ssh` options for an `ssh://` host, as a JSON list (e.g. `[\"-i\",\"~/.ssh/vps\",\"-o\",\"StrictHostKeyChecking=yes\"]`).",
			sshOpts{&s.Docker.SSHOpts}),
		key("bindAddress", "127.0.0.1", "Host address every published port binds to. Keep 127.0.0.1 and reach the UIs through an SSH tunnel; any other address exposes them (Prometheus, Alertmanager, Loki, Alloy and the exporters have no authentication) and needs allowNonLoopbackBind.",
			text{p: &s.BindAddress, valid: isIP, allowed: "is not an IP address; allowed: 127.0.0.1 (recommended) or another address of the host"}),
		key("allowNonLoopbackBind", "false", "Set true to accept a bindAddress that is not a loopback address, knowing that every published port is then reachable by whatever reaches that address.",
			boolValue{&s.AllowNonLoopbackBind}),
		key("namePrefix", "koprogo-mon", "Prefix of every container, volume and network name (lets two stacks share one host).",
			text{p: &s.NamePrefix, valid: isNamePrefix, allowed: "is not a valid name prefix; allowed: lower-case letters, digits and '-', at most 40 characters"}),
		key("stackSubnet", "172.29.253.0/24", "IPv4 subnet of the stack's Docker network. node_exporter runs in the host's network namespace (its network metrics are the host's) and listens on this network's gateway (the first address), which the stack's containers reach and the internet does not; a host firewall must let this network reach it.",
			subnet{&s.StackSubnet}),
		key("appNetwork", "koprogo", "Existing Docker network of the application (Traefik, backend, PostgreSQL) that Prometheus and the PostgreSQL exporter join. Empty: do not join.",
			text{p: &s.App.Network, valid: dockerObjectName.MatchString, allowEmpty: true, allowed: "is not a Docker network name; allowed: letters, digits, '_', '.', '-', or empty to join none"}),
	}

	// Per service, from the service table: images, host ports, memory limits.
	for _, svc := range services.All {
		keys = append(keys, key(svc.Key+"Image", svc.Image, svc.Title+" image (explicit tag or digest; `latest` is refused).",
			text{p: &s.Services[svc.Name].Image, valid: isImage, allowed: "is not a pinned image; allowed: repository:tag with an explicit version (not latest) or repository@sha256:<digest>"}))
	}
	for _, svc := range services.All {
		keys = append(keys, key(svc.Key+"Port", strconv.Itoa(svc.HostPort), "Host port of "+svc.Title+" (bound to bindAddress).",
			&s.Services[svc.Name].HostPort))
	}
	for _, svc := range services.All {
		keys = append(keys, key(svc.Key+"MemoryMb", strconv.Itoa(svc.MemoryMB), fmt.Sprintf("Memory limit of %s, MiB (at least %d).", svc.Title, svc.MinMemoryMB),
			intIn{&s.Services[svc.Name].MemoryMB, svc.MinMemoryMB, 65536}))
	}

	t := &s.Alerts.Thresholds
	return append(keys,
		key("memoryBudgetMb", "1792", "Upper bound for the sum of all memory limits, MiB; validation fails above it.",
			intIn{&s.MemoryBudgetMB, 256, 262144}),

		// Retention.
		key("metricsRetentionTime", "30d", "Prometheus `--storage.tsdb.retention.time` (Prometheus duration).",
			&s.Retention.MetricsTime),
		key("metricsRetentionSize", "8GB", "Prometheus `--storage.tsdb.retention.size` cap (e.g. `8GB`); the oldest blocks go first when it is reached.",
			&s.Retention.MetricsSize),
		key("logRetentionDays", "7", "Days Loki keeps logs before its compactor deletes them (at most metricsRetentionTime: the Loki disk alerts measure the logs stored over this many days from Prometheus' history).",
			intIn{&s.Retention.LogDays, 1, 3650}),
		key("lokiDiskBudgetGb", "5", "Disk Loki's volume may use, GiB (like metricsRetentionSize's GB). Loki has no size-based retention: LokiDiskBudgetNearlyUsed and LokiDiskBudgetOutgrown warn before the logs kept for logRetentionDays outgrow it.",
			intIn{&s.Retention.LogDiskBudgetGiB, 1, 100000}),
		key("protectVolumes", "true", "Mark data volumes `protect` so `pulumi destroy` refuses to delete them (they are retained on delete either way).",
			boolValue{&s.ProtectVolumes}),

		// Scrape targets of the application.
		key("traefikMetricsTarget", "traefik:8082", "`host:port` of Traefik's Prometheus metrics entrypoint on appNetwork.",
			text{p: &s.App.Scrape.TraefikTarget, valid: isTarget, allowed: "is not a scrape target; allowed: host:port"}),
		key("backendMetricsTarget", "backend:8080", "`host:port` of the KoproGo backend on appNetwork.",
			text{p: &s.App.Scrape.BackendTarget, valid: isTarget, allowed: "is not a scrape target; allowed: host:port"}),
		key("backendMetricsPath", "/metrics", "HTTP path of the backend's metrics.",
			text{p: &s.App.Scrape.BackendMetricsPath, valid: isURLPath, allowed: "is not a path; allowed: a path starting with /"}),
		key("nodeTextfileHostDir", "/var/lib/node_exporter/textfile", "Host directory the backup job writes `*.prom` files to (`koprogo_last_backup_timestamp_seconds`); node_exporter mounts it read-only for its textfile collector. Absolute path, no `..`.",
			text{p: &s.App.NodeTextfileHostDir, valid: isHostDir, allowed: `is not a host directory; allowed: an absolute path without ".." such as /var/lib/node_exporter/textfile`}),
		key("criticalContainers", "postgres,backend,traefik", "Comma-separated container names whose absence is a critical alert.",
			list{&s.Alerts.CriticalContainers, dockerObjectName.MatchString, "is not a container name; allowed: letters, digits, '_', '.', '-'"}),
		key("postgresDsn", "", "PostgreSQL DSN for postgres_exporter (`postgresql://user:pass@host:5432/db?sslmode=...`). Required.",
			secretValue{p: &s.App.PostgresDSN, check: checkDSN,
				required: "is required; set it with `pulumi config set --secret postgresDsn 'postgresql://user:password@host:5432/db?sslmode=disable'`"}),

		// Alerting.
		key("alertsEnabled", "true", "Send alert e-mails. When true, the smtp* keys are required.",
			boolValue{&s.Email.Enabled}),
		key("smtpHost", "", "SMTP server host name.",
			text{p: &s.Email.Host, valid: isHost, allowEmpty: true, allowed: "is not a host name; allowed: a host name or IP address without port or scheme (the port is smtpPort)"}),
		key("smtpPort", "587", "SMTP port (587 STARTTLS or 465 implicit TLS; TLS is always required).",
			&s.Email.Port),
		key("smtpFrom", "", "Sender address of alert e-mails.",
			text{p: &s.Email.From, valid: isEmail, allowEmpty: true, allowed: "is not an e-mail address; allowed: name@domain"}),
		key("smtpTo", "", "Comma-separated recipients of alert e-mails.",
			list{&s.Email.To, isEmail, "is not an e-mail address; allowed: name@domain"}),
		key("smtpUsername", "", "SMTP login (empty: no authentication).",
			text{p: &s.Email.Username, valid: isPrintable, allowEmpty: true, allowed: "is not a login; allowed: printable characters without spaces, or empty for no authentication"}),
		key("smtpPassword", "", "SMTP password. Required when smtpUsername is set.",
			secretValue{p: &s.Email.Password}),
		key("deadMansSwitchUrl", "", "Optional URL pinged by the always-firing Watchdog alert (healthchecks-style dead-man switch).",
			secretValue{p: &s.DeadMansSwitchURL, check: checkSecretURL}),

		// Grafana.
		key("grafanaAdminUser", "admin", "Grafana admin login.",
			loginName{&s.Grafana.AdminUser}),
		key("grafanaAdminPassword", "", "Grafana admin password, at least 20 characters. Generated (and exported as a secret) when unset.",
			secretValue{p: &s.Grafana.AdminPassword, check: checkAdminPassword}),
		derived(key("grafanaRootUrl", "", "Public URL of Grafana as users reach it (`GF_SERVER_ROOT_URL`); by default the local end of the SSH tunnel.",
			text{p: &s.Grafana.RootURL, valid: isHTTPURL, allowEmpty: true, allowed: "is not a URL; allowed: http(s)://host[:port][/path]"}),
			"http://localhost:<grafanaPort>/"),
		derived(key("grafanaApiUrl", "", "URL where `pulumi up` reaches Grafana's HTTP API; by default the local end of the SSH tunnel (`sshTunnel` forwards grafanaPort to the same local port). A loopback URL must use grafanaPort.",
			text{p: &s.Grafana.APIURL, valid: isHTTPURL, allowEmpty: true, allowed: "is not a URL; allowed: http(s)://host[:port][/path]"}),
			"http://127.0.0.1:<grafanaPort>"),
		key("grafanaManageContent", "true", "Push datasources and dashboards through the Grafana provider. Set false for a first bootstrap when the API is not reachable yet.",
			boolValue{&s.Grafana.ManageContent}),

		// Beyond one host (docs/scaling.md).
		derived(key("hostLabel", "", "Value of the `host` label on this host's series (every series carries `host` and `stack`).",
			text{p: &s.HostLabel, valid: hostLabelValue.MatchString, allowEmpty: true, allowed: "is not a host label; allowed: letters, digits, '.', '_' and '-', at most 64"}),
			"dockerHost's host name, or local"),
		key("remoteWrite", "[]", "Engines the central Prometheus also writes every series to, as a JSON list of `{\"name\", \"url\", \"auth\": none|basic|bearer, \"username\", \"headers\", \"keepMetrics\"}` (https unless the host is loopback or private; headers such as `X-Scope-OrgID`; keepMetrics, a regex of metric names to send). Credentials go in remoteWriteSecrets.",
			remoteWrites{&s.RemoteWrite}),
		key("remoteWriteSecrets", "", "Credentials of the remoteWrite endpoints: a JSON object of endpoint name → password (auth basic) or token (auth bearer).",
			secretValue{p: new(Secret), check: func(v string) error { return secretsByName{&s.remoteWriteSecrets}.Set(v) }}),
		key("logEndpoints", "[]", "Loki endpoints Alloy also ships logs to, as a JSON list of `{\"name\", \"url\" (the push URL), \"tenant\" (X-Scope-OrgID), \"auth\", \"username\"}`. Credentials go in logEndpointSecrets.",
			logEndpoints{&s.LogEndpoints}),
		key("logEndpointSecrets", "", "Credentials of the logEndpoints: a JSON object of endpoint name → password or token.",
			secretValue{p: new(Secret), check: func(v string) error { return secretsByName{&s.logEndpointSecrets}.Set(v) }}),
		key("agentHosts", "[]", "Further Docker hosts, as a JSON list of `{\"name\", \"dockerHost\": \"ssh://user@host\", \"sshOpts\"}`: each runs node_exporter, cAdvisor, Prometheus in agent mode (and Alloy when logEndpoints is set), publishes no port, and writes to the receiver at receiverAddress.",
			agentHosts{&s.Agents}),
		key("receiverAddress", "", "Private `address:port` of this host where the central Prometheus receives the agents' samples (HTTP basic auth; the network must be a private, encrypted one such as WireGuard). Required with agentHosts.",
			receiverAddr{&s.ReceiverAddress}),

		// Alert thresholds.
		key("alertCpuHighPercent", "85", "Host CPU busy percentage (iowait and steal excluded) that raises HostCpuHigh.", percent{&t.CPUHighPercent}),
		key("alertMemoryHighPercent", "90", "Host memory used percentage (MemAvailable-based) that raises HostMemoryHigh.", percent{&t.MemoryHighPercent}),
		key("alertLoadPerCore", "2", "15-minute load average per CPU core above which HostLoadHigh fires.", positive{p: &t.LoadPerCore}),
		key("alertDiskFreePercent", "10", "Free space percentage of any of the host's filesystems below which HostDiskSpaceLow fires (critical at half of it).", percent{&t.DiskFreePercent}),
		key("alertBackupMaxAgeHours", "26", "Age of the last successful backup, hours, above which BackupTooOld fires.", positive{p: &t.BackupMaxAgeHours}),
		key("alertContainerMemoryPercent", "90", "Container memory working set as a percentage of its memory limit that raises ContainerMemoryNearLimit.", percent{&t.ContainerMemoryPercent}),
		key("alertHttpP99Ms", "500", "Traefik p99 request latency target, milliseconds (at most 5000: Traefik's largest finite latency bucket is 5 s).",
			positive{p: &t.HTTPP99Ms, max: 5000, why: "Traefik's largest finite latency bucket is 5 s: histogram_quantile never reports more, so a higher target would never fire"}),
		key("alertHttp5xxPercent", "5", "Share of 5xx responses, percent, above which the 5xx alert fires.", percent{&t.HTTP5xxPercent}),
		key("alertPgConnectionsPercent", "80", "PostgreSQL connections in use as a percentage of max_connections that raises PostgresTooManyConnections.", percent{&t.PgConnectionsPercent}),
		key("alertPgLongTransactionSeconds", "300", "Age of the oldest open transaction, seconds, above which PostgresLongRunningTransaction fires.", positive{p: &t.PgLongTxSeconds}),
		key("alertPgSlowQueryMs", "500", "Mean statement time, milliseconds, above which PostgresSlowQueries fires (needs pg_stat_statements).", positive{p: &t.PgSlowQueryMs}),
	)
}
