package alerts

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/helpers/templates"

	"github.com/koprogo/koprogo-monitoring/config"
)

// A case is one promtool alert_rule_test: synthetic input series, one
// evaluation time, and every alert of that name expected to be firing then
// (none for a quiet case). Values are derived from the stack's thresholds so
// that the same cases prove the rules rendered for every stack: a firing case
// sits past the threshold, a quiet case just inside it.
type ruleCase struct {
	name  string // what the case shows
	alert string
	at    time.Duration
	input []series
	exp   []expAlert
	step  time.Duration // between input samples; 0 = 1m
}

type series struct{ metric, values string }

type expAlert struct {
	severity    string
	labels      map[string]string // labels of the result vector (not severity/component)
	summary     string
	description string
}

func s(metric, values string) series { return series{metric, values} }

// f formats a float for promtool's series notation (no exponent: "1e+08"
// would read as an expanding-series operator).
func f(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// above and below are values a few points past and short of a percentage
// threshold, staying within 0..100.
func above(th float64) float64 { return th + math.Min(5, (100-th)/2) }
func below(th float64) float64 { return th - math.Min(5, th/2) }

const (
	// node_exporter and cAdvisor run on every host, at the same address:
	// only host tells them apart.
	ne = `job="node-exporter",instance="node-exporter:9100",host="vps"`
	ca = `job="cadvisor",instance="cadvisor:8080",host="vps"`
	pe = `job="postgres-exporter",instance="postgres-exporter:9187"`
	tr = `job="traefik",instance="traefik:8082"`
	pr = `job="prometheus",instance="prometheus:9090"`
	am = `job="alertmanager",instance="alertmanager:9093"`
)

func lbl(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// downCases prove an "up == 0 or absent" rule: firing when the target is
// down, firing when its series is missing altogether, quiet during a blip
// shorter than the rule's for.
func downCases(alert, sev, jobName, instance string, hold time.Duration, summary, description string) []ruleCase {
	up := `up{job="` + jobName + `",instance="` + instance + `"}`
	blipMinutes := max(1, int(hold/time.Minute)-1)
	return []ruleCase{
		{name: "target down", alert: alert, at: hold + 3*time.Minute,
			input: []series{s(up, "0x20")},
			exp:   []expAlert{{sev, lbl("job", jobName, "instance", instance), summary, description}}},
		{name: "target never scraped", alert: alert, at: hold + 3*time.Minute,
			input: []series{s(`up{job="some-other",instance="x:1"}`, "1x20")},
			exp:   []expAlert{{sev, lbl("job", jobName), summary, description}}},
		{name: "down for less than for", alert: alert, at: time.Duration(3+blipMinutes)*time.Minute + 30*time.Second,
			input: []series{s(up, "1x3 "+strings.Repeat("0 ", blipMinutes)+"1x20")}},
	}
}

// onHost is the labels of a job every host runs, on one host: same job,
// same instance (the exporter's address in the host's Docker network), only
// host differs.
func onHost(jobName, instance, host string) string {
	return `job="` + jobName + `",instance="` + instance + `",host="` + host + `"`
}

// heartbeat is a host's Prometheus scraping itself: the series that says
// the host reports (knownHosts, HostNotReporting).
func heartbeat(host, values string) series {
	return s(`up{job="prometheus",instance="`+host+`:9090",host="`+host+`"}`, values)
}

// hostDownCases prove the down alert of an exporter every host runs
// (exporterDownExpr) with two hosts, vps and worker-1: the target down on
// one host fires for that host only; a host that reports without the
// target fires for it; a host gone silent is HostNotReporting's; with no
// target and no Prometheus reporting at all the absent() branch still
// fires; a blip shorter than the hold is quiet.
func hostDownCases(alert, sev, jobName, instance string, hold time.Duration, summary, description func(host string) string) []ruleCase {
	up := func(host, values string) series { return s(`up{`+onHost(jobName, instance, host)+`}`, values) }
	exp := func(host string, kv ...string) []expAlert {
		return []expAlert{{sev, lbl(kv...), summary(host), description(host)}}
	}
	at := hold + 3*time.Minute
	blipMinutes := max(1, int(hold/time.Minute)-1)
	both := []series{heartbeat("vps", "1x30"), heartbeat("worker-1", "1x30")}
	return []ruleCase{
		{name: "down on worker-1, up on vps", alert: alert, at: at,
			input: append([]series{up("vps", "1x30"), up("worker-1", "0x30")}, both...),
			exp:   exp("worker-1", "job", jobName, "instance", instance, "host", "worker-1")},
		{name: "worker-1 reports but has no target", alert: alert, at: at,
			input: append([]series{up("vps", "1x30")}, both...),
			exp:   exp("worker-1", "host", "worker-1")},
		{name: "up on both hosts", alert: alert, at: at,
			input: append([]series{up("vps", "1x30"), up("worker-1", "1x30")}, both...)},
		{name: "worker-1 silent: HostNotReporting's alert", alert: alert, at: 15 * time.Minute,
			input: []series{heartbeat("vps", "1x30"), up("vps", "1x30"), heartbeat("worker-1", "1x3"), up("worker-1", "1x3")}},
		{name: "nothing scraped at all", alert: alert, at: at,
			input: []series{s(`up{job="some-other",instance="x:1"}`, "1x20")},
			exp:   exp("", "job", jobName)},
		{name: "down for less than for", alert: alert, at: time.Duration(3+blipMinutes)*time.Minute + 30*time.Second,
			input: []series{heartbeat("vps", "1x20"), up("vps", "1x3 "+strings.Repeat("0 ", blipMinutes)+"1x20")}},
	}
}

// on is what the summaries append when the alert has a host label.
func on(host string) string {
	if host == "" {
		return ""
	}
	return " on " + host
}

func cases(st config.Alerts) []ruleCase {
	t := st.Thresholds
	var cs []ruleCase
	add := func(c ...ruleCase) { cs = append(cs, c...) }

	// --- host -------------------------------------------------------------
	nodeDown := func(host string) string { return "node_exporter is down" + on(host) }
	nodeDownDesc := func(host string) string {
		if host != "" {
			host = " on host " + host
		}
		return "Prometheus cannot scrape node_exporter" + host + ": no host metrics, no backup timestamp from it. That host's host and backup alerts are inhibited meanwhile."
	}
	add(hostDownCases("NodeExporterDown", Critical, "node-exporter", "node-exporter:9100", exporterDownFor, nodeDown, nodeDownDesc)...)

	cpuOn := func(host string, busy float64) []series {
		// Two CPUs; per minute each spends busy% in user, the rest in idle
		// and iowait (iowait counts as not busy).
		var out []series
		l := onHost("node-exporter", "node-exporter:9100", host)
		for _, c := range []string{"0", "1"} {
			out = append(out,
				s(`node_cpu_seconds_total{`+l+`,cpu="`+c+`",mode="user"}`, "0+"+f(busy*0.6)+"x40"),
				s(`node_cpu_seconds_total{`+l+`,cpu="`+c+`",mode="iowait"}`, "0+3x40"),
				s(`node_cpu_seconds_total{`+l+`,cpu="`+c+`",mode="idle"}`, "0+"+f((100-busy)*0.6-3)+"x40"))
		}
		return out
	}
	cpu := func(busy float64) []series { return cpuOn("vps", busy) }
	cpuDesc := func(host string, v float64) string {
		return fmt.Sprintf("CPU busy at %.1f%% on %s for 15 minutes (iowait and steal not counted as busy); threshold %s%%.", v, host, num(t.CPUHighPercent))
	}
	add(
		ruleCase{name: "busy above threshold", alert: "HostCpuHigh", at: 25 * time.Minute, input: cpu(above(t.CPUHighPercent)),
			exp: []expAlert{{Warning, lbl("instance", "node-exporter:9100", "host", "vps"), "CPU busy on vps", cpuDesc("vps", above(t.CPUHighPercent))}}},
		ruleCase{name: "busy just below threshold", alert: "HostCpuHigh", at: 25 * time.Minute, input: cpu(below(t.CPUHighPercent))},
		// Same instance on both hosts: summed together they would average
		// out under the threshold (and name no host).
		ruleCase{name: "worker-1 busy, vps idle: not averaged", alert: "HostCpuHigh", at: 25 * time.Minute,
			input: append(cpuOn("vps", 5), cpuOn("worker-1", above(t.CPUHighPercent))...),
			exp:   []expAlert{{Warning, lbl("instance", "node-exporter:9100", "host", "worker-1"), "CPU busy on worker-1", cpuDesc("worker-1", above(t.CPUHighPercent))}}},
	)

	mem := func(used float64) []series {
		return []series{
			s(`node_memory_MemTotal_bytes{`+ne+`}`, "8e9x30"),
			s(`node_memory_MemAvailable_bytes{`+ne+`}`, f((100-used)/100*8e9)+"x30"),
		}
	}
	add(
		ruleCase{name: "used above threshold", alert: "HostMemoryHigh", at: 15 * time.Minute, input: mem(above(t.MemoryHighPercent)),
			exp: []expAlert{{Warning, ne2("node-exporter:9100"), "Memory nearly exhausted on vps",
				fmt.Sprintf("%.1f%% of memory in use (MemAvailable-based) on vps; threshold %s%%.", above(t.MemoryHighPercent), num(t.MemoryHighPercent))}}},
		ruleCase{name: "used just below threshold", alert: "HostMemoryHigh", at: 15 * time.Minute, input: mem(below(t.MemoryHighPercent))},
	)

	warnFree, critFree := t.DiskFreePercent, t.DiskFreePercent*diskCriticalFactor
	rootFS := ne + `,mountpoint="/",fstype="ext4",device="/dev/sda1"`
	disk := func(free float64) []series {
		return []series{
			s(`node_filesystem_size_bytes{`+rootFS+`}`, "100e9x20"),
			s(`node_filesystem_avail_bytes{`+rootFS+`}`, f(free*1e9)+"x20"),
			// Without --path.rootfs node_exporter would report the container's
			// overlay as "/": it must be ignored.
			s(`node_filesystem_size_bytes{`+ne+`,mountpoint="/",fstype="overlay",device="overlay"}`, "100e9x20"),
			s(`node_filesystem_avail_bytes{`+ne+`,mountpoint="/",fstype="overlay",device="overlay"}`, "1e9x20"),
		}
	}
	diskAlert := func(sev string, free, th float64) expAlert {
		return expAlert{sev, lbl("job", "node-exporter", "instance", "node-exporter:9100", "host", "vps", "mountpoint", "/", "fstype", "ext4", "device", "/dev/sda1"),
			"Disk space low on vps (/)",
			fmt.Sprintf("Only %.1f%% free on / (/dev/sda1) of vps; %s below %s%%.", free, sev, num(th))}
	}
	// A data disk (PostgreSQL's volume on its own filesystem), not growing:
	// full is full, wherever it is mounted. tmpfs is not a disk.
	dataFS := ne + `,mountpoint="/mnt/data",fstype="xfs",device="/dev/sdb"`
	dataDisk := func(free float64) []series {
		return []series{
			s(`node_filesystem_size_bytes{`+rootFS+`}`, "100e9x20"),
			s(`node_filesystem_avail_bytes{`+rootFS+`}`, "60e9x20"),
			s(`node_filesystem_size_bytes{`+dataFS+`}`, "200e9x20"),
			s(`node_filesystem_avail_bytes{`+dataFS+`}`, f(free*2e9)+"x20"),
			s(`node_filesystem_size_bytes{`+ne+`,mountpoint="/run",fstype="tmpfs",device="tmpfs"}`, "1e9x20"),
			s(`node_filesystem_avail_bytes{`+ne+`,mountpoint="/run",fstype="tmpfs",device="tmpfs"}`, "0x20"),
		}
	}
	dataAlert := func(sev string, free, th float64) expAlert {
		return expAlert{sev, lbl("job", "node-exporter", "instance", "node-exporter:9100", "host", "vps", "mountpoint", "/mnt/data", "fstype", "xfs", "device", "/dev/sdb"),
			"Disk space low on vps (/mnt/data)",
			fmt.Sprintf("Only %.1f%% free on /mnt/data (/dev/sdb) of vps; %s below %s%%.", free, sev, num(th))}
	}
	between := (warnFree + critFree) / 2
	add(
		ruleCase{name: "free between the critical and warning thresholds", alert: "HostDiskSpaceLow", at: 10 * time.Minute, input: disk(between),
			exp: []expAlert{diskAlert(Warning, between, warnFree)}},
		ruleCase{name: "free below the critical threshold", alert: "HostDiskSpaceLow", at: 10 * time.Minute, input: disk(critFree / 2),
			exp: []expAlert{diskAlert(Warning, critFree/2, warnFree), diskAlert(Critical, critFree/2, critFree)}},
		ruleCase{name: "free just above the warning threshold; overlay ignored", alert: "HostDiskSpaceLow", at: 10 * time.Minute, input: disk(above(warnFree))},
		ruleCase{name: "a full data filesystem, root fine, tmpfs ignored", alert: "HostDiskSpaceLow", at: 10 * time.Minute, input: dataDisk(critFree / 2),
			exp: []expAlert{dataAlert(Warning, critFree/2, warnFree), dataAlert(Critical, critFree/2, critFree)}},
		ruleCase{name: "a data filesystem just above the warning threshold", alert: "HostDiskSpaceLow", at: 10 * time.Minute, input: dataDisk(above(warnFree))},
	)
	// Two hosts with the same root device: the full one is named, the other
	// stays quiet.
	workerFS := onHost("node-exporter", "node-exporter:9100", "worker-1") + `,mountpoint="/",fstype="ext4",device="/dev/sda1"`
	add(ruleCase{name: "worker-1's root below the critical threshold, vps's fine", alert: "HostDiskSpaceLow", at: 10 * time.Minute,
		input: append(disk(above(warnFree)),
			s(`node_filesystem_size_bytes{`+workerFS+`}`, "100e9x20"),
			s(`node_filesystem_avail_bytes{`+workerFS+`}`, f(critFree/2*1e9)+"x20")),
		exp: []expAlert{
			{Warning, lbl("job", "node-exporter", "instance", "node-exporter:9100", "host", "worker-1", "mountpoint", "/", "fstype", "ext4", "device", "/dev/sda1"),
				"Disk space low on worker-1 (/)",
				fmt.Sprintf("Only %.1f%% free on / (/dev/sda1) of worker-1; %s below %s%%.", critFree/2, Warning, num(warnFree))},
			{Critical, lbl("job", "node-exporter", "instance", "node-exporter:9100", "host", "worker-1", "mountpoint", "/", "fstype", "ext4", "device", "/dev/sda1"),
				"Disk space low on worker-1 (/)",
				fmt.Sprintf("Only %.1f%% free on / (/dev/sda1) of worker-1; %s below %s%%.", critFree/2, Critical, num(critFree))},
		}})

	fill := func(dropPerMinute float64) []series {
		return []series{
			s(`node_filesystem_size_bytes{`+rootFS+`}`, "100e9x100"),
			s(`node_filesystem_avail_bytes{`+rootFS+`}`, "30e9-"+f(dropPerMinute)+"x100"),
		}
	}
	add(
		// 100 MB/min from 30 GB: empty in 5 hours.
		ruleCase{name: "full within hours", alert: "HostDiskFillingUp", at: 65 * time.Minute, input: fill(1e8),
			exp: []expAlert{{Warning, lbl("job", "node-exporter", "instance", "node-exporter:9100", "host", "vps", "mountpoint", "/", "fstype", "ext4", "device", "/dev/sda1"),
				"Disk filling up on vps (/)",
				"/ (/dev/sda1) on vps is 23.5% free and will be full within 24 hours at the rate of the last 6 hours."}}},
		// 15 MB/min from 30 GB: empty in 33 hours, beyond the 24 h horizon.
		ruleCase{name: "full in more than 24 hours", alert: "HostDiskFillingUp", at: 65 * time.Minute, input: fill(1.5e7)},
	)

	ro := func(v string) []series {
		return []series{
			s(`node_filesystem_readonly{`+rootFS+`}`, v+"x10"),
			s(`node_filesystem_readonly{`+ne+`,mountpoint="/snap/core",fstype="squashfs",device="/dev/loop0"}`, "1x10"),
		}
	}
	add(
		ruleCase{name: "root remounted read-only", alert: "HostFilesystemReadOnly", at: 5 * time.Minute, input: ro("1"),
			exp: []expAlert{{Critical, lbl("job", "node-exporter", "instance", "node-exporter:9100", "host", "vps", "mountpoint", "/", "fstype", "ext4", "device", "/dev/sda1"),
				"Read-only filesystem on vps (/)",
				"/ (/dev/sda1) on vps is mounted read-only, usually the kernel's reaction to an I/O error: writes (PostgreSQL, Prometheus) fail."}}},
		ruleCase{name: "root writable, squashfs snap ignored", alert: "HostFilesystemReadOnly", at: 5 * time.Minute, input: ro("0")},
	)

	loadOn := func(host string, perCore float64) []series {
		l := onHost("node-exporter", "node-exporter:9100", host)
		return []series{
			s(`node_load15{`+l+`}`, f(perCore*2)+"x30"),
			s(`node_cpu_seconds_total{`+l+`,cpu="0",mode="idle"}`, "0+30x30"),
			s(`node_cpu_seconds_total{`+l+`,cpu="1",mode="idle"}`, "0+30x30"),
		}
	}
	load := func(perCore float64) []series { return loadOn("vps", perCore) }
	loadAlert := func(host string, perCore float64) expAlert {
		return expAlert{Warning, lbl("instance", "node-exporter:9100", "host", host), "High load on " + host,
			fmt.Sprintf("15-minute load average is %.2f per core on %s; threshold %s.", perCore, host, num(t.LoadPerCore))}
	}
	add(
		ruleCase{name: "load per core above", alert: "HostLoadHigh", at: 20 * time.Minute, input: load(t.LoadPerCore + 0.2),
			exp: []expAlert{loadAlert("vps", t.LoadPerCore+0.2)}},
		ruleCase{name: "load per core just below", alert: "HostLoadHigh", at: 20 * time.Minute, input: load(t.LoadPerCore - 0.1)},
		// Each host's load divided by its own CPU count: matched on
		// instance alone the two hosts' series collide and the rule fails.
		ruleCase{name: "worker-1 loaded, vps not", alert: "HostLoadHigh", at: 20 * time.Minute,
			input: append(loadOn("vps", t.LoadPerCore-0.1), loadOn("worker-1", t.LoadPerCore+0.2)...),
			exp:   []expAlert{loadAlert("worker-1", t.LoadPerCore+0.2)}},
	)

	add(
		ruleCase{name: "one OOM kill", alert: "HostOomKill", at: 13 * time.Minute,
			input: []series{s(`node_vmstat_oom_kill{`+ne+`}`, "0x10 1x10")},
			exp: []expAlert{{Warning, ne2("node-exporter:9100"), "OOM kill on vps",
				"The kernel killed about 1 process(es) for lack of memory on vps in the last 10 minutes."}}},
		ruleCase{name: "old OOM kills only", alert: "HostOomKill", at: 13 * time.Minute,
			input: []series{s(`node_vmstat_oom_kill{`+ne+`}`, "3x20")}},
	)

	add(
		ruleCase{name: "clock 60ms behind", alert: "HostClockSkew", at: 15 * time.Minute,
			input: []series{s(`node_timex_offset_seconds{`+ne+`}`, "-0.06x20")},
			exp: []expAlert{{Warning, ne2("node-exporter:9100"), "Clock skew on vps",
				"The clock of vps is off by 60ms; threshold 0.05 s. TLS, token expiry and log ordering depend on it."}}},
		ruleCase{name: "clock 40ms ahead", alert: "HostClockSkew", at: 15 * time.Minute,
			input: []series{s(`node_timex_offset_seconds{`+ne+`}`, "0.04x20")}},
	)

	add(
		ruleCase{name: "unsynchronised", alert: "HostClockNotSynchronised", at: 20 * time.Minute,
			input: []series{s(`node_timex_sync_status{`+ne+`}`, "0x30")},
			exp: []expAlert{{Warning, ne2("node-exporter:9100"), "Clock not synchronised on vps",
				"The kernel reports the clock of vps as unsynchronised (NTP not running or unreachable)."}}},
		ruleCase{name: "one unsynchronised sample", alert: "HostClockNotSynchronised", at: 15 * time.Minute,
			input: []series{s(`node_timex_sync_status{`+ne+`}`, "1x5 0 1x20")}},
	)

	add(
		// promtool's clock starts at 0: booted at 600 s, evaluated at 1200 s.
		ruleCase{name: "booted 10 minutes ago", alert: "HostRebooted", at: 20 * time.Minute,
			input: []series{s(`node_boot_time_seconds{`+ne+`}`, "600x30")},
			exp:   []expAlert{{Info, ne2("node-exporter:9100"), "vps rebooted", "vps booted 10m 0s ago."}}},
		ruleCase{name: "booted 16 minutes ago", alert: "HostRebooted", at: 20 * time.Minute,
			input: []series{s(`node_boot_time_seconds{`+ne+`}`, "240x30")}},
	)

	// --- containers ---------------------------------------------------------
	cadvisorDown := func(host string) string { return "cAdvisor is down" + on(host) }
	cadvisorDownDesc := func(host string) string {
		if host != "" {
			host = " on host " + host
		}
		return "Prometheus cannot scrape cAdvisor" + host + ": no container metrics from it. That host's container alerts are inhibited meanwhile."
	}
	add(hostDownCases("CadvisorDown", Warning, "cadvisor", "cadvisor:8080", exporterDownFor, cadvisorDown, cadvisorDownDesc)...)

	if crit := st.CriticalContainers; len(crit) > 0 {
		seenOn := func(host, name, values string) series {
			return s(`container_last_seen{`+onHost("cadvisor", "cadvisor:8080", host)+`,name="`+name+`",id="/docker/`+name+`"}`, values)
		}
		seen := func(name, values string) series { return seenOn("vps", name, values) }
		caUp := func(host, values string) series {
			return s(`up{`+onHost("cadvisor", "cadvisor:8080", host)+`}`, values)
		}
		// host "" is the absent() branch: missing on every host.
		missingDesc := func(name, host string) expAlert {
			l := lbl("name", name)
			desc := "Container " + name + " is not running: cAdvisor has not seen it for over 120 seconds, or no host's cAdvisor ever did (stopped, removed or renamed)."
			if host != "" {
				l["host"] = host
				desc = "Container " + name + " is not running: cAdvisor on " + host + " has not seen it for over 120 seconds (stopped, removed or renamed)."
			}
			return expAlert{Critical, l, "Critical container " + name + " is missing" + on(host), desc}
		}
		// container_last_seen is a timestamp: a running container's value
		// follows the clock (60 per minute from promtool's time 0).
		var fire, quiet []series
		exp := []expAlert{missingDesc(crit[0], "")} // crit[0] has no series at all
		for i, n := range crit[1:] {
			if i == len(crit)-2 {
				fire = append(fire, seen(n, "0+60x3 180x20")) // stopped at 3m
				exp = append(exp, missingDesc(n, "vps"))
			} else {
				fire = append(fire, seen(n, "0+60x20"))
			}
		}
		for _, n := range crit {
			quiet = append(quiet, seen(n, "-90+60x20")) // 90 s behind: within 120 s
		}
		fire = append(fire, seen("not-critical", "0+60x3"), s(`up{`+ca+`}`, "1x20"))
		quiet = append(quiet, s(`up{`+ca+`}`, "1x20"))
		// Two hosts, both reporting. The other critical containers run on
		// vps throughout.
		twoHosts := func(cadvisorWorker string) []series {
			in := []series{heartbeat("vps", "1x20"), heartbeat("worker-1", "1x20"), caUp("vps", "1x20"), caUp("worker-1", cadvisorWorker)}
			for _, n := range crit[1:] {
				in = append(in, seen(n, "0+60x20"))
			}
			return in
		}
		add(
			ruleCase{name: "one critical container absent, one stale", alert: "ContainerMissing", at: 10 * time.Minute, input: fire, exp: exp},
			ruleCase{name: "all seen recently, a non-critical one gone", alert: "ContainerMissing", at: 10 * time.Minute, input: quiet},
			// A container of the same name running on vps does not hide
			// the stopped one on worker-1.
			ruleCase{name: "stopped on worker-1, running on vps", alert: "ContainerMissing", at: 10 * time.Minute,
				input: append(twoHosts("1x20"), seenOn("vps", crit[0], "0+60x20"), seenOn("worker-1", crit[0], "0+60x3 180x20")),
				exp:   []expAlert{missingDesc(crit[0], "worker-1")}},
			// Absent everywhere, but worker-1's cAdvisor is down: the
			// container may be there unseen, and CadvisorDown names the host.
			ruleCase{name: "absent while worker-1's cAdvisor is down", alert: "ContainerMissing", at: 10 * time.Minute,
				input: twoHosts("0x20")},
			ruleCase{name: "absent, every host's cAdvisor up", alert: "ContainerMissing", at: 10 * time.Minute,
				input: twoHosts("1x20"), exp: []expAlert{missingDesc(crit[0], "")}},
		)
	}

	start := `container_start_time_seconds{` + ca + `,name="backend",id="/docker/abc"}`
	add(
		ruleCase{name: "two restarts in 15 minutes", alert: "ContainerRestarting", at: 10 * time.Minute,
			input: []series{s(start, "100x3 400x3 700x10")},
			exp: []expAlert{{Warning, lbl("job", "cadvisor", "instance", "cadvisor:8080", "host", "vps", "name", "backend", "id", "/docker/abc"),
				"Container backend is restarting on vps", "Container backend restarted 2 times in the last 15 minutes (crash loop?)."}}},
		ruleCase{name: "one restart", alert: "ContainerRestarting", at: 10 * time.Minute,
			input: []series{s(start, "100x3 400x10")}},
	)

	cmem := func(pct float64) []series {
		return []series{
			s(`container_spec_memory_limit_bytes{`+ca+`,name="backend",id="/docker/abc"}`, "512e6x20"),
			s(`container_memory_working_set_bytes{`+ca+`,name="backend",id="/docker/abc"}`, f(pct/100*512e6)+"x20"),
			// No limit: cAdvisor reports 0, the container is left out.
			s(`container_spec_memory_limit_bytes{`+ca+`,name="nolimit",id="/docker/def"}`, "0x20"),
			s(`container_memory_working_set_bytes{`+ca+`,name="nolimit",id="/docker/def"}`, "9e9x20"),
		}
	}
	memHigh, memOK := above(t.ContainerMemoryPercent), t.ContainerMemoryPercent-math.Min(2, t.ContainerMemoryPercent/2)
	add(
		ruleCase{name: num(memHigh) + "% of the limit", alert: "ContainerMemoryNearLimit", at: 15 * time.Minute, input: cmem(memHigh),
			exp: []expAlert{{Warning, lbl("instance", "cadvisor:8080", "host", "vps", "name", "backend"), "Container backend near its memory limit on vps",
				fmt.Sprintf("Container backend uses %.1f%% of its memory limit; at 100%% the kernel OOM-kills it.", memHigh)}}},
		ruleCase{name: num(memOK) + "% of the limit, unlimited container ignored", alert: "ContainerMemoryNearLimit", at: 15 * time.Minute, input: cmem(memOK)},
	)

	throttle := func(pct float64) []series {
		return []series{
			s(`container_cpu_cfs_periods_total{`+ca+`,name="backend",id="/docker/abc"}`, "0+600x30"),
			s(`container_cpu_cfs_throttled_periods_total{`+ca+`,name="backend",id="/docker/abc"}`, "0+"+f(6*pct)+"x30"),
		}
	}
	add(
		ruleCase{name: "30% of periods throttled", alert: "ContainerCpuThrottled", at: 25 * time.Minute, input: throttle(30),
			exp: []expAlert{{Warning, lbl("instance", "cadvisor:8080", "host", "vps", "name", "backend"), "Container backend CPU-throttled on vps",
				"Container backend was throttled in 30.0% of its CPU periods over 15 minutes: its CPU limit is too low for its load."}}},
		ruleCase{name: "24% of periods throttled", alert: "ContainerCpuThrottled", at: 25 * time.Minute, input: throttle(24)},
	)

	// --- postgres -----------------------------------------------------------
	add(downCases("PostgresExporterDown", Critical, "postgres-exporter", "postgres-exporter:9187", exporterDownFor,
		"postgres_exporter is down",
		"Prometheus cannot scrape postgres_exporter: the state of PostgreSQL is unknown. The other PostgreSQL alerts are inhibited meanwhile.")...)

	add(
		ruleCase{name: "pg_up 0", alert: "PostgresDown", at: 5 * time.Minute,
			input: []series{s(`pg_up{`+pe+`}`, "0x10")},
			exp: []expAlert{{Critical, lbl("job", "postgres-exporter", "instance", "postgres-exporter:9187"), "PostgreSQL is down",
				"postgres_exporter answers but cannot connect to PostgreSQL (pg_up is 0): the application has no database."}}},
		ruleCase{name: "no pg_up series: the exporter's alert, not this one", alert: "PostgresDown", at: 5 * time.Minute,
			input: []series{s(`up{`+pe+`}`, "0x10")}},
		ruleCase{name: "pg_up 0 for one scrape", alert: "PostgresDown", at: 4 * time.Minute,
			input: []series{s(`pg_up{`+pe+`}`, "1x3 0 1x5")}},
	)

	conns := func(pct float64) []series {
		return []series{
			s(`pg_settings_max_connections{`+pe+`}`, "200x20"),
			s(`pg_stat_activity_count{`+pe+`,datname="koprogo",state="active",usename="app",application_name="",backend_type="client backend",wait_event_type="",wait_event=""}`, f(pct*2*0.25)+"x20"),
			s(`pg_stat_activity_count{`+pe+`,datname="koprogo",state="idle",usename="app",application_name="",backend_type="client backend",wait_event_type="",wait_event=""}`, f(pct*2*0.75)+"x20"),
		}
	}
	add(
		ruleCase{name: "connections above threshold", alert: "PostgresTooManyConnections", at: 10 * time.Minute, input: conns(above(t.PgConnectionsPercent)),
			exp: []expAlert{{Warning, lbl("instance", "postgres-exporter:9187"), "PostgreSQL connections near max_connections",
				fmt.Sprintf("%.1f%% of max_connections in use on postgres-exporter:9187; threshold %s%%. New connections are refused at 100%%.", above(t.PgConnectionsPercent), num(t.PgConnectionsPercent))}}},
		ruleCase{name: "connections just below threshold", alert: "PostgresTooManyConnections", at: 10 * time.Minute, input: conns(below(t.PgConnectionsPercent))},
	)

	dl := `pg_stat_database_deadlocks{` + pe + `,datid="16384",datname="koprogo"}`
	add(
		ruleCase{name: "one deadlock", alert: "PostgresDeadlocks", at: 13 * time.Minute,
			input: []series{s(dl, "0x10 1x10")},
			exp: []expAlert{{Warning, lbl("job", "postgres-exporter", "instance", "postgres-exporter:9187", "datid", "16384", "datname", "koprogo"),
				"Deadlocks in database koprogo",
				"About 1 deadlock(s) in database koprogo in the last 10 minutes: PostgreSQL aborted the transactions involved."}}},
		ruleCase{name: "no new deadlock", alert: "PostgresDeadlocks", at: 13 * time.Minute, input: []series{s(dl, "2x20")}},
	)

	tx := `pg_stat_activity_max_tx_duration{` + pe + `,datname="koprogo",state="idle in transaction",usename="app",application_name="",backend_type="client backend",wait_event_type="",wait_event=""}`
	// The open transaction ages 60 s per minute and crosses the threshold at
	// 5m; evaluated at 10m it is 300 s past it, well beyond the rule's 2m for.
	txLong, txShort := t.PgLongTxSeconds+300, t.PgLongTxSeconds-math.Min(10, t.PgLongTxSeconds/2)
	txAge, err := templates.HumanizeDuration(txLong) // what the rule's humanizeDuration prints
	if err != nil {
		panic(err)
	}
	add(
		ruleCase{name: "transaction open for " + num(txLong/60) + " minutes", alert: "PostgresLongRunningTransaction", at: 10 * time.Minute,
			input: []series{s(tx, f(t.PgLongTxSeconds-300)+"+60x20")},
			exp: []expAlert{{Warning, lbl("instance", "postgres-exporter:9187", "datname", "koprogo"), "Long-running transaction in database koprogo",
				"A transaction in database koprogo has been open for " + txAge + ": it holds locks and blocks vacuum."}}},
		ruleCase{name: "transaction open for " + num(txShort) + " s", alert: "PostgresLongRunningTransaction", at: 10 * time.Minute,
			input: []series{s(tx, f(txShort)+"x20")}},
	)

	blocks := func(db string, hitPerMin, readPerMin float64) []series {
		l := pe + `,datid="1",datname="` + db + `"`
		return []series{
			s(`pg_stat_database_blks_hit{`+l+`}`, "0+"+f(hitPerMin)+"x60"),
			s(`pg_stat_database_blks_read{`+l+`}`, "0+"+f(readPerMin)+"x60"),
		}
	}
	add(
		// 20 disk reads/s, 85% hits.
		ruleCase{name: "85% hit ratio under load", alert: "PostgresLowCacheHitRatio", at: 45 * time.Minute, input: blocks("koprogo", 6800, 1200),
			exp: []expAlert{{Warning, lbl("instance", "postgres-exporter:9187", "datname", "koprogo"), "Low cache hit ratio in database koprogo",
				"Only 85.0% of block reads in database koprogo hit shared_buffers over 30 minutes: shared_buffers or memory is too small for the working set."}}},
		// 92% under load; 50% on an idle database (5 reads/s) does not count.
		ruleCase{name: "92% under load, 50% when idle", alert: "PostgresLowCacheHitRatio", at: 45 * time.Minute,
			input: append(blocks("koprogo", 13800, 1200), blocks("idle", 300, 300)...)},
	)

	stmts := func(meanMs float64) []series {
		// Two statements, 100 calls/min each, means of 0.5x and 1.5x.
		l := pe + `,datname="koprogo",user="app"`
		return []series{
			s(`pg_stat_statements_calls_total{`+l+`,queryid="1"}`, "0+100x40"),
			s(`pg_stat_statements_seconds_total{`+l+`,queryid="1"}`, "0+"+f(100*0.5*meanMs/1000)+"x40"),
			s(`pg_stat_statements_calls_total{`+l+`,queryid="2"}`, "0+100x40"),
			s(`pg_stat_statements_seconds_total{`+l+`,queryid="2"}`, "0+"+f(100*1.5*meanMs/1000)+"x40"),
		}
	}
	slow, fast := t.PgSlowQueryMs*1.2, t.PgSlowQueryMs*0.9
	add(
		ruleCase{name: "mean 20% over target", alert: "PostgresSlowQueries", at: 30 * time.Minute, input: stmts(slow),
			exp: []expAlert{{Warning, lbl("instance", "postgres-exporter:9187", "datname", "koprogo"), "Slow queries in database koprogo",
				fmt.Sprintf("Mean statement time in database koprogo is %.0f ms over 10 minutes; threshold %s ms.", slow, num(t.PgSlowQueryMs))}}},
		ruleCase{name: "mean 10% under target", alert: "PostgresSlowQueries", at: 30 * time.Minute, input: stmts(fast)},
	)

	// --- app ----------------------------------------------------------------
	add(downCases("BackendDown", Critical, "backend", "backend:8080", 2*time.Minute,
		"KoproGo backend is down",
		"Prometheus cannot reach the backend's metrics endpoint: the backend is down or unreachable on the application network.")...)

	reqs := func(service string, okPerMin, errPerMin float64) []series {
		l := tr + `,service="` + service + `",method="GET",protocol="http"`
		return []series{
			s(`traefik_service_requests_total{`+l+`,code="200"}`, "0+"+f(okPerMin)+"x30"),
			s(`traefik_service_requests_total{`+l+`,code="502"}`, "0+"+f(errPerMin)+"x30"),
		}
	}
	errPct := func(pct float64) []series { return reqs("backend@docker", 600*(100-pct)/100, 600*pct/100) }
	add(
		ruleCase{name: "5xx above threshold", alert: "HttpErrorRateHigh", at: 15 * time.Minute, input: errPct(above(t.HTTP5xxPercent)),
			exp: []expAlert{{Critical, lbl("service", "backend@docker"), "High 5xx rate on backend@docker",
				fmt.Sprintf("%.1f%% of requests to Traefik service backend@docker fail with 5xx; threshold %s%%.", above(t.HTTP5xxPercent), num(t.HTTP5xxPercent))}}},
		// 3 requests/min (0.05/s), one failing: too little traffic to judge.
		ruleCase{name: "5xx just below threshold; a quiet service ignored", alert: "HttpErrorRateHigh", at: 15 * time.Minute,
			input: append(errPct(below(t.HTTP5xxPercent)), reqs("admin@docker", 2, 1)...)},
	)

	add(
		ruleCase{name: "p99 20% over target", alert: "HttpLatencyP99High", at: 20 * time.Minute, input: latency(t.HTTPP99Ms * 1.2),
			exp: []expAlert{{Warning, lbl("service", "backend@docker"), "Slow responses on backend@docker",
				fmt.Sprintf("p99 latency of Traefik service backend@docker is %.0f ms; target %s ms.", t.HTTPP99Ms*1.2, num(t.HTTPP99Ms))}}},
		ruleCase{name: "p99 10% under target", alert: "HttpLatencyP99High", at: 20 * time.Minute, input: latency(t.HTTPP99Ms * 0.9)},
	)

	cert := func(serial string, days float64) series {
		return s(`traefik_tls_certs_not_after{`+tr+`,cn="koprogo.com",sans="koprogo.com,www.koprogo.com",serial="`+serial+`"}`, f(days*86400)+"x30")
	}
	certAlert := func(sev string, days float64, limit int) expAlert {
		return expAlert{sev, lbl("cn", "koprogo.com"), "TLS certificate for koprogo.com expires soon",
			fmt.Sprintf("The certificate Traefik serves for koprogo.com expires in %.1f days; %s under %d days. Automatic renewal is failing.", days-1200.0/86400, sev, limit)}
	}
	add(
		// Evaluated at 1200 s: expiry in days minus 20 minutes.
		ruleCase{name: "10 days left; older certificate for the same name ignored", alert: "TlsCertificateExpiring", at: 20 * time.Minute,
			input: []series{cert("2", 10), cert("1", 1)},
			exp:   []expAlert{certAlert(Warning, 10, tlsWarningDays)}},
		ruleCase{name: "2 days left", alert: "TlsCertificateExpiring", at: 20 * time.Minute,
			input: []series{cert("2", 2)},
			exp:   []expAlert{certAlert(Warning, 2, tlsWarningDays), certAlert(Critical, 2, tlsCriticalDays)}},
		ruleCase{name: "15 days left", alert: "TlsCertificateExpiring", at: 20 * time.Minute,
			input: []series{cert("2", 15)}},
	)

	// --- backup -------------------------------------------------------------
	// Evaluated at 40m (2400 s); the metric holds the finish time of the last
	// successful backup, so its age then is 2400 - value.
	backupAt := func(ageHours float64) []series {
		return []series{s(`koprogo_last_backup_timestamp_seconds{`+ne+`}`, f(2400-ageHours*3600)+"x60")}
	}
	h := t.BackupMaxAgeHours
	missingBackup := expAlert{Critical, lbl("job", "node-exporter", "reason", "metric_missing"), "Last successful backup is too old",
		"No koprogo_last_backup_timestamp_seconds metric on any host: the backup job never wrote it to the node_exporter textfile directory, or the file is gone."}
	// vps and worker-1 report; worker-1's node_exporter as given.
	backupHosts := func(workerUp string) []series {
		return []series{heartbeat("vps", "1x60"), s(`up{`+ne+`}`, "1x60"),
			s(`up{`+onHost("node-exporter", "node-exporter:9100", "worker-1")+`}`, workerUp), heartbeat("worker-1", "1x60")}
	}
	add(
		ruleCase{name: "last backup 2 hours past the limit", alert: "BackupTooOld", at: 40 * time.Minute, input: backupAt(h + 2),
			exp: []expAlert{{Critical, lbl("instance", "node-exporter:9100", "host", "vps", "reason", "too_old"), "Last successful backup is too old",
				fmt.Sprintf("The last successful backup on vps finished %.1f hours ago; limit %s hours.", h+2, num(h))}}},
		ruleCase{name: "metric never written", alert: "BackupTooOld", at: 40 * time.Minute,
			input: []series{s(`up{`+ne+`}`, "1x60")},
			exp:   []expAlert{missingBackup}},
		ruleCase{name: "last backup 30 minutes inside the limit", alert: "BackupTooOld", at: 40 * time.Minute, input: backupAt(h - 0.5)},
		ruleCase{name: "no metric because node_exporter is down: its own alert", alert: "BackupTooOld", at: 40 * time.Minute,
			input: []series{s(`up{`+ne+`}`, "0x60")}},
		// The backup may run on either host: the metric is missing only
		// when neither has it and both node_exporters answer.
		ruleCase{name: "metric on neither host, both node_exporters up", alert: "BackupTooOld", at: 40 * time.Minute,
			input: backupHosts("1x60"), exp: []expAlert{missingBackup}},
		ruleCase{name: "no metric while worker-1's node_exporter is down: its own alert", alert: "BackupTooOld", at: 40 * time.Minute,
			input: backupHosts("0x60")},
		ruleCase{name: "no metric while worker-1 is silent: HostNotReporting's alert", alert: "BackupTooOld", at: 40 * time.Minute,
			input: append(backupHosts("1x5")[:3], heartbeat("worker-1", "1x5"))},
	)

	// --- monitoring ---------------------------------------------------------
	add(ruleCase{name: "always firing", alert: "Watchdog", at: time.Minute,
		input: []series{s(`up{`+pr+`}`, "1x5")},
		exp: []expAlert{{None, nil, "Alerting pipeline heartbeat",
			"Always firing. It is sent to the dead-man switch, never to people; if the switch stops receiving it, Prometheus, Alertmanager or the host is down."}}})

	add(
		ruleCase{name: "grafana down 5 minutes", alert: "TargetDown", at: 7 * time.Minute,
			input: []series{s(`up{job="grafana",instance="grafana:3000"}`, "0x10")},
			exp: []expAlert{{Warning, lbl("job", "grafana", "instance", "grafana:3000"), "Scrape target grafana is down",
				"Prometheus cannot scrape grafana at grafana:3000 for 5 minutes."}}},
		ruleCase{name: "grafana down 2 minutes; node-exporter has its own alert", alert: "TargetDown", at: 8 * time.Minute,
			input: []series{s(`up{job="grafana",instance="grafana:3000"}`, "1x5 0x5"), s(`up{`+ne+`}`, "0x10")}},
	)
	add(downCases("LokiDown", Warning, "loki", "loki:3100", 5*time.Minute,
		"Loki is down", "Prometheus cannot scrape Loki: logs are not stored and Grafana's log panels are empty.")...)
	add(downCases("AlloyDown", Warning, "alloy", "alloy:12345", 5*time.Minute,
		"Alloy is down", "Prometheus cannot scrape Alloy: container and host logs are not shipped to Loki.")...)

	evalFail := `prometheus_rule_evaluation_failures_total{` + pr + `,rule_group="/etc/prometheus/rules/rules.yml;host"}`
	add(
		ruleCase{name: "three failures", alert: "PrometheusRuleEvaluationFailures", at: 12 * time.Minute,
			input: []series{s(evalFail, "0x10 3x10")},
			exp: []expAlert{{Warning, lbl("job", "prometheus", "instance", "prometheus:9090", "rule_group", "/etc/prometheus/rules/rules.yml;host"),
				"Prometheus rule evaluations failing",
				"3 evaluation failure(s) of rule group /etc/prometheus/rules/rules.yml;host in 10 minutes: some alerts may never fire."}}},
		ruleCase{name: "old failures only", alert: "PrometheusRuleEvaluationFailures", at: 12 * time.Minute,
			input: []series{s(evalFail, "5x20")}},
	)

	reload := func(alert, metric, jobLabels, jobName, instance, summary, desc string) []ruleCase {
		m := metric + `{` + jobLabels + `}`
		return []ruleCase{
			{name: "reload failed", alert: alert, at: 10 * time.Minute, input: []series{s(m, "0x20")},
				exp: []expAlert{{Warning, lbl("job", jobName, "instance", instance), summary, desc}}},
			{name: "failed, fixed within 5 minutes", alert: alert, at: 8 * time.Minute, input: []series{s(m, "1x3 0x3 1x10")}},
		}
	}
	add(reload("PrometheusConfigReloadFailed", "prometheus_config_last_reload_successful", pr, "prometheus", "prometheus:9090",
		"Prometheus configuration reload failed",
		"Prometheus could not load its configuration or rule files; it keeps running the previous ones.")...)
	add(reload("AlertmanagerConfigReloadFailed", "alertmanager_config_last_reload_successful", am, "alertmanager", "alertmanager:9093",
		"Alertmanager configuration reload failed",
		"Alertmanager could not load its configuration; it keeps running the previous one.")...)

	notif := `alertmanager_notifications_failed_total{` + am + `,integration="email",reason="other"}`
	add(
		ruleCase{name: "e-mail failing for 12 minutes", alert: "AlertmanagerNotificationsFailing", at: 23 * time.Minute,
			input: []series{s(notif, "0x10 1+1x20")},
			exp: []expAlert{{Critical, lbl("instance", "alertmanager:9093", "integration", "email"), "Alertmanager cannot deliver email notifications",
				"email notifications have kept failing for 10 minutes (5 in the last 5). If e-mail itself is failing this message may only be visible in the Alertmanager UI."}}},
		ruleCase{name: "one failure, retried", alert: "AlertmanagerNotificationsFailing", at: 23 * time.Minute,
			input: []series{s(notif, "0x10 1x20")}},
	)

	tsdb := func(alert, metric, summary, desc string) []ruleCase {
		m := metric + `{` + pr + `}`
		return []ruleCase{
			{name: "one failure", alert: alert, at: 15 * time.Minute, input: []series{s(m, "0x10 1x10")},
				exp: []expAlert{{Warning, lbl("job", "prometheus", "instance", "prometheus:9090"), summary, desc}}},
			{name: "no failure", alert: alert, at: 15 * time.Minute, input: []series{s(m, "0x20")}},
		}
	}
	add(tsdb("PrometheusTsdbCompactionsFailing", "prometheus_tsdb_compactions_failed_total", "Prometheus TSDB compactions failing",
		"1 failed compaction(s) in 6 hours: the head block grows, memory and disk use rise.")...)
	add(tsdb("PrometheusTsdbWalCorruptions", "prometheus_tsdb_wal_corruptions_total", "Prometheus WAL corruption",
		"Prometheus found 1 corruption(s) in its write-ahead log in 6 hours (unclean shutdown or disk trouble); some recent samples are lost.")...)

	storage := func(used, limit float64) []series {
		// Blocks 80%, WAL 15%, head chunks 5% of the total.
		return []series{
			s(`prometheus_tsdb_storage_blocks_bytes{`+pr+`}`, f(used*0.8)+"x80"),
			s(`prometheus_tsdb_wal_storage_size_bytes{`+pr+`}`, f(used*0.15)+"x80"),
			s(`prometheus_tsdb_head_chunks_storage_size_bytes{`+pr+`}`, f(used*0.05)+"x80"),
			s(`prometheus_tsdb_retention_limit_bytes{`+pr+`}`, f(limit)+"x80"),
		}
	}
	add(
		ruleCase{name: "95% of the cap", alert: "PrometheusStorageNearCap", at: 70 * time.Minute, input: storage(7.6e9, 8e9),
			exp: []expAlert{{Warning, lbl("job", "prometheus", "instance", "prometheus:9090"), "Prometheus storage near its size cap",
				"Prometheus storage is at 95.0% of its size cap: the oldest blocks are deleted before the retention time is reached."}}},
		ruleCase{name: "87.5% of the cap", alert: "PrometheusStorageNearCap", at: 70 * time.Minute, input: storage(7e9, 8e9)},
		ruleCase{name: "no size cap", alert: "PrometheusStorageNearCap", at: 70 * time.Minute, input: storage(7.6e9, 0)},
	)
	// --- an exporter crash produces only the exporter's alert ----------------
	// The exporter stops answering at 3m: up drops to 0 and every series it
	// exported ends (promtool's "stale" marks the end, as Prometheus does
	// when a scrape fails). Evaluated long after every rule's hold.
	// Every other job is scraped, as in a running stack.
	var scraped []series
	for _, j := range []string{"prometheus", "alertmanager", "grafana", "traefik"} {
		scraped = append(scraped, s(`up{job="`+j+`",instance="`+j+`:1",host="vps"}`, "1x60"))
	}
	crash := func(exporter, alert string, sev string, jobName, instance string, data []series, quietAlerts []string, summary, desc string) {
		in := append([]series{s(`up{`+onHost(jobName, instance, "vps")+`}`, "1x3 0x60")}, scraped...)
		for _, d := range data {
			in = append(in, s(d.metric, d.values+" stale"))
		}
		add(ruleCase{name: exporter + " crashed", alert: alert, at: 45 * time.Minute, input: in,
			exp: []expAlert{{sev, lbl("job", jobName, "instance", instance, "host", "vps"), summary, desc}}})
		for _, q := range quietAlerts {
			add(ruleCase{name: exporter + " crashed: only its own alert", alert: q, at: 45 * time.Minute, input: in})
		}
	}
	crash("postgres_exporter", "PostgresExporterDown", Critical, "postgres-exporter", "postgres-exporter:9187",
		[]series{s(`pg_up{`+pe+`}`, "1x3"), s(`pg_settings_max_connections{`+pe+`}`, "200x3")},
		[]string{"PostgresDown", "PostgresTooManyConnections", "TargetDown", "JobMissing"},
		"postgres_exporter is down",
		"Prometheus cannot scrape postgres_exporter: the state of PostgreSQL is unknown. The other PostgreSQL alerts are inhibited meanwhile.")
	crashSeen := []series{s(`up{`+ca+`}`, "1x3")}[:0]
	for _, n := range st.CriticalContainers {
		crashSeen = append(crashSeen, s(`container_last_seen{`+ca+`,name="`+n+`",id="/docker/`+n+`"}`, "0+60x3"))
	}
	crash("cAdvisor", "CadvisorDown", Warning, "cadvisor", "cadvisor:8080", crashSeen,
		[]string{"ContainerMissing", "ContainerRestarting", "TargetDown", "JobMissing"},
		cadvisorDown("vps"), cadvisorDownDesc("vps"))
	crash("node_exporter", "NodeExporterDown", Critical, "node-exporter", "node-exporter:9100",
		[]series{s(`koprogo_last_backup_timestamp_seconds{`+ne+`}`, "0x3"), s(`node_filesystem_size_bytes{`+rootFS+`}`, "100e9x3"), s(`node_filesystem_avail_bytes{`+rootFS+`}`, "1e9x3")},
		[]string{"BackupTooOld", "HostDiskSpaceLow", "TargetDown", "JobMissing"},
		nodeDown("vps"), nodeDownDesc("vps"))

	// --- silence and flapping -----------------------------------------------
	add(
		ruleCase{name: "traefik not scraped at all", alert: "JobMissing", at: 10 * time.Minute, input: scraped[:3],
			exp: []expAlert{{Warning, lbl("job", "traefik"), "Prometheus scrapes no target of job traefik",
				"Prometheus has no up series for job traefik: nothing of it is scraped, so none of its alerts can fire."}}},
		ruleCase{name: "every job scraped (up or down)", alert: "JobMissing", at: 10 * time.Minute,
			input: append(scraped[:3:3], s(`up{job="traefik",instance="traefik:1"}`, "0x20"))},
	)
	flap := `up{job="traefik",instance="traefik:8082"}`
	add(
		ruleCase{name: "down every other scrape", alert: "TargetFlapping", at: 20 * time.Minute,
			input: []series{s(flap, "1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1 0 1")},
			exp: []expAlert{{Warning, lbl("job", "traefik", "instance", "traefik:8082"), "Scrape target traefik is flapping",
				"traefik at traefik:8082 went down and up 20 times in 30 minutes (up changed that often): it restarts, or its scrapes time out."}}},
		ruleCase{name: "one restart", alert: "TargetFlapping", at: 20 * time.Minute,
			input: []series{s(flap, "1x5 0 1x20")}},
	)
	empty := func(samples string) []series {
		return []series{
			s(`up{job="backend",instance="backend:8080"}`, "1x20"),
			s(`scrape_samples_scraped{job="backend",instance="backend:8080"}`, samples+"x20"),
		}
	}
	add(
		ruleCase{name: "answers with nothing", alert: "ScrapeReturnsNothing", at: 15 * time.Minute, input: empty("0"),
			exp: []expAlert{{Warning, lbl("job", "backend", "instance", "backend:8080"), "Scrape target backend returns no metrics",
				"backend at backend:8080 answers its scrapes with no sample at all: its dashboards are empty and its alerts cannot fire."}}},
		ruleCase{name: "answers with metrics", alert: "ScrapeReturnsNothing", at: 15 * time.Minute, input: empty("57")},
	)
	notifErr := `prometheus_notifications_errors_total{` + pr + `,alertmanager="http://alertmanager:9093/api/v2/alerts"}`
	discovered := `prometheus_notifications_alertmanagers_discovered{` + pr + `}`
	ruleGroup := `prometheus_rule_group_rules{` + pr + `,rule_group="/etc/prometheus/rules/koprogo.yml;host"}`
	add(
		ruleCase{name: "sends failing", alert: "PrometheusNotificationsFailing", at: 25 * time.Minute,
			input: []series{s(notifErr, "0x5 0+2x20"), s(discovered, "1x30")},
			exp: []expAlert{{Warning, lbl("job", "prometheus", "instance", "prometheus:9090", "alertmanager", "http://alertmanager:9093/api/v2/alerts"),
				"Prometheus cannot send alerts to Alertmanager",
				"Prometheus fails to send alerts to Alertmanager, or has none to send them to: alerts fire but nobody is told. This e-mail may never arrive; the dead-man switch then reports it."}}},
		ruleCase{name: "no Alertmanager", alert: "PrometheusNotificationsFailing", at: 25 * time.Minute,
			input: []series{s(notifErr, "0x30"), s(discovered, "1x5 0x25"), s(ruleGroup, "5x30")},
			exp: []expAlert{{Warning, lbl("job", "prometheus", "instance", "prometheus:9090"),
				"Prometheus cannot send alerts to Alertmanager",
				"Prometheus fails to send alerts to Alertmanager, or has none to send them to: alerts fire but nobody is told. This e-mail may never arrive; the dead-man switch then reports it."}}},
		ruleCase{name: "sending", alert: "PrometheusNotificationsFailing", at: 25 * time.Minute,
			input: []series{s(notifErr, "3x30"), s(discovered, "1x30"), s(ruleGroup, "5x30")}},
		// An agent host's Prometheus discovers no Alertmanager and
		// evaluates no rule (lab round 4): nothing to tell anyone.
		ruleCase{name: "agent without Alertmanager", alert: "PrometheusNotificationsFailing", at: 25 * time.Minute,
			input: []series{
				s(`prometheus_notifications_alertmanagers_discovered{job="prometheus",instance="prometheus:9090",host="worker-1"}`, "0x30"),
				s(discovered, "1x30"), s(ruleGroup, "5x30"),
			}},
	)
	missed := `prometheus_rule_group_iterations_missed_total{` + pr + `,rule_group="/etc/prometheus/rules/koprogo.yml;host"}`
	add(
		ruleCase{name: "two iterations missed", alert: "PrometheusRuleGroupsMissed", at: 15 * time.Minute,
			input: []series{s(missed, "0x10 2x10")},
			exp: []expAlert{{Warning, lbl("job", "prometheus", "instance", "prometheus:9090", "rule_group", "/etc/prometheus/rules/koprogo.yml;host"),
				"Prometheus skipped rule evaluations",
				"Rule group /etc/prometheus/rules/koprogo.yml;host missed 2 evaluation(s) in 30 minutes (an evaluation took longer than the interval): its alerts fire late or not at all."}}},
		ruleCase{name: "none missed", alert: "PrometheusRuleGroupsMissed", at: 15 * time.Minute,
			input: []series{s(missed, "4x20")}},
	)

	// Remote write: promtool's clock starts at 0, so a timestamp gauge that
	// follows the clock goes up 60 per minute.
	prh := pr + `,host="vps"`
	rwq := prh + `,remote_name="vm",url="http://vm:8428/api/v1/write"`
	appended := s(`prometheus_remote_storage_highest_timestamp_in_seconds{`+prh+`}`, "0+60x20")
	add(
		ruleCase{name: "receiver down since 5m", alert: "PrometheusRemoteWriteFailing", at: 10 * time.Minute,
			input: []series{appended, s(`prometheus_remote_storage_queue_highest_sent_timestamp_seconds{`+rwq+`}`, "0+60x5 300x15")},
			exp: []expAlert{{Warning, lbl("job", "prometheus", "instance", "prometheus:9090", "host", "vps", "remote_name", "vm", "url", "http://vm:8428/api/v1/write", "reason", "behind"),
				"Remote write to vm failing",
				"Remote write from vps to http://vm:8428/api/v1/write is 5m 0s behind: the engine is unreachable, refuses the credentials or is too slow. The samples wait in the write-ahead log and are sent once it accepts them again."}}},
		// 40 samples refused at 11m, all inside the 5-minute window.
		ruleCase{name: "samples refused", alert: "PrometheusRemoteWriteFailing", at: 13 * time.Minute,
			input: []series{appended, s(`prometheus_remote_storage_queue_highest_sent_timestamp_seconds{`+rwq+`}`, "0+60x20"),
				s(`prometheus_remote_storage_samples_failed_total{`+rwq+`}`, "0x10 40x10")},
			exp: []expAlert{{Warning, lbl("job", "prometheus", "instance", "prometheus:9090", "host", "vps", "remote_name", "vm", "url", "http://vm:8428/api/v1/write", "reason", "dropped"),
				"Remote write to vm failing",
				"Prometheus on vps dropped about 40 sample(s) in 5 minutes that http://vm:8428/api/v1/write refused: they are lost for that engine."}}},
		ruleCase{name: "sending, old failures only", alert: "PrometheusRemoteWriteFailing", at: 13 * time.Minute,
			input: []series{appended, s(`prometheus_remote_storage_queue_highest_sent_timestamp_seconds{`+rwq+`}`, "-10+60x20"),
				s(`prometheus_remote_storage_samples_failed_total{`+rwq+`}`, "7x20")}},
		ruleCase{name: "no remote write configured", alert: "PrometheusRemoteWriteFailing", at: 13 * time.Minute,
			input: []series{appended}},
	)
	add(
		ruleCase{name: "agent silent since 10m", alert: "HostNotReporting", at: 25 * time.Minute,
			input: []series{heartbeat("vps", "1x40"), heartbeat("worker-1", "1x10")},
			exp: []expAlert{{Warning, lbl("host", "worker-1"), "No metrics from host worker-1",
				"Nothing has arrived from host worker-1 for 10 minutes: its agent is down or cannot remote-write to the central Prometheus, so none of its alerts can fire. Its agent keeps what it scrapes in its write-ahead log and sends it once it reaches the receiver again."}}},
		// Silent for 8 minutes: 5 of lookback, then 3 of the 5-minute hold.
		ruleCase{name: "agent silent for less than the hold", alert: "HostNotReporting", at: 18 * time.Minute,
			input: []series{heartbeat("vps", "1x40"), heartbeat("worker-1", "1x10")}},
		ruleCase{name: "every host reporting, one of them down; unlabelled old series", alert: "HostNotReporting", at: 25 * time.Minute,
			input: []series{heartbeat("vps", "1x40"), heartbeat("worker-1", "1x10 0x30"),
				s(`up{job="prometheus",instance="prometheus:9090"}`, "1x5")}},
	)
	// --- logs -------------------------------------------------------------
	add(logCases(t.LogStorage)...)
	return cs
}

// logCases prove the Loki and Alloy rules.
func logCases(l config.LogStorage) []ruleCase {
	const (
		lk = `job="loki",instance="loki:3100"`
		al = `job="alloy",instance="alloy:12345"`
	)
	budget := float64(l.BudgetBytes())
	hours := 24 * l.Days
	budgetText := fmt.Sprintf("%d GiB (lokiDiskBudgetGb)", l.BudgetGiB)
	// stored grows Loki's chunk counter by the given share of the budget per
	// retention, hour by hour for a retention and a day.
	stored := func(percentPerRetention float64) []series {
		perHour := percentPerRetention / 100 * budget / float64(hours)
		return []series{s(`loki_ingester_chunk_stored_bytes_total{`+lk+`,tenant="fake"}`, "0+"+f(perHour)+"x"+strconv.Itoa(hours+24))}
	}
	full := time.Duration(hours+3) * time.Hour
	fill := func(pct float64) string {
		return fmt.Sprintf(`The log chunks Loki stored over the last %d days (its retention) take %.0f%% of the budget of %s. Loki has no size limit: past the budget it keeps writing until the host disk is full.`, l.Days, pct, budgetText)
	}
	grow := func(pct float64) string {
		return fmt.Sprintf(`At the rate of the last 6h, %d days of logs would take %.0f%% of the budget of %s: within the retention, Loki's volume will outgrow it.`, l.Days, pct, budgetText)
	}
	// Nine lines at minute 6.
	event := "0x5 9x70"
	lokiLabels := lbl("instance", "loki:3100")
	return []ruleCase{
		{name: "a retention of logs at 90% of the budget", alert: "LokiDiskBudgetNearlyUsed", at: full, step: time.Hour, input: stored(90),
			exp: []expAlert{{Warning, lokiLabels, "Loki's logs nearly fill their disk budget", fill(90)}}},
		{name: "a retention of logs at 70% of the budget", alert: "LokiDiskBudgetNearlyUsed", at: full, step: time.Hour, input: stored(70)},
		{name: "a retention's worth arriving at 120% of the budget", alert: "LokiDiskBudgetOutgrown", at: 12 * time.Hour, step: time.Hour, input: stored(120),
			exp: []expAlert{{Warning, lokiLabels, "Logs arrive faster than Loki's disk budget allows", grow(120)}}},
		{name: "arriving at 90% of the budget", alert: "LokiDiskBudgetOutgrown", at: 12 * time.Hour, step: time.Hour, input: stored(90)},

		{name: "lines too old", alert: "LokiLinesRefused", at: 10 * time.Minute,
			input: []series{s(`loki_discarded_samples_total{`+lk+`,format="loki",policy="",reason="greater_than_max_sample_age",retention_hours="168",tenant="fake"}`, event)},
			exp: []expAlert{{Warning, lbl("instance", "loki:3100", "reason", "greater_than_max_sample_age"), "Loki refused log lines (greater_than_max_sample_age)",
				"Loki refused about 9 line(s) in 10 minutes for reason greater_than_max_sample_age: they are lost (too old, too far behind newer lines of their stream, in the future, too many streams). Rate-limited lines are not counted: clients retry them."}}},
		{name: "rate limited (retried)", alert: "LokiLinesRefused", at: 10 * time.Minute,
			input: []series{
				s(`loki_discarded_samples_total{`+lk+`,format="loki",policy="",reason="rate_limited",retention_hours="168",tenant="fake"}`, event),
				s(`loki_discarded_samples_total{`+lk+`,format="",policy="",reason="per_stream_rate_limit",retention_hours="168",tenant="fake"}`, event)}},
		{name: "refused long ago", alert: "LokiLinesRefused", at: 30 * time.Minute,
			input: []series{s(`loki_discarded_samples_total{`+lk+`,format="",policy="",reason="too_far_behind",retention_hours="168",tenant="fake"}`, event)}},

		// Alloy's own label host (the endpoint) arrives as exported_host:
		// the scrape's host target label takes the name (honor_labels false).
		{name: "batches dropped", alert: "AlloyLogsDropped", at: 10 * time.Minute,
			input: []series{s(`loki_write_dropped_entries_total{`+al+`,host="vps",component_id="loki.write.loki",exported_host="loki:3100",tenant="",reason="ingester_error"}`, event)},
			exp: []expAlert{{Warning, lbl("instance", "alloy:12345", "host", "vps", "exported_host", "loki:3100", "reason", "ingester_error"), "Alloy on vps dropped log entries for loki:3100",
				"Alloy on vps gave up sending about 9 log entries to loki:3100 in 10 minutes (reason ingester_error): they are lost. Refused by Loki (see LokiLinesRefused), or the endpoint was unreachable through every retry."}}},
		{name: "nothing dropped lately", alert: "AlloyLogsDropped", at: 30 * time.Minute,
			input: []series{s(`loki_write_dropped_entries_total{`+al+`,host="vps",component_id="loki.write.loki",exported_host="loki:3100",tenant="",reason="ingester_error"}`, event)}},

		{name: "cut by Alloy", alert: "LogLinesTruncated", at: 61 * time.Minute,
			input: []series{s(`loki_process_truncated_fields_total{`+al+`,component_id="loki.process.ship",field="line"}`, event)},
			exp: []expAlert{{Info, lbl("instance", "alloy:12345"), "Log lines over the line limit were truncated",
				`About 9 line(s) over 256 KB were cut in the last hour by alloy:12345; each ends with "[truncated]".`}}},
		{name: "cut by Loki (another client)", alert: "LogLinesTruncated", at: 61 * time.Minute,
			input: []series{s(`loki_mutated_samples_total{`+lk+`,reason="line_too_long",truncated="fake"}`, event)},
			exp: []expAlert{{Info, lbl("instance", "loki:3100"), "Log lines over the line limit were truncated",
				`About 9 line(s) over 256 KB were cut in the last hour by loki:3100; each ends with "[truncated]".`}}},
		{name: "a label value cut, not a line", alert: "LogLinesTruncated", at: 61 * time.Minute,
			input: []series{s(`loki_process_truncated_fields_total{`+al+`,component_id="loki.process.ship",field="label"}`, event)}},
	}
}

func ne2(instance string) map[string]string {
	return lbl("job", "node-exporter", "instance", instance, "host", "vps")
}

// latency builds Traefik request-duration buckets (its defaults: 0.1, 0.3,
// 1.2, 5 s) with 1000 requests/min whose p99, as histogram_quantile
// interpolates it, is p99Ms.
func latency(p99Ms float64) []series {
	x := p99Ms / 1000
	bounds := []float64{0, 0.1, 0.3, 1.2, 5}
	i := 1
	for i < len(bounds)-1 && x > bounds[i] {
		i++
	}
	lo, hi := bounds[i-1], bounds[i]
	if lo == 0 || x > hi {
		panic(fmt.Sprintf("p99 of %v ms is outside Traefik's default buckets", p99Ms))
	}
	// Everything is at or below hi; b requests are at or below lo, placed so
	// that rank 990 of 1000 interpolates to x.
	r := (x - lo) / (hi - lo)
	below := (990 - 1000*r) / (1 - r)
	l := tr + `,service="backend@docker",method="GET",protocol="http",code="200"`
	var out []series
	for _, b := range bounds[1:] {
		n := 1000.0
		if b <= lo {
			n = below
		}
		out = append(out, s(`traefik_service_request_duration_seconds_bucket{`+l+`,le="`+num(b)+`"}`, "0+"+f(n)+"x30"))
	}
	return append(out,
		s(`traefik_service_request_duration_seconds_bucket{`+l+`,le="+Inf"}`, "0+1000x30"),
		s(`traefik_service_requests_total{`+l+`}`, "0+1000x30"))
}
