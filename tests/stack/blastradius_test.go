package stack_test

import (
	"slices"
	"testing"

	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
)

// TestSecretRotationBlastRadius runs the whole program twice, with the
// configuration the engine would deliver, differing only in one secret, and
// requires exactly the expected resources to see different inputs: nothing
// else restarts, no volume and no dashboard or datasource is touched.
func TestSecretRotationBlastRadius(t *testing.T) {
	const (
		container = typeContainer
		command   = typeCommand
		grafanaP  = "pulumi:providers:grafana"
	)
	agents := map[string]string{
		"agentHosts":      `[{"name":"worker-1","dockerHost":"ssh://deploy@10.8.0.2"},{"name":"worker-2","dockerHost":"ssh://deploy@10.8.0.3"}]`,
		"receiverAddress": receiverAddr,
		"logEndpoints":    `[{"name":"cloud","url":"https://logs.example.net/loki/api/v1/push","auth":"basic","username":"koprogo"}]`,
	}
	cases := []struct {
		key      string
		old, new string
		want     []string          // type/name of the resources whose inputs change
		with     map[string]string // further (non-secret) keys of both runs
	}{
		{"postgresDsn",
			"postgresql://monitor:old-Pw1@postgres:5432/koprogo?sslmode=disable",
			"postgresql://monitor:new-Pw2@postgres:5432/koprogo?sslmode=disable",
			[]string{container + "/postgres-exporter"}, nil},
		{"smtpPassword", "old-smtp-Pw1", "new-smtp-Pw2",
			[]string{container + "/alertmanager"}, nil},
		{"deadMansSwitchUrl", "https://hc-ping.example/old-uuid", "https://hc-ping.example/new-uuid",
			[]string{container + "/alertmanager"}, nil},
		// The Grafana container keeps its bootstrap password: a rotation
		// restarts nothing; the reset sets the new password and the
		// provider logs in with it.
		{"grafanaAdminPassword", "old-admin-password-0123456789", "new-admin-password-9876543210",
			[]string{command + "/grafana-admin-password-reset", grafanaP + "/grafana-content-provider"}, nil},
		// A remote-write credential is a file of the central Prometheus
		// only; a log endpoint's, of every Alloy that ships to it (the
		// central host's and each agent host's), and nothing else.
		{"remoteWriteSecrets", `{"engine":"old-Pw1"}`, `{"engine":"new-Pw2"}`,
			[]string{container + "/prometheus"},
			map[string]string{"remoteWrite": `[{"name":"engine","url":"https://metrics.example.net/api/v1/write","auth":"basic","username":"koprogo"}]`}},
		{"logEndpointSecrets", `{"cloud":"old-Pw1"}`, `{"cloud":"new-Pw2"}`,
			[]string{container + "/alloy", container + "/worker-1-alloy", container + "/worker-2-alloy"},
			agents},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			run := func(value string) map[string]*registered {
				c := stacks.File(t, "prod").With(tc.with)
				c.Set(tc.key, value, true)
				m, err := runAsEngine(t, c)
				if err != nil {
					t.Fatalf("program.Run: %v", err)
				}
				out := map[string]*registered{}
				for _, r := range m.all {
					out[r.typ+"/"+r.name] = r
				}
				return out
			}
			before, after := run(tc.old), run(tc.new)
			var changed []string
			for id, b := range before {
				a, ok := after[id]
				if !ok {
					t.Errorf("%s is gone after the rotation", id)
					continue
				}
				if !a.inputs.DeepEquals(b.inputs) {
					changed = append(changed, id)
				}
			}
			for id := range after {
				if _, ok := before[id]; !ok {
					t.Errorf("%s appears after the rotation", id)
				}
			}
			slices.Sort(changed)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(changed, want) {
				t.Errorf("rotating %s changes the inputs of %q, want exactly %q", tc.key, changed, want)
			}
		})
	}
}
