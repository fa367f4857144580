// Package amconfig renders alertmanager.yml and its notification template,
// built on Alertmanager's own config types.
//
// Routing, by the severity label the rules in alerts/ set:
//   - Watchdog (always firing) goes to the dead-man switch webhook, or nowhere
//     when none is configured; never to people.
//   - critical: e-mail after 10s, repeated every hour while it fires.
//   - warning (and anything without a known severity): e-mail after 1m,
//     grouped, repeated every 12 hours.
//   - info and none: no notification. They are visible in the Alertmanager UI
//     and Grafana; an e-mail for a reboot or similar facts would train people
//     to ignore alert mail.
//
// When alerts are disabled (alertsEnabled false, e.g. a staging stack
// without SMTP) there is no e-mail receiver at all: everything but the
// Watchdog goes to a receiver without integrations, so Alertmanager still
// shows the alerts and the dead-man switch still proves the pipeline works.
package amconfig

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	amconfig "github.com/prometheus/alertmanager/config"
	amcommon "github.com/prometheus/alertmanager/config/common"
	"github.com/prometheus/alertmanager/notify/email"
	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/pkg/labels"
	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v2"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Receiver names.
const (
	EmailReceiver    = "email"
	DeadMansReceiver = "deadmans-switch"
	NullReceiver     = "null"
)

//go:embed email.tmpl
var emailTemplate []byte

// Template returns the e-mail notification template file content; it is
// installed so that layout.Files.AlertmanagerTemplatesGlob matches it.
func Template() []byte { return bytes.Clone(emailTemplate) }

// Timings. Prometheus evaluates every 30s, so a group_wait below that gains
// nothing; the Watchdog repeats every 5 minutes: set the dead-man switch's
// period to 5 minutes with a grace time of at least 5 more.
var (
	criticalTiming = timing{wait: 10 * time.Second, interval: time.Minute, repeat: time.Hour}
	warningTiming  = timing{wait: time.Minute, interval: 5 * time.Minute, repeat: 12 * time.Hour}
	watchdogTiming = timing{wait: 0, interval: time.Minute, repeat: 5 * time.Minute}
)

type timing struct{ wait, interval, repeat time.Duration }

func (t timing) apply(r *amconfig.Route) *amconfig.Route {
	d := func(v time.Duration) *model.Duration { m := model.Duration(v); return &m }
	r.GroupWait, r.GroupInterval, r.RepeatInterval = d(t.wait), d(t.interval), d(t.repeat)
	return r
}

// Options is everything alertmanager.yml depends on.
type Options struct {
	TemplatesGlob string
	// Email is the e-mail receiver; nil when alerts are not e-mailed.
	Email *Email
	// DeadMansSwitchURLFile holds the dead-man switch's URL; "" = none.
	DeadMansSwitchURLFile string
}

// Email is the e-mail receiver. TLS is always required.
type Email struct {
	Host     string
	Port     int
	From     string
	To       []string
	Username string // "" = no SMTP authentication
	// PasswordFile holds the SMTP password; required with Username.
	PasswordFile string
	// CAFile is an extra CA for the SMTP server's certificate; "" = the
	// system roots.
	CAFile string
}

// For returns a stack's options: an e-mail receiver when alerts are e-mailed
// (with SMTP authentication when a username is set), and the dead-man switch
// when its URL is set. The secret files are referenced at files' paths; the
// caller installs exactly the files the options name (Email.PasswordFile,
// DeadMansSwitchURLFile), so this is the one place that decides which exist.
func For(e config.Email, deadMansSwitch bool, files topology.Files) Options {
	o := Options{TemplatesGlob: files.AlertmanagerTemplatesGlob}
	if e.Enabled {
		o.Email = &Email{Host: e.Host, Port: int(e.Port), From: e.From, To: e.To, Username: e.Username, CAFile: files.SMTPCAFile}
		if e.Username != "" {
			o.Email.PasswordFile = files.SMTPPasswordFile
		}
	}
	if deadMansSwitch {
		o.DeadMansSwitchURLFile = files.DeadMansSwitchURLFile
	}
	return o
}

// Render returns alertmanager.yml. Secrets are referenced by file paths and
// never appear in the output. Same input, byte-identical output.
func Render(o Options) ([]byte, error) {
	if o.TemplatesGlob == "" {
		return nil, errors.New("amconfig: no templates glob")
	}
	cfg := amconfig.Config{
		Templates:    []string{o.TemplatesGlob},
		InhibitRules: inhibitRules(),
		Receivers:    []amconfig.Receiver{{Name: NullReceiver}},
	}

	watchdog := &amconfig.Route{Receiver: NullReceiver, Matchers: matchers(eq("alertname", alerts.Watchdog))}
	if f := o.DeadMansSwitchURLFile; f != "" {
		watchdog.Receiver = DeadMansReceiver
		cfg.Receivers = append(cfg.Receivers, amconfig.Receiver{
			Name: DeadMansReceiver,
			WebhookConfigs: []*webhook.WebhookConfig{{
				// It never resolves; "resolved" would mean nothing to the switch.
				NotifierConfig: amcommon.NotifierConfig{VSendResolved: false},
				URLFile:        f,
				MaxAlerts:      1,
				Timeout:        10 * time.Second,
			}},
		})
	}
	watchdogTiming.apply(watchdog)

	// group_by severity too: a disk at warning and at critical are two
	// e-mails, and both labels are group labels the subject can print.
	// host too: the same alert on two hosts is two problems, each e-mail
	// names its host in the subject, and resolving one host does not wait
	// for the other. Alerts without host (stack-wide ones) group as before.
	root := &amconfig.Route{
		Receiver:   NullReceiver,
		GroupByStr: []string{"alertname", "severity", "host"},
		Routes:     []*amconfig.Route{watchdog},
	}
	warningTiming.apply(root)
	silent := &amconfig.Route{Receiver: NullReceiver, Matchers: matchers(re("severity", alerts.Info+"|"+alerts.None))}

	if o.Email != nil {
		e, err := emailConfig(*o.Email)
		if err != nil {
			return nil, err
		}
		cfg.Receivers = append(cfg.Receivers, amconfig.Receiver{Name: EmailReceiver, EmailConfigs: []*email.EmailConfig{e}})
		root.Receiver = EmailReceiver
		root.Routes = append(root.Routes,
			criticalTiming.apply(&amconfig.Route{Receiver: EmailReceiver, Matchers: matchers(eq("severity", alerts.Critical))}),
			warningTiming.apply(&amconfig.Route{Receiver: EmailReceiver, Matchers: matchers(eq("severity", alerts.Warning))}),
		)
	}
	root.Routes = append(root.Routes, silent)
	cfg.Route = root

	body, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("amconfig: %w", err)
	}
	// Prove the output is what Alertmanager accepts before anyone deploys it.
	if _, err := amconfig.Load(string(body)); err != nil {
		return nil, fmt.Errorf("amconfig: rendered configuration is invalid: %w", err)
	}
	var out bytes.Buffer
	out.WriteString("# Generated by koprogo-monitoring (render/amconfig). Do not edit: run `pulumi up`.\n")
	out.Write(body)
	return out.Bytes(), nil
}

func emailConfig(m Email) (*email.EmailConfig, error) {
	if m.Host == "" || m.From == "" || len(m.To) == 0 {
		return nil, errors.New("amconfig: the e-mail receiver needs a host, a sender and recipients")
	}
	if m.Username != "" && m.PasswordFile == "" {
		return nil, errors.New("amconfig: SMTP authentication without a password file")
	}
	requireTLS := true
	e := &email.EmailConfig{
		NotifierConfig: amcommon.NotifierConfig{VSendResolved: true},
		To:             strings.Join(m.To, ", "),
		From:           m.From,
		Smarthost:      amcommon.HostPort{Host: m.Host, Port: strconv.Itoa(m.Port)},
		Headers:        map[string]string{"Subject": `{{ template "koprogo.email.subject" . }}`},
		Text:           `{{ template "koprogo.email.text" . }}`,
		HTML:           `{{ template "koprogo.email.html" . }}`,
		RequireTLS:     &requireTLS,
	}
	if m.Username != "" {
		e.AuthUsername = m.Username
		e.AuthPasswordFile = m.PasswordFile
	}
	// The certificate is always verified (Alertmanager checks it against the
	// smarthost name); an extra CA only when one is given (the live test's
	// throwaway CA), otherwise the system roots.
	e.TLSConfig = &commoncfg.TLSConfig{CAFile: m.CAFile}
	return e, nil
}

// inhibitRules: an alert that makes others meaningless silences them. The
// stack label (added by Prometheus as an external label) is always part of
// equal, so one stack never silences another.
//
// The host label is part of equal wherever the source and its targets come
// from the same host's series: an exporter down on an agent host explains
// the missing data of that host, not an alert on the central host, which
// would otherwise be muted while its cause is real. Alertmanager compares a
// label missing on both sides as equal, so a source without host (an
// absent() branch: nothing of the job on any host) still inhibits the
// targets without host, which are absent() alerts themselves. Where the
// target aggregates away the host (Traefik's per-service alerts), equal
// stays [stack]: the source is stack-wide for it.
func inhibitRules() []amcommon.InhibitRule {
	return []amcommon.InhibitRule{
		{
			// The critical level of a condition covers its warning level,
			// for the same filesystem of the same host (instance is the
			// exporter's address, the same on every host).
			Name:           "critical covers warning",
			SourceMatchers: matchers(eq("severity", alerts.Critical)),
			TargetMatchers: matchers(eq("severity", alerts.Warning)),
			Equal:          []string{"stack", "host", "alertname", "instance", "mountpoint", "cn"},
		},
		{
			Name:           "no node_exporter, no host data",
			SourceMatchers: matchers(eq("alertname", "NodeExporterDown")),
			TargetMatchers: matchers(re("component", alerts.Host+"|"+alerts.Backup)),
			Equal:          []string{"stack", "host"},
		},
		{
			Name:           "no cAdvisor, no container data",
			SourceMatchers: matchers(eq("alertname", "CadvisorDown")),
			TargetMatchers: matchers(eq("component", alerts.Container)),
			Equal:          []string{"stack", "host"},
		},
		{
			// postgres_exporter runs on the central host; its data alerts
			// carry the host of its target, so host matches, and would
			// keep two databases on two hosts apart.
			Name:           "no postgres_exporter, no PostgreSQL data",
			SourceMatchers: matchers(eq("alertname", "PostgresExporterDown")),
			TargetMatchers: matchers(eq("component", alerts.Postgres), ne("alertname", "PostgresExporterDown")),
			Equal:          []string{"stack", "host"},
		},
		{
			Name:           "PostgreSQL down explains the other PostgreSQL alerts",
			SourceMatchers: matchers(eq("alertname", "PostgresDown")),
			TargetMatchers: matchers(eq("component", alerts.Postgres), nre("alertname", "PostgresDown|PostgresExporterDown")),
			Equal:          []string{"stack", "host"},
		},
		{
			// Stack-wide: the HTTP alerts are per Traefik service, summed
			// over hosts (they carry no host label), while BackendDown
			// carries the backend target's host. With host in equal the
			// two would never match.
			Name:           "backend down explains 5xx and latency",
			SourceMatchers: matchers(eq("alertname", "BackendDown")),
			TargetMatchers: matchers(re("alertname", "HttpErrorRateHigh|HttpLatencyP99High")),
			Equal:          []string{"stack"},
		},
	}
}

func matcher(t labels.MatchType, name, value string) *labels.Matcher {
	m, err := labels.NewMatcher(t, name, value)
	if err != nil {
		panic(err) // constant input
	}
	return m
}

func eq(n, v string) *labels.Matcher  { return matcher(labels.MatchEqual, n, v) }
func ne(n, v string) *labels.Matcher  { return matcher(labels.MatchNotEqual, n, v) }
func re(n, v string) *labels.Matcher  { return matcher(labels.MatchRegexp, n, v) }
func nre(n, v string) *labels.Matcher { return matcher(labels.MatchNotRegexp, n, v) }

func matchers(ms ...*labels.Matcher) amcommon.Matchers { return amcommon.Matchers(ms) }
