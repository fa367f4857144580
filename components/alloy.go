package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/alloyconfig"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
)

// AlloyArgs configures the Alloy component.
type AlloyArgs struct {
	Host        Host
	Service     config.Service
	LokiPushURL string
}

// Alloy ships container and host logs to Loki. (It replaces Promtail, which
// reached end of life on 2026-03-02.)
type Alloy struct {
	pulumi.ResourceState
	Service
}

// NewAlloy registers Alloy with read-only access to what it ships: the Docker
// socket (container logs and metadata), /var/log (files and the persistent
// journal), /run/log/journal (the volatile journal) and /etc/machine-id, and a
// volume for its positions so a restart neither loses nor repeats logs.
//
// It runs as root (the socket and the journal belong to root and to groups
// whose IDs differ between hosts) with every capability dropped except
// DAC_OVERRIDE, which it needs to read log files of other users and to write
// its data directory (owned by the image's alloy user).
func NewAlloy(ctx *pulumi.Context, name string, args *AlloyArgs, opts ...pulumi.ResourceOption) (*Alloy, error) {
	return newComponent(ctx, name, func(c *Alloy) error {
		cfg, err := alloyconfig.Render(alloyconfig.Options{Stack: args.Host.Stack, LokiPushURL: args.LokiPushURL})
		if err != nil {
			return err
		}
		return deploy(ctx, c, args.Host, services.Alloy, args.Service, container{
			entrypoint: []string{"/bin/alloy"},
			command: flags.Alloy(flags.AlloyOptions{
				ConfigFile:  alloyconfig.ConfigPath,
				StoragePath: services.Get(services.Alloy).DataDir,
				// All interfaces of the container: Prometheus scrapes it
				// over the stack network.
				ListenAddress: fmt.Sprintf("0.0.0.0:%d", services.Get(services.Alloy).Port),
			}),
			uploads: docker.ContainerUploadArray{configFile(alloyconfig.ConfigPath, cfg)},
			volumes: docker.ContainerVolumeArray{
				hostDir("/var/run/docker.sock", alloyconfig.DockerSocket),
				hostDir("/var/log", alloyconfig.HostLogDir),
				hostDir("/run/log/journal", alloyconfig.RunJournalDir),
				hostDir("/etc/machine-id", alloyconfig.MachineIDFile),
			},
			user:   "0",
			capAdd: []string{"DAC_OVERRIDE"},
		}, &c.Service)
	}, opts...)
}
