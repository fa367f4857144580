package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/render/webconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Host labels of the two hosts of the remote-write stack.
const (
	CentralHost = "central"
	AgentHost   = "agent-1"
)

// VMUser is the user the central Prometheus writes to VictoriaMetrics as
// (VictoriaMetrics single node has one basic-auth user).
const VMUser = "koprogo"

// VMRemoteName is the remote_name of the central Prometheus's queue to
// VictoriaMetrics.
const VMRemoteName = "victoriametrics"

// RemoteWriteStack is two hosts on loopback: a central Prometheus (the
// production configuration plus a remote_write to VictoriaMetrics, the web
// config with both users, the remote-write receiver and the real alert
// rules) scraping a node_exporter, and an agent Prometheus (`--agent`, the
// rendered agent configuration) scraping a second node_exporter and writing
// to the central receiver. VictoriaMetrics single node is the engine.
type RemoteWriteStack struct {
	Dir        string
	Settings   config.Settings
	Rules      []byte
	CentralURL string // http://127.0.0.1:port; every request needs basic auth
	// ReceiverURL is the central Prometheus's write endpoint on its
	// receiver listener, where the agent writes (as in the container).
	ReceiverURL string
	AgentURL    string
	VMURL       string
	// Passwords of the users: the central's stack and agent users, and the
	// VictoriaMetrics user.
	StackPassword, AgentPassword, VMPassword string
	Processes                                map[string]*Process

	vmBin   string
	vmArgs  []string
	closers []func() error
}

// StartRemoteWrite renders every file and starts VictoriaMetrics, both
// node_exporters, the central Prometheus and the agent. On error
// everything already started is stopped. The caller must Close it.
func StartRemoteWrite() (rs *RemoteWriteStack, err error) {
	tools, err := FindTools()
	if err != nil {
		return nil, err
	}
	vmBin, err := findTool("victoria-metrics")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "koprogo-remotewrite-")
	if err != nil {
		return nil, err
	}
	rs = &RemoteWriteStack{Dir: dir, Processes: map[string]*Process{}, vmBin: vmBin}
	rs.closers = append(rs.closers, func() error { return os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			err = errors.Join(err, rs.Close())
			rs = nil
		}
	}()

	// Settings through the real parser. Alertmanager is not run: the alerts
	// are read from the central Prometheus's own API.
	rs.Settings, err = config.Parse("live-rw", map[string]string{
		"postgresDsn":  "postgresql://monitor:unused@127.0.0.1:1/koprogo?sslmode=disable",
		"smtpHost":     "127.0.0.1",
		"smtpFrom":     "alerts@koprogo.test",
		"smtpTo":       "ops@koprogo.test",
		"smtpUsername": "alertmanager@koprogo.test",
		"smtpPassword": "unused",
	}, map[string]bool{"postgresDsn": true, "smtpPassword": true})
	if err != nil {
		return rs, fmt.Errorf("config.Parse: %w", err)
	}

	jobs := services.Jobs()
	ports, err := freePorts(len(jobs) + 4)
	if err != nil {
		return rs, err
	}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	l := topology.Layout{Targets: map[services.Name]topology.Target{}}
	for i, svc := range jobs {
		l.Targets[svc] = topology.Target{Address: addr(ports[i])}
	}
	vmAddr, agentAddr, agentNodeAddr := addr(ports[len(jobs)]), addr(ports[len(jobs)+1]), addr(ports[len(jobs)+2])
	receiverAddr := addr(ports[len(jobs)+3])
	l.AlertmanagerAddr = l.Targets[services.Alertmanager].Address // nothing listens: not run here
	l.Files = topology.Files{PrometheusRulesGlob: filepath.Join(dir, "rules", "*.yml")}
	rs.CentralURL = "http://" + l.Targets[services.Prometheus].Address
	rs.ReceiverURL = "http://" + receiverAddr + "/api/v1/write"
	rs.AgentURL = "http://" + agentAddr
	rs.VMURL = "http://" + vmAddr

	rs.StackPassword, rs.AgentPassword, rs.VMPassword = randomHex(16), randomHex(16), randomHex(16)
	users := map[string]string{}
	for user, pw := range map[string]string{webconfig.StackUser: rs.StackPassword, webconfig.AgentUser: rs.AgentPassword} {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			return rs, err
		}
		users[user] = string(h)
	}
	web, err := webconfig.Render(users)
	if err != nil {
		return rs, err
	}
	secret := func(name string) string { return filepath.Join(dir, "secrets", name) }
	central, err := promconfig.Render(promconfig.Options{
		Stack: rs.Settings.Stack, Host: CentralHost, Layout: l,
		RemoteWrite: []promconfig.RemoteWrite{{
			Name: VMRemoteName, URL: rs.VMURL + "/api/v1/write",
			BasicAuth: &promconfig.BasicAuth{Username: VMUser, PasswordFile: secret("vm_password")},
		}},
		Auth: &promconfig.BasicAuth{Username: webconfig.StackUser, PasswordFile: secret("stack_password")},
	})
	if err != nil {
		return rs, fmt.Errorf("render central prometheus.yml: %w", err)
	}
	agentTargets := map[services.Name]topology.Target{
		services.Prometheus:   {Address: agentAddr},
		services.NodeExporter: {Address: agentNodeAddr},
		// Not run on the agent host here (see NotRunning): down, and their
		// up series travel like any other.
		services.Cadvisor: l.Targets[services.Cadvisor],
		services.Alloy:    l.Targets[services.Alloy],
	}
	agent, err := promconfig.RenderAgent(promconfig.AgentOptions{
		Stack: rs.Settings.Stack, Host: AgentHost, Targets: agentTargets,
		ReceiverURL: rs.ReceiverURL,
		Auth:        promconfig.BasicAuth{Username: webconfig.AgentUser, PasswordFile: secret("agent_password")},
	})
	if err != nil {
		return rs, fmt.Errorf("render agent prometheus.yml: %w", err)
	}
	if rs.Rules, err = alerts.RenderRules(rs.Settings.Alerts); err != nil {
		return rs, err
	}
	files := map[string][]byte{
		"central/prometheus.yml": central,
		"central/web.yml":        web,
		"agent/prometheus.yml":   agent,
		"rules/koprogo.yml":      rs.Rules,
		"secrets/vm_password":    []byte(rs.VMPassword),
		"secrets/stack_password": []byte(rs.StackPassword),
		"secrets/agent_password": []byte(rs.AgentPassword),
		"central/data/.keep":     nil,
		"agent/data/.keep":       nil,
		"vm-data/.keep":          nil,
		"textfile-central/.keep": nil,
		"textfile-agent/.keep":   nil,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return rs, err
		}
		if err := os.WriteFile(p, content, 0o600); err != nil {
			return rs, err
		}
	}

	// The engine first, so the central queue's first sends succeed. The
	// password is read from its file (file://), never put on the command line.
	rs.vmArgs = []string{
		"-storageDataPath=" + filepath.Join(dir, "vm-data"),
		"-httpListenAddr=" + vmAddr,
		"-httpAuth.username=" + VMUser,
		"-httpAuth.password=file://" + secret("vm_password"),
		"-retentionPeriod=1d",
	}
	if err := rs.StartVM(); err != nil {
		return rs, err
	}
	// Each process with its container's Go runtime environment; the agent's
	// Prometheus with the agent host's limit.
	env := func(n services.Name) []string { return flags.Env(n, rs.Settings.Service(n).MemoryMB) }
	procs := []struct {
		name, bin string
		args      []string
		env       []string
		ready     string
		auth      [2]string
	}{
		{"node_exporter-central", tools.NodeExporter, flags.NodeExporter(flags.NodeExporterOptions{
			RootFS: "/", TextfileDir: filepath.Join(dir, "textfile-central"), ListenAddress: l.Targets[services.NodeExporter].Address,
		}), env(services.NodeExporter), "http://" + l.Targets[services.NodeExporter].Address + "/metrics", [2]string{}},
		{"node_exporter-agent", tools.NodeExporter, flags.NodeExporter(flags.NodeExporterOptions{
			RootFS: "/", TextfileDir: filepath.Join(dir, "textfile-agent"), ListenAddress: agentNodeAddr,
		}), flags.Env(services.NodeExporter, rs.Settings.AgentService(services.NodeExporter).MemoryMB), "http://" + agentNodeAddr + "/metrics", [2]string{}},
		{"prometheus-central", tools.Prometheus, flags.Prometheus(flags.PrometheusOptions{
			ConfigFile: filepath.Join(dir, "central/prometheus.yml"), StoragePath: filepath.Join(dir, "central/data"),
			ListenAddress: l.Targets[services.Prometheus].Address,
			RetentionTime: rs.Settings.Retention.MetricsTime, RetentionSize: rs.Settings.Retention.MetricsSize,
			WebConfigFile: filepath.Join(dir, "central/web.yml"), ReceiverListenAddress: receiverAddr,
		}), env(services.Prometheus), rs.CentralURL + "/-/ready", [2]string{webconfig.StackUser, rs.StackPassword}},
		{"prometheus-agent", tools.Prometheus, flags.PrometheusAgent(flags.PrometheusAgentOptions{
			ConfigFile: filepath.Join(dir, "agent/prometheus.yml"), StoragePath: filepath.Join(dir, "agent/data"), ListenAddress: agentAddr,
		}), flags.Env(services.Prometheus, rs.Settings.AgentService(services.Prometheus).MemoryMB), rs.AgentURL + "/-/ready", [2]string{}},
	}
	for _, pr := range procs {
		p, err := startProcess(pr.name, dir, pr.bin, pr.args, pr.env, nil)
		if err != nil {
			return rs, err
		}
		rs.Processes[pr.name] = p
		rs.closers = append(rs.closers, func() error { return p.Stop(syscall.SIGTERM, 20*time.Second) })
		if err := waitReady(pr.ready, pr.auth[0], pr.auth[1], p, 90*time.Second); err != nil {
			return rs, err
		}
	}
	return rs, nil
}

// StartVM starts VictoriaMetrics on its data directory (again, after
// StopVM) and waits for it to answer.
func (rs *RemoteWriteStack) StartVM() error {
	if p, ok := rs.Processes["victoria-metrics"]; ok && !p.Exited() {
		return errors.New("VictoriaMetrics is already running")
	}
	p, err := startProcess("victoria-metrics", rs.Dir, rs.vmBin, rs.vmArgs, nil, nil)
	if err != nil {
		return err
	}
	if _, ok := rs.Processes["victoria-metrics"]; !ok {
		// One closer for every start: it stops whichever process is current.
		rs.closers = append(rs.closers, func() error { return rs.Processes["victoria-metrics"].Stop(syscall.SIGTERM, 30*time.Second) })
	}
	rs.Processes["victoria-metrics"] = p
	return waitReady(rs.VMURL+"/health", "", "", p, 90*time.Second)
}

// StopVM stops VictoriaMetrics (SIGTERM: it flushes what it has and exits).
func (rs *RemoteWriteStack) StopVM() error {
	return rs.Processes["victoria-metrics"].Stop(syscall.SIGTERM, 30*time.Second)
}

// Close stops everything, newest first, by PID, and removes the directory.
func (rs *RemoteWriteStack) Close() error {
	var errs []error
	for i := len(rs.closers) - 1; i >= 0; i-- {
		errs = append(errs, rs.closers[i]())
	}
	rs.closers = nil
	return errors.Join(errs...)
}

// Logs returns the tail of every process log, for failure messages.
func (rs *RemoteWriteStack) Logs(lines int) string {
	var out string
	for _, name := range []string{"victoria-metrics", "prometheus-central", "prometheus-agent", "node_exporter-central", "node_exporter-agent"} {
		if p, ok := rs.Processes[name]; ok {
			out += fmt.Sprintf("--- %s (pid %d) ---\n%s\n", name, p.PID(), p.LogTail(lines))
		}
	}
	return out
}

// Central queries the central Prometheus as the stack user.
func (rs *RemoteWriteStack) Central(ctx context.Context, path string, v any) error {
	return GetJSONAuth(ctx, rs.CentralURL+path, webconfig.StackUser, rs.StackPassword, v)
}

// VM queries VictoriaMetrics as its user.
func (rs *RemoteWriteStack) VM(ctx context.Context, path string, v any) error {
	return GetJSONAuth(ctx, rs.VMURL+path, VMUser, rs.VMPassword, v)
}

// CentralGauge reads a metric of the central Prometheus's own /metrics
// now (not as last scraped), summed over the series whose labels include
// match. It is an error when no series matches.
func (rs *RemoteWriteStack) CentralGauge(ctx context.Context, name string, match map[string]string) (float64, error) {
	body, err := Request(ctx, http.MethodGet, rs.CentralURL+"/metrics", webconfig.StackUser, rs.StackPassword, nil)
	if err != nil {
		return 0, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	f, ok := families[name]
	if !ok {
		return 0, fmt.Errorf("the central Prometheus exports no %s", name)
	}
	sum, n := 0.0, 0
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		matched := true
		for k, v := range match {
			matched = matched && labels[k] == v
		}
		if !matched {
			continue
		}
		n++
		switch {
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetUntyped() != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("no %s series with %v", name, match)
	}
	return sum, nil
}

// VMExport returns VictoriaMetrics' raw samples (/api/v1/export, one JSON
// object per series and line) of the series matching match between start
// and end. It first makes recently ingested samples searchable
// (/internal/force_flush).
func (rs *RemoteWriteStack) VMExport(ctx context.Context, match string, start, end time.Time) ([]ExportedSeries, error) {
	if _, err := Request(ctx, http.MethodGet, rs.VMURL+"/internal/force_flush", VMUser, rs.VMPassword, nil); err != nil {
		return nil, err
	}
	q := fmt.Sprintf("/api/v1/export?match[]=%s&start=%d&end=%d", url.QueryEscape(match), start.Unix(), end.Unix())
	body, err := Request(ctx, http.MethodGet, rs.VMURL+q, VMUser, rs.VMPassword, nil)
	if err != nil {
		return nil, err
	}
	var out []ExportedSeries
	dec := json.NewDecoder(strings.NewReader(string(body)))
	for dec.More() {
		var s ExportedSeries
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("VictoriaMetrics export: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

// ExportedSeries is one line of VictoriaMetrics' /api/v1/export.
type ExportedSeries struct {
	Metric     map[string]string `json:"metric"`
	Values     []any             `json:"values"`     // numbers, or strings for NaN and Inf
	Timestamps []int64           `json:"timestamps"` // milliseconds
}

// GetJSONAuth fetches url with basic auth and decodes the JSON body into v.
func GetJSONAuth(ctx context.Context, u, user, password string, v any) error {
	body, err := Request(ctx, http.MethodGet, u, user, password, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}

// Request sends one request with basic auth (none when user is "") and
// returns the body; a status other than 2xx is an error that names it.
func Request(ctx context.Context, method, u, user, password string, body io.Reader) ([]byte, error) {
	code, b, err := Status(ctx, method, u, user, password, body)
	if err != nil {
		return nil, err
	}
	if code/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d: %s", method, u, code, b)
	}
	return b, nil
}

// Status sends one request with basic auth (none when user is "") and
// returns the status code and body.
func Status(ctx context.Context, method, u, user, password string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// RSS returns a process's resident set size and its peak (VmRSS and VmHWM
// from /proc), in bytes.
func RSS(p *Process) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, 0, err
		}
		switch f[0] {
		case "VmRSS:":
			rss = n << 10
		case "VmHWM:":
			peak = n << 10
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS for %s (pid %d)", p.Name, p.PID())
	}
	return rss, peak, nil
}

// waitReady polls url (with basic auth when user is set) until it answers
// 200.
func waitReady(u, user, password string, p *Process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		code, _, err := Status(context.Background(), http.MethodGet, u, user, password, nil)
		if err == nil && code == http.StatusOK {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s exited during start-up:\n%s", p.Name, p.LogTail(30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s after %s:\n%s", p.Name, u, timeout, p.LogTail(30))
		}
		time.Sleep(250 * time.Millisecond)
	}
}
