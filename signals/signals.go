// Package signals is the PromQL vocabulary the alert rules (alerts/) and the
// dashboards (dashboards/) are both written in: named selectors and
// expressions, so that a panel and the alert it shows the threshold of
// compute the same thing. A test renders both and holds every panel that
// names an alert to that alert's expression.
//
// Every expression takes the selector it filters on (the alert's job, or the
// dashboard's job plus its variables) and, for rates, the window (a fixed
// one in rules, $__rate_interval in panels).
//
// Every aggregation that keeps instance keeps host too: each agent host
// runs the same exporters at the same addresses (instance
// "node-exporter:9100" on every host), so `by (instance)` alone would add
// up, or take the maximum of, different hosts' series.
package signals

import (
	"fmt"
	"strings"

	"github.com/koprogo/koprogo-monitoring/services"
)

// Sel is a series selector's label matchers.
type Sel []string

// String is the selector in braces: {job="node-exporter",mountpoint="/"}.
func (s Sel) String() string { return "{" + strings.Join(s, ",") + "}" }

// With returns the selector with more matchers.
func (s Sel) With(matchers ...string) Sel { return append(append(Sel{}, s...), matchers...) }

// Job is the matcher of one scrape job.
func Job(n services.Name) string { return `job="` + string(n) + `"` }

// Of is the selector of one scrape job.
func Of(n services.Name) Sel { return Sel{Job(n)} }

// RealFilesystems keeps the filesystems that hold data: not memory-backed
// (tmpfs, devtmpfs, ramfs), not container layers (overlay), not snaps
// (squashfs), not namespace files (nsfs) and not LXCFS's /proc overlays.
const RealFilesystems = `fstype!~"tmpfs|devtmpfs|ramfs|overlay|squashfs|nsfs|fuse.lxcfs"`

// --- host (node_exporter) ---------------------------------------------------

// CPUBusyPercent is the share of CPU time spent working, per host: idle,
// iowait (waiting on the disk, not computing) and steal (taken by the
// hypervisor) are not busy.
func CPUBusyPercent(sel Sel, window string) string {
	return `100 * (1 - sum by (host, instance) (rate(node_cpu_seconds_total` + sel.With(`mode=~"idle|iowait|steal"`).String() + `[` + window + `]))` +
		` / ` + CPUCount(sel) + `)`
}

// CPUCount is the number of CPUs per host.
func CPUCount(sel Sel) string {
	return `count by (host, instance) (node_cpu_seconds_total` + sel.With(`mode="idle"`).String() + `)`
}

// MemoryUsedPercent is the share of memory not available to new processes
// (MemAvailable counts reclaimable caches as available).
func MemoryUsedPercent(sel Sel) string {
	return `100 * (1 - node_memory_MemAvailable_bytes` + sel.String() + ` / node_memory_MemTotal_bytes` + sel.String() + `)`
}

// FilesystemFreePercent is the share of each filesystem that unprivileged
// processes (PostgreSQL, Prometheus) can still write. sel should include
// RealFilesystems.
func FilesystemFreePercent(sel Sel) string {
	return `100 * node_filesystem_avail_bytes` + sel.String() + ` / node_filesystem_size_bytes` + sel.String()
}

// BackupAgeHours is the time since the backup job last reported success,
// per host (koprogo_last_backup_timestamp_seconds from the textfile
// collector).
func BackupAgeHours(sel Sel) string {
	return `(time() - max by (host, instance) (koprogo_last_backup_timestamp_seconds` + sel.String() + `)) / 3600`
}

// --- containers (cAdvisor) --------------------------------------------------

// ContainerMemoryPercentOfLimit is each container's working set as a share
// of its memory limit; containers without a limit (reported as 0) are left
// out.
func ContainerMemoryPercentOfLimit(sel Sel) string {
	return `100 * max by (host, instance, name) (container_memory_working_set_bytes` + sel.String() + `)` +
		` / max by (host, instance, name) (container_spec_memory_limit_bytes` + sel.String() + ` > 0)`
}

// --- PostgreSQL (postgres_exporter) ------------------------------------------

// PgConnectionsPercent is the connections in use as a share of
// max_connections, per server.
func PgConnectionsPercent(sel Sel) string {
	return `100 * sum by (host, instance) (pg_stat_activity_count` + sel.String() + `)` +
		` / max by (host, instance) (pg_settings_max_connections` + sel.String() + `)`
}

// PgLongestTransactionSeconds is the age of the oldest open transaction per
// database.
func PgLongestTransactionSeconds(sel Sel) string {
	return `max by (host, instance, datname) (pg_stat_activity_max_tx_duration` + sel.String() + `)`
}

// PgMeanStatementMs is the mean execution time of a statement per database
// (pg_stat_statements).
func PgMeanStatementMs(sel Sel, window string) string {
	return `1000 * sum by (host, instance, datname) (rate(pg_stat_statements_seconds_total` + sel.String() + `[` + window + `]))` +
		` / sum by (host, instance, datname) (rate(pg_stat_statements_calls_total` + sel.String() + `[` + window + `]))`
}

// --- HTTP (Traefik) -------------------------------------------------------

// HTTPRequestRate is requests per second per Traefik service. Traefik
// runs on the central host only (agent hosts run no proxy), so a service
// is one host's.
func HTTPRequestRate(sel Sel, window string) string {
	return `sum by (service) (rate(traefik_service_requests_total` + sel.String() + `[` + window + `]))`
}

// HTTP5xxPercent is the share of requests answered with a 5xx status, per
// Traefik service.
func HTTP5xxPercent(sel Sel, window string) string {
	return `100 * ` + HTTPRequestRate(sel.With(`code=~"5.."`), window) + ` / ` + HTTPRequestRate(sel, window)
}

// HTTPLatencyMs is a quantile of the request duration in milliseconds, from
// Traefik's histograms, per service (or over every service when by is "").
func HTTPLatencyMs(quantile float64, sel Sel, by, window string) string {
	group := "le"
	if by != "" {
		group = by + ", le"
	}
	return fmt.Sprintf(`1000 * histogram_quantile(%g, sum by (%s) (rate(traefik_service_request_duration_seconds_bucket%s[%s])))`, quantile, group, sel, window)
}

// --- logs (Loki, Alloy) ------------------------------------------------------

// LokiBudgetWarnPercent is the share of the Loki disk budget the retained
// chunks may take before LokiDiskBudgetNearlyUsed: the index, the WAL and
// the compactor's working files take some of the rest.
const LokiBudgetWarnPercent = 80

// LokiStoredPercentOfBudget is the compressed log data Loki stored over the
// last days (what its disk holds with that retention: older chunks are
// deleted) as a share of a byte budget. The index, the WAL and the
// compactor's working files come on top.
func LokiStoredPercentOfBudget(sel Sel, days int, budgetBytes int64) string {
	return fmt.Sprintf(`100 * sum by (host, instance) (increase(loki_ingester_chunk_stored_bytes_total%s[%dd])) / %d`, sel, days, budgetBytes)
}

// LokiProjectedPercentOfBudget is what the retained logs would take, as a
// share of the budget, if logs kept arriving at the rate of the window.
func LokiProjectedPercentOfBudget(sel Sel, window string, days int, budgetBytes int64) string {
	return fmt.Sprintf(`100 * sum by (host, instance) (rate(loki_ingester_chunk_stored_bytes_total%s[%s])) * %d / %d`, sel, window, days*86400, budgetBytes)
}

// RetriedRefusals are Loki's refusal reasons its clients retry (429): a
// line refused for them is delayed, not lost, unless the client gives up,
// which AlloyDroppedEntries counts.
const RetriedRefusals = "rate_limited|per_stream_rate_limit"

// LokiRefusedLines is the lines Loki refused for good (too old, too far
// behind, too many streams, ...), by reason.
func LokiRefusedLines(sel Sel, window string) string {
	return `sum by (host, instance, reason) (increase(loki_discarded_samples_total` + sel.With(`reason!~"`+RetriedRefusals+`"`).String() + `[` + window + `]))`
}

// LokiTruncatedLines is the lines Loki cut to its line limit.
func LokiTruncatedLines(sel Sel, window string) string {
	return `sum by (host, instance) (increase(loki_mutated_samples_total` + sel.With(`reason="line_too_long"`).String() + `[` + window + `]))`
}

// AlloyTruncatedLines is the lines Alloy cut to Loki's line limit before
// sending them.
func AlloyTruncatedLines(sel Sel, window string) string {
	return `sum by (host, instance) (increase(loki_process_truncated_fields_total` + sel.With(`field="line"`).String() + `[` + window + `]))`
}

// AlloyDroppedEntries is the log entries Alloy gave up sending after its
// retries, by endpoint and reason. Alloy names the endpoint in a label
// `host`, which collides with the host target label: Prometheus keeps the
// target's (the host Alloy runs on) and renames Alloy's to exported_host
// (honor_labels is false).
func AlloyDroppedEntries(sel Sel, window string) string {
	return `sum by (host, instance, exported_host, reason) (increase(loki_write_dropped_entries_total` + sel.String() + `[` + window + `]))`
}
