package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
)

const (
	grafanaAdminPasswordFile = "/etc/grafana/secrets/admin_password"
	// GeneratedPasswordLength is the length of the admin password generated
	// when grafanaAdminPassword is unset.
	GeneratedPasswordLength = 32
)

// GrafanaArgs configures the Grafana component.
type GrafanaArgs struct {
	Host      Host
	Service   config.Service
	AdminUser string
	// AdminPassword is the configured password; unset = generate one.
	AdminPassword config.Secret
	RootURL       string // GF_SERVER_ROOT_URL: Grafana's URL as users reach it
}

// Grafana is the UI. Datasources and dashboards are pushed through the
// Grafana provider by GrafanaContent, not provisioned from files.
type Grafana struct {
	pulumi.ResourceState
	Service
	AdminUser     pulumi.StringOutput `pulumi:"adminUser"`
	AdminPassword pulumi.StringOutput `pulumi:"adminPassword"` // secret
}

// NewGrafana registers Grafana, its volume and its admin password (the
// configured one, or a generated one).
func NewGrafana(ctx *pulumi.Context, name string, args *GrafanaArgs, opts ...pulumi.ResourceOption) (*Grafana, error) {
	return newComponent(ctx, name, func(c *Grafana) error {
		if args.AdminPassword.IsSet() {
			c.AdminPassword = args.AdminPassword.Output()
		} else {
			pw, err := random.NewRandomPassword(ctx, name+"-admin-password", &random.RandomPasswordArgs{
				Length: pulumi.Int(GeneratedPasswordLength),
				// Letters and digits only: the value travels through a file,
				// an HTTP basic-auth header and shell copy-paste without
				// quoting.
				Special: pulumi.Bool(false),
			}, pulumi.Parent(c))
			if err != nil {
				return err
			}
			c.AdminPassword = pulumi.ToSecret(pw.Result).(pulumi.StringOutput)
		}
		c.AdminUser = pulumi.String(args.AdminUser).ToStringOutput()

		env := func(k, v string) pulumi.StringInput { return pulumi.String(k + "=" + v) }
		return deploy(ctx, c, args.Host, services.Grafana, args.Service, container{
			envs: pulumi.StringArray{
				env("GF_SERVER_HTTP_PORT", fmt.Sprint(services.Get(services.Grafana).Port)),
				env("GF_SERVER_ROOT_URL", args.RootURL),
				env("GF_SECURITY_ADMIN_USER", args.AdminUser),
				// The password is read from an uploaded secret file, never
				// from the environment (which `docker inspect` shows).
				// Grafana applies it when it creates the admin user, i.e. on
				// the first start with an empty volume.
				env("GF_SECURITY_ADMIN_PASSWORD__FILE", grafanaAdminPasswordFile),
				env("GF_USERS_ALLOW_SIGN_UP", "false"),
				env("GF_AUTH_ANONYMOUS_ENABLED", "false"),
				env("GF_ANALYTICS_REPORTING_ENABLED", "false"),
				env("GF_ANALYTICS_CHECK_FOR_UPDATES", "false"),
				env("GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", "false"),
				env("GF_NEWS_NEWS_FEED_ENABLED", "false"),
				// Logs go to stdout (json-file, rotated); no log files in the
				// container.
				env("GF_LOG_MODE", "console"),
			},
			uploads: docker.ContainerUploadArray{secretFile(grafanaAdminPasswordFile, c.AdminPassword)},
		}, &c.Service)
	}, opts...)
}
