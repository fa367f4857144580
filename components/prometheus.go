package components

import (
	"fmt"
	"net"
	"path"
	"strconv"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/render/webconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Paths inside the Prometheus container.
const (
	PrometheusConfigFile = "/etc/prometheus/prometheus.yml"
	// PrometheusWebConfigFile holds the receiver's users (bcrypt hashes).
	PrometheusWebConfigFile = "/etc/prometheus/web.yml"
	// PrometheusStackPasswordFile is the stack user's password: the
	// self-scrape and the healthcheck read it.
	PrometheusStackPasswordFile = "/etc/prometheus/secrets/stack_password"
	// prometheusRemoteWriteSecretDir holds one file per remote-write
	// endpoint that authenticates, named after it.
	prometheusRemoteWriteSecretDir = "/etc/prometheus/secrets/remote_write"
)

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
	// RemoteWrite are the engines that also receive every series; their
	// secrets are uploaded as files.
	RemoteWrite []config.RemoteWrite
	// Receiver, when agent hosts send here: nil = none.
	Receiver *Receiver
}

// Receiver is the central Prometheus's remote-write receiver for agent
// hosts, published at Address (a private address of this host). With it,
// every endpoint of this Prometheus requires basic auth: the web config's
// users are the agents' and the stack's own.
type Receiver struct {
	Address       string              // ip:port
	WebConfig     pulumi.StringOutput // web.yml (bcrypt hashes), secret
	StackPassword pulumi.StringOutput // the stack user's password, secret
}

// remoteWrites maps the configured endpoints to the renderer's, and the
// uploads of their secrets.
func remoteWrites(eps []config.RemoteWrite) ([]promconfig.RemoteWrite, docker.ContainerUploadArray) {
	var out []promconfig.RemoteWrite
	var uploads docker.ContainerUploadArray
	for _, e := range eps {
		r := promconfig.RemoteWrite{Name: e.Name, URL: e.URL, Headers: e.Headers, KeepMetrics: e.KeepMetrics}
		file := prometheusRemoteWriteSecretDir + "/" + e.Name
		switch e.Auth {
		case config.AuthBasic:
			r.BasicAuth = &promconfig.BasicAuth{Username: e.Username, PasswordFile: file}
		case config.AuthBearer:
			r.BearerTokenFile = file
		default:
			out = append(out, r)
			continue
		}
		uploads = append(uploads, secretFile(file, e.Secret.Output()))
		out = append(out, r)
	}
	return out, uploads
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
		rw, uploads := remoteWrites(args.RemoteWrite)
		opts := promconfig.Options{Stack: args.Host.Stack, Host: args.HostLabel, Layout: args.Layout, RemoteWrite: rw}
		flagOpts := flags.PrometheusOptions{
			ConfigFile:    PrometheusConfigFile,
			StoragePath:   services.Get(services.Prometheus).DataDir,
			ListenAddress: listenOn(services.Prometheus),
			ExternalURL:   externalURL(args.Service.HostPort),
			RetentionTime: args.RetentionTime,
			RetentionSize: args.RetentionSize,
		}
		ctr := container{entrypoint: []string{"/bin/prometheus"}, joinAppNetwork: true}
		if r := args.Receiver; r != nil {
			opts.Auth = &promconfig.BasicAuth{Username: webconfig.StackUser, PasswordFile: PrometheusStackPasswordFile}
			flagOpts.WebConfigFile, flagOpts.RemoteWriteReceiver = PrometheusWebConfigFile, true
			uploads = append(uploads, secretFile(PrometheusWebConfigFile, r.WebConfig), secretFile(PrometheusStackPasswordFile, r.StackPassword))
			ctr.health = services.Get(services.Prometheus).Health.CommandWithBasicAuth(services.Get(services.Prometheus).Port, webconfig.StackUser, PrometheusStackPasswordFile)
			ip, port, err := net.SplitHostPort(r.Address)
			if err != nil {
				return fmt.Errorf("components: receiver address %q: %w", r.Address, err)
			}
			external, err := strconv.Atoi(port)
			if err != nil {
				return fmt.Errorf("components: receiver address %q: %w", r.Address, err)
			}
			ctr.extraPorts = docker.ContainerPortArray{docker.ContainerPortArgs{
				Internal: pulumi.Int(services.Get(services.Prometheus).Port),
				External: pulumi.Int(external),
				Ip:       pulumi.String(ip),
				Protocol: pulumi.String("tcp"),
			}}
		}
		cfg, err := promconfig.Render(opts)
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
		ctr.command = flags.Prometheus(flagOpts)
		ctr.uploads = append(docker.ContainerUploadArray{configFile(PrometheusConfigFile, cfg), configFile(rulesFile, rules)}, uploads...)
		return deploy(ctx, c, args.Host, services.Prometheus, args.Service, ctr, &c.Service)
	}, opts...)
}
