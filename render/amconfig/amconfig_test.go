package amconfig

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amcfg "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/template"
	"github.com/prometheus/common/model"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// stackSettings parses the minimal configuration with a dead-man switch and
// the given changes ("" deletes a key), the way `pulumi up` does.
func stackSettings(t *testing.T, values map[string]string) config.Settings {
	t.Helper()
	c := stacks.Minimal()
	c.Set("smtpPassword", "dummy-password", true)
	c.Set("deadMansSwitchUrl", "https://hc-ping.example.com/dummy", true)
	return c.With(values).Parse(t, "prod")
}

// options are the production options of that configuration.
func options(t *testing.T, values map[string]string) Options {
	t.Helper()
	s := stackSettings(t, values)
	return For(s.Email, s.DeadMansSwitchURL.IsSet(), s.Layout().Files)
}

// variants are the configurations worth rendering: production with every
// option, and each option off.
var variants = []struct {
	name   string
	values map[string]string
}{
	{"full", nil},
	{"alerts-disabled", map[string]string{"alertsEnabled": "false"}},
	{"no-deadmans-switch", map[string]string{"deadMansSwitchUrl": ""}},
	{"no-smtp-auth", map[string]string{"smtpUsername": "", "smtpPassword": "", "smtpPort": "465"}},
}

func render(t *testing.T, o Options) []byte {
	t.Helper()
	out, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			o := options(t, v.values)
			got := render(t, o)
			path := filepath.Join("testdata", v.name+".yml")
			testkit.Golden(t, path, got, *update)
			if !bytes.Equal(got, render(t, o)) {
				t.Fatal("two renders of the same input differ")
			}
		})
	}
}

// TestNoSecretInOutput: the password and the dead-man URL are referenced by
// file, never inlined.
func TestNoSecretInOutput(t *testing.T) {
	out := string(render(t, options(t, nil)))
	for _, secret := range []string{"dummy-password", "hc-ping.example.com", "sslmode"} {
		if strings.Contains(out, secret) {
			t.Errorf("rendered config contains %q", secret)
		}
	}
	for _, want := range []string{"auth_password_file: /etc/alertmanager/secrets/smtp_password", "url_file: /etc/alertmanager/secrets/dead_mans_switch_url", "require_tls: true", "send_resolved: true"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered config lacks %q", want)
		}
	}
}

// onDisk moves the options' files to disk, as the live test does, so that
// amtool can load the templates and the CA.
func onDisk(t *testing.T, o Options) (Options, string) {
	t.Helper()
	dir := t.TempDir()
	o.TemplatesGlob = filepath.Join(dir, "templates", "*.tmpl")
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("templates/email.tmpl", Template())
	if o.Email != nil {
		e := *o.Email
		if e.PasswordFile != "" {
			e.PasswordFile = write("smtp_password", []byte("dummy"))
		}
		e.CAFile = write("ca.pem", []byte("placeholder: amtool does not read the CA"))
		o.Email = &e
	}
	if o.DeadMansSwitchURLFile != "" {
		o.DeadMansSwitchURLFile = write("dead_mans_switch_url", []byte("https://hc-ping.example.com/dummy"))
	}
	return o, dir
}

// route is one `amtool config routes test` expectation.
type route struct {
	labels   []string
	receiver string
}

// TestAmtool runs amtool check-config on every variant (with a CA file, as
// the live test renders it) and proves where each severity goes.
func TestAmtool(t *testing.T) {
	amtool := testkit.Tool(t, "amtool")
	critical := []string{"alertname=HostDiskSpaceLow", "severity=critical", "component=host", "stack=prod"}
	warning := []string{"alertname=HostCpuHigh", "severity=warning", "component=host", "stack=prod"}
	info := []string{"alertname=HostRebooted", "severity=info", "component=host", "stack=prod"}
	watchdog := []string{"alertname=Watchdog", "severity=none", "component=monitoring", "stack=prod"}
	unlabelled := []string{"alertname=SomethingElse", "stack=prod"}
	want := map[string][]route{
		"full": {{critical, EmailReceiver}, {warning, EmailReceiver}, {info, NullReceiver}, {watchdog, DeadMansReceiver}, {unlabelled, EmailReceiver}},
		// No e-mail at all, but the dead-man switch still gets the Watchdog.
		"alerts-disabled":    {{critical, NullReceiver}, {warning, NullReceiver}, {info, NullReceiver}, {watchdog, DeadMansReceiver}, {unlabelled, NullReceiver}},
		"no-deadmans-switch": {{critical, EmailReceiver}, {warning, EmailReceiver}, {watchdog, NullReceiver}},
		"no-smtp-auth":       {{critical, EmailReceiver}, {watchdog, DeadMansReceiver}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			o, dir := onDisk(t, options(t, v.values))
			file := filepath.Join(dir, "alertmanager.yml")
			if err := os.WriteFile(file, render(t, o), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(amtool, "check-config", file).CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS") {
				t.Fatalf("amtool check-config: %v\n%s", err, out)
			}
			if len(want[v.name]) == 0 {
				t.Fatalf("no routing expectations for variant %s", v.name)
			}
			for _, r := range want[v.name] {
				args := append([]string{"config", "routes", "test", "--config.file=" + file, "--verify.receivers=" + r.receiver}, r.labels...)
				if out, err := exec.Command(amtool, args...).CombinedOutput(); err != nil {
					t.Errorf("%v should go to %s: %v\n%s", r.labels, r.receiver, err, out)
				}
			}
		})
	}
}

// TestTimings walks Alertmanager's own routing tree: critical is sent fast
// and repeated often, warning waits to group and repeats rarely, and the
// Watchdog repeats often enough for a dead-man switch.
func TestTimings(t *testing.T) {
	cfg, err := amcfg.Load(string(render(t, options(t, nil))))
	if err != nil {
		t.Fatal(err)
	}
	tree := dispatch.NewRoute(cfg.Route, nil)
	opts := func(ls model.LabelSet) dispatch.RouteOpts {
		rs := tree.Match(ls)
		if len(rs) != 1 {
			t.Fatalf("%v matched %d routes, want 1", ls, len(rs))
		}
		return rs[0].RouteOpts
	}
	crit := opts(model.LabelSet{"alertname": "X", "severity": alerts.Critical})
	warn := opts(model.LabelSet{"alertname": "X", "severity": alerts.Warning})
	dog := opts(model.LabelSet{"alertname": alerts.Watchdog, "severity": alerts.None})
	if crit.GroupWait > 30*time.Second || crit.RepeatInterval > 4*time.Hour {
		t.Errorf("critical: group_wait %v, repeat %v; want <= 30s and <= 4h", crit.GroupWait, crit.RepeatInterval)
	}
	if warn.GroupWait <= crit.GroupWait || warn.RepeatInterval <= crit.RepeatInterval {
		t.Errorf("warning (wait %v, repeat %v) must wait and repeat longer than critical (%v, %v)", warn.GroupWait, warn.RepeatInterval, crit.GroupWait, crit.RepeatInterval)
	}
	if dog.RepeatInterval > 10*time.Minute {
		t.Errorf("Watchdog repeats every %v: a dead-man switch needs at most 10m", dog.RepeatInterval)
	}
	for _, o := range []dispatch.RouteOpts{crit, warn} {
		// host: the same alert on two hosts is two e-mails, each naming its
		// host in the subject.
		for _, l := range []model.LabelName{"alertname", "severity", "host"} {
			if _, ok := o.GroupBy[l]; !ok {
				t.Errorf("route to %s does not group by %s: the e-mail subject prints it", o.Receiver, l)
			}
		}
	}
}

// TestTemplate parses the template with Alertmanager's template package and
// renders the subject and bodies for a firing group.
func TestTemplate(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "email.tmpl"), Template(), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl, err := template.FromGlobs([]string{filepath.Join(dir, "*.tmpl")})
	if err != nil {
		t.Fatal(err)
	}
	tmpl.ExternalURL = nil
	start := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	data := &template.Data{
		Receiver:     EmailReceiver,
		Status:       "firing",
		GroupLabels:  template.KV{"alertname": "HostDiskSpaceLow", "severity": "critical"},
		CommonLabels: template.KV{"alertname": "HostDiskSpaceLow", "severity": "critical", "stack": "prod", "component": "host"},
		ExternalURL:  "http://localhost:9093",
		Alerts: template.Alerts{{
			Status: "firing",
			Labels: template.KV{"alertname": "HostDiskSpaceLow", "severity": "critical", "stack": "prod", "component": "host", "mountpoint": "/"},
			Annotations: template.KV{
				"summary":     "Disk space low on vps:9100 (/)",
				"description": "Only 3.2% free on / (/dev/sda1) of vps:9100; critical below 5%.",
				"runbook_url": alerts.RunbookURL("HostDiskSpaceLow"),
			},
			StartsAt: start,
		}},
	}
	subject, err := tmpl.ExecuteTextString(`{{ template "koprogo.email.subject" . }}`, data)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "[FIRING:1] HostDiskSpaceLow critical - prod" {
		t.Errorf("subject = %q", subject)
	}
	// A group of one host's alerts names it.
	withHost := *data
	withHost.GroupLabels = template.KV{"alertname": "HostDiskSpaceLow", "severity": "critical", "host": "worker-1"}
	subject, err = tmpl.ExecuteTextString(`{{ template "koprogo.email.subject" . }}`, &withHost)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "[FIRING:1] HostDiskSpaceLow critical on worker-1 - prod" {
		t.Errorf("subject with a host = %q", subject)
	}
	text, err := tmpl.ExecuteTextString(`{{ template "koprogo.email.text" . }}`, data)
	if err != nil {
		t.Fatal(err)
	}
	html, err := tmpl.ExecuteHTMLString(`{{ template "koprogo.email.html" . }}`, data)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"text": text, "html": html} {
		for _, want := range []string{"HostDiskSpaceLow", "critical", "Disk space low on vps:9100 (/)", "Only 3.2% free", alerts.RunbookURL("HostDiskSpaceLow"), "2026-11-27 06:00:00 UTC", "http://localhost:9093"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s body lacks %q:\n%s", name, want, body)
			}
		}
	}
	data.Status, data.Alerts[0].Status, data.Alerts[0].EndsAt = "resolved", "resolved", start.Add(time.Hour)
	subject, err = tmpl.ExecuteTextString(`{{ template "koprogo.email.subject" . }}`, data)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "[RESOLVED] HostDiskSpaceLow critical - prod" {
		t.Errorf("resolved subject = %q", subject)
	}
}

func TestRenderRefusesIncompleteInput(t *testing.T) {
	o := options(t, nil)
	e := *o.Email
	e.PasswordFile = ""
	o.Email = &e
	if _, err := Render(o); err == nil {
		t.Error("Render accepted SMTP auth without a password file")
	}
	o = options(t, nil)
	o.TemplatesGlob = ""
	if _, err := Render(o); err == nil {
		t.Error("Render accepted options without a templates glob")
	}
}

// TestForInstallsOnlyWhatIsSet: the options name a secret file exactly when
// its secret is used, so the component installs nothing else.
func TestForInstallsOnlyWhatIsSet(t *testing.T) {
	full := options(t, nil)
	if full.Email == nil || full.Email.PasswordFile == "" || full.DeadMansSwitchURLFile == "" {
		t.Fatalf("full configuration: %+v", full)
	}
	if o := options(t, map[string]string{"smtpUsername": "", "smtpPassword": ""}); o.Email.PasswordFile != "" {
		t.Errorf("no SMTP username, but a password file %q", o.Email.PasswordFile)
	}
	if o := options(t, map[string]string{"deadMansSwitchUrl": ""}); o.DeadMansSwitchURLFile != "" {
		t.Errorf("no dead-man switch, but a URL file %q", o.DeadMansSwitchURLFile)
	}
	if o := options(t, map[string]string{"alertsEnabled": "false"}); o.Email != nil {
		t.Errorf("alerts disabled, but an e-mail receiver %+v", o.Email)
	}
}

// TestAlertNamesExist: every alertname the routes and inhibitions name is a
// rule of alerts/, so renaming a rule cannot silently break an inhibition.
func TestAlertNamesExist(t *testing.T) {
	cfg, err := amcfg.Load(string(render(t, options(t, nil))))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, g := range alerts.Groups(stackSettings(t, nil).Alerts) {
		for _, r := range g.Rules {
			known[r.Name] = true
		}
	}
	check := func(where string, m *labels.Matcher) {
		if m.Name != "alertname" {
			return
		}
		// Our regexps are plain alternations of names.
		for _, v := range strings.Split(m.Value, "|") {
			if !known[v] {
				t.Errorf("%s names alert %q, which no rule defines", where, v)
			}
		}
	}
	var walk func(r *amcfg.Route)
	walk = func(r *amcfg.Route) {
		for _, m := range r.Matchers {
			check("route to "+r.Receiver, m)
		}
		for _, c := range r.Routes {
			walk(c)
		}
	}
	walk(cfg.Route)
	for _, ir := range cfg.InhibitRules {
		for _, m := range append(append([]*labels.Matcher{}, ir.SourceMatchers...), ir.TargetMatchers...) {
			check("inhibit rule "+ir.Name, m)
		}
	}
}
