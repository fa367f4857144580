package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
)

// nodeRootFS is where the host's root filesystem is mounted (read-only).
const nodeRootFS = "/host"

// NodeExporterArgs configures the node_exporter component.
type NodeExporterArgs struct {
	Host    Host
	Service config.Service
	// TextfileHostDir is the host directory the backup job writes *.prom
	// files to; it is mounted read-only at TextfileDir, where the textfile
	// collector reads.
	TextfileHostDir, TextfileDir string
}

// NodeExporter exposes host metrics (CPU, memory, the host's disks).
type NodeExporter struct {
	pulumi.ResourceState
	Service
}

// NewNodeExporter registers node_exporter with the host's root filesystem
// mounted read-only, the host PID namespace (so /proc/1/mounts lists the
// host's mounts) and the host's network namespace (so its network metrics
// are the host's interfaces), a read-only root filesystem and no
// capabilities. It listens on the stack network's gateway only: Prometheus
// reaches that address, the internet does not.
func NewNodeExporter(ctx *pulumi.Context, name string, args *NodeExporterArgs, opts ...pulumi.ResourceOption) (*NodeExporter, error) {
	return newComponent(ctx, name, func(c *NodeExporter) error {
		return deploy(ctx, c, args.Host, services.NodeExporter, args.Service, container{
			entrypoint: []string{"/bin/node_exporter"},
			command: flags.NodeExporter(flags.NodeExporterOptions{
				RootFS:        nodeRootFS,
				TextfileDir:   args.TextfileDir,
				ListenAddress: hostListenOn(args.Host, args.Service),
			}),
			mounts: docker.ContainerMountArray{docker.ContainerMountArgs{
				Type: pulumi.String("bind"), Source: pulumi.String("/"), Target: pulumi.String(nodeRootFS), ReadOnly: pulumi.Bool(true),
				// rslave: filesystems the host mounts later (a new data disk)
				// become visible without a restart.
				BindOptions: &docker.ContainerMountBindOptionsArgs{Propagation: pulumi.String("rslave")},
			}},
			volumes:        docker.ContainerVolumeArray{hostDir(args.TextfileHostDir, args.TextfileDir)},
			readOnlyRootFS: true,
			pidHost:        true,
		}, &c.Service)
	}, opts...)
}
