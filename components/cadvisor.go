package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// CadvisorArgs configures the cAdvisor component.
type CadvisorArgs struct {
	Host Host
}

// Cadvisor exposes per-container metrics.
type Cadvisor struct {
	pulumi.ResourceState
	Endpoints
	Container *docker.Container
}

// NewCadvisor registers cAdvisor unprivileged, with a read-only root
// filesystem and only the host paths it reads, all read-only: the root
// filesystem, /sys (cgroups), Docker's state, disk names, the Docker socket
// and /dev/kmsg (OOM events). Note that the socket grants the Docker API:
// read-only applies to the socket file, not to the API behind it.
func NewCadvisor(ctx *pulumi.Context, name string, args *CadvisorArgs, opts ...pulumi.ResourceOption) (*Cadvisor, error) {
	c := &Cadvisor{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:Cadvisor", name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Host.Settings
	port := topology.InternalPort[topology.Cadvisor]
	command, err := flags.Cadvisor(flags.CadvisorOptions{ListenAddress: fmt.Sprintf(":%d", port)})
	if err != nil {
		return nil, err
	}
	d, err := deploy(ctx, c, args.Host, service{
		svc:        topology.Cadvisor,
		image:      s.Images.Cadvisor,
		memoryMB:   s.Memory.Cadvisor,
		hostPort:   s.Ports.Cadvisor,
		goRuntime:  true,
		entrypoint: []string{"/usr/bin/cadvisor", "-logtostderr"},
		command:    command,
		volumes: docker.ContainerVolumeArray{
			hostDir("/", "/rootfs"),
			hostDir("/sys", "/sys"),
			hostDir("/var/lib/docker", "/var/lib/docker"),
			hostDir("/dev/disk", "/dev/disk"),
			hostDir("/var/run/docker.sock", "/var/run/docker.sock"),
		},
		devices: docker.ContainerDeviceArray{docker.ContainerDeviceArgs{
			HostPath: pulumi.String("/dev/kmsg"), ContainerPath: pulumi.String("/dev/kmsg"), Permissions: pulumi.String("r"),
		}},
		readOnlyRootFS: true,
		// cAdvisor runs as root and reads many kernel interfaces; which
		// capabilities each needs is not documented, so Docker's default set
		// stays (no privileged mode). SYSLOG lets it read /dev/kmsg on hosts
		// with kernel.dmesg_restrict=1 (Ubuntu's default).
		keepDefaultCaps: true,
		capAdd:          []string{"SYSLOG"},
		// Alpine-based image: busybox wget exists; /healthz is cAdvisor's
		// own health endpoint.
		healthcheck: []string{"CMD", "wget", "-q", "-O", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/healthz", port)},
		startPeriod: "30s",
	})
	if err != nil {
		return nil, err
	}
	c.Endpoints, c.Container = d.endpoints, d.container
	return c, ctx.RegisterResourceOutputs(c, c.Endpoints.outputs())
}
