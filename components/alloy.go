package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/render/alloyconfig"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// AlloyArgs configures the Alloy component.
type AlloyArgs struct {
	Host   Host
	Layout topology.Layout
}

// Alloy ships container and host logs to Loki. (It replaces Promtail, which
// reached end of life on 2026-03-02.)
type Alloy struct {
	pulumi.ResourceState
	Endpoints
	Container *docker.Container
	Data      *docker.Volume
}

// alloyHealthcheck probes /-/ready without curl or wget: the image (Ubuntu
// base) is not guaranteed to ship either (grafana/alloy#477, #5001) and Alloy
// has no health subcommand, but bash is there and its /dev/tcp redirection
// is enough to send one HTTP/1.0 request and check the status code.
func alloyHealthcheck(port int) []string {
	return []string{"CMD", "bash", "-c", fmt.Sprintf(
		`exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET /-/ready HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && read -r _ code _ <&3 && [ "$code" = 200 ]`, port)}
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
	c := &Alloy{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:Alloy", name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Host.Settings
	cfg, err := alloyconfig.Render(s, args.Layout)
	if err != nil {
		return nil, err
	}
	if c.Data, err = dataVolume(ctx, c, args.Host, topology.Alloy); err != nil {
		return nil, err
	}
	port := topology.InternalPort[topology.Alloy]
	d, err := deploy(ctx, c, args.Host, service{
		svc:        topology.Alloy,
		image:      s.Images.Alloy,
		memoryMB:   s.Memory.Alloy,
		hostPort:   s.Ports.Alloy,
		goRuntime:  true,
		entrypoint: []string{"/bin/alloy"},
		command: flags.Alloy(flags.AlloyOptions{
			ConfigFile:    alloyconfig.ConfigPath,
			StoragePath:   alloyconfig.DataDir,
			ListenAddress: fmt.Sprintf("0.0.0.0:%d", port),
		}),
		uploads: docker.ContainerUploadArray{configFile(alloyconfig.ConfigPath, cfg)},
		volumes: docker.ContainerVolumeArray{
			volumeAt(c.Data, alloyconfig.DataDir),
			hostDir("/var/run/docker.sock", alloyconfig.DockerSocket),
			hostDir("/var/log", alloyconfig.HostLogDir),
			hostDir("/run/log/journal", alloyconfig.RunJournalDir),
			hostDir("/etc/machine-id", alloyconfig.MachineIDFile),
		},
		user:        "0",
		capAdd:      []string{"DAC_OVERRIDE"},
		healthcheck: alloyHealthcheck(port),
		startPeriod: "30s",
	})
	if err != nil {
		return nil, err
	}
	c.Endpoints, c.Container = d.endpoints, d.container
	return c, ctx.RegisterResourceOutputs(c, c.Endpoints.outputs())
}
