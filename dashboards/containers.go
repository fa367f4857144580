package dashboards

import (
	"fmt"
	"math"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/signals"
)

// containersBoard shows every Docker container as cAdvisor sees it, one series
// per host and container name, filtered by $host and $container. Every host
// runs containers of the same names (the stack's exporters), so series are
// kept apart by host and legends name it.
func containersBoard(t config.Thresholds) (dashboard.Dashboard, error) {
	ca := job(services.Cadvisor)
	c := ca + `, host=~"$host", name=~"$container"`
	named := signals.Of(services.Cadvisor).With(`host=~"$host"`, `name!=""`, `name=~"$container"`)
	d := newBoard(ContainersUID, "KoproGo Docker containers",
		"Per-container CPU, memory against limits, network, restarts and filesystem, from cAdvisor, on each host.",
		"docker")
	d.variable(hostVariable(services.Cadvisor))
	d.variable(promVariable("container", "Container", `label_values(container_last_seen{`+ca+`, host=~"$host", name!=""}, name)`, true))

	d.row("State")
	d.panel(series("Seconds since last seen", "A running container stays near 0; one that stopped or vanished climbs.", "s", half,
		rising(60, 120),
		q{`time() - max by (host, name) (container_last_seen{` + c + `})`, "{{host}} {{name}}"}).Min(0))
	d.panel(bars("Restarts", "Container (re)starts over the selected time range, from changes of the start time.", "none", half,
		rising(1, 3),
		q{`sum by (host, name) (changes(container_start_time_seconds{` + c + `}[$__range]))`, "{{host}} {{name}}"}))

	d.row("CPU and memory")
	d.panel(series("CPU", "CPU used, in % of one core.", "percent", half, neutral(),
		q{`100 * sum by (host, name) (rate(container_cpu_usage_seconds_total{` + c + `}[$__rate_interval]))`, "{{host}} {{name}}"}).Min(0))
	d.panel(series("CPU throttled", "Share of CFS periods in which the container hit its CPU limit.", "percentunit", half,
		rising(0.1, 0.25),
		q{`sum by (host, name) (rate(container_cpu_cfs_throttled_periods_total{` + c + `}[$__rate_interval])) / sum by (host, name) (rate(container_cpu_cfs_periods_total{` + c + `}[$__rate_interval]))`, "{{host}} {{name}}"}).Min(0).Max(1))
	d.panel(series("Memory working set", "Memory the kernel cannot reclaim: what the limit is enforced on.", "bytes", half, neutral(),
		q{`max by (host, name) (container_memory_working_set_bytes{` + c + `})`, "{{host}} {{name}}"}).Min(0))
	// Yellow from 10 points below the alert threshold, red at it.
	d.panel(series("Memory vs limit", showsAlert(fmt.Sprintf("Working set as a share of the container's memory limit (containers without a limit are not shown). Red from %g%% (alertContainerMemoryPercent); at 100%% the kernel kills the container.", t.ContainerMemoryPercent), "ContainerMemoryNearLimit"), "percent", half,
		rising(math.Max(0, t.ContainerMemoryPercent-10), t.ContainerMemoryPercent),
		q{signals.ContainerMemoryPercentOfLimit(named), "{{host}} {{name}}"}).Min(0).Max(100))

	d.row("Network and filesystem")
	d.panel(series("Network", "Bytes per second received (positive) and sent (negative).", "Bps", half, neutral(),
		q{`sum by (host, name) (rate(container_network_receive_bytes_total{` + c + `}[$__rate_interval]))`, "{{host}} {{name}} in"},
		q{`-sum by (host, name) (rate(container_network_transmit_bytes_total{` + c + `}[$__rate_interval]))`, "{{host}} {{name}} out"}))
	d.panel(series("Filesystem I/O", "Bytes per second read (positive) and written (negative).", "Bps", half, neutral(),
		q{`sum by (host, name) (rate(container_fs_reads_bytes_total{` + c + `}[$__rate_interval]))`, "{{host}} {{name}} read"},
		q{`-sum by (host, name) (rate(container_fs_writes_bytes_total{` + c + `}[$__rate_interval]))`, "{{host}} {{name}} write"}))
	d.panel(series("Filesystem usage", "Bytes used by each container's filesystems as cAdvisor measures them (its disk metrics); empty for storage drivers cAdvisor cannot measure.", "bytes", full, neutral(),
		q{`sum by (host, name) (container_fs_usage_bytes{` + c + `})`, "{{host}} {{name}}"}).Min(0))
	return d.build()
}
