package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
)

// Selectors shared by the overview and the detailed dashboards.
var (
	nodeSel = job(services.NodeExporter) + `, instance=~"$instance"`
	// Real filesystems only: tmpfs, overlay (container layers) and the like
	// are not the disk that fills up.
	fsSel = nodeSel + `, fstype!~"tmpfs|overlay|squashfs|nsfs|ramfs|fuse.lxcfs"`
	// Physical and VPS interfaces; Docker bridges and veth pairs repeat the
	// same bytes.
	netSel     = nodeSel + `, device!~"lo|veth.*|docker.*|br-.*"`
	traefikSel = job(services.Traefik)
)

// overviewBoard is the page to open first: is the host healthy, are the
// containers running, is the application answering, is the database up,
// is anything firing, is the last backup recent.
func overviewBoard(t config.Thresholds) (dashboard.Dashboard, error) {
	d := newBoard(OverviewUID, "KoproGo overview",
		"Host, containers, HTTP traffic, PostgreSQL, alerts and backups at a glance. Thresholds match the alert rules.",
		"overview")
	d.variable(promVariable("instance", "Host", `label_values(node_uname_info{`+job(services.NodeExporter)+`}, instance)`, false))

	d.row("Status")
	d.panel(single("Firing alerts", "Alerts Alertmanager currently holds as active (not silenced or inhibited).", "none", sixth,
		thresholds(green, step{1, red}),
		q{`sum(alertmanager_alerts{` + job(services.Alertmanager) + `, state="active"}) or vector(0)`, ""}))
	d.panel(single("Last backup", "Time since the backup job last wrote koprogo_last_backup_timestamp_seconds to the node_exporter textfile directory. Red above alertBackupMaxAgeHours; empty when the metric was never written.", "s", sixth,
		rising(t.BackupMaxAgeHours*3600*0.75, t.BackupMaxAgeHours*3600),
		q{`time() - max(koprogo_last_backup_timestamp_seconds{` + job(services.NodeExporter) + `})`, ""}))
	d.panel(single("PostgreSQL", "Whether postgres_exporter can reach the database.", "none", sixth,
		thresholds(red, step{1, green}),
		q{`min(pg_up{` + job(services.PostgresExporter) + `})`, ""}).Mappings(upDown()))
	d.panel(single("Backend", "Whether Prometheus can scrape the backend's metrics endpoint.", "none", sixth,
		thresholds(red, step{1, green}),
		q{`min(up{` + job(services.Backend) + `})`, ""}).Mappings(upDown()))
	d.panel(single("Requests/s", "HTTP requests per second through Traefik, all services.", "reqps", sixth, neutral(),
		q{`sum(rate(traefik_service_requests_total{` + job(services.Traefik) + `}[$__rate_interval]))`, ""}))
	d.panel(single("5xx ratio", fmt.Sprintf("Share of Traefik responses with a 5xx status. Red from %g%% (the alert threshold).", t.HTTP5xxPercent), "percentunit", sixth,
		rising(t.HTTP5xxPercent/200, t.HTTP5xxPercent/100),
		q{`sum(rate(traefik_service_requests_total{` + job(services.Traefik) + `, code=~"5.."}[$__rate_interval])) / sum(rate(traefik_service_requests_total{` + job(services.Traefik) + `}[$__rate_interval]))`, ""}))

	d.row("Scrape targets and containers")
	d.panel(single("Scrape targets", "One box per Prometheus job: UP when the last scrape succeeded.", "none", size{24, 4},
		thresholds(red, step{1, green}),
		q{`min by (job) (up)`, "{{job}}"}).Mappings(upDown()).TextMode(common.BigValueTextModeValueAndName).GraphMode(common.BigValueGraphModeNone))
	d.panel(series("Containers not seen", "Seconds since cAdvisor last saw each container; a container that stopped climbs from 0.", "s", half,
		rising(60, 120),
		q{`time() - max by (name) (container_last_seen{` + job(services.Cadvisor) + `, name!=""})`, "{{name}}"}))
	d.panel(series("Container restarts", "Container (re)starts per hour, from changes of the start time cAdvisor reports.", "none", half,
		rising(1, 3),
		q{`sum by (name) (changes(container_start_time_seconds{` + job(services.Cadvisor) + `, name!=""}[1h]))`, "{{name}}"}))

	d.row("Host")
	d.panel(series("CPU busy", fmt.Sprintf("Share of CPU time not idle, all cores. Red from %g%% (the alert threshold).", t.CPUHighPercent), "percent", third,
		rising(t.CPUHighPercent*0.8, t.CPUHighPercent),
		q{`100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{` + nodeSel + `, mode="idle"}[$__rate_interval])))`, "{{instance}}"}).Min(0).Max(100))
	d.panel(series("Memory used", fmt.Sprintf("Share of memory not available to new processes (MemAvailable). Red from %g%%.", t.MemoryHighPercent), "percent", third,
		rising(t.MemoryHighPercent*0.85, t.MemoryHighPercent),
		q{`100 * (1 - node_memory_MemAvailable_bytes{` + nodeSel + `} / node_memory_MemTotal_bytes{` + nodeSel + `})`, "{{instance}}"}).Min(0).Max(100))
	d.panel(series("Disk used", fmt.Sprintf("Share of each filesystem used, as seen by unprivileged users. Red when less than %g%% is free.", t.DiskFreePercent), "percent", third,
		rising(100-2*t.DiskFreePercent, 100-t.DiskFreePercent),
		q{`100 * (1 - node_filesystem_avail_bytes{` + fsSel + `} / node_filesystem_size_bytes{` + fsSel + `})`, "{{mountpoint}}"}).Min(0).Max(100))
	d.panel(series("Network", "Bits per second on the host's interfaces (received positive, sent negative).", "bps", third, neutral(),
		q{`sum by (device) (rate(node_network_receive_bytes_total{` + netSel + `}[$__rate_interval])) * 8`, "{{device}} in"},
		q{`-sum by (device) (rate(node_network_transmit_bytes_total{` + netSel + `}[$__rate_interval])) * 8`, "{{device}} out"}))
	d.panel(series("Load", "Load averages against the number of CPUs: sustained load above the CPU count means waiting work.", "short", third, neutral(),
		q{`node_load1{` + nodeSel + `}`, "1m"},
		q{`node_load5{` + nodeSel + `}`, "5m"},
		q{`node_load15{` + nodeSel + `}`, "15m"},
		q{`count(node_cpu_seconds_total{` + nodeSel + `, mode="idle"})`, "CPUs"}).Min(0))
	d.panel(series("Disk I/O", "Bytes per second read and written per block device.", "Bps", third, neutral(),
		q{`sum by (device) (rate(node_disk_read_bytes_total{` + nodeSel + `}[$__rate_interval]))`, "{{device}} read"},
		q{`-sum by (device) (rate(node_disk_written_bytes_total{` + nodeSel + `}[$__rate_interval]))`, "{{device}} write"}))

	d.row("HTTP (Traefik)")
	d.panel(series("Request rate", "Requests per second by status class.", "reqps", third, neutral(),
		q{`sum by (code) (rate(traefik_service_requests_total{` + job(services.Traefik) + `}[$__rate_interval]))`, "{{code}}"}).Min(0))
	d.panel(series("5xx ratio", "Share of responses with a 5xx status.", "percentunit", third,
		rising(t.HTTP5xxPercent/200, t.HTTP5xxPercent/100),
		q{`sum(rate(traefik_service_requests_total{` + job(services.Traefik) + `, code=~"5.."}[$__rate_interval])) / sum(rate(traefik_service_requests_total{` + job(services.Traefik) + `}[$__rate_interval]))`, "5xx"}).Min(0))
	d.panel(series("Latency", fmt.Sprintf("Request duration quantiles from Traefik's histograms, all services. Red from %g ms (the p99 alert threshold).", t.HTTPP99Ms), "s", third,
		rising(t.HTTPP99Ms/2000, t.HTTPP99Ms/1000),
		latency(traefikSel, "", 0.5), latency(traefikSel, "", 0.95), latency(traefikSel, "", 0.99)).Min(0))

	d.row("PostgreSQL")
	d.panel(series("Connections", fmt.Sprintf("Connections in use against max_connections. The alert fires above %g%% of the maximum.", t.PgConnectionsPercent), "short", half, neutral(),
		q{`sum(pg_stat_activity_count{` + job(services.PostgresExporter) + `})`, "in use"},
		q{`max(pg_settings_max_connections{` + job(services.PostgresExporter) + `})`, "max_connections"}).Min(0))
	d.panel(series("Transactions/s", "Commits and rollbacks per second, all databases.", "ops", half, neutral(),
		q{`sum(rate(pg_stat_database_xact_commit{` + job(services.PostgresExporter) + `}[$__rate_interval]))`, "commit"},
		q{`sum(rate(pg_stat_database_xact_rollback{` + job(services.PostgresExporter) + `}[$__rate_interval]))`, "rollback"}).Min(0))
	return d.build()
}

// latency is one quantile of Traefik's request duration histogram; by is
// an extra grouping label ("" for none).
func latency(sel, by string, quantile float64) q {
	group, legend := "le", fmt.Sprintf("p%g", quantile*100)
	if by != "" {
		group = by + ", le"
		legend = "{{" + by + "}} " + legend
	}
	return q{fmt.Sprintf(`histogram_quantile(%g, sum by (%s) (rate(traefik_service_request_duration_seconds_bucket{%s}[$__rate_interval])))`, quantile, group, sel), legend}
}
