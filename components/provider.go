package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
)

// NewDockerProvider returns the one Docker provider of the target host:
// ssh://user@host (with dockerSshOpts), a unix socket, or the local socket
// when dockerHost is empty.
//
// The daemon check is always off. Left on, the provider pings the Docker
// daemon when it is configured, in a `pulumi preview` too, so a pull
// request's preview would need the VPS (and its SSH key). Set only for
// previews, it would make a preview's provider inputs differ from an up's.
// Off everywhere, an up against an unreachable host still fails, at the
// first resource the provider reads or changes.
func NewDockerProvider(ctx *pulumi.Context, name string, d config.Docker, opts ...pulumi.ResourceOption) (*docker.Provider, error) {
	args := &docker.ProviderArgs{DisableDockerDaemonCheck: pulumi.Bool(true)}
	if d.Host != "" {
		args.Host = pulumi.String(d.Host)
		if len(d.SSHOpts) > 0 {
			args.SshOpts = pulumi.ToStringArray(d.SSHOpts)
		}
	}
	return docker.NewProvider(ctx, name, args, opts...)
}
