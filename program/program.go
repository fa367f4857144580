// Package program is the Pulumi program: what `pulumi up` runs (main.go
// hands it to pulumi.Run) and what tests and Automation API drivers run
// exactly as the engine would.
package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/components"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
)

// Run reads and validates the stack's configuration, registers the stack and
// exports its outputs. A configuration problem stops it before any resource
// is registered.
func Run(ctx *pulumi.Context) error {
	settings, err := config.Load(ctx)
	if err != nil {
		return err
	}
	st, err := components.NewStack(ctx, config.Project, &components.StackArgs{Settings: settings})
	if err != nil {
		return err
	}
	ctx.Export("grafanaUrl", st.Services[services.Grafana].HostURL)
	ctx.Export("prometheusUrl", st.Services[services.Prometheus].HostURL)
	ctx.Export("alertmanagerUrl", st.Services[services.Alertmanager].HostURL)
	ctx.Export("lokiUrl", st.Services[services.Loki].HostURL)
	ctx.Export("grafanaAdminUser", st.Grafana.AdminUser)
	ctx.Export("grafanaAdminPassword", st.Grafana.AdminPassword)
	ctx.Export("sshTunnel", st.TunnelCommand)
	ctx.Export("imageDigests", st.ImageDigests)
	return nil
}
