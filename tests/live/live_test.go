package live

import (
	"context"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/units"
	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/queries"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/tests/live/stack"
)

// TestLive runs the production configuration on the real binaries and
// checks, in order: scrape targets, rule health, metric names, the Watchdog
// route, and a PostgreSQL outage that must end in an e-mail and, once
// PostgreSQL is back, a resolved e-mail. The steps share one stack (starting
// it and waiting for real intervals is the expensive part), so a failed step
// stops the ones that depend on it.
func TestLive(t *testing.T) {
	st, err := stack.Start(stack.Options{})
	if err != nil {
		t.Fatalf("start the live stack: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("stop the live stack: %v", err)
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs (tail):\n%s", st.Logs(40))
		}
	})

	groups, errs := rulefmt.Parse(st.Rules, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		t.Fatalf("rendered rules do not parse: %v", errs)
	}
	am, err := amconfig.LoadFile(st.Dir + "/alertmanager.yml")
	if err != nil {
		t.Fatalf("rendered alertmanager.yml does not load: %v", err)
	}
	ctx := context.Background()

	if !t.Run("targets", func(t *testing.T) { checkTargets(ctx, t, st) }) {
		t.FailNow()
	}
	t.Run("runtime environment", func(t *testing.T) { checkRuntimeEnv(ctx, t, st) })
	t.Run("rules", func(t *testing.T) { checkRules(ctx, t, st, groups) })
	t.Run("retention", func(t *testing.T) { checkRetention(ctx, t, st) })
	t.Run("host network panels", func(t *testing.T) { checkHostNetworkPanels(ctx, t, st) })
	t.Run("alertmanager alone", func(t *testing.T) { checkNoCluster(ctx, t, st) })
	t.Run("metric names", func(t *testing.T) { checkMetricNames(ctx, t, st, groups) })
	t.Run("watchdog", func(t *testing.T) { checkWatchdog(ctx, t, st, groups, am) })
	t.Run("postgres outage", func(t *testing.T) { checkPostgresOutage(ctx, t, st, groups, am) })
	// By now Watchdog has been firing for minutes: it must never have been
	// mailed (it would reach the inbox every repeat interval).
	for _, m := range st.Mail.Messages() {
		if strings.Contains(m.Subject, "Watchdog") {
			t.Errorf("Watchdog was e-mailed: %q", m.Subject)
		}
	}
}

// checkTargets waits for the first scrape of every target, then requires
// every job the stack runs to be up, every job it cannot run to be down
// (with the reason logged), and no other job.
func checkTargets(ctx context.Context, t *testing.T, st *stack.Stack) {
	var resp targetsResponse
	deadline := time.Now().Add(2 * time.Minute) // first scrape: one 30s interval plus jitter
	for {
		resp = targetsResponse{}
		if err := stack.GetJSON(ctx, st.PromURL+"/api/v1/targets", &resp); err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, tg := range resp.Data.ActiveTargets {
			if tg.Health == "unknown" || (isRunning(tg.ScrapePool) && tg.Health != "up") {
				pending++
			}
		}
		if pending == 0 && len(resp.Data.ActiveTargets) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	seen := map[string]bool{}
	for _, tg := range resp.Data.ActiveTargets {
		job := tg.ScrapePool
		seen[job] = true
		switch {
		case !slices.Contains(services.Jobs(), services.Name(job)):
			t.Errorf("unexpected scrape job %q (%s): not a service or application job", job, tg.Health)
		case isRunning(job):
			if tg.Health != "up" {
				t.Errorf("target %s (%s) is %s: %s", job, tg.ScrapeURL, tg.Health, tg.LastError)
			}
		default:
			if tg.Health != "down" {
				t.Errorf("target %s (%s) is %s, expected down (nothing listens there)", job, tg.ScrapeURL, tg.Health)
			}
			reason, ok := stack.NotRunning[services.Name(job)]
			if !ok {
				reason = "no reason recorded in stack.NotRunning"
			}
			t.Logf("not run here, down as expected: %s: %s", job, reason)
		}
	}
	for _, svc := range stack.Running {
		if !seen[string(svc)] {
			t.Errorf("no scrape target for job %s in the rendered prometheus.yml", svc)
		}
	}
}

func isRunning(job string) bool { return slices.Contains(stack.Running, services.Name(job)) }

// checkRules waits until every rule has been evaluated once, then requires
// every group from the rendered file to be loaded and every rule healthy.
func checkRules(ctx context.Context, t *testing.T, st *stack.Stack, groups *rulefmt.RuleGroups) {
	var resp rulesResponse
	deadline := time.Now().Add(90 * time.Second) // one 30s evaluation interval plus margin
	for {
		resp = rulesResponse{}
		if err := stack.GetJSON(ctx, st.PromURL+"/api/v1/rules", &resp); err != nil {
			t.Fatal(err)
		}
		unevaluated := 0
		for _, g := range resp.Data.Groups {
			for _, r := range g.Rules {
				if r.LastEvaluation.IsZero() {
					unevaluated++
				}
			}
		}
		if unevaluated == 0 && len(resp.Data.Groups) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	loaded := map[string]int{}
	for _, g := range resp.Data.Groups {
		loaded[g.Name] = len(g.Rules)
		for _, r := range g.Rules {
			if r.Health != "ok" || r.LastError != "" || r.LastEvaluation.IsZero() {
				t.Errorf("rule %s/%s: health %q, last error %q, last evaluation %s", g.Name, r.Name, r.Health, r.LastError, r.LastEvaluation)
			}
		}
	}
	for _, g := range groups.Groups {
		if n, ok := loaded[g.Name]; !ok || n != len(g.Rules) {
			t.Errorf("rule group %s: %d rules rendered, %d loaded by Prometheus", g.Name, len(g.Rules), n)
		}
	}
	if len(resp.Data.Groups) != len(groups.Groups) {
		t.Errorf("%d rule groups rendered, %d loaded", len(groups.Groups), len(resp.Data.Groups))
	}
}

// checkWatchdog requires the always-firing Watchdog alert to reach
// Alertmanager, be routed to receivers without e-mail, and reach the
// dead-man-switch endpoint.
func checkWatchdog(ctx context.Context, t *testing.T, st *stack.Stack, groups *rulefmt.RuleGroups, am *amconfig.Config) {
	rule, ok := findRule(groups, func(r rulefmt.Rule) bool { return r.Alert == "Watchdog" })
	if !ok {
		t.Fatal("no alert rule named Watchdog in the rendered rules")
	}
	routes := dispatch.NewRoute(am.Route, nil).Match(alertLabels(rule))
	wait := 90 * time.Second
	for _, r := range routes {
		wait += r.RouteOpts.GroupWait
	}
	var got amAlert
	deadline := time.Now().Add(wait)
	for got.Labels == nil {
		var alerts []amAlert
		if err := stack.GetJSON(ctx, st.AMURL+"/api/v2/alerts?filter="+url.QueryEscape(`alertname="Watchdog"`), &alerts); err != nil {
			t.Fatal(err)
		}
		if len(alerts) > 0 {
			got = alerts[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Watchdog did not reach Alertmanager within %s", wait)
		}
		time.Sleep(2 * time.Second)
	}
	receivers := map[string]amconfig.Receiver{}
	for _, r := range am.Receivers {
		receivers[r.Name] = r
	}
	if len(got.Receivers) == 0 {
		t.Fatal("Alertmanager lists no receiver for Watchdog")
	}
	for _, r := range got.Receivers {
		rc, ok := receivers[r.Name]
		switch {
		case !ok:
			t.Errorf("Watchdog routed to unknown receiver %q", r.Name)
		case len(rc.EmailConfigs) > 0:
			t.Errorf("Watchdog routed to receiver %q, which sends e-mail: it would mail every repeat interval", r.Name)
		default:
			t.Logf("Watchdog routed to receiver %q (no e-mail)", r.Name)
		}
	}
	for deadline := time.Now().Add(wait); st.DeadMan.Hits() == 0; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("the dead-man-switch URL was not called within %s", wait)
		}
	}
}

// checkPostgresOutage stops PostgreSQL and waits for the PostgreSQL-down
// alert (the rule over pg_up) to fire with its real `for:`, for its e-mail
// over the authenticated STARTTLS session, then restarts PostgreSQL and
// waits for the resolved e-mail when the receiver sends resolved
// notifications.
func checkPostgresOutage(ctx context.Context, t *testing.T, st *stack.Stack, groups *rulefmt.RuleGroups, am *amconfig.Config) {
	p := parser.NewParser(parser.Options{})
	rule, ok := findRule(groups, func(r rulefmt.Rule) bool {
		if r.Alert == "" {
			return false
		}
		names, err := metricNames(p, r.Expr)
		return err == nil && slices.Contains(names, "pg_up")
	})
	if !ok {
		t.Fatal("no alert rule over pg_up (PostgreSQL down) in the rendered rules")
	}
	name, severity, runbook := rule.Alert, rule.Labels["severity"], rule.Annotations["runbook_url"]
	if severity == "" || runbook == "" {
		t.Fatalf("alert %s has no severity label or runbook_url annotation", name)
	}
	routes := dispatch.NewRoute(am.Route, nil).Match(alertLabels(rule))
	if len(routes) == 0 {
		t.Fatalf("alert %s matches no route", name)
	}
	route := routes[0].RouteOpts
	rc := receiverByName(am, route.Receiver)
	if rc == nil || len(rc.EmailConfigs) == 0 {
		t.Fatalf("alert %s is routed to %q, which sends no e-mail", name, route.Receiver)
	}

	stopped := time.Now()
	if err := st.Postgres.Stop(); err != nil {
		t.Fatal(err)
	}
	// Firing needs: a scrape that sees pg_up 0 (<= 30s), an evaluation that
	// turns the alert pending (<= 30s), then `for:`, then the evaluation that
	// fires it (<= 30s).
	fireBy := time.Duration(rule.For) + 2*time.Minute
	t.Logf("stopped PostgreSQL; waiting up to %s for %s (for: %s) to fire", fireBy, name, time.Duration(rule.For))
	firedAt := waitAlertState(ctx, t, st, name, "firing", fireBy)
	if elapsed := firedAt.Sub(stopped); elapsed < time.Duration(rule.For) {
		t.Errorf("%s fired %s after the outage began, before its for: %s", name, elapsed, time.Duration(rule.For))
	}
	mailBy := route.GroupWait + route.GroupInterval + time.Minute
	msg, ok := st.Mail.WaitFor(mailBy, func(m stack.Mail) bool { return strings.Contains(m.Subject, name) })
	if !ok {
		t.Fatalf("no e-mail about %s within %s of firing; received: %v", name, mailBy, subjects(st.Mail.Messages()))
	}
	t.Logf("firing e-mail %s after the outage began: %q", time.Since(stopped).Round(time.Second), msg.Subject)
	if !strings.Contains(strings.ToLower(msg.Subject), strings.ToLower(severity)) {
		t.Errorf("subject %q does not name the severity %q", msg.Subject, severity)
	}
	if !strings.Contains(msg.Body, runbook) {
		t.Errorf("e-mail body does not contain the runbook link %s", runbook)
	}
	if msg.AuthUser != st.Mail.Username {
		t.Errorf("e-mail sent as %q, want authenticated user %q", msg.AuthUser, st.Mail.Username)
	}
	if want := st.Settings.Email.To; !slices.Equal(msg.To, want) {
		t.Errorf("e-mail recipients %v, want %v", msg.To, want)
	}
	if msg.From != st.Settings.Email.From {
		t.Errorf("e-mail envelope sender %q, want %q", msg.From, st.Settings.Email.From)
	}

	restarted := time.Now()
	if err := st.Postgres.Start(st.Dir); err != nil {
		t.Fatal(err)
	}
	waitAlertState(ctx, t, st, name, "", 2*time.Minute)
	if !rc.EmailConfigs[0].SendResolved() {
		t.Logf("receiver %q does not send resolved notifications; not waiting for one", rc.Name)
		return
	}
	resolvedBy := route.GroupInterval + 2*time.Minute
	firing := len(st.Mail.Messages())
	resolved, ok := st.Mail.WaitFor(resolvedBy, func(m stack.Mail) bool {
		return strings.Contains(m.Subject, name) && strings.Contains(strings.ToLower(m.Subject), "resolved")
	})
	if !ok {
		t.Fatalf("no resolved e-mail about %s within %s of PostgreSQL restarting; received after the firing one: %v", name, resolvedBy, subjects(st.Mail.Messages()[firing:]))
	}
	t.Logf("resolved e-mail %s after PostgreSQL restarted: %q", time.Since(restarted).Round(time.Second), resolved.Subject)
}

// waitAlertState polls Prometheus until the alert is in state ("" = gone)
// and returns when it saw that.
func waitAlertState(ctx context.Context, t *testing.T, st *stack.Stack, name, state string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var resp alertsResponse
		if err := stack.GetJSON(ctx, st.PromURL+"/api/v1/alerts", &resp); err != nil {
			t.Fatal(err)
		}
		current := ""
		for _, a := range resp.Data.Alerts {
			if a.Labels["alertname"] == name {
				current = a.State
			}
		}
		if current == state {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("alert %s still %q after %s, want %q", name, current, timeout, state)
		}
		time.Sleep(2 * time.Second)
	}
}

func findRule(groups *rulefmt.RuleGroups, match func(rulefmt.Rule) bool) (rulefmt.Rule, bool) {
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if match(r) {
				return r, true
			}
		}
	}
	return rulefmt.Rule{}, false
}

// alertLabels are the labels an alert from rule carries at Alertmanager, as
// far as they are known before evaluation (rule labels and the name).
func alertLabels(rule rulefmt.Rule) model.LabelSet {
	ls := model.LabelSet{model.AlertNameLabel: model.LabelValue(rule.Alert)}
	for k, v := range rule.Labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls
}

func receiverByName(am *amconfig.Config, name string) *amconfig.Receiver {
	for i := range am.Receivers {
		if am.Receivers[i].Name == name {
			return &am.Receivers[i]
		}
	}
	return nil
}

func subjects(ms []stack.Mail) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	sort.Strings(out)
	return out
}

// checkRetention: the running Prometheus reports the configured retention
// (its own flag parsing, as the container gets the flags).
func checkRetention(ctx context.Context, t *testing.T, st *stack.Stack) {
	var resp struct {
		Data map[string]string `json:"data"`
	}
	if err := stack.GetJSON(ctx, st.PromURL+"/api/v1/status/flags", &resp); err != nil {
		t.Fatal(err)
	}
	r := st.Settings.Retention
	if got := resp.Data["storage.tsdb.retention.time"]; got != r.MetricsTime.String() {
		t.Errorf("Prometheus retention time %q, configured %s", got, r.MetricsTime)
	}
	size, err := units.ParseBase2Bytes(resp.Data["storage.tsdb.retention.size"])
	if err != nil || int64(size) != int64(r.MetricsSize) {
		t.Errorf("Prometheus retention size %q, configured %s", resp.Data["storage.tsdb.retention.size"], r.MetricsSize)
	}
}

// checkNoCluster: Alertmanager reports gossip disabled and no peer.
func checkNoCluster(ctx context.Context, t *testing.T, st *stack.Stack) {
	var status struct {
		Cluster struct {
			Status string           `json:"status"`
			Peers  []map[string]any `json:"peers"`
		} `json:"cluster"`
	}
	if err := stack.GetJSON(ctx, st.AMURL+"/api/v2/status", &status); err != nil {
		t.Fatal(err)
	}
	if status.Cluster.Status != "disabled" || len(status.Cluster.Peers) != 0 {
		t.Errorf("Alertmanager cluster status %q with %d peers, want disabled and none", status.Cluster.Status, len(status.Cluster.Peers))
	}
}

// checkHostNetworkPanels: the overview's network panel, queried on the live
// Prometheus, returns the interfaces of this host as node_exporter reads
// them (here it runs on the host, as the deployed one does in the host's
// network namespace): at least one, and only real ones of this machine.
func checkHostNetworkPanels(ctx context.Context, t *testing.T, st *stack.Stack) {
	raw, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	host := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n")[2:] {
		if name, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			host[name] = true
		}
	}
	qs, err := queries.All(st.Settings.Alerts.Thresholds)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, q := range qs {
		if q.Dashboard != dashboards.OverviewUID || q.Panel != "Network" {
			continue
		}
		n++
		expr, err := queries.Substitute(q.Expr)
		if err != nil {
			t.Fatal(err)
		}
		var resp struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
				} `json:"result"`
			} `json:"data"`
		}
		deadline := time.Now().Add(2 * time.Minute) // a rate needs two scrapes
		for {
			if err := stack.GetJSON(ctx, st.PromURL+"/api/v1/query?query="+url.QueryEscape(expr), &resp); err != nil {
				t.Fatal(err)
			}
			if len(resp.Data.Result) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Second)
		}
		if len(resp.Data.Result) == 0 {
			t.Errorf("network panel query %s returns no interface", q.RefID)
		}
		for _, r := range resp.Data.Result {
			dev := r.Metric["device"]
			if !host[dev] {
				t.Errorf("network panel shows device %q, not an interface of this host", dev)
			}
			if dev == "lo" || strings.HasPrefix(dev, "veth") || strings.HasPrefix(dev, "docker") || strings.HasPrefix(dev, "br-") {
				t.Errorf("network panel shows %q, which it should leave out", dev)
			}
		}
	}
	if n == 0 {
		t.Fatal("the overview has no Network panel query")
	}
}
