package stack_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
)

// goMemLimitMiB returns the GOMEMLIMIT of a container's environment, in
// MiB, failing unless there is exactly one in the form the Go runtime reads.
func goMemLimitMiB(t *testing.T, who string, env []string) int {
	t.Helper()
	var found []int
	for _, kv := range env {
		v, ok := strings.CutPrefix(kv, "GOMEMLIMIT=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(v, "MiB"))
		if err != nil || !strings.HasSuffix(v, "MiB") {
			t.Fatalf("%s: GOMEMLIMIT=%q is not a whole number of MiB", who, v)
		}
		found = append(found, n)
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d GOMEMLIMIT entries in %q, want 1", who, len(found), env)
	}
	return found[0]
}

// TestContainerRuntimeEnv: every Go service's container, on the central
// host and on agent hosts, carries a GOMEMLIMIT below its own memory limit
// and close to it (a value taken from the default limits, or a constant,
// fails here: the limits are the table's minimums, below 90% of every
// default), and both Prometheus containers carry the measured runtime
// settings (render/flags.PrometheusEnv) and no other container does.
func TestContainerRuntimeEnv(t *testing.T) {
	small := map[string]string{}
	for _, row := range services.All {
		small[row.Key+"MemoryMb"] = strconv.Itoa(row.MinMemoryMB)
	}
	// Agents cap Prometheus below the central limit: with 192 MiB
	// centrally the agents' Prometheus gets AgentPrometheusMemoryMB.
	withAgents := map[string]string{
		"prometheusMemoryMb": "192",
		"agentHosts":         `[{"name":"worker-1","dockerHost":"ssh://deploy@worker-1.koprogo.com"}]`,
		"receiverAddress":    receiverAddr,
		"logEndpoints":       `[{"name":"cloud","url":"https://logs.example.net/loki/api/v1/push"}]`,
	}
	for name, values := range map[string]map[string]string{"smallest limits": small, "agent hosts": withAgents} {
		t.Run(name, func(t *testing.T) {
			s := stacks.File(t, "prod").With(values).Parse(t, "prod")
			b := buildFrom(t, "prod", s)
			want := map[string]config.Service{}
			for _, row := range services.All {
				want[string(row.Name)] = s.Service(row.Name)
				if row.MemoryMB*9/10 < s.Service(row.Name).MemoryMB && name == "smallest limits" {
					t.Fatalf("%s: the test limit %d MiB does not tell a GOMEMLIMIT from the default limit (%d MiB) apart", row.Name, s.Service(row.Name).MemoryMB, row.MemoryMB)
				}
			}
			for _, a := range s.Agents {
				for _, n := range s.AgentServices() {
					want[a.Name+"-"+string(n)] = s.AgentService(n)
				}
			}
			if name == "agent hosts" && want["worker-1-prometheus"].MemoryMB != config.AgentPrometheusMemoryMB {
				t.Fatalf("agent Prometheus limit %d MiB, want the cap %d", want["worker-1-prometheus"].MemoryMB, config.AgentPrometheusMemoryMB)
			}
			seen := 0
			for _, c := range b.m.ofType(typeContainer) {
				cfg, ok := want[c.name]
				if !ok {
					continue
				}
				seen++
				var svc services.Name // the service whose name ends the resource name
				for _, row := range services.All {
					if strings.HasSuffix(c.name, string(row.Name)) {
						svc = row.Name
					}
				}
				mem := int(c.inputs["memory"].NumberValue())
				if mem != cfg.MemoryMB {
					t.Errorf("%s: memory %d MiB, want the configured %d", c.name, mem, cfg.MemoryMB)
				}
				env := strs(t, c.inputs["envs"])
				if services.Get(svc).GoRuntime {
					if gml := goMemLimitMiB(t, c.name, env); gml >= mem || gml < mem*8/10 {
						t.Errorf("%s: GOMEMLIMIT=%dMiB with a %d MiB limit, want below it and at least 80%% of it", c.name, gml, mem)
					}
				}
				for _, kv := range flags.PrometheusEnv() {
					if has := slices.Contains(env, kv); has != (svc == services.Prometheus) {
						t.Errorf("%s: %s in its environment = %v, want it only on Prometheus (%q)", c.name, kv, has, env)
					}
				}
			}
			if seen != len(want) {
				t.Errorf("checked %d containers, want %d (%v)", seen, len(want), want)
			}
		})
	}
}
