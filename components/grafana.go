package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/topology"
)

// Paths inside the Grafana container.
const (
	grafanaDataPath          = "/var/lib/grafana" // the image's data directory, owned by grafana (472)
	grafanaAdminPasswordFile = "/etc/grafana/secrets/admin_password"
	// GeneratedPasswordLength is the length of the admin password generated
	// when grafanaAdminPassword is unset.
	GeneratedPasswordLength = 32
)

// GrafanaArgs configures the Grafana component.
type GrafanaArgs struct {
	Host Host
}

// Grafana is the UI. Datasources and dashboards are pushed through the
// Grafana provider by GrafanaContent, not provisioned from files.
type Grafana struct {
	pulumi.ResourceState
	Endpoints
	Container     *docker.Container
	Data          *docker.Volume
	AdminUser     pulumi.StringOutput
	AdminPassword pulumi.StringOutput // secret
}

// NewGrafana registers Grafana, its volume and its admin password (the
// configured one, or a generated one).
func NewGrafana(ctx *pulumi.Context, name string, args *GrafanaArgs, opts ...pulumi.ResourceOption) (*Grafana, error) {
	c := &Grafana{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:Grafana", name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Host.Settings
	if s.Grafana.AdminPassword.IsSet() {
		c.AdminPassword = s.Grafana.AdminPassword.Output()
	} else {
		pw, err := random.NewRandomPassword(ctx, name+"-admin-password", &random.RandomPasswordArgs{
			Length: pulumi.Int(GeneratedPasswordLength),
			// Letters and digits only: the value travels through a file, an
			// HTTP basic-auth header and shell copy-paste without quoting.
			Special: pulumi.Bool(false),
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		c.AdminPassword = pulumi.ToSecret(pw.Result).(pulumi.StringOutput)
	}
	c.AdminUser = pulumi.String(s.Grafana.AdminUser).ToStringOutput()

	var err error
	if c.Data, err = dataVolume(ctx, c, args.Host, topology.Grafana); err != nil {
		return nil, err
	}
	port := topology.InternalPort[topology.Grafana]
	env := func(k, v string) pulumi.StringInput { return pulumi.String(k + "=" + v) }
	d, err := deploy(ctx, c, args.Host, service{
		svc:       topology.Grafana,
		image:     s.Images.Grafana,
		memoryMB:  s.Memory.Grafana,
		hostPort:  s.Ports.Grafana,
		goRuntime: true,
		envs: pulumi.StringArray{
			env("GF_SERVER_HTTP_PORT", fmt.Sprint(port)),
			env("GF_SERVER_ROOT_URL", s.Grafana.RootURL),
			env("GF_SECURITY_ADMIN_USER", s.Grafana.AdminUser),
			// The password is read from an uploaded secret file, never
			// from the environment (which `docker inspect` shows). Grafana
			// applies it when it creates the admin user, i.e. on the first
			// start with an empty volume.
			env("GF_SECURITY_ADMIN_PASSWORD__FILE", grafanaAdminPasswordFile),
			env("GF_USERS_ALLOW_SIGN_UP", "false"),
			env("GF_AUTH_ANONYMOUS_ENABLED", "false"),
			env("GF_ANALYTICS_REPORTING_ENABLED", "false"),
			env("GF_ANALYTICS_CHECK_FOR_UPDATES", "false"),
			env("GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", "false"),
			env("GF_NEWS_NEWS_FEED_ENABLED", "false"),
			// Logs go to stdout (json-file, rotated); no log files in the container.
			env("GF_LOG_MODE", "console"),
		},
		uploads: docker.ContainerUploadArray{secretFile(grafanaAdminPasswordFile, c.AdminPassword)},
		volumes: docker.ContainerVolumeArray{volumeAt(c.Data, grafanaDataPath)},
		// The default grafana/grafana image is Alpine-based: busybox wget
		// exists. /api/health answers 200 once the database is migrated.
		healthcheck: []string{"CMD", "wget", "-q", "-O", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/api/health", port)},
		startPeriod: "120s", // database migrations on a first start or an upgrade
	})
	if err != nil {
		return nil, err
	}
	c.Endpoints, c.Container = d.endpoints, d.container
	outs := c.Endpoints.outputs()
	outs["adminUser"] = c.AdminUser
	outs["adminPassword"] = c.AdminPassword
	return c, ctx.RegisterResourceOutputs(c, outs)
}
