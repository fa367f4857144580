package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/signals"
)

// traefikBoard shows HTTP traffic through Traefik v3 (service metrics need
// metrics.prometheus.addServicesLabels, on by default), filtered by $service.
func traefikBoard(t config.Thresholds) (dashboard.Dashboard, error) {
	svc := traefikSel + `, service=~"$service"`
	services := traefik.With(`service=~"$service"`)
	d := newBoard(TraefikUID, "KoproGo Traefik HTTP",
		"Requests by service and status code, latency quantiles from Traefik's histograms, open connections and TLS certificate expiry.",
		"traefik")
	d.variable(promVariable("service", "Service", `label_values(traefik_service_requests_total{`+traefikSel+`}, service)`, true))

	d.row("Traffic")
	d.panel(series("Requests by service", "Requests per second per Traefik service.", "reqps", half, neutral(),
		q{`sum by (service) (rate(traefik_service_requests_total{` + svc + `}[$__rate_interval]))`, "{{service}}"}).Min(0))
	d.panel(series("Requests by status code", "Requests per second per HTTP status code.", "reqps", half, neutral(),
		q{`sum by (code) (rate(traefik_service_requests_total{` + svc + `}[$__rate_interval]))`, "{{code}}"}).Min(0))
	d.panel(series("5xx ratio by service", showsAlert(fmt.Sprintf("Share of responses with a 5xx status. Red from %g%% (alertHttp5xxPercent).", t.HTTP5xxPercent), "HttpErrorRateHigh"), "percent", half,
		rising(t.HTTP5xxPercent/2, t.HTTP5xxPercent),
		q{signals.HTTP5xxPercent(services, rateWindow), "{{service}}"}).Min(0))
	d.panel(series("4xx ratio by service", "Share of responses with a 4xx status: client errors, often a broken link or an expired session.", "percentunit", half, neutral(),
		q{`sum by (service) (rate(traefik_service_requests_total{` + svc + `, code=~"4.."}[$__rate_interval])) / sum by (service) (rate(traefik_service_requests_total{` + svc + `}[$__rate_interval]))`, "{{service}}"}).Min(0))

	d.row("Latency")
	d.panel(series("Latency quantiles", "p50, p95 and p99 request duration over all selected services, from histograms.", "ms", half, neutral(),
		latency(services, 0.5), latency(services, 0.95), latency(services, 0.99)).Min(0))
	d.panel(series("p99 by service", showsAlert(fmt.Sprintf("99th percentile request duration per service. Red from %g ms (alertHttpP99Ms).", t.HTTPP99Ms), "HttpLatencyP99High"), "ms", half,
		rising(t.HTTPP99Ms/2, t.HTTPP99Ms),
		q{signals.HTTPLatencyMs(0.99, services, "service", rateWindow), "{{service}}"}).Min(0))

	d.row("Connections and certificates")
	d.panel(series("Open connections", "Connections currently open, by entrypoint and protocol.", "short", half, neutral(),
		q{`sum by (entrypoint, protocol) (traefik_open_connections{` + traefikSel + `})`, "{{entrypoint}} {{protocol}}"}).Min(0))
	d.panel(bars("TLS certificate expiry", "Time left before each certificate Traefik serves expires. Yellow under 21 days, red under 7 (ACME renews 30 days ahead).", "dtdurations", half,
		falling(7*86400, 21*86400),
		q{`min by (cn) (traefik_tls_certs_not_after{` + traefikSel + `}) - time()`, "{{cn}}"}))
	return d.build()
}
