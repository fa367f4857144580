// Package topology says where each service lives and where its files are, as
// seen from inside the stack. Renderers take a Layout instead of hard-coding
// addresses, so the live test can run the same renderers with loopback
// addresses and temp paths without editing rendered text.
package topology

import (
	"net"
	"strconv"

	"github.com/koprogo/koprogo-monitoring/services"
)

// Target is one scrape endpoint.
type Target struct {
	Address     string // host:port
	MetricsPath string // "" = /metrics
}

// Files are paths inside the containers (or, in the live test, on disk).
// Every path is fixed: whether a file is installed (a secret that is set)
// is decided where the file is uploaded, not here.
type Files struct {
	PrometheusRulesGlob       string // rule files Prometheus loads
	AlertmanagerTemplatesGlob string // notification templates
	SMTPPasswordFile          string // secret upload, when SMTP authentication is used
	DeadMansSwitchURLFile     string // secret upload, when a dead-man switch is configured
	SMTPCAFile                string // extra CA for the SMTP server; "" = system roots
	NodeTextfileDir           string // node_exporter textfile collector directory
}

// Layout is where everything is.
type Layout struct {
	Targets          map[services.Name]Target
	AlertmanagerAddr string // host:port Prometheus sends alerts to
	LokiPushURL      string // URL Alloy pushes logs to
	Files            Files
}

// App is where the application's scrape targets are, on its network.
type App struct {
	TraefikTarget      string // host:port
	BackendTarget      string // host:port
	BackendMetricsPath string
}

// HostNet is where the services in the host's network namespace listen:
// an address of the host the stack's containers reach (the stack network's
// gateway), on their host ports.
type HostNet struct {
	Addr  string
	Ports map[services.Name]int
}

// Production is the layout on the Docker host: services reach each other by
// container name on the monitoring network (host-network services at the
// stack network's gateway), the application by its names on the application
// network.
func Production(namePrefix string, app App, host HostNet) Layout {
	t := map[services.Name]Target{}
	for _, svc := range services.All {
		addr := services.ContainerName(namePrefix, svc.Name) + ":" + strconv.Itoa(svc.Port)
		if svc.HostNetwork {
			addr = net.JoinHostPort(host.Addr, strconv.Itoa(host.Ports[svc.Name]))
		}
		t[svc.Name] = Target{Address: addr}
	}
	t[services.Traefik] = Target{Address: app.TraefikTarget}
	t[services.Backend] = Target{Address: app.BackendTarget, MetricsPath: app.BackendMetricsPath}
	return Layout{
		Targets:          t,
		AlertmanagerAddr: t[services.Alertmanager].Address,
		LokiPushURL:      "http://" + t[services.Loki].Address + "/loki/api/v1/push",
		Files: Files{
			PrometheusRulesGlob:       "/etc/prometheus/rules/*.yml",
			AlertmanagerTemplatesGlob: "/etc/alertmanager/templates/*.tmpl",
			SMTPPasswordFile:          "/etc/alertmanager/secrets/smtp_password",
			DeadMansSwitchURLFile:     "/etc/alertmanager/secrets/dead_mans_switch_url",
			NodeTextfileDir:           "/var/lib/node_exporter/textfile",
		},
	}
}
