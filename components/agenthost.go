package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/render/webconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Paths inside an agent host's Prometheus container.
const (
	agentConfigFile   = "/etc/prometheus/prometheus.yml"
	agentPasswordFile = "/etc/prometheus/secrets/agent_password"
)

// AgentPrometheusMemoryMB is the memory limit of an agent's Prometheus: it
// keeps only a write-ahead log (96.5 MiB RSS measured in agent mode with
// the rendered configuration, docs/footprint.md), so far less than the
// central one.
const AgentPrometheusMemoryMB = 256

// AgentHostArgs configures one agent host.
type AgentHostArgs struct {
	Agent config.AgentHost
	// Settings are the stack's: images, memory limits, name prefix,
	// subnet and the log endpoints are the central host's.
	Settings config.Settings
	// ReceiverURL is the central Prometheus's remote-write receiver and
	// AgentPassword the agent user's password (secret).
	ReceiverURL   string
	AgentPassword pulumi.StringOutput
}

// AgentHost is a further Docker host: node_exporter, cAdvisor, Prometheus
// in agent mode (remote-writing everything to the central receiver) and,
// when logs have a further endpoint to go to, Alloy. It publishes no port.
type AgentHost struct {
	pulumi.ResourceState

	Provider     *docker.Provider
	Network      *docker.Network
	NodeExporter *NodeExporter
	Cadvisor     *Cadvisor
	Prometheus   *AgentPrometheus
	Alloy        *Alloy // nil without logEndpoints
}

// NewAgentHost registers an agent host with its own Docker provider (its
// ssh:// address and options, the same daemon-check choice as the central
// one).
func NewAgentHost(ctx *pulumi.Context, name string, args *AgentHostArgs, opts ...pulumi.ResourceOption) (*AgentHost, error) {
	return newComponent(ctx, name, func(a *AgentHost) error {
		s, agent := args.Settings, args.Agent
		prefix := agent.Name + "-"
		var err error
		if a.Provider, err = NewDockerProvider(ctx, prefix+"docker", config.Docker{Host: agent.DockerHost, SSHOpts: agent.SSHOpts}, pulumi.Parent(a)); err != nil {
			return err
		}
		if a.Network, err = stackNetwork(ctx, prefix+"network", s, a.Provider, a); err != nil {
			return err
		}
		host := Host{
			Provider: a.Provider, Network: a.Network, Gateway: s.StackGateway(),
			NamePrefix: s.NamePrefix, Stack: s.Stack, ProtectVolumes: s.ProtectVolumes,
			ResourcePrefix: prefix, Private: true,
		}
		child := pulumi.Parent(a)
		svc := s.Service
		files := s.Layout().Files

		if a.NodeExporter, err = NewNodeExporter(ctx, prefix+string(services.NodeExporter), &NodeExporterArgs{
			Host: host, Service: svc(services.NodeExporter),
			TextfileHostDir: s.App.NodeTextfileHostDir, TextfileDir: files.NodeTextfileDir,
		}, child); err != nil {
			return err
		}
		if a.Cadvisor, err = NewCadvisor(ctx, prefix+string(services.Cadvisor), &CadvisorArgs{Host: host, Service: svc(services.Cadvisor)}, child); err != nil {
			return err
		}
		// The host's own layout: its exporters on its own stack network.
		targets := map[services.Name]topology.Target{}
		layout := s.Layout()
		for _, j := range promconfig.AgentJobs {
			targets[j] = layout.Targets[j]
		}
		if len(s.LogEndpoints) > 0 {
			if a.Alloy, err = NewAlloy(ctx, prefix+string(services.Alloy), &AlloyArgs{
				Host: host, Service: svc(services.Alloy), HostLabel: agent.Name, Endpoints: s.LogEndpoints,
			}, child); err != nil {
				return err
			}
		} else {
			delete(targets, services.Alloy)
		}
		promSvc := svc(services.Prometheus)
		promSvc.MemoryMB = min(promSvc.MemoryMB, AgentPrometheusMemoryMB)
		a.Prometheus, err = NewAgentPrometheus(ctx, prefix+string(services.Prometheus), &AgentPrometheusArgs{
			Host: host, Service: promSvc, HostLabel: agent.Name, Targets: targets,
			ReceiverURL: args.ReceiverURL, AgentPassword: args.AgentPassword,
		}, child)
		return err
	}, opts...)
}

// AgentPrometheusArgs configures an agent host's Prometheus.
type AgentPrometheusArgs struct {
	Host      Host
	Service   config.Service
	HostLabel string
	Targets   map[services.Name]topology.Target
	// ReceiverURL is where it remote-writes, as the agent user with
	// AgentPassword (secret, uploaded as a file).
	ReceiverURL   string
	AgentPassword pulumi.StringOutput
}

// AgentPrometheus is Prometheus in agent mode: it scrapes its host and
// forwards every sample; no TSDB, no rules, no alerting (alerts are
// evaluated centrally on what it sent).
type AgentPrometheus struct {
	pulumi.ResourceState
	Service
}

// NewAgentPrometheus registers an agent-mode Prometheus, its WAL volume and
// its files.
func NewAgentPrometheus(ctx *pulumi.Context, name string, args *AgentPrometheusArgs, opts ...pulumi.ResourceOption) (*AgentPrometheus, error) {
	return newComponent(ctx, name, func(c *AgentPrometheus) error {
		cfg, err := promconfig.RenderAgent(promconfig.AgentOptions{
			Stack: args.Host.Stack, Host: args.HostLabel, Targets: args.Targets,
			ReceiverURL: args.ReceiverURL,
			Auth:        promconfig.BasicAuth{Username: webconfig.AgentUser, PasswordFile: agentPasswordFile},
		})
		if err != nil {
			return err
		}
		row := services.Get(services.Prometheus)
		return deploy(ctx, c, args.Host, services.Prometheus, args.Service, container{
			entrypoint: []string{"/bin/prometheus"},
			command: flags.PrometheusAgent(flags.PrometheusAgentOptions{
				ConfigFile:    agentConfigFile,
				StoragePath:   row.DataDir,
				ListenAddress: fmt.Sprintf(":%d", row.Port),
			}),
			uploads: docker.ContainerUploadArray{
				configFile(agentConfigFile, cfg),
				secretFile(agentPasswordFile, args.AgentPassword),
			},
		}, &c.Service)
	}, opts...)
}
