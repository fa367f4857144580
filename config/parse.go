package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koprogo/koprogo-monitoring/services"
)

// Problems is every validation failure found, one line each: unknown keys
// first, then in key order.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

// report collects problems by key so that they can be listed in key order.
type report struct {
	order    map[string]int
	problems []struct {
		rank int
		line string
	}
}

func (r *report) addf(key, format string, args ...any) {
	rank, ok := r.order[key]
	if !ok {
		rank = -1 // unknown keys come first
	}
	r.problems = append(r.problems, struct {
		rank int
		line string
	}{rank, key + ": " + fmt.Sprintf(format, args...)})
}

// ok reports whether every named key parsed: checks across keys are only
// meaningful over values that did.
func (r *report) ok(keys ...string) bool {
	for _, p := range r.problems {
		for _, k := range keys {
			if strings.HasPrefix(p.line, k+": ") {
				return false
			}
		}
	}
	return true
}

func (r *report) result() Problems {
	slices.SortStableFunc(r.problems, func(a, b struct {
		rank int
		line string
	}) int {
		return a.rank - b.rank
	})
	var out Problems
	for _, p := range r.problems {
		out = append(out, p.line)
	}
	return out
}

// Parse builds Settings from raw stack values (key without project prefix →
// value) and the set of keys that were stored encrypted. It reports every
// problem at once; no message ever contains a secret's value.
func Parse(stack string, values map[string]string, secret map[string]bool) (Settings, error) {
	s := newSettings(stack)
	keys := declare(s)
	r := &report{order: map[string]int{}}
	for i, k := range keys {
		r.order[k.Name] = i
	}

	// Unknown keys are typos: a silently ignored key is a setting that never applied.
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if _, ok := r.order[name]; !ok {
			r.addf(name, "is not a known key; see the configuration table in README.md")
		}
	}

	for _, k := range keys {
		raw, set := values[k.Name]
		if !set {
			raw = k.Default
		}
		if k.Secret {
			if set && raw != "" && !secret[k.Name] {
				r.addf(k.Name, "is stored in plain text; set it with `pulumi config set --secret %s`", k.Name)
			}
		} else {
			raw = strings.TrimSpace(raw)
		}
		var p problem
		if err := k.value.Set(raw); errors.As(err, &p) {
			for _, line := range strings.Split(string(p), "\n") {
				r.addf(k.Name, "%s", line)
			}
		} else if err != nil {
			panic(fmt.Sprintf("config: %s: %v", k.Name, err)) // a Value must return a problem
		}
	}
	s.check(r)
	if len(r.problems) > 0 {
		return Settings{}, r.result()
	}
	return *s, nil
}

// check validates what involves several keys, and fills the defaults that
// are derived from other keys.
func (s *Settings) check(r *report) {
	// A host port given to two services.
	seen := map[Port]string{}
	for _, svc := range services.All {
		k, p := svc.Key+"Port", s.Services[svc.Name].HostPort
		if !r.ok(k) {
			continue
		}
		if other, ok := seen[p]; ok {
			r.addf(k, "%d is already used by %s; allowed: a port no other service uses", p, other)
			continue
		}
		seen[p] = k
	}

	if ip := net.ParseIP(s.BindAddress); ip != nil && !ip.IsLoopback() && !s.AllowNonLoopbackBind && r.ok("bindAddress", "allowNonLoopbackBind") {
		r.addf("bindAddress", "%s is not a loopback address: every UI and API of the stack (most without authentication) would be reachable there; allowed: a loopback address such as 127.0.0.1, or this one with allowNonLoopbackBind set to true", show(s.BindAddress))
	}
	if s.App.Network != "" && s.App.Network == s.NamePrefix+"-net" && r.ok("appNetwork", "namePrefix") {
		r.addf("appNetwork", "%s is the stack's own network; allowed: the application's existing network, or empty", show(s.App.Network))
	}

	total, memoryKeys := 0, []string{"hostMemoryMb", "monitoringMemoryPercent"}
	for _, svc := range services.All {
		total += s.Services[svc.Name].MemoryMB
		memoryKeys = append(memoryKeys, svc.Key+"MemoryMb")
	}
	if r.ok(memoryKeys...) && total > s.MemoryBudgetMB() {
		r.addf("monitoringMemoryPercent", "the memory limits add up to %d MiB, over the %d MiB this stack may take (%d%% of hostMemoryMb %d MiB), which would leave the application too little; lower a *MemoryMb key, or raise monitoringMemoryPercent or hostMemoryMb if the host really has that much to give",
			total, s.MemoryBudgetMB(), s.MonitoringMemoryPercent, s.HostMemoryMB)
	}
	// Each agent host has its own memory and the same share of it; its
	// containers are fewer, Prometheus' smaller (AgentService).
	if r.ok(append(memoryKeys, "agentHosts", "logEndpoints")...) {
		for _, a := range s.Agents {
			agentTotal := 0
			for _, n := range s.AgentServices() {
				agentTotal += s.AgentService(n).MemoryMB
			}
			if budget := s.AgentMemoryBudgetMB(a); agentTotal > budget {
				r.addf("agentHosts", "host %q: the memory limits of its containers add up to %d MiB, over the %d MiB it may take (%d%% of its %d MiB), which would leave its own services too little; lower a *MemoryMb key, or give the host's real memory as its hostMemoryMb",
					a.Name, agentTotal, budget, s.MonitoringMemoryPercent, s.AgentHostMemoryMB(a))
			}
		}
	}

	if e := s.Email; e.Enabled && r.ok("alertsEnabled") {
		if e.Host == "" && r.ok("smtpHost") {
			r.addf("smtpHost", "is required when alertsEnabled is true; set the SMTP server's host name or set alertsEnabled to false")
		}
		if e.From == "" && r.ok("smtpFrom") {
			r.addf("smtpFrom", "is required when alertsEnabled is true; allowed: the sender's e-mail address (name@domain)")
		}
		if len(e.To) == 0 && r.ok("smtpTo") {
			r.addf("smtpTo", "is required when alertsEnabled is true; allowed: comma-separated e-mail addresses")
		}
		if e.Username != "" && !e.Password.IsSet() && r.ok("smtpPassword") {
			r.addf("smtpPassword", "is required when smtpUsername is set; set it with `pulumi config set --secret smtpPassword`")
		}
	}

	s.checkScale(r)

	// The Loki disk alerts read the logs stored over the retention from
	// Prometheus' history: with a shorter history they would see less
	// than Loki keeps.
	if days := time.Duration(s.Retention.MetricsTime) / (24 * time.Hour); r.ok("logRetentionDays", "metricsRetentionTime") && time.Duration(s.Retention.LogDays) > days {
		r.addf("logRetentionDays", "%d is longer than metricsRetentionTime (%d whole days): the Loki disk alerts could not see every day of logs Loki keeps; allowed: at most %d, or a longer metricsRetentionTime", s.Retention.LogDays, days, days)
	}
	s.Alerts.Thresholds.LogStorage = LogStorage{Days: s.Retention.LogDays, BudgetGiB: s.Retention.LogDiskBudgetGiB}

	// Grafana's URLs follow its host port unless set: the SSH tunnel (and a
	// local engine) put Grafana at grafanaPort on the operator's loopback.
	port := s.Services[services.Grafana].HostPort
	if !r.ok(services.Get(services.Grafana).Key+"Port", "grafanaRootUrl", "grafanaApiUrl") {
		return
	}
	if s.Grafana.RootURL == "" {
		s.Grafana.RootURL = fmt.Sprintf("http://localhost:%d/", port)
	}
	if s.Grafana.APIURL == "" {
		s.Grafana.APIURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	} else if p, loopback := loopbackPort(s.Grafana.APIURL); loopback && p != port {
		// The tunnel forwards grafanaPort to the same local port: another
		// local port reaches nothing, or another stack's Grafana.
		r.addf("grafanaApiUrl", "%s is on this machine's loopback but not on grafanaPort %d, where the SSH tunnel (or a local engine) puts this stack's Grafana; allowed: unset (http://127.0.0.1:%d), a loopback URL on port %d, or a non-loopback URL",
			show(s.Grafana.APIURL), port, port, port)
	}
}

// loopbackPort returns the port of an http(s) URL whose host is a loopback
// address or localhost.
func loopbackPort(raw string) (Port, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0, false
	}
	p := u.Port()
	if p == "" {
		p = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, _ := strconv.Atoi(p)
	return Port(n), true
}
