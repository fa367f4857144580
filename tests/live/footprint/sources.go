package main

import "github.com/koprogo/koprogo-monitoring/services"

// headroom is how far above its evidence every default memory limit is set:
// at least 30% above the measured or cited figure, rounded up to a multiple
// of 8 MiB (services/services.go). The report checks each limit against it.
const headroom = 1.3

// evidence is the figure a default memory limit is set from, for a service
// this benchmark cannot run: an upstream document or an upstream issue with
// a measured working set, or a measurement made on this machine outside
// `make bench`. The services it runs are measured by the benchmark itself.
type evidence struct {
	mib    float64 // the figure the limit is set from, MiB
	what   string  // what was measured, by whom, under what load
	source string  // where (URL), or how it was measured here
	also   string  // other figures that bracket it, with their sources
}

// cited holds the evidence for the services that do not run here (see
// stack.NotRunning for why each does not).
var cited = map[services.Name]evidence{
	services.Grafana: {
		mib: 180,
		what: "idle memory of Grafana 12.4.3 with Prometheus and Loki datasources and alert rules, one user; " +
			"13.0.1 then grew to 330 MiB through a goroutine leak in the gzip middleware",
		source: "https://github.com/grafana/grafana/issues/123017",
		also: "the leak is fixed in 13.2.1 (the pinned 13.2.0 still has it; `GF_SERVER_ENABLE_GZIP=false` avoids it): " +
			"https://github.com/grafana/grafana/issues/132743; steady state 220-340 MiB for a busier instance: " +
			"https://github.com/siutsin/otaru/pull/3284; Grafana's own minimum for the whole host is 512 MB: " +
			"https://grafana.com/docs/grafana/latest/setup-grafana/installation/",
	},
	services.Loki: {
		mib: 245 / 1.048576,
		what: "peak RSS (VmHWM) of the real Loki 3.7.3 binary with this repository's loki.yaml (16 MB results " +
			"cache, 32 MB chunk cache), 11 minutes of light traffic (15 streams, 30 lines/s) and two queries every 30 s",
		source: "measured on this machine in this session (Loki lab, not part of `make bench`: Loki is AGPL-3.0)",
		also: "later runs of the same lab: 153 MB at ready, 205 MB peak in 11 min, 222 MB after 37 min; single pushes " +
			"of hundreds of thousands of lines or query results of tens of MB peak at 450-1000 MB whatever the limit",
	},
	services.Alloy: {
		mib: 72,
		what: "largest peak of cgroup memory (anon + kernel) of Alloy shipping the systemd journal, over 12 VMs; " +
			"averages 27-55 MiB",
		source: "https://github.com/tiiuae/ghaf/pull/1957",
		also: "Grafana's sizing rule: about 120 MiB per 1 MiB/s of logs ingested " +
			"(https://grafana.com/docs/alloy/latest/introduction/estimate-resource-usage/); KoproGo ships a few KiB/s",
	},
	services.Cadvisor: {
		mib: 40,
		what: "steady-state memory of cAdvisor on a 30-container host with a 10 s housekeeping interval and the " +
			"expensive metric groups disabled (this stack: 30 s, 15 groups disabled, Docker containers only)",
		source: "https://github.com/vonrobak/fedora-homelab-containers/pull/131",
		also: "87-91 MiB on a larger Docker host with 60 s housekeeping after many container re-creations: " +
			"https://github.com/GetKlai/klai/pull/783",
	},
}

// budget is the seed plan's budget for the whole monitoring stack and the
// host it shares with PostgreSQL, the backend and Traefik.
const (
	seedBudgetMB = 500  // ~500 MB for the whole stack (Prometheus ~200, Grafana ~100, Loki ~150, exporters ~50)
	hostMiB      = 2048 // the 2 GB VPS
)
