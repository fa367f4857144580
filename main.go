// Command koprogo-monitoring is the Pulumi program that deploys the KoproGo
// monitoring stack onto a Docker host.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/components"
	"github.com/koprogo/koprogo-monitoring/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		settings, err := config.Load(ctx)
		if err != nil {
			return err
		}
		st, err := components.NewStack(ctx, "koprogo-monitoring", &components.StackArgs{Settings: settings})
		if err != nil {
			return err
		}
		ctx.Export("grafanaUrl", st.Grafana.HostURL)
		ctx.Export("prometheusUrl", st.Prometheus.HostURL)
		ctx.Export("alertmanagerUrl", st.Alertmanager.HostURL)
		ctx.Export("lokiUrl", st.Loki.HostURL)
		ctx.Export("grafanaAdminUser", st.Grafana.AdminUser)
		ctx.Export("grafanaAdminPassword", st.Grafana.AdminPassword)
		ctx.Export("sshTunnel", st.TunnelCommand)
		ctx.Export("imageDigests", st.ImageDigests)
		return nil
	})
}
