// Package config is the only way settings enter the program: it reads the
// stack configuration, applies defaults, validates everything at once and
// hands out a typed Settings value. It registers no resources.
//
// Every key is declared once, in keys.go: its name, default, documentation
// and the typed field it fills. Per-service keys (images, host ports, memory
// limits) are derived from the service table in package services.
package config

import (
	"net/netip"

	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Project is the Pulumi project name (Pulumi.yaml): the namespace of the
// configuration keys.
const Project = "koprogo-monitoring"

// Settings is the validated configuration of one stack.
type Settings struct {
	Stack       string
	Docker      Docker
	BindAddress string
	// AllowNonLoopbackBind acknowledges a bindAddress that is not loopback.
	AllowNonLoopbackBind bool
	NamePrefix           string
	// StackSubnet is the stack network's IPv4 subnet.
	StackSubnet    netip.Prefix
	Services       map[services.Name]*Service
	MemoryBudgetMB int
	Retention      Retention
	ProtectVolumes bool
	App            App
	Alerts         Alerts
	Email          Email
	// DeadMansSwitchURL is pinged by the always-firing Watchdog alert;
	// unset = no dead-man switch.
	DeadMansSwitchURL Secret
	Grafana           Grafana

	// HostLabel is the host label of the central host's series.
	HostLabel string
	// RemoteWrite are the engines the central Prometheus also writes to.
	RemoteWrite []RemoteWrite
	// LogEndpoints are the Loki endpoints Alloy ships to besides the
	// stack's own Loki (the only log shipping of agent hosts).
	LogEndpoints []LogEndpoint
	// Agents are the further hosts, remote-writing to the receiver
	// published at ReceiverAddress.
	Agents          []AgentHost
	ReceiverAddress string

	remoteWriteSecrets, logEndpointSecrets map[string]Secret
}

// StackGateway is the stack network's gateway: the host's own address on
// that network, where host-network services listen.
func (s Settings) StackGateway() string {
	return s.StackSubnet.Addr().Next().String()
}

// HostNet is where the host-network services listen.
func (s Settings) HostNet() topology.HostNet {
	h := topology.HostNet{Addr: s.StackGateway(), Ports: map[services.Name]int{}}
	for n, svc := range s.Services {
		h.Ports[n] = int(svc.HostPort)
	}
	return h
}

// Layout is where everything is on the Docker host.
func (s Settings) Layout() topology.Layout {
	return topology.Production(s.NamePrefix, s.App.Scrape, s.HostNet())
}

// Service returns the settings of one deployed service.
func (s Settings) Service(n services.Name) Service {
	if svc, ok := s.Services[n]; ok {
		return *svc
	}
	panic("config: no settings for service " + string(n))
}

// Docker is where the stack is deployed.
type Docker struct {
	Host    string   // "" = local socket
	SSHOpts []string // extra ssh options for an ssh:// host
}

// Service holds the per-service keys.
type Service struct {
	Image    string
	HostPort Port
	MemoryMB int
}

// Retention says how long data is kept.
type Retention struct {
	MetricsTime Duration
	MetricsSize ByteSize
	LogDays     int
	// LogDiskBudgetGiB is what Loki's volume may hold. Loki cannot enforce
	// it; the alerts compare the logs stored over LogDays with it.
	LogDiskBudgetGiB int
}

// App describes the monitored application.
type App struct {
	Network     string       // existing Docker network; "" = none
	Scrape      topology.App // where its metrics are
	PostgresDSN Secret
	// NodeTextfileHostDir is the host directory the backup job writes *.prom
	// files to; node_exporter mounts it read-only for its textfile collector.
	NodeTextfileHostDir string
}

// Alerts is what the alert rules watch and their thresholds.
type Alerts struct {
	CriticalContainers []string
	Thresholds         Thresholds
}

// Thresholds tune the alert rules per stack.
type Thresholds struct {
	CPUHighPercent         float64
	MemoryHighPercent      float64
	LoadPerCore            float64
	DiskFreePercent        float64
	BackupMaxAgeHours      float64
	ContainerMemoryPercent float64
	HTTPP99Ms              float64
	HTTP5xxPercent         float64
	PgConnectionsPercent   float64
	PgLongTxSeconds        float64
	PgSlowQueryMs          float64
	// LogStorage is the Loki disk budget and the retention it must hold,
	// copied from Retention for the rules and panels that watch it.
	LogStorage LogStorage
}

// LogStorage is what the Loki disk alerts compare.
type LogStorage struct {
	Days      int
	BudgetGiB int
}

// BudgetBytes is the budget in bytes.
func (l LogStorage) BudgetBytes() int64 { return int64(l.BudgetGiB) << 30 }

// Email is the alert e-mail transport. TLS is always required.
type Email struct {
	Enabled  bool
	Host     string
	Port     Port
	From     string
	To       []string
	Username string // "" = no SMTP authentication
	Password Secret
}

// Grafana settings. AdminPassword is unset when the program must generate one.
type Grafana struct {
	AdminUser     string
	AdminPassword Secret
	RootURL       string
	APIURL        string
	ManageContent bool
}

// newSettings returns Settings with a Service entry for every row of the
// service table, ready to be filled by the declared keys.
func newSettings(stack string) *Settings {
	s := &Settings{Stack: stack, Services: map[services.Name]*Service{}}
	for _, svc := range services.All {
		s.Services[svc.Name] = &Service{}
	}
	return s
}
