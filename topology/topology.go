// Package topology says where each service lives and where its files are, as
// seen from inside the stack. Renderers take a Layout instead of hard-coding
// addresses, so the live test can run the same renderers with loopback
// addresses and temp paths without editing rendered text.
package topology

import (
	"strconv"

	"github.com/koprogo/koprogo-monitoring/config"
)

// Service names a scraped or addressed service. The value is the Prometheus
// job name and the suffix of the container name.
type Service string

const (
	Prometheus       Service = "prometheus"
	Alertmanager     Service = "alertmanager"
	Grafana          Service = "grafana"
	Loki             Service = "loki"
	Alloy            Service = "alloy"
	NodeExporter     Service = "node-exporter"
	PostgresExporter Service = "postgres-exporter"
	Cadvisor         Service = "cadvisor"
	Traefik          Service = "traefik"
	Backend          Service = "backend"
)

// Monitoring lists the services this program deploys, in a fixed order.
var Monitoring = []Service{Prometheus, Alertmanager, Grafana, Loki, Alloy, NodeExporter, PostgresExporter, Cadvisor}

// Scraped lists every Prometheus job, in the order they are rendered.
var Scraped = []Service{Prometheus, Alertmanager, NodeExporter, PostgresExporter, Cadvisor, Loki, Alloy, Grafana, Traefik, Backend}

// InternalPort is the port each monitoring service listens on inside its container.
var InternalPort = map[Service]int{
	Prometheus:       9090,
	Alertmanager:     9093,
	Grafana:          3000,
	Loki:             3100,
	Alloy:            12345,
	NodeExporter:     9100,
	PostgresExporter: 9187,
	Cadvisor:         8080,
}

// Target is one scrape endpoint.
type Target struct {
	Address     string // host:port
	MetricsPath string // "" = /metrics
}

// Files are paths inside the containers (or, in the live test, on disk).
type Files struct {
	PrometheusRulesGlob       string // rule files Prometheus loads
	AlertmanagerTemplatesGlob string // notification templates
	SMTPPasswordFile          string // secret upload; "" when no SMTP auth
	DeadMansSwitchURLFile     string // secret upload; "" when no dead-man switch
	SMTPCAFile                string // extra CA for the SMTP server; "" = system roots
	NodeTextfileDir           string // node_exporter textfile collector directory
}

// Layout is where everything is.
type Layout struct {
	Targets          map[Service]Target
	AlertmanagerAddr string // host:port Prometheus sends alerts to
	LokiPushURL      string // URL Alloy pushes logs to
	Files            Files
}

// ContainerName is the Docker container (and DNS) name of a monitoring service.
func ContainerName(prefix string, s Service) string { return prefix + "-" + string(s) }

// Production is the layout on the Docker host: services reach each other by
// container name on the monitoring network, the application by its names on
// the application network.
func Production(s config.Settings) Layout {
	t := map[Service]Target{}
	for _, svc := range Monitoring {
		t[svc] = Target{Address: ContainerName(s.NamePrefix, svc) + ":" + strconv.Itoa(InternalPort[svc])}
	}
	t[Traefik] = Target{Address: s.App.TraefikTarget}
	t[Backend] = Target{Address: s.App.BackendTarget, MetricsPath: s.App.BackendMetricsPath}
	f := Files{
		PrometheusRulesGlob:       "/etc/prometheus/rules/*.yml",
		AlertmanagerTemplatesGlob: "/etc/alertmanager/templates/*.tmpl",
		NodeTextfileDir:           "/var/lib/node_exporter/textfile",
	}
	if s.SMTP.Password.IsSet() {
		f.SMTPPasswordFile = "/etc/alertmanager/secrets/smtp_password"
	}
	if s.DeadMansSwitchURL.IsSet() {
		f.DeadMansSwitchURLFile = "/etc/alertmanager/secrets/dead_mans_switch_url"
	}
	return Layout{
		Targets:          t,
		AlertmanagerAddr: t[Alertmanager].Address,
		LokiPushURL:      "http://" + t[Loki].Address + "/loki/api/v1/push",
		Files:            f,
	}
}
