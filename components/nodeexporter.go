package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// nodeRootFS is where the host's root filesystem is mounted (read-only).
const nodeRootFS = "/host"

// NodeExporterArgs configures the node_exporter component.
type NodeExporterArgs struct {
	Host   Host
	Layout topology.Layout
}

// NodeExporter exposes host metrics (CPU, memory, the host's disks).
type NodeExporter struct {
	pulumi.ResourceState
	Endpoints
	Container *docker.Container
}

// NewNodeExporter registers node_exporter with the host's root filesystem
// mounted read-only, the host PID namespace (so /proc/1/mounts lists the
// host's mounts), a read-only root filesystem and no capabilities.
//
// Known limit: the container sits on the stack network (Prometheus reaches it
// by name), so network-device metrics describe the container's interface,
// not the host's. Host disk, CPU, memory, load and filesystem metrics are the
// host's.
func NewNodeExporter(ctx *pulumi.Context, name string, args *NodeExporterArgs, opts ...pulumi.ResourceOption) (*NodeExporter, error) {
	c := &NodeExporter{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:NodeExporter", name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Host.Settings
	port := topology.InternalPort[topology.NodeExporter]
	d, err := deploy(ctx, c, args.Host, service{
		svc:        topology.NodeExporter,
		image:      s.Images.NodeExporter,
		memoryMB:   s.Memory.NodeExporter,
		hostPort:   s.Ports.NodeExporter,
		goRuntime:  true,
		entrypoint: []string{"/bin/node_exporter"},
		command: flags.NodeExporter(flags.NodeExporterOptions{
			RootFS:        nodeRootFS,
			TextfileDir:   args.Layout.Files.NodeTextfileDir,
			ListenAddress: fmt.Sprintf(":%d", port),
		}),
		mounts: docker.ContainerMountArray{docker.ContainerMountArgs{
			Type: pulumi.String("bind"), Source: pulumi.String("/"), Target: pulumi.String(nodeRootFS), ReadOnly: pulumi.Bool(true),
			// rslave: filesystems the host mounts later (a new data disk)
			// become visible without a restart.
			BindOptions: &docker.ContainerMountBindOptionsArgs{Propagation: pulumi.String("rslave")},
		}},
		// The backup job writes *.prom files (koprogo_last_backup_timestamp_seconds)
		// to nodeTextfileHostDir on the host; node_exporter only reads them.
		volumes:        docker.ContainerVolumeArray{hostDir(s.App.NodeTextfileHostDir, args.Layout.Files.NodeTextfileDir)},
		readOnlyRootFS: true,
		pidHost:        true,
		// busybox-based image (quay.io/prometheus/busybox): wget exists. The
		// landing page answers without running the collectors.
		healthcheck: []string{"CMD", "wget", "-q", "-O", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/", port)},
		startPeriod: "10s",
	})
	if err != nil {
		return nil, err
	}
	c.Endpoints, c.Container = d.endpoints, d.container
	return c, ctx.RegisterResourceOutputs(c, c.Endpoints.outputs())
}
