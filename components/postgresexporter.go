package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/config/pgdsn"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
)

// Files postgres_exporter reads its connection from (DATA_SOURCE_*_FILE).
const (
	pgUserFile = "/etc/postgres_exporter/secrets/user"
	pgPassFile = "/etc/postgres_exporter/secrets/password"
	pgURIFile  = "/etc/postgres_exporter/secrets/uri"
)

// PostgresExporterArgs configures the postgres_exporter component.
type PostgresExporterArgs struct {
	Host    Host
	Service config.Service
	DSN     config.Secret
}

// PostgresExporter exposes PostgreSQL metrics, including pg_stat_statements.
type PostgresExporter struct {
	pulumi.ResourceState
	Service
}

// NewPostgresExporter registers postgres_exporter. The DSN is split inside an
// Apply on the secret Output (so every part stays secret) and uploaded as
// three files; no part of it is in the environment, which `docker inspect`
// shows.
func NewPostgresExporter(ctx *pulumi.Context, name string, args *PostgresExporterArgs, opts ...pulumi.ResourceOption) (*PostgresExporter, error) {
	return newComponent(ctx, name, func(c *PostgresExporter) error {
		parts := args.DSN.Output().ApplyT(func(dsn string) (pgdsn.Parts, error) { return pgdsn.Split(dsn) })
		part := func(get func(pgdsn.Parts) string) pulumi.StringOutput {
			return parts.ApplyT(func(v any) string { return get(v.(pgdsn.Parts)) }).(pulumi.StringOutput)
		}
		return deploy(ctx, c, args.Host, services.PostgresExporter, args.Service, container{
			entrypoint: []string{"/bin/postgres_exporter"},
			command:    flags.PostgresExporter(flags.PostgresExporterOptions{ListenAddress: listenOn(services.PostgresExporter)}),
			envs: pulumi.StringArray{
				pulumi.String("DATA_SOURCE_USER_FILE=" + pgUserFile),
				pulumi.String("DATA_SOURCE_PASS_FILE=" + pgPassFile),
				pulumi.String("DATA_SOURCE_URI_FILE=" + pgURIFile),
			},
			uploads: docker.ContainerUploadArray{
				secretFile(pgUserFile, part(func(p pgdsn.Parts) string { return p.User })),
				secretFile(pgPassFile, part(func(p pgdsn.Parts) string { return p.Password })),
				secretFile(pgURIFile, part(func(p pgdsn.Parts) string { return p.URI })),
			},
			joinAppNetwork: true,
		}, &c.Service)
	}, opts...)
}
