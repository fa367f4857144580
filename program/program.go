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
	for name, out := range Outputs(st) {
		ctx.Export(name, out)
	}
	return nil
}

// Outputs are the stack outputs by name. grafanaAdminPassword is secret,
// and so is prometheusPassword, the login of Prometheus's stack user, there
// only when agent hosts make Prometheus require one.
func Outputs(st *components.Stack) map[string]pulumi.Output {
	out := map[string]pulumi.Output{
		"grafanaUrl":           st.Services[services.Grafana].HostURL,
		"prometheusUrl":        st.Services[services.Prometheus].HostURL,
		"alertmanagerUrl":      st.Services[services.Alertmanager].HostURL,
		"lokiUrl":              st.Services[services.Loki].HostURL,
		"grafanaAdminUser":     st.Grafana.AdminUser,
		"grafanaAdminPassword": st.Grafana.AdminPassword,
		"sshTunnel":            st.TunnelCommand,
		"imageDigests":         st.ImageDigests,
	}
	if len(st.Agents) > 0 {
		out["prometheusPassword"] = st.PrometheusPassword
	}
	return out
}
