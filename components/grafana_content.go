package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// GrafanaContentArgs configures what is pushed through the Grafana provider.
type GrafanaContentArgs struct {
	Settings      config.Settings
	Layout        topology.Layout     // internal URLs of Prometheus, Loki, Alertmanager for the datasources
	AdminUser     string              // Grafana admin login
	AdminPassword pulumi.StringOutput // secret
	// Grafana is the Grafana container; every provider resource waits for it
	// (the container is created with wait=true and a healthcheck).
	Grafana pulumi.Resource
}

// GrafanaContent owns the Grafana provider, the datasources, the folder and
// the dashboards. STUB: implemented by the Grafana-provider work.
type GrafanaContent struct {
	pulumi.ResourceState
}

// NewGrafanaContent registers the Grafana provider and everything pushed through it.
func NewGrafanaContent(ctx *pulumi.Context, name string, args *GrafanaContentArgs, opts ...pulumi.ResourceOption) (*GrafanaContent, error) {
	c := &GrafanaContent{}
	if err := ctx.RegisterComponentResource("koprogo:monitoring:GrafanaContent", name, c, opts...); err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{})
}
