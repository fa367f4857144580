package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/signals"
)

// Selectors shared by the overview and the detailed dashboards.
var (
	node    = signals.Of(services.NodeExporter).With(`host=~"$host"`)
	nodeSel = strings.Join(node, ", ")
	// Physical and VPS interfaces; Docker bridges and veth pairs repeat the
	// same bytes.
	netSel     = nodeSel + `, device!~"lo|veth.*|docker.*|br-.*"`
	traefik    = signals.Of(services.Traefik)
	hostSel    = `host=~"$host"`
	traefikSel = job(services.Traefik)
)

// overviewBoard is the page to open first: are the hosts healthy, are the
// containers running, is the application answering, is the database up,
// is anything firing, is the last backup recent. $host narrows the host,
// container and scrape panels; HTTP, PostgreSQL and alerts are the stack's.
func overviewBoard(t config.Thresholds) (dashboard.Dashboard, error) {
	d := newBoard(OverviewUID, "KoproGo overview",
		"Host, containers, HTTP traffic, PostgreSQL, alerts and backups at a glance. Thresholds match the alert rules.",
		"overview")
	d.variable(hostVariable(services.NodeExporter))

	d.row("Status")
	d.panel(single("Firing alerts", "Alerts Alertmanager currently holds as active (not silenced or inhibited).", "none", sixth,
		thresholds(green, step{1, red}),
		q{`sum(alertmanager_alerts{` + job(services.Alertmanager) + `, state="active"}) or vector(0)`, ""}))
	d.panel(single("Last backup", showsAlert("Hours since the backup job last wrote koprogo_last_backup_timestamp_seconds to the node_exporter textfile directory. Red above alertBackupMaxAgeHours; empty when the metric was never written.", "BackupTooOld"), "h", sixth,
		rising(t.BackupMaxAgeHours*0.75, t.BackupMaxAgeHours),
		q{signals.BackupAgeHours(node), "{{host}}"}))
	d.panel(single("PostgreSQL", "Whether postgres_exporter can reach the database.", "none", sixth,
		thresholds(red, step{1, green}),
		q{`min(pg_up{` + job(services.PostgresExporter) + `})`, ""}).Mappings(upDown()))
	d.panel(single("Backend", "Whether Prometheus can scrape the backend's metrics endpoint.", "none", sixth,
		thresholds(red, step{1, green}),
		q{`min(up{` + job(services.Backend) + `})`, ""}).Mappings(upDown()))
	d.panel(single("Requests/s", "HTTP requests per second through Traefik, all services.", "reqps", sixth, neutral(),
		q{`sum(rate(traefik_service_requests_total{` + job(services.Traefik) + `}[$__rate_interval]))`, ""}))
	d.panel(single("5xx ratio", showsAlert(fmt.Sprintf("Share of Traefik responses with a 5xx status, per service. Red from %g%% (alertHttp5xxPercent).", t.HTTP5xxPercent), "HttpErrorRateHigh"), "percent", sixth,
		rising(t.HTTP5xxPercent/2, t.HTTP5xxPercent),
		q{signals.HTTP5xxPercent(traefik, rateWindow), "{{service}}"}))

	d.row("Scrape targets and containers")
	d.panel(single("Scrape targets", "One box per host and Prometheus job: UP when the last scrape of every target of the job on that host succeeded.", "none", size{24, 4},
		thresholds(red, step{1, green}),
		q{`min by (host, job) (up{` + hostSel + `})`, "{{host}} {{job}}"}).Mappings(upDown()).TextMode(common.BigValueTextModeValueAndName).GraphMode(common.BigValueGraphModeNone))
	d.panel(series("Containers not seen", "Seconds since cAdvisor last saw each container; a container that stopped climbs from 0.", "s", half,
		rising(60, 120),
		q{`time() - max by (host, name) (container_last_seen{` + job(services.Cadvisor) + `, ` + hostSel + `, name!=""})`, "{{host}} {{name}}"}))
	d.panel(series("Container restarts", "Container (re)starts per hour, from changes of the start time cAdvisor reports.", "none", half,
		rising(1, 3),
		q{`sum by (host, name) (changes(container_start_time_seconds{` + job(services.Cadvisor) + `, ` + hostSel + `, name!=""}[1h]))`, "{{host}} {{name}}"}))

	d.row("Host")
	d.panel(series("CPU busy", showsAlert(fmt.Sprintf("Share of CPU time spent working, all cores (idle, iowait and steal are not busy). Red from %g%% (alertCpuHighPercent).", t.CPUHighPercent), "HostCpuHigh"), "percent", third,
		rising(t.CPUHighPercent*0.8, t.CPUHighPercent),
		q{signals.CPUBusyPercent(node, rateWindow), "{{host}}"}).Min(0).Max(100))
	d.panel(series("Memory used", showsAlert(fmt.Sprintf("Share of memory not available to new processes (MemAvailable). Red from %g%% (alertMemoryHighPercent).", t.MemoryHighPercent), "HostMemoryHigh"), "percent", third,
		rising(t.MemoryHighPercent*0.85, t.MemoryHighPercent),
		q{signals.MemoryUsedPercent(node), "{{host}}"}).Min(0).Max(100))
	d.panel(series("Disk free", showsAlert(fmt.Sprintf("Share of each filesystem that holds data still writable by unprivileged processes. Yellow under %g%% (alertDiskFreePercent), red under %g%%.", t.DiskFreePercent, t.DiskFreePercent/2), "HostDiskSpaceLow"), "percent", third,
		falling(t.DiskFreePercent/2, t.DiskFreePercent),
		q{signals.FilesystemFreePercent(node.With(signals.RealFilesystems)), "{{host}} {{mountpoint}}"}).Min(0).Max(100))
	d.panel(series("Network", "Bits per second on the host's interfaces (received positive, sent negative).", "bps", third, neutral(),
		q{`sum by (host, device) (rate(node_network_receive_bytes_total{` + netSel + `}[$__rate_interval])) * 8`, "{{host}} {{device}} in"},
		q{`-sum by (host, device) (rate(node_network_transmit_bytes_total{` + netSel + `}[$__rate_interval])) * 8`, "{{host}} {{device}} out"}))
	d.panel(series("Load", "Load averages against the number of CPUs: sustained load above the CPU count means waiting work.", "short", third, neutral(),
		q{`node_load1{` + nodeSel + `}`, "{{host}} 1m"},
		q{`node_load5{` + nodeSel + `}`, "{{host}} 5m"},
		q{`node_load15{` + nodeSel + `}`, "{{host}} 15m"},
		q{`count by (host) (node_cpu_seconds_total{` + nodeSel + `, mode="idle"})`, "{{host}} CPUs"}).Min(0))
	d.panel(series("Disk I/O", "Bytes per second read and written per block device.", "Bps", third, neutral(),
		q{`sum by (host, device) (rate(node_disk_read_bytes_total{` + nodeSel + `}[$__rate_interval]))`, "{{host}} {{device}} read"},
		q{`-sum by (host, device) (rate(node_disk_written_bytes_total{` + nodeSel + `}[$__rate_interval]))`, "{{host}} {{device}} write"}))

	d.row("HTTP (Traefik)")
	d.panel(series("Request rate", "Requests per second by status class.", "reqps", third, neutral(),
		q{`sum by (code) (rate(traefik_service_requests_total{` + job(services.Traefik) + `}[$__rate_interval]))`, "{{code}}"}).Min(0))
	d.panel(series("5xx ratio", showsAlert(fmt.Sprintf("Share of responses with a 5xx status, per service. Red from %g%% (alertHttp5xxPercent).", t.HTTP5xxPercent), "HttpErrorRateHigh"), "percent", third,
		rising(t.HTTP5xxPercent/2, t.HTTP5xxPercent),
		q{signals.HTTP5xxPercent(traefik, rateWindow), "{{service}}"}).Min(0))
	d.panel(series("p99 latency", showsAlert(fmt.Sprintf("99th percentile request duration per service, from Traefik's histograms. Red from %g ms (alertHttpP99Ms).", t.HTTPP99Ms), "HttpLatencyP99High"), "ms", third,
		rising(t.HTTPP99Ms/2, t.HTTPP99Ms),
		q{signals.HTTPLatencyMs(0.99, traefik, "service", rateWindow), "{{service}}"}).Min(0))

	d.row("PostgreSQL")
	d.panel(series("Connections", "Connections in use against max_connections (their ratio is on the PostgreSQL dashboard).", "short", half, neutral(),
		q{`sum(pg_stat_activity_count{` + job(services.PostgresExporter) + `})`, "in use"},
		q{`max(pg_settings_max_connections{` + job(services.PostgresExporter) + `})`, "max_connections"}).Min(0))
	d.panel(series("Transactions/s", "Commits and rollbacks per second, all databases.", "ops", half, neutral(),
		q{`sum(rate(pg_stat_database_xact_commit{` + job(services.PostgresExporter) + `}[$__rate_interval]))`, "commit"},
		q{`sum(rate(pg_stat_database_xact_rollback{` + job(services.PostgresExporter) + `}[$__rate_interval]))`, "rollback"}).Min(0))
	return d.build()
}

// latency is one quantile of Traefik's request duration, in ms, over every
// selected service.
func latency(sel signals.Sel, quantile float64) q {
	return q{signals.HTTPLatencyMs(quantile, sel, "", rateWindow), fmt.Sprintf("p%g", quantile*100)}
}
