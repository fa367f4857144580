package main

import (
	"fmt"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
)

// The seed plan's disk and CPU budget for the whole monitoring stack
// (memory: seedBudgetMB).
const (
	seedDiskGB     = 15
	seedCPUPercent = 5
)

// containerLogsMiB is what Docker's json-file logs of one container may
// hold: max-file x max-size as components/service.go sets them (3 x 10m).
const containerLogsMiB = 3 * 10

// remoteWriteRun is what TestRemoteWrite (tests/live, its footprint step)
// logged for one process: its RSS and the bytes its queue sent per sample.
// These runs are not part of `make bench`.
type remoteWriteRun struct {
	process, env     string
	rssLo, rssHi     float64 // MiB, over the runs
	bytesLo, bytesHi float64 // sent per sample; 0 = does not send
}

// Runtime environments of the runs.
const (
	runtimeDefaults = "runtime defaults (earlier runs)"
	containersEnv   = "the containers' (flags.Env), 2026-11-30"
)

var remoteWriteRuns = []remoteWriteRun{
	{"central Prometheus (receiver, rules, remote write)", runtimeDefaults, 120, 126, 14.4, 20.7},
	{"central Prometheus (receiver, rules, remote write)", containersEnv, 109.9, 110.1, 13.7, 21.1},
	{"Prometheus agent (no TSDB, no rules)", runtimeDefaults, 96.5, 96.7, 21.0, 21.2},
	{"Prometheus agent (no TSDB, no rules)", containersEnv, 89.1, 90.6, 20.9, 21.0},
	{"VictoriaMetrics single node (the engine; its own host in production)", runtimeDefaults, 120, 120, 0, 0},
	{"VictoriaMetrics single node (the engine; its own host in production)", "its own defaults, 2026-11-30", 118.2, 122.5, 0, 0},
}

// seedPlan writes the whole stack against the seed plan's budget: memory,
// disk and CPU.
func seedPlan(w func(string, ...any), tuned result, limits, sets float64) {
	s := tuned.settings
	metricsGiB := float64(s.Retention.MetricsSize) / (1 << 30)
	lokiGiB := float64(s.Retention.LogDiskBudgetGiB)
	logsGiB := float64(len(services.All)*containerLogsMiB) / 1024
	diskGiB := metricsGiB + lokiGiB + logsGiB
	cpu := cpuSum(tuned) / 60 * 100
	w("### Against the seed plan's budget\n\n")
	w("| resource | seed plan | what bounds it here | measured or cited | verdict |\n|---|---|---|---|---|\n")
	w("| memory | ~%d MB for the stack | limits %.0f MiB; at most %d MiB allowed (monitoringMemoryPercent %d%% of hostMemoryMb %d) | working sets %.0f MiB (%.0f MB) | %s the plan by %.0f MB; within the host's share (%s) |\n",
		seedBudgetMB, limits, s.MemoryBudgetMB(), s.MonitoringMemoryPercent, s.HostMemoryMB, sets, mb(sets),
		map[bool]string{true: "under", false: "over"}[mb(sets) <= seedBudgetMB], abs(mb(sets)-seedBudgetMB), verdict(int(limits) <= s.MemoryBudgetMB()))
	w("| disk | %d GB | metricsRetentionSize %s (%.0f GiB: Prometheus' GB are binary; blocks, WAL and head chunks) + lokiDiskBudgetGb %.0f GiB (Loki's chunks and index; alerts, Loki cannot enforce it) + container logs %d x %d MiB = %.1f GiB (%.1f GB) | projected 30-day TSDB %.2f GB (tuned, this run); Loki not measured here | %s |\n",
		seedDiskGB, s.Retention.MetricsSize, metricsGiB, lokiGiB, len(services.All), containerLogsMiB, diskGiB, diskGiB*(1<<30)/1e9, tuned.projectedGB(), verdict(diskGiB*(1<<30)/1e9 <= seedDiskGB))
	w("| CPU | < %d%% | GOMAXPROCS=1 for Prometheus (one core at most) | %.2f%% of one core for the measured set under the query load; Grafana, Loki, Alloy, cAdvisor not measured | %s for what is measured |\n\n",
		seedCPUPercent, cpu, verdict(cpu < seedCPUPercent))
	w("The disk caps add up to what the stack may take, not what it takes: at this scale Prometheus fills about %.2f GB in\n", tuned.projectedGB())
	w("30 days of its %s. Alertmanager's, Grafana's and Alloy's volumes (silences, a SQLite database, read positions)\n", s.Retention.MetricsSize)
	w("and the images' layers are not counted.\n\n")
}

// agents writes what a host with remote write and an agent host cost.
func agents(w func(string, ...any), tuned result) {
	w("## Agents and remote write\n\n")
	w("Measured by `TestRemoteWrite` (tests/live: a central Prometheus with its receiver, a Prometheus agent and\n")
	w("VictoriaMetrics on loopback, a few minutes each, no dashboard load), not by `make bench`: earlier runs with the\n")
	w("binaries' runtime defaults, and two runs with the containers' environment (GOGC=25, GOMAXPROCS=1, GOMEMLIMIT\n")
	w("from the limit) once the live harness applied it. *Bytes per sample* is what the remote-write queue sent\n")
	w("(`prometheus_remote_storage_bytes_total / prometheus_remote_storage_samples_total`, compressed protobuf).\n\n")
	w("| process | runtime environment | RSS (MiB) | bytes per sample sent |\n|---|---|---:|---:|\n")
	for _, r := range remoteWriteRuns {
		rss, sent := fmtRange(r.rssLo, r.rssHi, "%.1f"), "-"
		if r.bytesHi > 0 {
			sent = fmtRange(r.bytesLo, r.bytesHi, "%.1f")
		}
		w("| %s | %s | %s | %s |\n", r.process, r.env, rss, sent)
	}
	node, cad, alloy := services.Get(services.NodeExporter).MemoryMB, services.Get(services.Cadvisor).MemoryMB, services.Get(services.Alloy).MemoryMB
	agentTotal := node + cad + config.AgentPrometheusMemoryMB
	w("\n- An agent host runs node_exporter (%d MiB), cAdvisor (%d MiB) and Prometheus in agent mode, capped at %d MiB\n", node, cad, config.AgentPrometheusMemoryMB)
	w("  (config.AgentPrometheusMemoryMB: the agent's peak with the runtime defaults plus 30%%, and room for cAdvisor's\n")
	w("  series, absent from the measurement): %d MiB, %d MiB with Alloy (%d MiB) when logEndpoints is set.\n", agentTotal, agentTotal+alloy, alloy)
	w("  `config.Parse` refuses agent hosts whose containers exceed monitoringMemoryPercent of their hostMemoryMb\n")
	w("  (their own, or the central host's).\n")
	central := remoteWriteRuns[0]
	w("- The central Prometheus with remote write and the receiver (%s MiB with the runtime defaults, %s MiB with the\n", fmtRange(central.rssLo, central.rssHi, "%.0f"), fmtRange(remoteWriteRuns[1].rssLo, remoteWriteRuns[1].rssHi, "%.0f"))
	w("  containers' environment, no dashboard load) stays below the figure its default limit (%d MiB) is set from\n", services.Get(services.Prometheus).MemoryMB)
	w("  (the production-more-series variant above).\n")
	month := tuned.samplesPerS * 86400 * 30
	lo, hi := min(central.bytesLo, remoteWriteRuns[1].bytesLo), max(central.bytesHi, remoteWriteRuns[1].bytesHi)
	w("- Network: at this run's tuned rate for one host (%.0f samples/s), %.1f-%.1f bytes per sample is %.1f-%.1f GB a\n",
		tuned.samplesPerS, lo, hi, month*lo/1e9, month*hi/1e9)
	w("  month to the engine; an agent host sends its own samples at about %.0f bytes each.\n\n", remoteWriteRuns[2].bytesLo)
}

func fmtRange(lo, hi float64, f string) string {
	a, b := fmt.Sprintf(f, lo), fmt.Sprintf(f, hi)
	if a == b {
		return a
	}
	return a + "-" + b
}
