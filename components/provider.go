package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
)

// NewDockerProvider returns the one Docker provider of the target host:
// ssh://user@host (with dockerSshOpts), a unix socket, or the local socket
// when dockerHost is empty.
func NewDockerProvider(ctx *pulumi.Context, name string, s config.Settings, opts ...pulumi.ResourceOption) (*docker.Provider, error) {
	args := &docker.ProviderArgs{}
	if s.DockerHost != "" {
		args.Host = pulumi.String(s.DockerHost)
		if len(s.DockerSSHOpts) > 0 {
			args.SshOpts = pulumi.ToStringArray(s.DockerSSHOpts)
		}
	}
	return docker.NewProvider(ctx, name, args, opts...)
}
