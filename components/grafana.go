package components

import (
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
)

const (
	grafanaBootstrapPasswordFile = "/etc/grafana/secrets/bootstrap_admin_password"
	// GeneratedPasswordLength is the length of the passwords generated for
	// Grafana: the admin password when grafanaAdminPassword is unset, and
	// the bootstrap password.
	GeneratedPasswordLength = 32
)

// ResetAdminPasswordCommand is what runs in the Grafana container to set
// the admin password, read from stdin (never from argv, where `ps` and the
// shell history would show it).
var ResetAdminPasswordCommand = []string{"grafana", "cli", "admin", "reset-admin-password", "--password-from-stdin"}

// GrafanaArgs configures the Grafana component.
type GrafanaArgs struct {
	Host    Host
	Service config.Service
	// Docker is how to run a command on the Docker host (the admin
	// password reset), the way the Docker provider reaches it.
	Docker    config.Docker
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
	// PasswordReset sets AdminPassword in the running Grafana; whatever logs
	// in as the admin waits for it.
	PasswordReset *local.Command
}

// NewGrafana registers Grafana, its volume and its admin password (the
// configured one, or a generated one).
//
// Grafana takes GF_SECURITY_ADMIN_PASSWORD only when it creates the admin
// user, on its first start. So the container gets a bootstrap password that
// never changes, and a command resource sets the admin password in the
// running Grafana (`grafana cli admin reset-admin-password`, the password on
// stdin) once the container is healthy: on the first deploy, on every
// change of the password (a rotation restarts nothing) and on every new
// container. The Grafana provider logs in only after it.
func NewGrafana(ctx *pulumi.Context, name string, args *GrafanaArgs, opts ...pulumi.ResourceOption) (*Grafana, error) {
	return newComponent(ctx, name, func(c *Grafana) error {
		generated := func(suffix string) (pulumi.StringOutput, error) {
			pw, err := random.NewRandomPassword(ctx, name+"-"+suffix, &random.RandomPasswordArgs{
				Length: pulumi.Int(GeneratedPasswordLength),
				// Letters and digits only: the value travels through a file,
				// an HTTP basic-auth header and shell copy-paste without
				// quoting.
				Special: pulumi.Bool(false),
			}, pulumi.Parent(c))
			if err != nil {
				return pulumi.StringOutput{}, err
			}
			return pulumi.ToSecret(pw.Result).(pulumi.StringOutput), nil
		}
		if args.AdminPassword.IsSet() {
			c.AdminPassword = args.AdminPassword.Output()
		} else {
			var err error
			if c.AdminPassword, err = generated("admin-password"); err != nil {
				return err
			}
		}
		bootstrap, err := generated("bootstrap-password")
		if err != nil {
			return err
		}
		c.AdminUser = pulumi.String(args.AdminUser).ToStringOutput()

		env := func(k, v string) pulumi.StringInput { return pulumi.String(k + "=" + v) }
		if err := deploy(ctx, c, args.Host, services.Grafana, args.Service, container{
			envs: pulumi.StringArray{
				env("GF_SERVER_HTTP_PORT", fmt.Sprint(services.Get(services.Grafana).Port)),
				env("GF_SERVER_ROOT_URL", args.RootURL),
				env("GF_SECURITY_ADMIN_USER", args.AdminUser),
				// The bootstrap password, from an uploaded secret file, never
				// from the environment (which `docker inspect` shows).
				// Grafana applies it only when it creates the admin user, on
				// the first start with an empty volume; the reset below then
				// sets the admin password.
				env("GF_SECURITY_ADMIN_PASSWORD__FILE", grafanaBootstrapPasswordFile),
				env("GF_USERS_ALLOW_SIGN_UP", "false"),
				env("GF_AUTH_ANONYMOUS_ENABLED", "false"),
				env("GF_ANALYTICS_REPORTING_ENABLED", "false"),
				env("GF_ANALYTICS_CHECK_FOR_UPDATES", "false"),
				env("GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", "false"),
				env("GF_NEWS_NEWS_FEED_ENABLED", "false"),
				// Off by default; said explicitly because the pinned 13.2.0
				// leaks goroutines and memory in its gzip middleware
				// (grafana/grafana#132743, fixed in 13.2.1), which would
				// outgrow the memory limit (docs/footprint.md).
				env("GF_SERVER_ENABLE_GZIP", "false"),
				// Logs go to stdout (json-file, rotated); no log files in the
				// container.
				env("GF_LOG_MODE", "console"),
			},
			uploads: docker.ContainerUploadArray{secretFile(grafanaBootstrapPasswordFile, bootstrap)},
		}, &c.Service); err != nil {
			return err
		}

		reset := HostCommand(args.Docker, append([]string{"docker", "exec", "-i", services.ContainerName(args.Host.NamePrefix, services.Grafana)}, ResetAdminPasswordCommand...)...)
		c.PasswordReset, err = local.NewCommand(ctx, name+"-admin-password-reset", &local.CommandArgs{
			Create: pulumi.String(reset),
			Update: pulumi.String(reset),
			Stdin:  c.AdminPassword,
			// A new container (an upgrade, a lost volume) gets the
			// password again.
			Triggers: pulumi.Array{c.Container.ID()},
			// The CLI's messages never contain the password; they are kept
			// out of the logs anyway.
			Logging: local.LoggingNone,
		}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{c.Container}),
			pulumi.AdditionalSecretOutputs([]string{"stdin", "stdout", "stderr"}))
		return err
	}, opts...)
}
