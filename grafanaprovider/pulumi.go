// Package grafanaprovider is a small typed Pulumi binding for the pulumiverse
// Grafana provider (plugin 2.38.0). The generated Go SDK
// (github.com/pulumiverse/pulumi-grafana/sdk/v2) cannot be downloaded here, so
// this package mirrors its shape for exactly the resources the program uses:
// the provider, Folder, DataSource and Dashboard. Type tokens, property names,
// required inputs and secret flags are checked against the real provider
// schema by the package tests.
package grafanaprovider

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

const (
	// PluginVersion is the provider plugin `pulumi up` installs.
	PluginVersion = "2.38.0"
	// PluginDownloadURL is where the engine downloads that plugin from (the
	// plugin is published by pulumiverse, not by Pulumi).
	PluginDownloadURL = "github://api.github.com/pulumiverse"
)

// Resource type tokens, as in the provider schema.
const (
	providerToken   = "pulumi:providers:grafana"
	folderToken     = "grafana:oss/folder:Folder"
	dataSourceToken = "grafana:oss/dataSource:DataSource"
	dashboardToken  = "grafana:oss/dashboard:Dashboard"
)

// pkgResourceDefaultOpts pins the plugin version and download URL on every
// resource, as the generated SDK's internal.PkgResourceDefaultOpts does, so
// the engine installs and uses grafana 2.38.0 from pulumiverse's releases.
// Caller options come last and win.
func pkgResourceDefaultOpts(opts []pulumi.ResourceOption) []pulumi.ResourceOption {
	defaults := []pulumi.ResourceOption{
		pulumi.PluginDownloadURL(PluginDownloadURL),
		pulumi.Version(PluginVersion),
	}
	return append(defaults, opts...)
}
