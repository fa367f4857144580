package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/render/amconfig"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Paths inside the Alertmanager container.
const (
	AlertmanagerConfigFile  = "/etc/alertmanager/alertmanager.yml"
	alertmanagerStoragePath = "/alertmanager" // silences and notification log
)

// AlertmanagerArgs configures the Alertmanager component.
type AlertmanagerArgs struct {
	Host   Host
	Layout topology.Layout
}

// Alertmanager routes alerts to e-mail and the dead-man switch.
type Alertmanager struct {
	pulumi.ResourceState
	Endpoints
	Container *docker.Container
	Data      *docker.Volume
}

// TemplateFile is where the notification template is installed, matched by
// layout.Files.AlertmanagerTemplatesGlob.
func TemplateFile(l topology.Layout) (string, error) {
	return fileInGlob(l.Files.AlertmanagerTemplatesGlob, "koprogo.tmpl")
}

// NewAlertmanager registers Alertmanager, its volume, its configuration and
// its secret files (SMTP password, dead-man URL), which are referenced by
// path from alertmanager.yml and uploaded as secret Outputs.
func NewAlertmanager(ctx *pulumi.Context, name string, args *AlertmanagerArgs, opts ...pulumi.ResourceOption) (*Alertmanager, error) {
	c := &Alertmanager{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:Alertmanager", name, c, opts...); err != nil {
		return nil, err
	}
	s, l := args.Host.Settings, args.Layout
	cfg, err := amconfig.Render(s, l)
	if err != nil {
		return nil, err
	}
	tmplFile, err := TemplateFile(l)
	if err != nil {
		return nil, err
	}
	uploads := docker.ContainerUploadArray{configFile(AlertmanagerConfigFile, cfg), configFile(tmplFile, amconfig.Template())}
	if l.Files.SMTPPasswordFile != "" {
		uploads = append(uploads, secretFile(l.Files.SMTPPasswordFile, s.SMTP.Password.Output()))
	}
	if l.Files.DeadMansSwitchURLFile != "" {
		uploads = append(uploads, secretFile(l.Files.DeadMansSwitchURLFile, s.DeadMansSwitchURL.Output()))
	}
	if c.Data, err = dataVolume(ctx, c, args.Host, topology.Alertmanager); err != nil {
		return nil, err
	}
	port := topology.InternalPort[topology.Alertmanager]
	d, err := deploy(ctx, c, args.Host, service{
		svc:        topology.Alertmanager,
		image:      s.Images.Alertmanager,
		memoryMB:   s.Memory.Alertmanager,
		hostPort:   s.Ports.Alertmanager,
		goRuntime:  true,
		entrypoint: []string{"/bin/alertmanager"},
		command: flags.Alertmanager(flags.AlertmanagerOptions{
			ConfigFile:    AlertmanagerConfigFile,
			StoragePath:   alertmanagerStoragePath,
			ListenAddress: fmt.Sprintf(":%d", port),
			ExternalURL:   externalURL(s.Ports.Alertmanager),
		}),
		uploads: uploads,
		volumes: docker.ContainerVolumeArray{volumeAt(c.Data, alertmanagerStoragePath)},
		// busybox-based image (quay.io/prometheus/busybox): wget exists.
		healthcheck: []string{"CMD", "wget", "-q", "-O", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/-/ready", port)},
		startPeriod: "30s",
	})
	if err != nil {
		return nil, err
	}
	c.Endpoints, c.Container = d.endpoints, d.container
	return c, ctx.RegisterResourceOutputs(c, c.Endpoints.outputs())
}
