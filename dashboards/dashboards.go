// Package dashboards builds the KoproGo Grafana dashboards with the Grafana
// Foundation SDK and loads operators' own dashboard files. It is pure: it
// returns JSON, and the Pulumi wiring (components/grafana_content.go) pushes
// it through the Grafana provider.
//
// Every dashboard has a fixed UID and deterministic JSON (no id, no version,
// explicit panel ids and refIds, maps serialised in key order), so a second
// `pulumi up` shows no diff.
package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/koprogo/koprogo-monitoring/config"
)

// Datasource plugin ids and the fixed UIDs of the stack's datasources.
// Dashboards refer to datasources by UID, so these never change.
const (
	TypePrometheus   = "prometheus"
	TypeLoki         = "loki"
	TypeAlertmanager = "alertmanager"

	PrometheusUID   = "koprogo-prometheus"
	LokiUID         = "koprogo-loki"
	AlertmanagerUID = "koprogo-alertmanager"
)

// The folder holding every dashboard the stack pushes.
const (
	FolderUID   = "koprogo"
	FolderTitle = "KoproGo"
	// Tag is on every built-in dashboard; the dashboards' link menu lists
	// the dashboards carrying it.
	Tag = "koprogo"
)

// UIDs of the built-in dashboards.
const (
	OverviewUID   = "koprogo-overview"
	PostgresUID   = "koprogo-postgresql"
	ContainersUID = "koprogo-containers"
	TraefikUID    = "koprogo-traefik"
	LogsUID       = "koprogo-logs"
)

// builtins are the built-in dashboards, in order, with the UID each
// builder sets; custom dashboards may not reuse them.
var builtins = []struct {
	uid   string
	build func(config.Thresholds) (dashboard.Dashboard, error)
}{
	{OverviewUID, overviewBoard},
	{PostgresUID, postgresBoard},
	{ContainersUID, containersBoard},
	{TraefikUID, traefikBoard},
	{LogsUID, logsBoard},
}

// Dashboard is one dashboard ready to push: its UID, title and model JSON.
type Dashboard struct {
	UID   string
	Title string
	JSON  []byte
}

// Builtin returns the KoproGo dashboards in a fixed order. Thresholds come
// from the same settings as the alert rules, so a panel turns red where the
// matching alert fires.
func Builtin(t config.Thresholds) ([]Dashboard, error) {
	out := make([]Dashboard, 0, len(builtins))
	for _, b := range builtins {
		d, err := b.build(t)
		if err != nil {
			return nil, err
		}
		if deref(d.Uid) != b.uid {
			return nil, fmt.Errorf("dashboard %s: built with uid %q", b.uid, deref(d.Uid))
		}
		raw, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", deref(d.Uid), err)
		}
		out = append(out, Dashboard{UID: deref(d.Uid), Title: deref(d.Title), JSON: raw})
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
