package amconfig

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/render/flags"
)

// runAlertmanager starts the pinned Alertmanager binary with the rendered
// alertmanager.yml and the production flags on a loopback port, and returns
// its base URL once it is ready. It is stopped by its PID when the test
// ends.
func runAlertmanager(t *testing.T, o Options) string {
	t.Helper()
	bin := testkit.Tool(t, "alertmanager")
	o, dir := onDisk(t, o)
	file := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(file, render(t, o), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // released for Alertmanager; nothing else here takes ports
	var log bytes.Buffer
	cmd := exec.Command(bin, flags.Alertmanager(flags.AlertmanagerOptions{
		ConfigFile: file, StoragePath: filepath.Join(dir, "data"), ListenAddress: addr,
	})...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &log, &log
	// If the test binary dies without its cleanups, the kernel kills the
	// child instead of leaving it listening.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("alertmanager log:\n%s", log.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("alertmanager exited during start-up (%v):\n%s", err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager not ready at %s:\n%s", base, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ruleAlert is the label set an alert of the named rule carries: the labels
// the rule itself sets (alertname, severity, component), the stack's
// external label, and the data labels given.
func ruleAlert(t *testing.T, name, severity string, kv ...string) model.LabelSet {
	t.Helper()
	for _, g := range alerts.Groups(stackSettings(t, nil).Alerts) {
		for _, r := range g.Rules {
			if r.Name == name && r.Severity == severity {
				ls := staticLabels(r)
				for i := 0; i < len(kv); i += 2 {
					ls[model.LabelName(kv[i])] = model.LabelValue(kv[i+1])
				}
				return ls
			}
		}
	}
	t.Fatalf("no rule %s with severity %s", name, severity)
	return nil
}

// amAlert is the part of Alertmanager's GET /api/v2/alerts answer the test
// reads.
type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

// TestInhibitionsPerHostInAlertmanager runs the real Alertmanager with the
// rendered configuration, posts source alerts on one agent host
// (worker-1) and target alerts on both hosts, and asks Alertmanager's API
// which ones it inhibits: an exporter down on worker-1, or a critical disk
// alert there, mutes worker-1's alerts and none of the central host's (vps).
// With the former inhibitions (equal: [stack], and critical covering warning
// on instance alone) vps's alerts would be muted too. The backend's outage,
// on vps, still mutes the HTTP alerts, which have no host.
func TestInhibitionsPerHostInAlertmanager(t *testing.T) {
	// Without e-mail: the inhibitions are the same in every variant, and
	// no notification is attempted to a mail server that does not exist.
	base := runAlertmanager(t, options(t, map[string]string{"alertsEnabled": "false"}))

	node := []string{"job", "node-exporter", "instance", "node-exporter:9100"}
	host := func(h string, kv ...string) []string { return append(append([]string{"host", h}, node...), kv...) }
	sources := []model.LabelSet{
		ruleAlert(t, "NodeExporterDown", alerts.Critical, host("worker-1")...),
		ruleAlert(t, "CadvisorDown", alerts.Warning, "job", "cadvisor", "instance", "cadvisor:8080", "host", "worker-1"),
		// On a third host, whose exporters are up, so that only the
		// critical level can explain its warning.
		ruleAlert(t, "HostDiskSpaceLow", alerts.Critical, host("worker-2", "mountpoint", "/", "device", "/dev/sda1", "fstype", "ext4")...),
		// The backend's target has a host; the HTTP alerts, per Traefik
		// service, have none: this inhibition is stack-wide.
		ruleAlert(t, "BackendDown", alerts.Critical, "job", "backend", "instance", "backend:8080", "host", "vps"),
	}
	cases := []struct {
		target model.LabelSet
		muted  bool
	}{
		{ruleAlert(t, "HostCpuHigh", alerts.Warning, "host", "worker-1", "instance", "node-exporter:9100"), true},
		{ruleAlert(t, "HostCpuHigh", alerts.Warning, "host", "vps", "instance", "node-exporter:9100"), false},
		{ruleAlert(t, "BackupTooOld", alerts.Critical, "host", "worker-1", "instance", "node-exporter:9100", "reason", "too_old"), true},
		{ruleAlert(t, "BackupTooOld", alerts.Critical, "host", "vps", "instance", "node-exporter:9100", "reason", "too_old"), false},
		{ruleAlert(t, "ContainerMemoryNearLimit", alerts.Warning, "host", "worker-1", "instance", "cadvisor:8080", "name", "backend"), true},
		{ruleAlert(t, "ContainerMemoryNearLimit", alerts.Warning, "host", "vps", "instance", "cadvisor:8080", "name", "backend"), false},
		// The same filesystem at the same instance on two hosts: worker-2's
		// critical level covers its own warning, not vps's.
		{ruleAlert(t, "HostDiskSpaceLow", alerts.Warning, host("worker-2", "mountpoint", "/", "device", "/dev/sda1", "fstype", "ext4")...), true},
		{ruleAlert(t, "HostDiskSpaceLow", alerts.Warning, host("vps", "mountpoint", "/", "device", "/dev/sda1", "fstype", "ext4")...), false},
		{ruleAlert(t, "HttpErrorRateHigh", alerts.Critical, "service", "backend@docker"), true},
	}

	now := time.Now()
	type postable struct {
		Labels   model.LabelSet `json:"labels"`
		StartsAt time.Time      `json:"startsAt"`
		EndsAt   time.Time      `json:"endsAt"`
	}
	var post []postable
	for _, ls := range sources {
		post = append(post, postable{ls, now.Add(-time.Minute), now.Add(time.Hour)})
	}
	for _, c := range cases {
		post = append(post, postable{c.target, now.Add(-time.Minute), now.Add(time.Hour)})
	}
	body, err := json.Marshal(post)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}

	key := func(ls map[string]string) string {
		var parts []string
		for _, k := range []string{"alertname", "severity", "host", "reason"} {
			parts = append(parts, k+"="+ls[k])
		}
		return strings.Join(parts, ",")
	}
	fetch := func() map[string]amAlert {
		var got []amAlert
		resp, err := http.Get(base + "/api/v2/alerts")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		m := map[string]amAlert{}
		for _, a := range got {
			m[key(a.Labels)] = a
		}
		return m
	}
	labels := func(ls model.LabelSet) map[string]string {
		m := map[string]string{}
		for k, v := range ls {
			m[string(k)] = string(v)
		}
		return m
	}
	// The inhibitor learns the sources asynchronously: wait until every
	// expected mute holds (or give up), then check every case.
	var got map[string]amAlert
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = fetch()
		all := true
		for _, c := range cases {
			if a, ok := got[key(labels(c.target))]; !ok || (c.muted && len(a.Status.InhibitedBy) == 0) {
				all = false
			}
		}
		if all || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range cases {
		a, ok := got[key(labels(c.target))]
		if !ok {
			t.Errorf("%v: not in Alertmanager's alerts", c.target)
			continue
		}
		if muted := len(a.Status.InhibitedBy) > 0; muted != c.muted {
			t.Errorf("%s on %s: inhibited = %v (state %s), want %v", c.target["alertname"], c.target["host"], muted, a.Status.State, c.muted)
		}
	}
	// The exporters' alerts themselves stay active: each is the one
	// e-mail to get about its host.
	for _, ls := range sources[:2] {
		if a := got[key(labels(ls))]; len(a.Status.InhibitedBy) > 0 {
			t.Errorf("source %s on %s is inhibited", ls["alertname"], ls["host"])
		}
	}
	if t.Failed() {
		t.Logf("posted: %s", body)
	}
}
