package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/lokiconfig"
	"github.com/koprogo/koprogo-monitoring/services"
)

// LokiConfigFile is the configuration path inside the Loki container.
const LokiConfigFile = "/etc/loki/loki.yaml"

// LokiArgs configures the Loki component.
type LokiArgs struct {
	Host          Host
	Service       config.Service
	RetentionDays int
}

// Loki stores the logs Alloy ships.
type Loki struct {
	pulumi.ResourceState
	Service
}

// NewLoki registers Loki, its volume and its configuration. Loki runs as the
// image's user (10001) with no capabilities: the 3.7 image creates /loki
// owned by 10001 (cmd/loki/Dockerfile, COPY --chown), so a new named volume
// mounted there is copied up with that owner (3.6.0 did not,
// grafana/loki#19904: do not pin an older image).
func NewLoki(ctx *pulumi.Context, name string, args *LokiArgs, opts ...pulumi.ResourceOption) (*Loki, error) {
	return newComponent(ctx, name, func(c *Loki) error {
		row := services.Get(services.Loki)
		cfg, err := lokiconfig.Render(lokiconfig.Options{HTTPPort: row.Port, DataDir: row.DataDir, RetentionDays: args.RetentionDays})
		if err != nil {
			return err
		}
		return deploy(ctx, c, args.Host, services.Loki, args.Service, container{
			entrypoint: []string{"/usr/bin/loki"},
			command:    flags.Loki(flags.LokiOptions{ConfigFile: LokiConfigFile}),
			uploads:    docker.ContainerUploadArray{configFile(LokiConfigFile, cfg)},
		}, &c.Service)
	}, opts...)
}
