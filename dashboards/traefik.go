package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/koprogo/koprogo-monitoring/config"
)

// traefikBoard shows HTTP traffic through Traefik v3 (service metrics need
// metrics.prometheus.addServicesLabels, on by default), filtered by $service.
func traefikBoard(t config.Thresholds) (dashboard.Dashboard, error) {
	svc := traefikSel + `, service=~"$service"`
	d := newBoard(TraefikUID, "KoproGo Traefik HTTP",
		"Requests by service and status code, latency quantiles from Traefik's histograms, open connections and TLS certificate expiry.",
		"traefik")
	d.variable(promVariable("service", "Service", `label_values(traefik_service_requests_total{`+traefikSel+`}, service)`, true))

	d.row("Traffic")
	d.panel(series("Requests by service", "Requests per second per Traefik service.", "reqps", half, neutral(),
		q{`sum by (service) (rate(traefik_service_requests_total{` + svc + `}[$__rate_interval]))`, "{{service}}"}).Min(0))
	d.panel(series("Requests by status code", "Requests per second per HTTP status code.", "reqps", half, neutral(),
		q{`sum by (code) (rate(traefik_service_requests_total{` + svc + `}[$__rate_interval]))`, "{{code}}"}).Min(0))
	d.panel(series("5xx ratio by service", fmt.Sprintf("Share of responses with a 5xx status. Red from %g%% (the alert threshold).", t.HTTP5xxPercent), "percentunit", half,
		rising(t.HTTP5xxPercent/200, t.HTTP5xxPercent/100),
		q{`sum by (service) (rate(traefik_service_requests_total{` + svc + `, code=~"5.."}[$__rate_interval])) / sum by (service) (rate(traefik_service_requests_total{` + svc + `}[$__rate_interval]))`, "{{service}}"}).Min(0))
	d.panel(series("4xx ratio by service", "Share of responses with a 4xx status: client errors, often a broken link or an expired session.", "percentunit", half, neutral(),
		q{`sum by (service) (rate(traefik_service_requests_total{` + svc + `, code=~"4.."}[$__rate_interval])) / sum by (service) (rate(traefik_service_requests_total{` + svc + `}[$__rate_interval]))`, "{{service}}"}).Min(0))

	d.row("Latency")
	p99 := t.HTTPP99Ms / 1000
	d.panel(series("Latency quantiles", fmt.Sprintf("p50, p95 and p99 request duration of the selected services, from histograms. Red from %g ms (the p99 alert threshold).", t.HTTPP99Ms), "s", half,
		rising(p99/2, p99),
		latency(svc, "", 0.5), latency(svc, "", 0.95), latency(svc, "", 0.99)).Min(0))
	d.panel(series("p99 by service", "99th percentile request duration per service.", "s", half,
		rising(p99/2, p99),
		latency(svc, "service", 0.99)).Min(0))

	d.row("Connections and certificates")
	d.panel(series("Open connections", "Connections currently open, by entrypoint and protocol.", "short", half, neutral(),
		q{`sum by (entrypoint, protocol) (traefik_open_connections{` + traefikSel + `})`, "{{entrypoint}} {{protocol}}"}).Min(0))
	d.panel(bars("TLS certificate expiry", "Time left before each certificate Traefik serves expires. Yellow under 21 days, red under 7 (ACME renews 30 days ahead).", "dtdurations", half,
		falling(7*86400, 21*86400),
		q{`min by (cn) (traefik_tls_certs_not_after{` + traefikSel + `}) - time()`, "{{cn}}"}))
	return d.build()
}
