// Package services is the table of the services this program deploys: one
// row per service says what it is (name, pinned image, ports, memory, data
// volume, health probe). Configuration keys, validation of ports and of the
// memory budget, image digests, the README table and the tests' expectations
// are all derived from this table, so adding a service is one row here plus
// its component (and its renderer if it has a configuration file).
package services

import (
	"fmt"
	"time"
)

// Name names a service or a scrape job. It is the Prometheus job name and the
// suffix of the container name (<namePrefix>-<name>).
type Name string

// The services this program deploys.
const (
	Prometheus       Name = "prometheus"
	Alertmanager     Name = "alertmanager"
	NodeExporter     Name = "node-exporter"
	PostgresExporter Name = "postgres-exporter"
	Cadvisor         Name = "cadvisor"
	Loki             Name = "loki"
	Alloy            Name = "alloy"
	Grafana          Name = "grafana"
)

// Scrape jobs of the application: scraped, never deployed here.
const (
	Traefik Name = "traefik"
	Backend Name = "backend"
)

// AppJobs are the application's scrape jobs, after the services' own.
var AppJobs = []Name{Traefik, Backend}

// Service is one row of the table.
type Service struct {
	Name Name
	// Key is the stem of the service's configuration keys: <Key>Image,
	// <Key>Port and <Key>MemoryMb.
	Key string
	// Title names the service in documentation and messages.
	Title string
	// Image is the default pinned image (tag formats differ per project:
	// see the README section "Image versions").
	Image string
	// Port is where the service listens inside its container; HostPort is
	// the default host port it is published on (bound to bindAddress).
	Port, HostPort int
	// MemoryMB is the default memory limit; MinMemoryMB the smallest
	// limit validation accepts.
	MemoryMB, MinMemoryMB int
	// GoRuntime services get GOMEMLIMIT below their limit, so the garbage
	// collector works harder before the kernel OOM-kills them.
	GoRuntime bool
	// DataDir is where the service's named data volume is mounted; "" for a
	// stateless service.
	DataDir string
	// Health is the container's healthcheck; StartPeriod how long a first
	// start may take before failed probes count.
	Health      Probe
	StartPeriod time.Duration
	// UI services are forwarded by the SSH tunnel (the stack's sshTunnel
	// output and `make tunnel`).
	UI bool
	// HostNetwork services run in the host's network namespace: they see
	// the host's interfaces, publish no port, and listen on their host
	// port at an address of the host only the stack's containers reach
	// (the stack network's gateway).
	HostNetwork bool
}

// All is the table, in the order Prometheus scrapes the services.
var All = []Service{
	{
		Name: Prometheus, Key: "prometheus", Title: "Prometheus",
		Image: "prom/prometheus:v3.16.0", Port: 9090, HostPort: 9090,
		MemoryMB: 512, MinMemoryMB: 128, GoRuntime: true,
		DataDir: "/prometheus", // the image's data directory, owned by nobody
		// busybox-based image (quay.io/prometheus/busybox): wget exists.
		// /-/ready answers 200 once the TSDB is open and the configuration
		// loaded.
		Health:      Probe{Path: "/-/ready", Via: Wget},
		StartPeriod: 2 * time.Minute, // WAL replay after a restart
		UI:          true,
	},
	{
		Name: Alertmanager, Key: "alertmanager", Title: "Alertmanager",
		Image: "prom/alertmanager:v0.35.0", Port: 9093, HostPort: 9093,
		MemoryMB: 64, MinMemoryMB: 32, GoRuntime: true,
		DataDir:     "/alertmanager",                    // silences and notification log
		Health:      Probe{Path: "/-/ready", Via: Wget}, // busybox-based image
		StartPeriod: 30 * time.Second,
		UI:          true,
	},
	{
		// In the host's network namespace: its network metrics are the
		// host's interfaces, not a container's.
		Name: NodeExporter, Key: "nodeExporter", Title: "node_exporter",
		Image: "prom/node-exporter:v1.12.1", Port: 9100, HostPort: 9100,
		MemoryMB: 48, MinMemoryMB: 16, GoRuntime: true, HostNetwork: true,
		// busybox-based image; the landing page answers without running
		// the collectors.
		Health:      Probe{Path: "/", Via: Wget},
		StartPeriod: 10 * time.Second,
	},
	{
		Name: PostgresExporter, Key: "postgresExporter", Title: "postgres_exporter",
		Image: "quay.io/prometheuscommunity/postgres-exporter:v0.17.1", Port: 9187, HostPort: 9187,
		MemoryMB: 48, MinMemoryMB: 16, GoRuntime: true,
		// busybox-based image. The landing page does not touch the
		// database, so an unreachable PostgreSQL shows as pg_up 0 (and
		// alerts) instead of a restarting exporter.
		Health:      Probe{Path: "/", Via: Wget},
		StartPeriod: 10 * time.Second,
	},
	{
		// Published on ghcr.io (not gcr.io) since v0.53.
		Name: Cadvisor, Key: "cadvisor", Title: "cAdvisor",
		Image: "ghcr.io/google/cadvisor:v0.60.5", Port: 8080, HostPort: 8082,
		MemoryMB: 128, MinMemoryMB: 64, GoRuntime: true,
		// Alpine-based image: busybox wget exists; /healthz is cAdvisor's
		// own health endpoint.
		Health:      Probe{Path: "/healthz", Via: Wget},
		StartPeriod: 30 * time.Second,
	},
	{
		// 3.7 or later: the healthcheck is its `loki -health` subcommand.
		Name: Loki, Key: "loki", Title: "Loki",
		Image: "grafana/loki:3.7.3", Port: 3100, HostPort: 3100,
		MemoryMB: 384, MinMemoryMB: 128, GoRuntime: true,
		DataDir: "/loki", // created owned by the image's user 10001 since 3.7
		// /ready answers 503 while the ingester joins its ring.
		Health:      Probe{Path: "/ready", Via: LokiHealth},
		StartPeriod: time.Minute,
		UI:          true,
	},
	{
		// The log shipper; Promtail reached end of life on 2026-03-02.
		Name: Alloy, Key: "alloy", Title: "Grafana Alloy",
		Image: "grafana/alloy:v1.19.1", Port: 12345, HostPort: 12345,
		MemoryMB: 192, MinMemoryMB: 64, GoRuntime: true,
		DataDir:     "/var/lib/alloy/data", // read positions: a restart neither loses nor repeats logs
		Health:      Probe{Path: "/-/ready", Via: BashTCP},
		StartPeriod: 30 * time.Second,
	},
	{
		Name: Grafana, Key: "grafana", Title: "Grafana",
		Image: "grafana/grafana:13.2.0", Port: 3000, HostPort: 3001,
		MemoryMB: 256, MinMemoryMB: 128, GoRuntime: true,
		DataDir: "/var/lib/grafana", // owned by the image's user grafana (472)
		// The default image is Alpine-based: busybox wget exists.
		// /api/health answers 200 once the database is migrated.
		Health:      Probe{Path: "/api/health", Via: Wget},
		StartPeriod: 2 * time.Minute, // database migrations on a first start or an upgrade
		UI:          true,
	},
}

// Get returns the row of a service. It panics for a name that has no row:
// that is a programming error, not a configuration problem.
func Get(n Name) Service {
	for _, s := range All {
		if s.Name == n {
			return s
		}
	}
	panic(fmt.Sprintf("services: no service %q in the table", n))
}

// Names lists the services in table order.
func Names() []Name {
	out := make([]Name, len(All))
	for i, s := range All {
		out[i] = s.Name
	}
	return out
}

// Jobs lists every Prometheus scrape job in the order they are rendered:
// the services, then the application's jobs.
func Jobs() []Name { return append(Names(), AppJobs...) }

// ContainerName is the Docker container (and DNS) name of a service.
func ContainerName(prefix string, n Name) string { return prefix + "-" + string(n) }

// Prober is how a probe sends its HTTP request from inside the container.
type Prober int

const (
	// Wget: busybox wget, present in busybox- and Alpine-based images.
	Wget Prober = iota
	// LokiHealth: Loki 3.7's own probe (cmd/loki/health.go,
	// grafana/loki#20313): the image is distroless since 3.6 (no shell, no
	// wget, grafana/loki#20149); `loki -health` runs before any
	// configuration parsing, GETs the URL and exits 0 only on 200.
	LokiHealth
	// BashTCP: one HTTP/1.0 request over bash's /dev/tcp. The Alloy image
	// (Ubuntu base) is not guaranteed to ship curl or wget
	// (grafana/alloy#477, #5001) and Alloy has no health subcommand, but bash
	// is there.
	BashTCP
)

// Probe is a healthcheck: an HTTP GET on the service's own port that must
// answer 200.
type Probe struct {
	Path string
	Via  Prober
}

// Command is the Docker healthcheck test for a service listening on port
// of the container's loopback.
func (p Probe) Command(port int) []string { return p.CommandAt("127.0.0.1", port) }

// CommandAt is the healthcheck of a service listening at addr:port.
func (p Probe) CommandAt(addr string, port int) []string {
	url := fmt.Sprintf("http://%s:%d%s", addr, port, p.Path)
	switch p.Via {
	case LokiHealth:
		return []string{"CMD", "/usr/bin/loki", "-health", "-health.url=" + url}
	case BashTCP:
		return []string{"CMD", "bash", "-c", fmt.Sprintf(
			`exec 3<>/dev/tcp/%s/%d && printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && read -r _ code _ <&3 && [ "$code" = 200 ]`, addr, port, p.Path)}
	default:
		return []string{"CMD", "wget", "-q", "-O", "/dev/null", url}
	}
}

// CommandWithBasicAuth is the healthcheck of a Wget-probed service whose
// endpoints require basic auth: the password is read from a file in the
// container when the probe runs, so it is in neither the container's
// configuration (`docker inspect`) nor a process's arguments.
func (p Probe) CommandWithBasicAuth(port int, user, passwordFile string) []string {
	if p.Via != Wget {
		panic("services: basic auth probes need wget")
	}
	return []string{"CMD-SHELL", fmt.Sprintf(
		`wget -q -O /dev/null --header "Authorization: Basic $(printf '%%s:%%s' '%s' "$(cat '%s')" | base64)" http://127.0.0.1:%d%s`,
		user, passwordFile, port, p.Path)}
}
