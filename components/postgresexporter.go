package components

import (
	"fmt"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/render/pgdsn"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// Files postgres_exporter reads its connection from (DATA_SOURCE_*_FILE).
const (
	pgUserFile = "/etc/postgres_exporter/secrets/user"
	pgPassFile = "/etc/postgres_exporter/secrets/password"
	pgURIFile  = "/etc/postgres_exporter/secrets/uri"
)

// PostgresExporterArgs configures the postgres_exporter component.
type PostgresExporterArgs struct {
	Host Host
}

// PostgresExporter exposes PostgreSQL metrics, including pg_stat_statements.
type PostgresExporter struct {
	pulumi.ResourceState
	Endpoints
	Container *docker.Container
}

// NewPostgresExporter registers postgres_exporter. The DSN is split inside an
// Apply on the secret Output (so every part stays secret) and uploaded as
// three files; no part of it is in the environment, which `docker inspect`
// shows.
func NewPostgresExporter(ctx *pulumi.Context, name string, args *PostgresExporterArgs, opts ...pulumi.ResourceOption) (*PostgresExporter, error) {
	c := &PostgresExporter{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:PostgresExporter", name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Host.Settings
	parts := s.App.PostgresDSN.Output().ApplyT(func(dsn string) (pgdsn.Parts, error) { return pgdsn.Split(dsn) })
	part := func(get func(pgdsn.Parts) string) pulumi.StringOutput {
		return parts.ApplyT(func(v any) string { return get(v.(pgdsn.Parts)) }).(pulumi.StringOutput)
	}
	port := topology.InternalPort[topology.PostgresExporter]
	d, err := deploy(ctx, c, args.Host, service{
		svc:        topology.PostgresExporter,
		image:      s.Images.PostgresExporter,
		memoryMB:   s.Memory.PostgresExporter,
		hostPort:   s.Ports.PostgresExporter,
		goRuntime:  true,
		entrypoint: []string{"/bin/postgres_exporter"},
		command:    flags.PostgresExporter(flags.PostgresExporterOptions{ListenAddress: fmt.Sprintf(":%d", port)}),
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
		// busybox-based image: wget exists. The landing page does not touch
		// the database, so an unreachable PostgreSQL shows as pg_up 0 (and
		// alerts) instead of a restarting exporter.
		healthcheck:    []string{"CMD", "wget", "-q", "-O", "/dev/null", fmt.Sprintf("http://127.0.0.1:%d/", port)},
		startPeriod:    "10s",
		joinAppNetwork: true,
	})
	if err != nil {
		return nil, err
	}
	c.Endpoints, c.Container = d.endpoints, d.container
	return c, ctx.RegisterResourceOutputs(c, c.Endpoints.outputs())
}
