package components

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/dashboards"
	"github.com/koprogo/koprogo-monitoring/grafanaprovider"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

// GrafanaContentArgs configures what is pushed through the Grafana provider.
type GrafanaContentArgs struct {
	APIURL        string              // where the provider reaches Grafana's HTTP API
	Layout        topology.Layout     // internal URLs of Prometheus, Loki, Alertmanager for the datasources
	Thresholds    config.Thresholds   // the dashboards' red steps, as the alert rules' thresholds
	AdminUser     string              // Grafana admin login
	AdminPassword pulumi.StringOutput // secret
	// PrometheusAuth is how Grafana logs in to Prometheus when its
	// endpoints require basic auth (agent hosts); nil = they do not.
	PrometheusAuth *DatasourceAuth
	// Grafana is what makes Grafana ready for the admin's login: the
	// admin password reset, which runs once the container is healthy. Every
	// provider resource waits for it.
	Grafana pulumi.Resource
	// CustomDashboardsDir holds operators' dashboard JSON files
	// (dashboards.CustomDir, relative to the project directory); "" = none.
	CustomDashboardsDir string
}

// DatasourceAuth is a basic-auth login of Grafana to a datasource.
type DatasourceAuth struct {
	Username string
	Password pulumi.StringOutput // secret
}

// GrafanaContent owns the Grafana provider, the datasources, the folder and
// the dashboards.
type GrafanaContent struct {
	pulumi.ResourceState

	Provider    *grafanaprovider.Provider
	Folder      *grafanaprovider.Folder
	DataSources []*grafanaprovider.DataSource // Prometheus, Loki, Alertmanager
	Dashboards  []*grafanaprovider.Dashboard  // built-in, then custom

	FolderURL     pulumi.StringOutput    `pulumi:"folderUrl"`
	DashboardURLs pulumi.StringMapOutput `pulumi:"dashboardUrls"` // by dashboard UID
}

// datasource is one Grafana datasource this stack creates.
type datasource struct {
	svc       services.Name
	typ, uid  string
	name      string
	isDefault bool
	jsonData  map[string]any
}

// datasources are the stack's datasources. The UIDs are fixed: dashboards
// refer to them. The names are explicit so that a datasource created by
// hand with the same default name cannot clash.
func datasources() []datasource {
	return []datasource{
		{services.Prometheus, dashboards.TypePrometheus, dashboards.PrometheusUID, "Prometheus", true, map[string]any{
			// POST keeps long dashboard queries out of URLs and logs.
			"httpMethod": "POST",
			// The scrape interval: Grafana's $__rate_interval is at least
			// four of these, so a rate() always spans several samples.
			"timeInterval": promconfig.ScrapeInterval.String(),
			// Rules live in files rendered by this program; editing them
			// from Grafana's UI would be lost on the next deploy.
			"manageAlerts":    false,
			"alertmanagerUid": dashboards.AlertmanagerUID,
		}},
		{services.Loki, dashboards.TypeLoki, dashboards.LokiUID, "Loki", false, map[string]any{
			"maxLines": 1000,
		}},
		{services.Alertmanager, dashboards.TypeAlertmanager, dashboards.AlertmanagerUID, "Alertmanager", false, map[string]any{
			"implementation": "prometheus",
			// Grafana-managed alerts are not used: alerting runs in
			// Prometheus and Alertmanager.
			"handleGrafanaManagedAlerts": false,
		}},
	}
}

// NewGrafanaContent registers the Grafana provider and everything pushed
// through it. The provider talks to Grafana at grafanaApiUrl (the local end
// of an SSH tunnel by default) as the admin user; every resource depends on
// the Grafana container, which is healthy once created.
func NewGrafanaContent(ctx *pulumi.Context, name string, args *GrafanaContentArgs, opts ...pulumi.ResourceOption) (*GrafanaContent, error) {
	if args == nil || args.Grafana == nil || args.AdminUser == "" {
		return nil, errors.New("GrafanaContent needs the Grafana container and the admin user")
	}
	// Everything that can fail without Pulumi is done first, so a broken
	// custom dashboard stops the program before any resource is registered.
	boards, err := dashboards.Builtin(args.Thresholds)
	if err != nil {
		return nil, err
	}
	if args.CustomDashboardsDir != "" {
		custom, err := dashboards.LoadCustom(args.CustomDashboardsDir)
		if err != nil {
			return nil, err
		}
		boards = append(boards, custom...)
	}
	type dsInput struct {
		ds       datasource
		url      string
		jsonData string
	}
	var dsInputs []dsInput
	for _, ds := range datasources() {
		target, ok := args.Layout.Targets[ds.svc]
		if !ok || target.Address == "" {
			return nil, fmt.Errorf("layout has no address for %s", ds.svc)
		}
		jsonData, err := json.Marshal(ds.jsonData)
		if err != nil {
			return nil, err
		}
		dsInputs = append(dsInputs, dsInput{ds, "http://" + target.Address, string(jsonData)})
	}

	return newComponent(ctx, name, func(c *GrafanaContent) error {
		afterGrafana := pulumi.DependsOn([]pulumi.Resource{args.Grafana})
		var err error
		if c.Provider, err = grafanaprovider.NewProvider(ctx, name+"-provider", &grafanaprovider.ProviderArgs{
			Url:  pulumi.String(args.APIURL),
			Auth: pulumi.Sprintf("%s:%s", args.AdminUser, args.AdminPassword),
		}, pulumi.Parent(c), afterGrafana); err != nil {
			return err
		}
		through := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(c.Provider), afterGrafana}

		for _, in := range dsInputs {
			dsArgs := &grafanaprovider.DataSourceArgs{
				Type:            pulumi.String(in.ds.typ),
				Name:            pulumi.String(in.ds.name),
				Uid:             pulumi.String(in.ds.uid),
				Url:             pulumi.String(in.url),
				AccessMode:      pulumi.String("proxy"),
				IsDefault:       pulumi.Bool(in.ds.isDefault),
				JsonDataEncoded: pulumi.String(in.jsonData),
			}
			if a := args.PrometheusAuth; a != nil && in.ds.svc == services.Prometheus {
				dsArgs.BasicAuthEnabled = pulumi.Bool(true)
				dsArgs.BasicAuthUsername = pulumi.String(a.Username)
				dsArgs.SecureJsonDataEncoded = a.Password.ApplyT(func(pw string) (string, error) {
					b, err := json.Marshal(map[string]string{"basicAuthPassword": pw})
					return string(b), err
				}).(pulumi.StringOutput)
			}
			ds, err := grafanaprovider.NewDataSource(ctx, name+"-datasource-"+in.ds.typ, dsArgs, through...)
			if err != nil {
				return err
			}
			c.DataSources = append(c.DataSources, ds)
		}

		if c.Folder, err = grafanaprovider.NewFolder(ctx, name+"-folder", &grafanaprovider.FolderArgs{
			Title: pulumi.String(dashboards.FolderTitle),
			Uid:   pulumi.String(dashboards.FolderUID),
		}, through...); err != nil {
			return err
		}
		urls := pulumi.StringMap{}
		for _, b := range boards {
			d, err := grafanaprovider.NewDashboard(ctx, name+"-dashboard-"+b.UID, &grafanaprovider.DashboardArgs{
				ConfigJson: pulumi.String(string(b.JSON)),
				Folder:     c.Folder.Uid.ToStringPtrOutput(),
				// A dashboard with the same UID made by hand (or left by a
				// lost state) is taken over instead of failing the update.
				Overwrite: pulumi.Bool(true),
			}, through...)
			if err != nil {
				return err
			}
			c.Dashboards = append(c.Dashboards, d)
			urls[b.UID] = d.Url
		}
		c.FolderURL = c.Folder.Url
		c.DashboardURLs = urls.ToStringMapOutput()
		return nil
	}, opts...)
}
