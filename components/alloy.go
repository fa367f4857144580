package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/alloyconfig"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
)

// AlloyArgs configures the Alloy component.
type AlloyArgs struct {
	Host    Host
	Service config.Service
	// HostLabel is the host label of the streams, as on the host's metrics.
	HostLabel string
	// LokiPushURL is the stack's own Loki; "" when logs go only to
	// Endpoints.
	LokiPushURL string
	// Endpoints are further Loki endpoints; their secrets are uploaded
	// as files, never written into the configuration.
	Endpoints []config.LogEndpoint
}

// alloySecretDir holds one file per endpoint secret, named after the
// endpoint.
const alloySecretDir = "/etc/alloy/secrets"

// alloyEndpoints maps the configured endpoints to the renderer's, and the
// uploads of their secrets.
func alloyEndpoints(eps []config.LogEndpoint) ([]alloyconfig.Endpoint, docker.ContainerUploadArray) {
	var out []alloyconfig.Endpoint
	var uploads docker.ContainerUploadArray
	for _, e := range eps {
		r := alloyconfig.Endpoint{Name: e.Name, URL: e.URL, Tenant: e.Tenant}
		file := alloySecretDir + "/" + e.Name
		switch e.Auth {
		case config.AuthBasic:
			r.Username, r.PasswordFile = e.Username, file
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

// Alloy ships container and host logs to Loki. (It replaces Promtail, which
// reached end of life on 2026-03-02.)
type Alloy struct {
	pulumi.ResourceState
	Service
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
	return newComponent(ctx, name, func(c *Alloy) error {
		endpoints, secrets := alloyEndpoints(args.Endpoints)
		cfg, err := alloyconfig.Render(alloyconfig.Options{
			Stack: args.Host.Stack, Host: args.HostLabel, LokiPushURL: args.LokiPushURL, Endpoints: endpoints,
			LokiContainer:  services.ContainerName(args.Host.NamePrefix, services.Loki),
			AlloyContainer: services.ContainerName(args.Host.NamePrefix, services.Alloy),
		})
		if err != nil {
			return err
		}
		return deploy(ctx, c, args.Host, services.Alloy, args.Service, container{
			entrypoint: []string{"/bin/alloy"},
			command: flags.Alloy(flags.AlloyOptions{
				ConfigFile:  alloyconfig.ConfigPath,
				StoragePath: services.Get(services.Alloy).DataDir,
				// All interfaces of the container: Prometheus scrapes it
				// over the stack network.
				ListenAddress: fmt.Sprintf("0.0.0.0:%d", services.Get(services.Alloy).Port),
			}),
			uploads: append(docker.ContainerUploadArray{configFile(alloyconfig.ConfigPath, cfg)}, secrets...),
			volumes: docker.ContainerVolumeArray{
				hostDir("/var/run/docker.sock", alloyconfig.DockerSocket),
				hostDir("/var/log", alloyconfig.HostLogDir),
				hostDir("/run/log/journal", alloyconfig.RunJournalDir),
				hostDir("/etc/machine-id", alloyconfig.MachineIDFile),
			},
			user:   "0",
			capAdd: []string{"CAP_DAC_OVERRIDE"},
		}, &c.Service)
	}, opts...)
}
