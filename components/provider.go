package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
)

// NewDockerProvider returns the one Docker provider of the target host:
// ssh://user@host (with dockerSshOpts), a unix socket, or the local socket
// when dockerHost is empty.
func NewDockerProvider(ctx *pulumi.Context, name string, d config.Docker, opts ...pulumi.ResourceOption) (*docker.Provider, error) {
	args := &docker.ProviderArgs{}
	if d.Host != "" {
		args.Host = pulumi.String(d.Host)
		if len(d.SSHOpts) > 0 {
			args.SshOpts = pulumi.ToStringArray(d.SSHOpts)
		}
	}
	return docker.NewProvider(ctx, name, args, opts...)
}
