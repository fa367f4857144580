// Package components holds one typed Pulumi ComponentResource per service of
// the monitoring stack, and the Stack component that wires them together.
// Everything a service needs to know comes from config.Settings and a
// topology.Layout; file contents come from the pure renderers in render/ and
// alerts/.
package components

import (
	"fmt"
	"net"
	"strconv"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Host is what every service component needs about where it runs.
type Host struct {
	Settings config.Settings
	// Provider is the Docker provider of the target host; every container,
	// image and volume is registered with it.
	Provider *docker.Provider
	// Network is the name of the stack's own Docker network.
	Network pulumi.StringInput
}

// Endpoints are the outputs every service component exports.
type Endpoints struct {
	ContainerName pulumi.StringOutput // also its DNS name on the stack network
	InternalURL   pulumi.StringOutput // as other containers reach it
	HostURL       pulumi.StringOutput // on the Docker host (bindAddress:port), through the SSH tunnel
	ImageDigest   pulumi.StringOutput // RemoteImage.RepoDigest: exactly what runs
}

func (e Endpoints) outputs() pulumi.Map {
	return pulumi.Map{
		"containerName": e.ContainerName,
		"internalUrl":   e.InternalURL,
		"hostUrl":       e.HostURL,
		"imageDigest":   e.ImageDigest,
	}
}

// Container defaults shared by every service.
const (
	restartPolicy = "unless-stopped"
	// A first start of Grafana (database migrations) or Loki (ring warm-up,
	// /ready answers 503 for ~15s) on a small VPS takes tens of seconds;
	// `wait` fails the update if the container is not healthy by then.
	waitTimeoutSeconds = 300
	stopGraceSeconds   = 30
	logMaxSize         = "10m"
	logMaxFile         = "3"
	// Upload modes. The files are owned by root (the upload is a tar written
	// by the Docker daemon) and the services run as unprivileged users, so
	// they must be world-readable inside the container; nothing outside the
	// container can read them without Docker (i.e. root) access.
	configFileMode = "0444"
)

// service describes one container. deploy turns it into a pinned
// RemoteImage and a Container that uses the image by ID.
type service struct {
	svc        topology.Service
	image      string
	memoryMB   int
	hostPort   int
	goRuntime  bool // set GOMEMLIMIT (Go services: GC works harder before the cgroup OOM-kills)
	entrypoint []string
	command    []string
	envs       pulumi.StringArray
	uploads    docker.ContainerUploadArray
	volumes    docker.ContainerVolumeArray
	mounts     docker.ContainerMountArray
	devices    docker.ContainerDeviceArray
	// healthcheck is the test command, e.g. ["CMD", "wget", ...]. It must
	// work with the image: see each component for why its probe does.
	healthcheck []string
	startPeriod string
	// readOnlyRootFS is only possible for containers without uploads: the
	// Docker daemon refuses to write an upload (an archive PUT) into a
	// container whose root filesystem is read-only ("container rootfs is
	// marked read-only", moby daemon/archive.go), even for a path on tmpfs.
	readOnlyRootFS bool
	tmpfs          map[string]string
	user           string
	capAdd         []string
	// keepDefaultCaps leaves Docker's default capability set in place (for a
	// root process whose needs are not fully known, e.g. cAdvisor); otherwise
	// every capability is dropped and only capAdd is granted.
	keepDefaultCaps bool
	joinAppNetwork  bool // Prometheus and postgres_exporter reach the application
	pidHost         bool
}

type deployed struct {
	container *docker.Container
	endpoints Endpoints
}

func hostURL(bind string, port int) string {
	return "http://" + net.JoinHostPort(bind, strconv.Itoa(port))
}

// externalURL is how a person reaches a UI: through the SSH tunnel, whose
// local ports equal the host ports (see TunnelCommand).
func externalURL(port int) string { return "http://localhost:" + strconv.Itoa(port) + "/" }

func goMemLimit(memoryMB int) string { return fmt.Sprintf("GOMEMLIMIT=%dMiB", memoryMB*9/10) }

// deploy registers the image and the container of one service as children of
// parent.
func deploy(ctx *pulumi.Context, parent pulumi.Resource, h Host, s service) (*deployed, error) {
	name := string(s.svc)
	containerName := topology.ContainerName(h.Settings.NamePrefix, s.svc)
	internalPort, ok := topology.InternalPort[s.svc]
	if !ok {
		return nil, fmt.Errorf("components: no internal port for %s", s.svc)
	}
	opts := []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.Provider(h.Provider)}

	// Pinned tag (validated by config.Parse), and KeepLocally so that
	// replacing this resource never tries to delete an image a running
	// container still uses.
	img, err := docker.NewRemoteImage(ctx, name+"-image", &docker.RemoteImageArgs{
		Name:        pulumi.String(s.image),
		KeepLocally: pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return nil, err
	}

	envs := append(pulumi.StringArray{}, s.envs...)
	if s.goRuntime {
		envs = append(envs, pulumi.String(goMemLimit(s.memoryMB)))
	}

	networks := docker.ContainerNetworksAdvancedArray{
		docker.ContainerNetworksAdvancedArgs{Name: h.Network, Aliases: pulumi.StringArray{pulumi.String(name)}},
	}
	if s.joinAppNetwork && h.Settings.App.Network != "" {
		// An existing network owned by the application: joined by name,
		// never created or deleted here.
		networks = append(networks, docker.ContainerNetworksAdvancedArgs{Name: pulumi.String(h.Settings.App.Network)})
	}

	caps := &docker.ContainerCapabilitiesArgs{Adds: pulumi.ToStringArray(s.capAdd)}
	if !s.keepDefaultCaps {
		caps.Drops = pulumi.StringArray{pulumi.String("ALL")}
	}

	args := &docker.ContainerArgs{
		Name: pulumi.String(containerName),
		// The image ID, not the tag: a tag lookup would show a diff (and
		// replace the container) on every run (pulumi-docker #132, #325).
		Image:       img.ImageId,
		Entrypoints: pulumi.ToStringArray(s.entrypoint),
		Command:     pulumi.ToStringArray(s.command),
		Envs:        envs,
		Restart:     pulumi.String(restartPolicy),
		// On replacement the provider otherwise force-removes the container
		// (SIGKILL): give Prometheus (TSDB head, WAL) and Loki (ingester) a
		// clean shutdown, here and on `docker stop`.
		DestroyGraceSeconds: pulumi.Int(stopGraceSeconds),
		StopTimeout:         pulumi.Int(stopGraceSeconds),
		Memory:              pulumi.Int(s.memoryMB),
		Ports: docker.ContainerPortArray{docker.ContainerPortArgs{
			Internal: pulumi.Int(internalPort),
			External: pulumi.Int(s.hostPort),
			Ip:       pulumi.String(h.Settings.BindAddress),
			Protocol: pulumi.String("tcp"),
		}},
		// Explicit: left unset, the provider reads back the engine's value
		// and shows a diff that replaces the container (pulumi-docker #1272).
		// With networksAdvanced set, the provider then disconnects the
		// container from the default bridge and attaches it to the listed
		// networks only.
		NetworkMode:      pulumi.String("bridge"),
		NetworksAdvanced: networks,
		Healthcheck: &docker.ContainerHealthcheckArgs{
			Tests:       pulumi.ToStringArray(s.healthcheck),
			Interval:    pulumi.String("15s"),
			Timeout:     pulumi.String("5s"),
			Retries:     pulumi.Int(4),
			StartPeriod: pulumi.String(s.startPeriod),
		},
		// Dependents (the Grafana provider resources, the next service) are
		// created only once this container reports healthy.
		Wait:         pulumi.Bool(true),
		WaitTimeout:  pulumi.Int(waitTimeoutSeconds),
		LogDriver:    pulumi.String("json-file"),
		LogOpts:      pulumi.StringMap{"max-size": pulumi.String(logMaxSize), "max-file": pulumi.String(logMaxFile)},
		SecurityOpts: pulumi.StringArray{pulumi.String("no-new-privileges:true")},
		Capabilities: caps,
		ReadOnly:     pulumi.Bool(s.readOnlyRootFS),
		Uploads:      s.uploads,
		Volumes:      s.volumes,
		Mounts:       s.mounts,
		Devices:      s.devices,
	}
	if len(s.tmpfs) > 0 {
		args.Tmpfs = pulumi.ToStringMap(s.tmpfs)
	}
	if s.user != "" {
		args.User = pulumi.String(s.user)
	}
	if s.pidHost {
		args.PidMode = pulumi.String("host")
	}
	c, err := docker.NewContainer(ctx, name, args, append(opts,
		// Fixed container name and host port: the old container must be gone
		// before its replacement can be created (pulumi-docker #1356).
		pulumi.DeleteBeforeReplace(true))...)
	if err != nil {
		return nil, err
	}
	return &deployed{
		container: c,
		endpoints: Endpoints{
			ContainerName: c.Name,
			InternalURL:   pulumi.Sprintf("http://%s:%d", c.Name, internalPort),
			HostURL:       pulumi.String(hostURL(h.Settings.BindAddress, s.hostPort)).ToStringOutput(),
			ImageDigest:   img.RepoDigest,
		},
	}, nil
}

// dataVolume is a named volume holding a service's state. Its name is fixed
// (prefix-service-data) so that renaming Pulumi resources can never point a
// service at a new, empty volume; it is retained when the resource is
// deleted, and protected from `pulumi destroy` per protectVolumes.
func dataVolume(ctx *pulumi.Context, parent pulumi.Resource, h Host, svc topology.Service) (*docker.Volume, error) {
	return docker.NewVolume(ctx, string(svc)+"-data", &docker.VolumeArgs{
		Name:   pulumi.String(topology.ContainerName(h.Settings.NamePrefix, svc) + "-data"),
		Labels: docker.VolumeLabelArray{docker.VolumeLabelArgs{Label: pulumi.String("koprogo.stack"), Value: pulumi.String(h.Settings.Stack)}},
	}, pulumi.Parent(parent), pulumi.Provider(h.Provider),
		pulumi.RetainOnDelete(true), pulumi.Protect(h.Settings.ProtectVolumes))
}

func volumeAt(v *docker.Volume, path string) docker.ContainerVolumeArgs {
	return docker.ContainerVolumeArgs{VolumeName: v.Name, ContainerPath: pulumi.String(path)}
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
