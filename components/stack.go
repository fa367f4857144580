package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/render/amconfig"
	"github.com/koprogo/koprogo-monitoring/services"
)

// StackArgs configures the whole monitoring stack.
type StackArgs struct {
	Settings config.Settings
}

// Stack is the top-level component: one Docker provider for the host, one
// network, and every service. It is the one place that maps the settings to
// each component's Args.
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

	// Services are the service components by name.
	Services map[services.Name]*Service

	// TunnelCommand forwards the UIs' host ports over SSH ("" for a local engine).
	TunnelCommand pulumi.StringOutput `pulumi:"tunnelCommand"`
	// ImageDigests maps each service to the image digest it runs.
	ImageDigests pulumi.StringMapOutput `pulumi:"imageDigests"`
}

// NewStack registers the whole stack for validated settings.
func NewStack(ctx *pulumi.Context, name string, args *StackArgs, opts ...pulumi.ResourceOption) (*Stack, error) {
	return newComponent(ctx, name, func(st *Stack) error {
		s := args.Settings
		layout := s.Layout()

		var err error
		if st.Provider, err = NewDockerProvider(ctx, "docker", s.Docker, pulumi.Parent(st)); err != nil {
			return err
		}
		if st.Network, err = docker.NewNetwork(ctx, "network", &docker.NetworkArgs{
			Name:   pulumi.String(s.NamePrefix + "-net"),
			Driver: pulumi.String("bridge"),
			// A fixed subnet: its gateway is where node_exporter, in the
			// host's network namespace, listens for Prometheus.
			IpamConfigs: docker.NetworkIpamConfigArray{docker.NetworkIpamConfigArgs{
				Subnet:  pulumi.String(s.StackSubnet.String()),
				Gateway: pulumi.String(s.StackGateway()),
			}},
			Labels: docker.NetworkLabelArray{docker.NetworkLabelArgs{Label: pulumi.String("koprogo.stack"), Value: pulumi.String(s.Stack)}},
		}, pulumi.Parent(st), pulumi.Provider(st.Provider)); err != nil {
			return err
		}
		host := Host{
			Provider: st.Provider, Network: st.Network, Gateway: s.StackGateway(), AppNetwork: s.App.Network,
			NamePrefix: s.NamePrefix, BindAddress: s.BindAddress, Stack: s.Stack, ProtectVolumes: s.ProtectVolumes,
		}
		child := pulumi.Parent(st)
		svc := s.Service

		if st.Alertmanager, err = NewAlertmanager(ctx, string(services.Alertmanager), &AlertmanagerArgs{
			Host: host, Service: svc(services.Alertmanager),
			Config:       amconfig.For(s.Email, s.DeadMansSwitchURL.IsSet(), layout.Files),
			SMTPPassword: s.Email.Password, DeadMansSwitchURL: s.DeadMansSwitchURL,
		}, child); err != nil {
			return err
		}
		if st.Loki, err = NewLoki(ctx, string(services.Loki), &LokiArgs{
			Host: host, Service: svc(services.Loki), RetentionDays: s.Retention.LogDays,
		}, child); err != nil {
			return err
		}
		if st.NodeExporter, err = NewNodeExporter(ctx, string(services.NodeExporter), &NodeExporterArgs{
			Host: host, Service: svc(services.NodeExporter),
			TextfileHostDir: s.App.NodeTextfileHostDir, TextfileDir: layout.Files.NodeTextfileDir,
		}, child); err != nil {
			return err
		}
		if st.PostgresExporter, err = NewPostgresExporter(ctx, string(services.PostgresExporter), &PostgresExporterArgs{
			Host: host, Service: svc(services.PostgresExporter), DSN: s.App.PostgresDSN,
		}, child); err != nil {
			return err
		}
		if st.Cadvisor, err = NewCadvisor(ctx, string(services.Cadvisor), &CadvisorArgs{
			Host: host, Service: svc(services.Cadvisor),
		}, child); err != nil {
			return err
		}
		// Prometheus starts once what it sends alerts to is up, so the first
		// evaluation does not log failed notifications.
		if st.Prometheus, err = NewPrometheus(ctx, string(services.Prometheus), &PrometheusArgs{
			Host: host, Service: svc(services.Prometheus), Layout: layout, Alerts: s.Alerts,
			HostLabel:     s.HostLabel,
			RetentionTime: s.Retention.MetricsTime, RetentionSize: s.Retention.MetricsSize,
		}, child, pulumi.DependsOn([]pulumi.Resource{st.Alertmanager})); err != nil {
			return err
		}
		// Alloy starts once Loki is healthy: its first pushes then succeed.
		if st.Alloy, err = NewAlloy(ctx, string(services.Alloy), &AlloyArgs{
			Host: host, Service: svc(services.Alloy), LokiPushURL: layout.LokiPushURL, Endpoints: s.LogEndpoints,
		}, child, pulumi.DependsOn([]pulumi.Resource{st.Loki})); err != nil {
			return err
		}
		if st.Grafana, err = NewGrafana(ctx, string(services.Grafana), &GrafanaArgs{
			Host: host, Service: svc(services.Grafana), Docker: s.Docker,
			AdminUser: s.Grafana.AdminUser, AdminPassword: s.Grafana.AdminPassword, RootURL: s.Grafana.RootURL,
		}, child); err != nil {
			return err
		}
		if s.Grafana.ManageContent {
			if st.GrafanaContent, err = NewGrafanaContent(ctx, "grafana-content", &GrafanaContentArgs{
				APIURL:        s.Grafana.APIURL,
				Layout:        layout,
				Thresholds:    s.Alerts.Thresholds,
				AdminUser:     s.Grafana.AdminUser,
				AdminPassword: st.Grafana.AdminPassword,
				Grafana:       st.Grafana.PasswordReset,
				// Pulumi runs the program in the project directory, so the
				// relative folder resolves to the repository's
				// dashboards/custom.
				CustomDashboardsDir: dashboards.CustomDir,
			}, child); err != nil {
				return err
			}
		}

		st.Services = map[services.Name]*Service{
			services.Prometheus: &st.Prometheus.Service, services.Alertmanager: &st.Alertmanager.Service,
			services.NodeExporter: &st.NodeExporter.Service, services.PostgresExporter: &st.PostgresExporter.Service,
			services.Cadvisor: &st.Cadvisor.Service, services.Loki: &st.Loki.Service,
			services.Alloy: &st.Alloy.Service, services.Grafana: &st.Grafana.Service,
		}
		digests := pulumi.StringMap{}
		var tunnelPorts []int
		for _, row := range services.All {
			digests[string(row.Name)] = st.Services[row.Name].ImageDigest
			if row.UI {
				tunnelPorts = append(tunnelPorts, int(s.Service(row.Name).HostPort))
			}
		}
		st.ImageDigests = digests.ToStringMapOutput()
		st.TunnelCommand = pulumi.String(TunnelCommand(s.Docker.Host, s.BindAddress, tunnelPorts)).ToStringOutput()
		return nil
	}, opts...)
}
