// Package config is the only way settings enter the program: it reads the
// stack configuration, applies defaults, validates everything at once and
// hands out a typed Settings value. It registers no resources.
package config

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Images pins every container image. Prometheus, Alertmanager, node_exporter
// and postgres_exporter must match the versions in tools/<tool>/go.mod: the live test
// runs those exact releases (a unit test enforces the match).
type Images struct {
	Prometheus       string
	Alertmanager     string
	Grafana          string
	Loki             string
	Alloy            string
	NodeExporter     string
	PostgresExporter string
	Cadvisor         string
}

// DefaultImages are releases whose tags were checked to exist (see the README
// section "Image versions"). Tag formats differ: Grafana and Loki tags have no
// "v"; Alloy's have one; cAdvisor is published on ghcr.io (not gcr.io) since
// v0.53 and its release workflow pushes both "0.x.y" and "v0.x.y".
// Loki must be 3.7 or later: its healthcheck is the `loki -health` subcommand.
var DefaultImages = Images{
	Prometheus:       "prom/prometheus:v3.16.0",
	Alertmanager:     "prom/alertmanager:v0.35.0",
	Grafana:          "grafana/grafana:13.2.0",
	Loki:             "grafana/loki:3.7.3",
	Alloy:            "grafana/alloy:v1.19.1",
	NodeExporter:     "prom/node-exporter:v1.12.1",
	PostgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.17.1",
	Cadvisor:         "ghcr.io/google/cadvisor:v0.60.5",
}

// Ports are host ports; every one is bound to Settings.BindAddress.
type Ports struct {
	Grafana, Prometheus, Alertmanager, Loki, Alloy, NodeExporter, PostgresExporter, Cadvisor int
}

// MemoryMB holds the memory limit of each container, in MiB.
type MemoryMB struct {
	Prometheus, Alertmanager, Grafana, Loki, Alloy, NodeExporter, PostgresExporter, Cadvisor int
}

// Total is the sum of all limits.
func (m MemoryMB) Total() int {
	return m.Prometheus + m.Alertmanager + m.Grafana + m.Loki + m.Alloy + m.NodeExporter + m.PostgresExporter + m.Cadvisor
}

// Retention says how long data is kept.
type Retention struct {
	MetricsTime string // Prometheus duration, e.g. "30d"
	MetricsSize string // Prometheus byte size, e.g. "8GB"
	LogDays     int
}

// SMTP is the alert e-mail transport. TLS is always required.
type SMTP struct {
	Host     string
	Port     int
	From     string
	To       []string
	Username string
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

// App describes the monitored application.
type App struct {
	Network            string // existing Docker network; "" = none
	TraefikTarget      string // host:port
	BackendTarget      string // host:port
	BackendMetricsPath string
	CriticalContainers []string
	PostgresDSN        Secret
	// NodeTextfileHostDir is the host directory the backup job writes *.prom
	// files to; node_exporter mounts it read-only for its textfile collector.
	NodeTextfileHostDir string
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
}

// Settings is the validated configuration of one stack.
type Settings struct {
	Stack             string
	DockerHost        string   // "" = local socket
	DockerSSHOpts     []string // extra ssh options for ssh:// hosts
	BindAddress       string
	NamePrefix        string
	Images            Images
	Ports             Ports
	Retention         Retention
	ProtectVolumes    bool
	Memory            MemoryMB
	MemoryBudgetMB    int
	AlertsEnabled     bool
	SMTP              SMTP
	DeadMansSwitchURL Secret
	Grafana           Grafana
	App               App
	Thresholds        Thresholds
}

// Secret holds a secret configuration value. It never prints its value, and
// the only way to hand it to a resource is Output, which is marked secret.
type Secret struct {
	value string
}

// NewSecret wraps a value read from encrypted config (or a test fixture).
func NewSecret(v string) Secret { return Secret{value: v} }

// IsSet reports whether a value was configured.
func (s Secret) IsSet() bool { return s.value != "" }

// String hides the value from fmt, logs and error messages.
func (s Secret) String() string { return "[secret]" }

// GoString hides the value from %#v.
func (s Secret) GoString() string { return "config.Secret{[secret]}" }

// Output returns the value as a secret Pulumi output.
func (s Secret) Output() pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.String(s.value)).(pulumi.StringOutput)
}

// Load reads and validates the current stack's configuration.
func Load(ctx *pulumi.Context) (Settings, error) {
	project := ctx.Project()
	values := map[string]string{}
	secret := map[string]bool{}
	for _, k := range Keys {
		full := project + ":" + k.Name
		if v, ok := ctx.GetConfig(full); ok {
			values[k.Name] = v
			secret[k.Name] = ctx.IsConfigSecret(full)
		}
	}
	s, err := Parse(ctx.Stack(), values, secret)
	if err != nil {
		return Settings{}, fmt.Errorf("invalid configuration for stack %q:\n%w", ctx.Stack(), err)
	}
	return s, nil
}
