package components

import (
	"fmt"
	"path"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// PrometheusConfigFile is the configuration path inside the Prometheus container.
const PrometheusConfigFile = "/etc/prometheus/prometheus.yml"

// PrometheusArgs configures the Prometheus component.
type PrometheusArgs struct {
	Host    Host
	Service config.Service
	Layout  topology.Layout // what it scrapes, where it sends alerts, where its rules are
	Alerts  config.Alerts   // the rules and their thresholds
	// HostLabel is the host label on every series this Prometheus scrapes
	// (required: series from agent hosts carry theirs).
	HostLabel string
	// RetentionTime and RetentionSize bound the TSDB, whichever comes first.
	RetentionTime config.Duration
	RetentionSize config.ByteSize
}

// Prometheus scrapes every target and evaluates the alert rules.
type Prometheus struct {
	pulumi.ResourceState
	Service
}

// RulesFile is where the rendered alert rules are installed: inside the
// directory of the rule files glob, with a name the glob matches.
func RulesFile(glob string) (string, error) { return fileInGlob(glob, "koprogo.yml") }

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
	return newComponent(ctx, name, func(c *Prometheus) error {
		cfg, err := promconfig.Render(promconfig.Options{Stack: args.Host.Stack, Host: args.HostLabel, Layout: args.Layout})
		if err != nil {
			return err
		}
		rules, err := alerts.RenderRules(args.Alerts)
		if err != nil {
			return err
		}
		rulesFile, err := RulesFile(args.Layout.Files.PrometheusRulesGlob)
		if err != nil {
			return err
		}
		return deploy(ctx, c, args.Host, services.Prometheus, args.Service, container{
			entrypoint: []string{"/bin/prometheus"},
			command: flags.Prometheus(flags.PrometheusOptions{
				ConfigFile:    PrometheusConfigFile,
				StoragePath:   services.Get(services.Prometheus).DataDir,
				ListenAddress: listenOn(services.Prometheus),
				ExternalURL:   externalURL(args.Service.HostPort),
				RetentionTime: args.RetentionTime,
				RetentionSize: args.RetentionSize,
			}),
			uploads:        docker.ContainerUploadArray{configFile(PrometheusConfigFile, cfg), configFile(rulesFile, rules)},
			joinAppNetwork: true,
		}, &c.Service)
	}, opts...)
}
