// Package components holds one typed Pulumi ComponentResource per service of
// the monitoring stack, and the Stack component that wires them together.
// Each component takes only what it uses, as typed Args; file contents come
// from the pure renderers in render/ and alerts/, and what every container
// shares (image, ports, limits, healthcheck, hardening) from deploy and the
// service table (package services).
package components

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
)

// Host is where the services run.
type Host struct {
	// Provider is the Docker provider of the target host; every container,
	// image and volume is registered with it.
	Provider *docker.Provider
	// Network is the stack's own Docker network, and Gateway its gateway
	// address: the host's address on it, where host-network services
	// listen.
	Network *docker.Network
	Gateway string
	// AppNetwork is the application's existing network, joined by the
	// services that scrape it; "" = none.
	AppNetwork  string
	NamePrefix  string
	BindAddress string // every published port binds to it
	Stack       string // labels the volumes
	// ProtectVolumes marks data volumes `protect`.
	ProtectVolumes bool
	// ResourcePrefix prefixes the Pulumi names of the resources on this
	// host: "" on the central host (its names predate agent hosts and
	// must not change), "<agent>-" on an agent host, whose resources
	// would otherwise have the same URNs as another agent's.
	ResourcePrefix string
	// Private hosts publish no port: an agent host is reached by nobody,
	// its Prometheus sends to the central one.
	Private bool
}

// Service is what every service component exports, and its resources.
type Service struct {
	ContainerName pulumi.StringOutput `pulumi:"containerName"` // also its DNS name on the stack network
	InternalURL   pulumi.StringOutput `pulumi:"internalUrl"`   // as other containers reach it
	HostURL       pulumi.StringOutput `pulumi:"hostUrl"`       // on the Docker host (bindAddress:port), through the SSH tunnel
	ImageDigest   pulumi.StringOutput `pulumi:"imageDigest"`   // RemoteImage.RepoDigest: exactly what runs

	Container *docker.Container
	Data      *docker.Volume // nil for a stateless service
}

// Container defaults shared by every service.
const (
	restartPolicy = "unless-stopped"
	// A first start of Grafana (database migrations) or Loki (ring warm-up,
	// /ready answers 503 for ~15s) on a small VPS takes tens of seconds;
	// `wait` fails the update if the container is not healthy by then.
	waitTimeoutSeconds = 300
	stopGraceSeconds   = 30
	healthInterval     = 15 * time.Second
	healthTimeout      = 5 * time.Second
	logMaxSize         = "10m"
	logMaxFile         = "3"
	// Upload modes. The files are owned by root (the upload is a tar written
	// by the Docker daemon) and the services run as unprivileged users, so
	// they must be world-readable inside the container; nothing outside the
	// container can read them without Docker (i.e. root) access.
	configFileMode = "0444"
)

// container is what differs between services' containers; the rest comes
// from the service's row and settings.
type container struct {
	entrypoint []string
	command    []string
	envs       pulumi.StringArray
	uploads    docker.ContainerUploadArray
	volumes    docker.ContainerVolumeArray // besides the data volume
	mounts     docker.ContainerMountArray
	devices    docker.ContainerDeviceArray
	// readOnlyRootFS is only possible for containers without uploads: the
	// Docker daemon refuses to write an upload (an archive PUT) into a
	// container whose root filesystem is read-only ("container rootfs is
	// marked read-only", moby daemon/archive.go), even for a path on tmpfs.
	readOnlyRootFS bool
	user           string
	// capAdd is in the form the Docker daemon stores and returns (upper
	// case, CAP_ prefix): it turns "SYSLOG" into "CAP_SYSLOG", which the
	// provider reads back as a change that replaces the container.
	capAdd []string
	// keepDefaultCaps leaves Docker's default capability set in place (for a
	// root process whose needs are not fully known, e.g. cAdvisor); otherwise
	// every capability is dropped and only capAdd is granted.
	keepDefaultCaps bool
	joinAppNetwork  bool // Prometheus and postgres_exporter reach the application
	pidHost         bool
	// health replaces the service table's probe (a probe that needs
	// credentials); nil = the table's.
	health []string
	// extraPorts are published besides the service's own host port (the
	// central Prometheus's remote-write receiver on a private address).
	extraPorts docker.ContainerPortArray
}

// securityOpts are the containers' security options, in the forms the
// daemon keeps: "=" (the ":" form is deprecated and logged), and for a
// container in the host's PID namespace an explicit "label=disable", which
// the daemon would otherwise add itself (SELinux labelling is off for host
// PID) and the provider read back as a change that replaces the container.
func securityOpts(pidHost bool) pulumi.StringArray {
	opts := pulumi.StringArray{pulumi.String("no-new-privileges=true")}
	if pidHost {
		opts = append(opts, pulumi.String("label=disable"))
	}
	return opts
}

func hostURL(bind string, port config.Port) string {
	return "http://" + net.JoinHostPort(bind, strconv.Itoa(int(port)))
}

// externalURL is how a person reaches a UI: through the SSH tunnel, whose
// local ports equal the host ports (see TunnelCommand).
func externalURL(port config.Port) string { return fmt.Sprintf("http://localhost:%d/", port) }

func goMemLimit(memoryMB int) string { return fmt.Sprintf("GOMEMLIMIT=%dMiB", memoryMB*9/10) }

// listenOn is the in-container listen address of a service.
func listenOn(n services.Name) string { return fmt.Sprintf(":%d", services.Get(n).Port) }

// hostListenOn is the listen address of a host-network service: the stack
// network's gateway and its host port, reachable from the stack's
// containers, not from outside the host.
func hostListenOn(h Host, cfg config.Service) string {
	return net.JoinHostPort(h.Gateway, strconv.Itoa(int(cfg.HostPort)))
}

// deploy registers the data volume (when the service has one), the image and
// the container of service n as children of parent, and fills out.
func deploy(ctx *pulumi.Context, parent pulumi.Resource, h Host, n services.Name, cfg config.Service, c container, out *Service) error {
	row := services.Get(n)
	name := h.ResourcePrefix + string(n)
	containerName := services.ContainerName(h.NamePrefix, n)
	opts := []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.Provider(h.Provider)}

	volumes := c.volumes
	if row.DataDir != "" {
		// A fixed name (prefix-service-data) so that renaming Pulumi
		// resources can never point a service at a new, empty volume;
		// retained when the resource is deleted, and protected from
		// `pulumi destroy` per protectVolumes.
		v, err := docker.NewVolume(ctx, name+"-data", &docker.VolumeArgs{
			Name:   pulumi.String(containerName + "-data"),
			Labels: docker.VolumeLabelArray{docker.VolumeLabelArgs{Label: pulumi.String("koprogo.stack"), Value: pulumi.String(h.Stack)}},
		}, append(opts, pulumi.RetainOnDelete(true), pulumi.Protect(h.ProtectVolumes))...)
		if err != nil {
			return err
		}
		out.Data = v
		volumes = append(docker.ContainerVolumeArray{docker.ContainerVolumeArgs{VolumeName: v.Name, ContainerPath: pulumi.String(row.DataDir)}}, volumes...)
	}

	// Pinned tag (validated by config.Parse), and KeepLocally so that
	// replacing this resource never tries to delete an image a running
	// container still uses.
	img, err := docker.NewRemoteImage(ctx, name+"-image", &docker.RemoteImageArgs{
		Name:        pulumi.String(cfg.Image),
		KeepLocally: pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return err
	}

	envs := append(pulumi.StringArray{}, c.envs...)
	if row.GoRuntime {
		envs = append(envs, pulumi.String(goMemLimit(cfg.MemoryMB)))
	}

	networks := docker.ContainerNetworksAdvancedArray{
		docker.ContainerNetworksAdvancedArgs{Name: h.Network.Name, Aliases: pulumi.StringArray{pulumi.String(string(n))}},
	}
	if c.joinAppNetwork && h.AppNetwork != "" {
		// An existing network owned by the application: joined by name,
		// never created or deleted here.
		networks = append(networks, docker.ContainerNetworksAdvancedArgs{Name: pulumi.String(h.AppNetwork)})
	}

	caps := &docker.ContainerCapabilitiesArgs{}
	if !c.keepDefaultCaps {
		caps.Drops = pulumi.StringArray{pulumi.String("ALL")}
	}

	health := row.Health.Command(row.Port)
	if row.HostNetwork {
		health = row.Health.CommandAt(h.Gateway, int(cfg.HostPort))
	}
	if c.health != nil {
		health = c.health
	}
	args := &docker.ContainerArgs{
		Name: pulumi.String(containerName),
		// The image ID, not the tag: a tag lookup would show a diff (and
		// replace the container) on every run (pulumi-docker #132, #325).
		Image:   img.ImageId,
		Envs:    envs,
		Restart: pulumi.String(restartPolicy),
		// On replacement the provider otherwise force-removes the container
		// (SIGKILL): give Prometheus (TSDB head, WAL) and Loki (ingester) a
		// clean shutdown, here and on `docker stop`.
		DestroyGraceSeconds: pulumi.Int(stopGraceSeconds),
		StopTimeout:         pulumi.Int(stopGraceSeconds),
		Memory:              pulumi.Int(cfg.MemoryMB),
		// Memory plus swap equal to memory: no swap. Left unset, the engine
		// allows as much swap again and the provider reads that back as a
		// change on every later run.
		MemorySwap: pulumi.Int(cfg.MemoryMB),
		Healthcheck: &docker.ContainerHealthcheckArgs{
			Tests: pulumi.ToStringArray(health),
			// Durations in Go's canonical form (2m0s, not 120s), the form
			// the provider stores and reads back.
			Interval:    pulumi.String(healthInterval.String()),
			Timeout:     pulumi.String(healthTimeout.String()),
			Retries:     pulumi.Int(4),
			StartPeriod: pulumi.String(row.StartPeriod.String()),
		},
		// Dependents (the Grafana provider resources, the next service) are
		// created only once this container reports healthy.
		Wait: pulumi.Bool(true),
		// false: with the default (true) the provider's Read removes a
		// container that is not running (stopped by hand, or created but
		// never started) from the host, even during `pulumi preview
		// --refresh` (the drift check); with false the refresh reads its
		// empty ports and the preview shows a replacement instead. Wait
		// (above) still fails a create whose container never becomes
		// healthy.
		MustRun:      pulumi.Bool(false),
		WaitTimeout:  pulumi.Int(waitTimeoutSeconds),
		LogDriver:    pulumi.String("json-file"),
		LogOpts:      pulumi.StringMap{"max-size": pulumi.String(logMaxSize), "max-file": pulumi.String(logMaxFile)},
		SecurityOpts: securityOpts(c.pidHost),
		Capabilities: caps,
		ReadOnly:     pulumi.Bool(c.readOnlyRootFS),
		Uploads:      c.uploads,
		Volumes:      volumes,
		Mounts:       c.mounts,
		Devices:      c.devices,
	}
	if row.HostNetwork {
		// The host's network namespace: no port to publish, no network to
		// join; it listens on the stack network's gateway.
		args.NetworkMode = pulumi.String("host")
	} else {
		if !h.Private {
			args.Ports = append(docker.ContainerPortArray{docker.ContainerPortArgs{
				Internal: pulumi.Int(row.Port),
				External: pulumi.Int(int(cfg.HostPort)),
				Ip:       pulumi.String(h.BindAddress),
				Protocol: pulumi.String("tcp"),
			}}, c.extraPorts...)
		}
		// Explicit: left unset, the provider reads back the engine's
		// value and shows a diff that replaces the container
		// (pulumi-docker #1272). With networksAdvanced set, the provider
		// then disconnects the container from the default bridge and
		// attaches it to the listed networks only.
		args.NetworkMode = pulumi.String("bridge")
		args.NetworksAdvanced = networks
	}
	// Only what the service sets: an empty entrypoint or command would
	// differ from the image's own, which the provider reads back, and
	// replace the container on every run.
	if len(c.entrypoint) > 0 {
		args.Entrypoints = pulumi.ToStringArray(c.entrypoint)
	}
	if len(c.command) > 0 {
		args.Command = pulumi.ToStringArray(c.command)
	}
	if len(c.capAdd) > 0 {
		caps.Adds = pulumi.ToStringArray(c.capAdd)
	}
	if c.user != "" {
		args.User = pulumi.String(c.user)
	}
	if c.pidHost {
		args.PidMode = pulumi.String("host")
	}
	if row.HostNetwork {
		// It takes no input from the stack network, yet listens on its
		// gateway: created only once that address exists and, when the
		// network is replaced (delete before replace: its name is fixed),
		// only once the old network and the containers attached to it are
		// gone. Without it, upgrading a deployment whose network changes
		// failed with "container name already in use" (lab round 3).
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{h.Network}))
	}
	ctr, err := docker.NewContainer(ctx, name, args, append(opts,
		// Fixed container name and host port: the old container must be gone
		// before its replacement can be created (pulumi-docker #1356).
		pulumi.DeleteBeforeReplace(true),
		// A container created but never started (its start failed: port
		// taken, bad mount) is stored without networkData, and every later
		// `up` shows an update of networkData that the provider's Update
		// (restart policy and resources only) never acts on: the container
		// stays down while `up` reports success. Replacing it on that
		// difference creates and starts it again.
		pulumi.ReplaceOnChanges([]string{"networkDatas"}))...)
	if err != nil {
		return err
	}
	out.Container = ctr
	out.ContainerName = ctr.Name
	out.InternalURL = pulumi.Sprintf("http://%s:%d", ctr.Name, row.Port)
	out.HostURL = pulumi.String(hostURL(h.BindAddress, cfg.HostPort)).ToStringOutput()
	if row.HostNetwork {
		out.InternalURL = pulumi.String("http://" + hostListenOn(h, cfg)).ToStringOutput()
		out.HostURL = out.InternalURL
	}
	out.ImageDigest = img.RepoDigest
	return nil
}

// hostDir mounts a host directory read-only. A missing directory is created
// by Docker (a bind given as a volume), so a first deployment does not fail
// on a host that has never run the job that fills it.
func hostDir(hostPath, containerPath string) docker.ContainerVolumeArgs {
	return docker.ContainerVolumeArgs{HostPath: pulumi.String(hostPath), ContainerPath: pulumi.String(containerPath), ReadOnly: pulumi.Bool(true)}
}

// configFile uploads generated, non-secret content.
//
// Why uploads rather than bind-mounted host files: they work the same over
// ssh:// as on the local socket with no access to the host's filesystem;
// the content is part of the container's inputs, so a change replaces the
// container deterministically (and only then); and nothing is left behind on
// the host when the stack is destroyed.
func configFile(path string, content []byte) docker.ContainerUploadArgs {
	return docker.ContainerUploadArgs{File: pulumi.String(path), Content: pulumi.String(string(content)), Permissions: pulumi.String(configFileMode)}
}

// secretFile uploads a secret Output; the value stays secret in the state
// and never appears in a plain input.
func secretFile(path string, content pulumi.StringOutput) docker.ContainerUploadArgs {
	return docker.ContainerUploadArgs{File: pulumi.String(path), Content: pulumi.ToSecret(content).(pulumi.StringOutput), Permissions: pulumi.String(configFileMode)}
}
