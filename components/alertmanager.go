package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/amconfig"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
)

// AlertmanagerConfigFile is the configuration path inside the Alertmanager container.
const AlertmanagerConfigFile = "/etc/alertmanager/alertmanager.yml"

// AlertmanagerArgs configures the Alertmanager component.
type AlertmanagerArgs struct {
	Host    Host
	Service config.Service
	// Config is what alertmanager.yml says (amconfig.For): it names the
	// secret files, and exactly those are installed.
	Config            amconfig.Options
	SMTPPassword      config.Secret
	DeadMansSwitchURL config.Secret
}

// Alertmanager routes alerts to e-mail and the dead-man switch.
type Alertmanager struct {
	pulumi.ResourceState
	Service
}

// TemplateFile is where the notification template is installed, matched by
// the templates glob.
func TemplateFile(glob string) (string, error) { return fileInGlob(glob, "koprogo.tmpl") }

// NewAlertmanager registers Alertmanager, its volume, its configuration and
// the secret files it names (SMTP password, dead-man URL), uploaded as
// secret Outputs.
func NewAlertmanager(ctx *pulumi.Context, name string, args *AlertmanagerArgs, opts ...pulumi.ResourceOption) (*Alertmanager, error) {
	return newComponent(ctx, name, func(c *Alertmanager) error {
		cfg, err := amconfig.Render(args.Config)
		if err != nil {
			return err
		}
		tmplFile, err := TemplateFile(args.Config.TemplatesGlob)
		if err != nil {
			return err
		}
		uploads := docker.ContainerUploadArray{configFile(AlertmanagerConfigFile, cfg), configFile(tmplFile, amconfig.Template())}
		if e := args.Config.Email; e != nil && e.PasswordFile != "" {
			uploads = append(uploads, secretFile(e.PasswordFile, args.SMTPPassword.Output()))
		}
		if f := args.Config.DeadMansSwitchURLFile; f != "" {
			uploads = append(uploads, secretFile(f, args.DeadMansSwitchURL.Output()))
		}
		return deploy(ctx, c, args.Host, services.Alertmanager, args.Service, container{
			entrypoint: []string{"/bin/alertmanager"},
			command: flags.Alertmanager(flags.AlertmanagerOptions{
				ConfigFile:    AlertmanagerConfigFile,
				StoragePath:   services.Get(services.Alertmanager).DataDir,
				ListenAddress: listenOn(services.Alertmanager),
				ExternalURL:   externalURL(args.Service.HostPort),
			}),
			uploads: uploads,
		}, &c.Service)
	}, opts...)
}
