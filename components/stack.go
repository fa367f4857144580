package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// StackArgs configures the whole monitoring stack.
type StackArgs struct {
	Settings config.Settings
}

// Stack is the top-level component: one Docker provider for the host, one
// network, and every service.
type Stack struct {
	pulumi.ResourceState

	Provider         *docker.Provider
	Network          *docker.Network
	Prometheus       *Prometheus
	Alertmanager     *Alertmanager
	Grafana          *Grafana
	Loki             *Loki
	Alloy            *Alloy
	NodeExporter     *NodeExporter
	PostgresExporter *PostgresExporter
	Cadvisor         *Cadvisor
	GrafanaContent   *GrafanaContent // nil when grafanaManageContent is false

	// TunnelCommand forwards the UIs' host ports over SSH ("" for a local engine).
	TunnelCommand pulumi.StringOutput
	// ImageDigests maps each service to the image digest it runs.
	ImageDigests pulumi.StringMapOutput
}

// NewStack registers the whole stack for validated settings.
func NewStack(ctx *pulumi.Context, name string, args *StackArgs, opts ...pulumi.ResourceOption) (*Stack, error) {
	st := &Stack{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:Stack", name, st, opts...); err != nil {
		return nil, err
	}
	s := args.Settings
	layout := topology.Production(s)

	var err error
	if st.Provider, err = NewDockerProvider(ctx, "docker", s, pulumi.Parent(st)); err != nil {
		return nil, err
	}
	if st.Network, err = docker.NewNetwork(ctx, "network", &docker.NetworkArgs{
		Name:   pulumi.String(s.NamePrefix + "-net"),
		Driver: pulumi.String("bridge"),
		Labels: docker.NetworkLabelArray{docker.NetworkLabelArgs{Label: pulumi.String("koprogo.stack"), Value: pulumi.String(s.Stack)}},
	}, pulumi.Parent(st), pulumi.Provider(st.Provider)); err != nil {
		return nil, err
	}
	host := Host{Settings: s, Provider: st.Provider, Network: st.Network.Name}
	child := pulumi.Parent(st)

	if st.Alertmanager, err = NewAlertmanager(ctx, "alertmanager", &AlertmanagerArgs{Host: host, Layout: layout}, child); err != nil {
		return nil, err
	}
	if st.Loki, err = NewLoki(ctx, "loki", &LokiArgs{Host: host}, child); err != nil {
		return nil, err
	}
	if st.NodeExporter, err = NewNodeExporter(ctx, "node-exporter", &NodeExporterArgs{Host: host, Layout: layout}, child); err != nil {
		return nil, err
	}
	if st.PostgresExporter, err = NewPostgresExporter(ctx, "postgres-exporter", &PostgresExporterArgs{Host: host}, child); err != nil {
		return nil, err
	}
	if st.Cadvisor, err = NewCadvisor(ctx, "cadvisor", &CadvisorArgs{Host: host}, child); err != nil {
		return nil, err
	}
	// Prometheus starts once what it sends alerts to is up, so the first
	// evaluation does not log failed notifications.
	if st.Prometheus, err = NewPrometheus(ctx, "prometheus", &PrometheusArgs{Host: host, Layout: layout},
		child, pulumi.DependsOn([]pulumi.Resource{st.Alertmanager})); err != nil {
		return nil, err
	}
	// Alloy starts once Loki is healthy: its first pushes then succeed.
	if st.Alloy, err = NewAlloy(ctx, "alloy", &AlloyArgs{Host: host, Layout: layout},
		child, pulumi.DependsOn([]pulumi.Resource{st.Loki})); err != nil {
		return nil, err
	}
	if st.Grafana, err = NewGrafana(ctx, "grafana", &GrafanaArgs{Host: host}, child); err != nil {
		return nil, err
	}
	if s.Grafana.ManageContent {
		if st.GrafanaContent, err = NewGrafanaContent(ctx, "grafana-content", &GrafanaContentArgs{
			Settings:      s,
			Layout:        layout,
			AdminUser:     s.Grafana.AdminUser,
			AdminPassword: st.Grafana.AdminPassword,
			Grafana:       st.Grafana.Container,
			// Pulumi runs the program in the project directory, so the
			// relative folder resolves to the repository's dashboards/custom.
			CustomDashboardsDir: dashboards.CustomDir,
		}, child); err != nil {
			return nil, err
		}
	}

	st.TunnelCommand = pulumi.String(TunnelCommand(s.DockerHost, s.BindAddress,
		[]int{s.Ports.Grafana, s.Ports.Prometheus, s.Ports.Alertmanager, s.Ports.Loki})).ToStringOutput()
	st.ImageDigests = pulumi.StringMap{
		string(topology.Prometheus):       st.Prometheus.ImageDigest,
		string(topology.Alertmanager):     st.Alertmanager.ImageDigest,
		string(topology.Grafana):          st.Grafana.ImageDigest,
		string(topology.Loki):             st.Loki.ImageDigest,
		string(topology.Alloy):            st.Alloy.ImageDigest,
		string(topology.NodeExporter):     st.NodeExporter.ImageDigest,
		string(topology.PostgresExporter): st.PostgresExporter.ImageDigest,
		string(topology.Cadvisor):         st.Cadvisor.ImageDigest,
	}.ToStringMapOutput()
	return st, ctx.RegisterResourceOutputs(st, pulumi.Map{
		"grafanaUrl":      st.Grafana.HostURL,
		"prometheusUrl":   st.Prometheus.HostURL,
		"alertmanagerUrl": st.Alertmanager.HostURL,
		"lokiUrl":         st.Loki.HostURL,
		"tunnelCommand":   st.TunnelCommand,
		"imageDigests":    st.ImageDigests,
	})
}
