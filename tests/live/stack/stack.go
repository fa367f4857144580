package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/config/pgdsn"
	"github.com/koprogo/koprogo-monitoring/render/amconfig"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Running lists the scrape jobs the stack runs here. Every other job in
// services.Jobs() has a loopback address nobody listens on; NotRunning says
// why for each.
var Running = []services.Name{services.Prometheus, services.Alertmanager, services.NodeExporter, services.PostgresExporter}

// NotRunning gives, for every scrape job the live stack does not run, the
// reason. Its targets must be down and nothing else may be.
var NotRunning = map[services.Name]string{
	services.Grafana:  "Grafana is AGPL-3.0 and not built here; its configuration is checked by structure only",
	services.Loki:     "Loki is AGPL-3.0 and not built here; its configuration is checked by structure only",
	services.Alloy:    "Grafana Alloy is not built here (large module with AGPL Loki dependencies); its configuration is checked by structure only",
	services.Traefik:  "Traefik is the application's reverse proxy, not part of this stack",
	services.Backend:  "the KoproGo backend is the monitored application, not part of this stack",
	services.Cadvisor: "cAdvisor is not built: its main package lives in the separate module github.com/google/cadvisor/cmd, which the module proxy here does not serve (404); and with the deployed --docker_only=true it would export no container series on a machine without a Docker engine",
}

// HostLabel is the host label of the live stack's series.
const HostLabel = "live"

// Stack is the running monitoring stack plus the outside world it talks to:
// a PostgreSQL server, an SMTP listener and the dead-man-switch endpoint.
type Stack struct {
	Dir       string // temp directory with every rendered file, data and logs
	Settings  config.Settings
	Layout    topology.Layout
	Rules     []byte // the rendered rule file
	PromURL   string // http://127.0.0.1:port
	AMURL     string
	Postgres  *Postgres
	Mail      *MailServer
	DeadMan   *Pings
	Processes map[string]*Process

	closers []func() error
}

// Options change what Start runs.
type Options struct {
	// Baseline runs an untuned stack for comparison in the footprint report:
	// plain scrape jobs without relabelling and exporters with default flags.
	Baseline bool
	// Unless Baseline is set, every process runs with the Go runtime
	// environment its container gets (flags.Env for its service and the
	// settings' memory limit), so the live test and the footprint
	// benchmark run what is deployed; the baseline runs the binaries'
	// defaults.
}

// Start renders the production files for a loopback layout and starts
// PostgreSQL, the SMTP listener, the dead-man endpoint, both exporters,
// Alertmanager and Prometheus. On error everything already started is
// stopped. The caller must Close the stack.
func Start(opts Options) (st *Stack, err error) {
	tools, err := FindTools()
	if err != nil {
		return nil, err
	}
	pgBin, err := PostgresBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "koprogo-live-")
	if err != nil {
		return nil, err
	}
	st = &Stack{Dir: dir, Processes: map[string]*Process{}}
	st.closers = append(st.closers, func() error { return os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			err = errors.Join(err, st.Close())
			st = nil
		}
	}()

	ports, err := freePorts(len(services.Jobs()) + 2)
	if err != nil {
		return st, err
	}
	port := map[services.Name]int{}
	for i, svc := range services.Jobs() {
		port[svc] = ports[i]
	}
	pgPort := ports[len(services.Jobs())]

	// The outside world first: the SMTP listener and the dead-man endpoint
	// (listening before Alertmanager starts), then PostgreSQL.
	mailL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return st, err
	}
	st.Mail, err = newMailServer(mailL, "alertmanager@koprogo.test", randomHex(16))
	if err != nil {
		mailL.Close()
		return st, err
	}
	st.closers = append(st.closers, st.Mail.Close)
	st.DeadMan, err = newPings()
	if err != nil {
		return st, err
	}
	st.closers = append(st.closers, st.DeadMan.Close)
	st.Postgres, err = newPostgres(pgBin, pgPort, dir)
	if st.Postgres != nil {
		st.closers = append(st.closers, st.Postgres.Close)
	}
	if err != nil {
		return st, err
	}

	// Settings go through the real parser, as `pulumi up` does.
	smtpHost, smtpPort, _ := net.SplitHostPort(st.Mail.Addr)
	values := map[string]string{
		"postgresDsn":       st.Postgres.DSN(),
		"smtpHost":          smtpHost,
		"smtpPort":          smtpPort,
		"smtpFrom":          "alerts@koprogo.test",
		"smtpTo":            "ops@koprogo.test",
		"smtpUsername":      st.Mail.Username,
		"smtpPassword":      st.Mail.Password,
		"deadMansSwitchUrl": st.DeadMan.URL,
	}
	secret := map[string]bool{"postgresDsn": true, "smtpPassword": true, "deadMansSwitchUrl": true}
	st.Settings, err = config.Parse("live", values, secret)
	if err != nil {
		return st, fmt.Errorf("config.Parse: %w", err)
	}

	// Production's layout with loopback addresses and temp paths.
	prod := st.Settings.Layout()
	l := topology.Layout{Targets: map[services.Name]topology.Target{}}
	for _, svc := range services.Jobs() {
		l.Targets[svc] = topology.Target{Address: "127.0.0.1:" + strconv.Itoa(port[svc]), MetricsPath: prod.Targets[svc].MetricsPath}
	}
	l.AlertmanagerAddr = l.Targets[services.Alertmanager].Address
	l.LokiPushURL = "http://" + l.Targets[services.Loki].Address + "/loki/api/v1/push"
	l.Files = topology.Files{
		PrometheusRulesGlob:       filepath.Join(dir, "rules", "*.yml"),
		AlertmanagerTemplatesGlob: filepath.Join(dir, "templates", "*.tmpl"),
		NodeTextfileDir:           filepath.Join(dir, "textfile"),
		SMTPCAFile:                filepath.Join(dir, "secrets", "smtp-ca.pem"),
		SMTPPasswordFile:          filepath.Join(dir, "secrets", "smtp_password"),
		DeadMansSwitchURLFile:     filepath.Join(dir, "secrets", "dead_mans_switch_url"),
	}
	st.Layout = l
	st.PromURL = "http://" + l.Targets[services.Prometheus].Address
	st.AMURL = "http://" + l.Targets[services.Alertmanager].Address

	// Render every file with the program's renderers.
	var promYAML []byte
	if opts.Baseline {
		promYAML, err = baselinePromConfig(st.Settings.Stack, l)
	} else {
		promYAML, err = promconfig.Render(promconfig.Options{Stack: st.Settings.Stack, Host: HostLabel, Layout: l})
	}
	if err != nil {
		return st, fmt.Errorf("render prometheus.yml: %w", err)
	}
	if st.Rules, err = alerts.RenderRules(st.Settings.Alerts); err != nil {
		return st, fmt.Errorf("render rules: %w", err)
	}
	amYAML, err := amconfig.Render(amconfig.For(st.Settings.Email, st.Settings.DeadMansSwitchURL.IsSet(), l.Files))
	if err != nil {
		return st, fmt.Errorf("render alertmanager.yml: %w", err)
	}
	dsn, err := pgdsn.Split(st.Postgres.DSN())
	if err != nil {
		return st, err
	}
	files := map[string][]byte{
		"prometheus.yml":               promYAML,
		"alertmanager.yml":             amYAML,
		"rules/koprogo.yml":            st.Rules,
		"templates/koprogo.tmpl":       amconfig.Template(),
		"secrets/smtp-ca.pem":          st.Mail.CAPEM,
		"secrets/pg_user":              []byte(dsn.User),
		"secrets/pg_password":          []byte(dsn.Password),
		"secrets/pg_uri":               []byte(dsn.URI),
		"textfile/.keep":               nil,
		"prometheus-data/.keep":        nil,
		"alertmanager-data/.keep":      nil,
		"secrets/smtp_password":        []byte(st.Mail.Password),
		"secrets/dead_mans_switch_url": []byte(st.DeadMan.URL),
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return st, err
		}
		if err := os.WriteFile(p, content, 0o600); err != nil {
			return st, err
		}
	}

	addr := func(svc services.Name) string { return l.Targets[svc].Address }
	nodeArgs := flags.NodeExporter(flags.NodeExporterOptions{RootFS: "/", TextfileDir: l.Files.NodeTextfileDir, ListenAddress: addr(services.NodeExporter)})
	pgArgs := flags.PostgresExporter(flags.PostgresExporterOptions{ListenAddress: addr(services.PostgresExporter)})
	if opts.Baseline {
		nodeArgs = []string{"--web.listen-address=" + addr(services.NodeExporter)}
		pgArgs = []string{"--web.listen-address=" + addr(services.PostgresExporter)}
	}
	procs := []struct {
		name, bin string
		svc       services.Name
		args, env []string
		ready     string
	}{
		{"node_exporter", tools.NodeExporter, services.NodeExporter, nodeArgs, nil, "http://" + addr(services.NodeExporter) + "/metrics"},
		{"postgres_exporter", tools.PostgresExporter, services.PostgresExporter, pgArgs, []string{
			"DATA_SOURCE_USER_FILE=" + filepath.Join(dir, "secrets/pg_user"),
			"DATA_SOURCE_PASS_FILE=" + filepath.Join(dir, "secrets/pg_password"),
			"DATA_SOURCE_URI_FILE=" + filepath.Join(dir, "secrets/pg_uri"),
		}, "http://" + addr(services.PostgresExporter) + "/metrics"},
		{"alertmanager", tools.Alertmanager, services.Alertmanager, flags.Alertmanager(flags.AlertmanagerOptions{
			ConfigFile: filepath.Join(dir, "alertmanager.yml"), StoragePath: filepath.Join(dir, "alertmanager-data"), ListenAddress: addr(services.Alertmanager),
		}), nil, st.AMURL + "/-/ready"},
		{"prometheus", tools.Prometheus, services.Prometheus, flags.Prometheus(flags.PrometheusOptions{
			ConfigFile: filepath.Join(dir, "prometheus.yml"), StoragePath: filepath.Join(dir, "prometheus-data"), ListenAddress: addr(services.Prometheus),
			RetentionTime: st.Settings.Retention.MetricsTime, RetentionSize: st.Settings.Retention.MetricsSize,
		}), nil, st.PromURL + "/-/ready"},
	}
	for _, pr := range procs {
		env := pr.env
		if !opts.Baseline {
			env = append(env, flags.Env(pr.svc, st.Settings.Service(pr.svc).MemoryMB)...)
		}
		p, err := startProcess(pr.name, dir, pr.bin, pr.args, env, nil)
		if err != nil {
			return st, err
		}
		st.Processes[pr.name] = p
		st.closers = append(st.closers, func() error { return p.Stop(syscall.SIGTERM, 20*time.Second) })
		if err := waitHTTP(pr.ready, p, 90*time.Second); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Close stops everything Start started, newest first, by PID, and removes
// the temp directory. It returns every error.
func (st *Stack) Close() error {
	var errs []error
	for i := len(st.closers) - 1; i >= 0; i-- {
		errs = append(errs, st.closers[i]())
	}
	st.closers = nil
	return errors.Join(errs...)
}

// Logs returns the tail of every process log, for failure messages.
func (st *Stack) Logs(lines int) string {
	var out string
	for _, name := range []string{"prometheus", "alertmanager", "node_exporter", "postgres_exporter"} {
		if p, ok := st.Processes[name]; ok {
			out += fmt.Sprintf("--- %s (pid %d) ---\n%s\n", name, p.PID(), p.LogTail(lines))
		}
	}
	if st.Postgres != nil && st.Postgres.proc != nil {
		out += fmt.Sprintf("--- postgres (pid %d) ---\n%s\n", st.Postgres.proc.PID(), st.Postgres.proc.LogTail(lines))
	}
	return out
}

// GetJSON fetches url and decodes the JSON body into v.
func GetJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return json.Unmarshal(body, v)
}

func waitHTTP(url string, p *Process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.Exited() {
			return fmt.Errorf("%s exited during start-up:\n%s", p.Name, p.LogTail(30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s after %s:\n%s", p.Name, url, timeout, p.LogTail(30))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// freePorts reserves n distinct loopback ports. They are released before use,
// so another process could take one in between; on this machine nothing else
// allocates ports at that rate.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Pings is the dead-man-switch endpoint: it counts the requests the Watchdog
// route sends.
type Pings struct {
	URL  string
	srv  *http.Server
	mu   sync.Mutex
	hits int
}

func newPings() (*Pings, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Pings{URL: "http://" + l.Addr().String() + "/ping/koprogo-live"}
	p.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/ping/koprogo-live" {
			p.mu.Lock()
			p.hits++
			p.mu.Unlock()
		}
	})}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// Hits is the number of requests received on the ping path.
func (p *Pings) Hits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits
}

// Close stops the endpoint.
func (p *Pings) Close() error { return p.srv.Close() }
