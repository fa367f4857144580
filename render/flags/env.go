package flags

import (
	"fmt"

	"github.com/koprogo/koprogo-monitoring/services"
)

// goMemLimitPercent is GOMEMLIMIT as a share of a container's memory limit.
// GOMEMLIMIT bounds only the Go runtime's own memory; the rest of the limit
// is for what the cgroup also charges (the binary's file-backed pages, page
// cache of the data directory) so the GC works harder before the kernel has
// to reclaim pages or OOM-kill. It is a backstop, not what sizes a limit:
// docs/footprint.md compares each service's Go runtime peak with it.
const goMemLimitPercent = 90

// GoMemLimitMiB is the GOMEMLIMIT, in MiB, of a Go service whose container
// may use limitMiB.
func GoMemLimitMiB(limitMiB int) int { return limitMiB * goMemLimitPercent / 100 }

// GoMemLimit is that limit as an environment variable, in the form the Go
// runtime parses (an integer with the MiB suffix).
func GoMemLimit(limitMiB int) string { return fmt.Sprintf("GOMEMLIMIT=%dMiB", GoMemLimitMiB(limitMiB)) }

// Env is the Go runtime environment of service n's process when its
// container may use limitMiB: PrometheusEnv for Prometheus (central or
// agent), and GOMEMLIMIT for every service the table marks as a Go
// program. The containers (components) and the live test's processes both
// take it from here, so what is measured is what is deployed.
func Env(n services.Name, limitMiB int) []string {
	var env []string
	if n == services.Prometheus {
		env = append(env, PrometheusEnv()...)
	}
	if services.Get(n).GoRuntime {
		env = append(env, GoMemLimit(limitMiB))
	}
	return env
}
