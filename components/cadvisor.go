package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
)

// CadvisorArgs configures the cAdvisor component.
type CadvisorArgs struct {
	Host    Host
	Service config.Service
}

// Cadvisor exposes per-container metrics.
type Cadvisor struct {
	pulumi.ResourceState
	Service
}

// NewCadvisor registers cAdvisor unprivileged, with a read-only root
// filesystem and only the host paths it reads, all read-only: the root
// filesystem, /sys (cgroups), Docker's state, disk names, the Docker socket
// and /dev/kmsg (OOM events). Note that the socket grants the Docker API:
// read-only applies to the socket file, not to the API behind it.
func NewCadvisor(ctx *pulumi.Context, name string, args *CadvisorArgs, opts ...pulumi.ResourceOption) (*Cadvisor, error) {
	return newComponent(ctx, name, func(c *Cadvisor) error {
		command, err := flags.Cadvisor(flags.CadvisorOptions{ListenAddress: listenOn(services.Cadvisor)})
		if err != nil {
			return err
		}
		return deploy(ctx, c, args.Host, services.Cadvisor, args.Service, container{
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
			// capabilities each needs is not documented, so Docker's default
			// set stays (no privileged mode). SYSLOG lets it read /dev/kmsg on
			// hosts with kernel.dmesg_restrict=1 (Ubuntu's default).
			keepDefaultCaps: true,
			capAdd:          []string{"CAP_SYSLOG"},
		}, &c.Service)
	}, opts...)
}
