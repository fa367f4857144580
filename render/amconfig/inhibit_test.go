package amconfig

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	amcfg "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/eventrecorder"
	"github.com/prometheus/alertmanager/featurecontrol"
	"github.com/prometheus/alertmanager/inhibit"
	"github.com/prometheus/alertmanager/labelset"
	"github.com/prometheus/alertmanager/provider/mem"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
)

// TestInhibitions feeds firing source alerts to Alertmanager's own inhibitor,
// configured with the rendered inhibit_rules, and asks it which target alerts
// it mutes.
func TestInhibitions(t *testing.T) {
	cfg, err := amcfg.Load(string(render(t, options(t, nil))))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := mem.NewAlerts(ctx, time.Hour, 0, nil, logger, eventrecorder.NopRecorder(), prometheus.NewRegistry(), featurecontrol.NoopFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	a := func(name, severity, component string, kv ...string) model.LabelSet {
		ls := model.LabelSet{"alertname": model.LabelValue(name), "severity": model.LabelValue(severity), "component": model.LabelValue(component), "stack": "prod"}
		for i := 0; i < len(kv); i += 2 {
			ls[model.LabelName(kv[i])] = model.LabelValue(kv[i+1])
		}
		return ls
	}
	now := time.Now()
	var sources []*alert.Alert
	for _, ls := range []model.LabelSet{
		a("NodeExporterDown", "critical", "monitoring", "job", "node-exporter"),
		a("CadvisorDown", "warning", "monitoring", "job", "cadvisor"),
		a("PostgresExporterDown", "critical", "postgres", "job", "postgres-exporter"),
		a("PostgresDown", "critical", "postgres", "job", "postgres-exporter"),
		a("BackendDown", "critical", "app", "job", "backend"),
		a("HostDiskSpaceLow", "critical", "host", "instance", "vps:9100", "mountpoint", "/"),
		a("TlsCertificateExpiring", "critical", "app", "cn", "koprogo.com"),
	} {
		sources = append(sources, alert.New(model.Alert{Labels: ls, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)}, now, false))
	}
	if err := store.Put(ctx, sources...); err != nil {
		t.Fatal(err)
	}
	ih := inhibit.NewInhibitor(store, cfg.InhibitRules, logger, eventrecorder.NopRecorder())
	go ih.Run()
	defer ih.Stop()

	cases := []struct {
		target model.LabelSet
		muted  bool
	}{
		{a("HostCpuHigh", "warning", "host", "instance", "vps:9100"), true},
		{a("BackupTooOld", "critical", "backup", "reason", "metric_missing"), true},
		{a("ContainerMissing", "critical", "container", "name", "postgres"), true},
		{a("PostgresDeadlocks", "warning", "postgres", "datname", "koprogo"), true},
		{a("PostgresDown", "critical", "postgres", "job", "postgres-exporter"), true}, // by PostgresExporterDown
		{a("HttpErrorRateHigh", "critical", "app", "service", "backend@docker"), true},
		{a("HostDiskSpaceLow", "warning", "host", "instance", "vps:9100", "mountpoint", "/"), true},
		{a("TlsCertificateExpiring", "warning", "app", "cn", "koprogo.com"), true},

		// The sources themselves, other stacks, other certificates, and
		// alerts no exporter outage explains stay visible.
		{a("PostgresExporterDown", "critical", "postgres", "job", "postgres-exporter"), false},
		{a("NodeExporterDown", "critical", "monitoring", "job", "node-exporter"), false},
		{a("CadvisorDown", "warning", "monitoring", "job", "cadvisor"), false},
		{a("BackendDown", "critical", "app", "job", "backend"), false},
		{a("TlsCertificateExpiring", "warning", "app", "cn", "api.koprogo.com"), false},
		{a("TargetDown", "warning", "monitoring", "job", "grafana"), false},
		{a("Watchdog", "none", "monitoring"), false},
		{a("HttpLatencyP99High", "warning", "app", "service", "backend@docker", "stack", "staging"), false},
	}
	// The inhibitor learns the sources asynchronously: wait until every
	// expected mute holds, then check everything.
	deadline := time.Now().Add(10 * time.Second)
	for {
		all := true
		for _, c := range cases {
			if c.muted && !ih.Mutes(ctx, labelset.FromModel(c.target)) {
				all = false
			}
		}
		if all || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range cases {
		if got := ih.Mutes(ctx, labelset.FromModel(c.target)); got != c.muted {
			t.Errorf("%v: muted = %v, want %v", c.target, got, c.muted)
		}
	}
}
