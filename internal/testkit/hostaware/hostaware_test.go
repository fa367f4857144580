package hostaware

import "testing"

// TestProblems: the check reports the forms that merge hosts (the rules'
// and panels' former ones among them) and accepts the per-host forms and
// the deliberate stack-wide ones.
func TestProblems(t *testing.T) {
	for expr, want := range map[string]bool{
		`sum by (instance) (rate(node_cpu_seconds_total{job="node-exporter"}[5m]))`: true,
		`max by (name) (container_last_seen{job="cadvisor"})`:                       true,
		`min by (job) (up)`: true,
		`node_load15{job="node-exporter"} / on (instance) count by (host, instance) (x)`:    true,
		`sum by (instance, integration) (increase(alertmanager_x{job="alertmanager"}[5m]))`: true,
		`sum by (host, instance) (rate(node_cpu_seconds_total{job="node-exporter"}[5m]))`:   false,
		`max by (host, name) (container_last_seen{job="cadvisor"})`:                         false,
		`node_load15 / on (host, instance) count by (host, instance) (x)`:                   false,
		`sum by (service) (rate(traefik_service_requests_total{job="traefik"}[5m]))`:        false,
		`count(up{job="node-exporter"} == 1)`:                                               false,
		`sum without (cpu) (node_cpu_seconds_total{job="node-exporter"})`:                   false,
	} {
		got, err := Problems(expr)
		if err != nil {
			t.Fatal(err)
		}
		if (len(got) > 0) != want {
			t.Errorf("%s: problems %q, want some: %v", expr, got, want)
		}
	}
}
