package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/lokiconfig"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// LokiConfigFile is the configuration path inside the Loki container.
const LokiConfigFile = "/etc/loki/loki.yaml"

// LokiArgs configures the Loki component.
type LokiArgs struct {
	Host Host
}

// Loki stores the logs Alloy ships.
type Loki struct {
	pulumi.ResourceState
	Endpoints
	Container *docker.Container
	Data      *docker.Volume
}

// NewLoki registers Loki, its volume (lokiconfig.DataDir) and its
// configuration. Loki runs as the image's user (10001) with no capabilities:
// the 3.7 image creates /loki owned by 10001 (cmd/loki/Dockerfile, COPY
// --chown), so a new named volume mounted there is copied up with that owner
// (3.6.0 did not, grafana/loki#19904: do not pin an older image).
func NewLoki(ctx *pulumi.Context, name string, args *LokiArgs, opts ...pulumi.ResourceOption) (*Loki, error) {
	c := &Loki{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:Loki", name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Host.Settings
	port := topology.InternalPort[topology.Loki]
	if port != lokiconfig.HTTPPort {
		return nil, fmt.Errorf("components: topology puts Loki on port %d but loki.yaml listens on %d", port, lokiconfig.HTTPPort)
	}
	cfg, err := lokiconfig.Render(s)
	if err != nil {
		return nil, err
	}
	if c.Data, err = dataVolume(ctx, c, args.Host, topology.Loki); err != nil {
		return nil, err
	}
	d, err := deploy(ctx, c, args.Host, service{
		svc:        topology.Loki,
		image:      s.Images.Loki,
		memoryMB:   s.Memory.Loki,
		hostPort:   s.Ports.Loki,
		goRuntime:  true,
		entrypoint: []string{"/usr/bin/loki"},
		command:    flags.Loki(flags.LokiOptions{ConfigFile: LokiConfigFile}),
		uploads:    docker.ContainerUploadArray{configFile(LokiConfigFile, cfg)},
		volumes:    docker.ContainerVolumeArray{volumeAt(c.Data, lokiconfig.DataDir)},
		// Since 3.6 the image is distroless: no shell, no wget, no curl
		// (grafana/loki#20149). Loki 3.7 ships its own probe, `loki -health`
		// (cmd/loki/health.go, grafana/loki#20313), which runs before any
		// configuration parsing, GETs the URL and exits 0 only on 200.
		healthcheck: []string{"CMD", "/usr/bin/loki", "-health", fmt.Sprintf("-health.url=http://127.0.0.1:%d/ready", port)},
		startPeriod: "60s", // /ready answers 503 while the ingester joins its ring
	})
	if err != nil {
		return nil, err
	}
	c.Endpoints, c.Container = d.endpoints, d.container
	return c, ctx.RegisterResourceOutputs(c, c.Endpoints.outputs())
}
