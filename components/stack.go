package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/render/amconfig"
	"github.com/koprogo/koprogo-monitoring/render/webconfig"
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
	// Agents are the agent hosts, in the order of agentHosts.
	Agents []*AgentHost
	// PrometheusPassword is the stack user's password of Prometheus when
	// its endpoints require basic auth (agent hosts), secret; "" otherwise.
	PrometheusPassword pulumi.StringOutput

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
		if st.Network, err = stackNetwork(ctx, "network", s, st.Provider, st); err != nil {
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
		receiver, agentPassword, err := newReceiver(ctx, s, st)
		if err != nil {
			return err
		}
		st.PrometheusPassword = pulumi.String("").ToStringOutput()
		if receiver != nil {
			st.PrometheusPassword = receiver.StackPassword
		}
		// Prometheus starts once what it sends alerts to is up, so the first
		// evaluation does not log failed notifications.
		if st.Prometheus, err = NewPrometheus(ctx, string(services.Prometheus), &PrometheusArgs{
			Host: host, Service: svc(services.Prometheus), Layout: layout, Alerts: s.Alerts,
			HostLabel:     s.HostLabel,
			RetentionTime: s.Retention.MetricsTime, RetentionSize: s.Retention.MetricsSize,
			RemoteWrite: s.RemoteWrite, Receiver: receiver,
		}, child, pulumi.DependsOn([]pulumi.Resource{st.Alertmanager})); err != nil {
			return err
		}
		// Agents start once the receiver they write to is up.
		for _, a := range s.Agents {
			agent, err := NewAgentHost(ctx, a.Name, &AgentHostArgs{
				Agent: a, Settings: s,
				ReceiverURL:   "http://" + s.ReceiverAddress + "/api/v1/write",
				AgentPassword: agentPassword,
			}, child, pulumi.DependsOn([]pulumi.Resource{st.Prometheus}))
			if err != nil {
				return err
			}
			st.Agents = append(st.Agents, agent)
		}
		// Alloy starts once Loki is healthy: its first pushes then succeed.
		if st.Alloy, err = NewAlloy(ctx, string(services.Alloy), &AlloyArgs{
			Host: host, Service: svc(services.Alloy), HostLabel: s.HostLabel, LokiPushURL: layout.LokiPushURL, Endpoints: s.LogEndpoints,
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
				PrometheusAuth: func() *DatasourceAuth {
					if receiver == nil {
						return nil
					}
					return &DatasourceAuth{Username: webconfig.StackUser, Password: receiver.StackPassword}
				}(),
				Grafana: st.Grafana.PasswordReset,
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

// stackNetwork is the stack's own bridge network on one Docker host, with a
// fixed subnet: its gateway is where node_exporter, in the host's network
// namespace, listens for Prometheus.
func stackNetwork(ctx *pulumi.Context, name string, s config.Settings, provider *docker.Provider, parent pulumi.Resource) (*docker.Network, error) {
	return docker.NewNetwork(ctx, name, &docker.NetworkArgs{
		Name:   pulumi.String(s.NamePrefix + "-net"),
		Driver: pulumi.String("bridge"),
		IpamConfigs: docker.NetworkIpamConfigArray{docker.NetworkIpamConfigArgs{
			Subnet:  pulumi.String(s.StackSubnet.String()),
			Gateway: pulumi.String(s.StackGateway()),
		}},
		Labels: docker.NetworkLabelArray{docker.NetworkLabelArgs{Label: pulumi.String("koprogo.stack"), Value: pulumi.String(s.Stack)}},
	}, pulumi.Parent(parent), pulumi.Provider(provider))
}

// newReceiver generates the passwords of the central Prometheus's users
// when agent hosts send to it, and its web config (bcrypt hashes only):
// nil without agent hosts, whose Prometheus then needs no login.
func newReceiver(ctx *pulumi.Context, s config.Settings, parent pulumi.Resource) (*Receiver, pulumi.StringOutput, error) {
	if len(s.Agents) == 0 {
		return nil, pulumi.StringOutput{}, nil
	}
	password := func(name string) (*random.RandomPassword, error) {
		// Letters and digits: the value goes into an HTTP basic-auth
		// header built by the container's shell (the healthcheck).
		return random.NewRandomPassword(ctx, name, &random.RandomPasswordArgs{
			Length: pulumi.Int(GeneratedPasswordLength), Special: pulumi.Bool(false),
		}, pulumi.Parent(parent))
	}
	agent, err := password("prometheus-agent-password")
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	stack, err := password("prometheus-stack-password")
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	web := pulumi.All(agent.BcryptHash, stack.BcryptHash).ApplyT(func(h []any) (string, error) {
		b, err := webconfig.Render(map[string]string{webconfig.AgentUser: h[0].(string), webconfig.StackUser: h[1].(string)})
		return string(b), err
	}).(pulumi.StringOutput)
	return &Receiver{
		Address:       s.ReceiverAddress,
		WebConfig:     pulumi.ToSecret(web).(pulumi.StringOutput),
		StackPassword: pulumi.ToSecret(stack.Result).(pulumi.StringOutput),
	}, pulumi.ToSecret(agent.Result).(pulumi.StringOutput), nil
}
