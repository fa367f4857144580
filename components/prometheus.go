package components

import (
	"fmt"
	"path"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Paths inside the Prometheus container.
const (
	PrometheusConfigFile  = "/etc/prometheus/prometheus.yml"
	prometheusStoragePath = "/prometheus" // the image's data directory, owned by nobody
)

// PrometheusArgs configures the Prometheus component.
type PrometheusArgs struct {
	Host   Host
	Layout topology.Layout
}

// Prometheus scrapes every target and evaluates the alert rules.
type Prometheus struct {
	pulumi.ResourceState
	Endpoints
	Container *docker.Container
	Data      *docker.Volume
}

// RulesFile is where the rendered alert rules are installed: inside the
// directory of layout.Files.PrometheusRulesGlob, with a name the glob matches.
func RulesFile(l topology.Layout) (string, error) {
	return fileInGlob(l.Files.PrometheusRulesGlob, "koprogo.yml")
}

// fileInGlob places base in the directory of glob and checks that glob
// matches it, so the installed file is the one the service loads.
func fileInGlob(glob, base string) (string, error) {
	f := path.Join(path.Dir(glob), base)
	if ok, err := path.Match(glob, f); err != nil || !ok {
		return "", fmt.Errorf("components: %s is not matched by %q", f, glob)
	}
	return f, nil
}

// NewPrometheus registers Prometheus, its TSDB volume and its files.
func NewPrometheus(ctx *pulumi.Context, name string, args *PrometheusArgs, opts ...pulumi.ResourceOption) (*Prometheus, error) {
	c := &Prometheus{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:Prometheus", name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Host.Settings
	cfg, err := promconfig.Render(s.Stack, args.Layout)
	if err != nil {
		return nil, err
	}
	rules, err := alerts.RenderRules(s)
	if err != nil {
		return nil, err
	}
	rulesFile, err := RulesFile(args.Layout)
	if err != nil {
		return nil, err
	}
	if c.Data, err = dataVolume(ctx, c, args.Host, topology.Prometheus); err != nil {
		return nil, err
	}
	port := topology.InternalPort[topology.Prometheus]
	d, err := deploy(ctx, c, args.Host, service{
		svc:        topology.Prometheus,
		image:      s.Images.Prometheus,
		memoryMB:   s.Memory.Prometheus,
		hostPort:   s.Ports.Prometheus,
		goRuntime:  true,
		entrypoint: []string{"/bin/prometheus"},
		command: flags.Prometheus(flags.PrometheusOptions{
			ConfigFile:    PrometheusConfigFile,
			StoragePath:   prometheusStoragePath,
			ListenAddress: fmt.Sprintf(":%d", port),
			ExternalURL:   externalURL(s.Ports.Prometheus),
			RetentionTime: s.Retention.MetricsTime,
			RetentionSize: s.Retention.MetricsSize,
		}),
		uploads: docker.ContainerUploadArray{configFile(PrometheusConfigFile, cfg), configFile(rulesFile, rules)},
		volumes: docker.ContainerVolumeArray{volumeAt(c.Data, prometheusStoragePath)},
		// The image is busybox-based (quay.io/prometheus/busybox), so wget
		// exists; /-/ready answers 200 once the TSDB is open and the
		// configuration loaded.
		healthcheck:    []string{"CMD", "wget", "-q", "-O", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/-/ready", port)},
		startPeriod:    "120s", // WAL replay after a restart
		joinAppNetwork: true,
	})
	if err != nil {
		return nil, err
	}
	c.Endpoints, c.Container = d.endpoints, d.container
	return c, ctx.RegisterResourceOutputs(c, c.Endpoints.outputs())
}
