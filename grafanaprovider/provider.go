package grafanaprovider

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Provider is an explicit instance of the Grafana provider. Resources use it
// through pulumi.Provider(p).
type Provider struct {
	pulumi.ProviderResourceState

	// Auth is the API token or "user:password" (secret).
	Auth pulumi.StringPtrOutput `pulumi:"auth"`
	// Url is the root URL of the Grafana server.
	Url pulumi.StringPtrOutput `pulumi:"url"`
}

// providerSecrets are the provider inputs the schema marks secret.
var providerSecrets = []string{"auth"}

// NewProvider registers a Grafana provider instance.
func NewProvider(ctx *pulumi.Context, name string, args *ProviderArgs, opts ...pulumi.ResourceOption) (*Provider, error) {
	if args == nil {
		args = &ProviderArgs{}
	}
	if args.Auth != nil {
		args.Auth = pulumi.ToSecret(args.Auth).(pulumi.StringPtrInput)
	}
	opts = append(opts, pulumi.AdditionalSecretOutputs(providerSecrets))
	opts = pkgResourceDefaultOpts(opts)
	var resource Provider
	if err := ctx.RegisterResource(providerToken, name, args, &resource, opts...); err != nil {
		return nil, err
	}
	return &resource, nil
}

type providerArgs struct {
	Auth *string `pulumi:"auth"`
	Url  *string `pulumi:"url"`
}

// ProviderArgs configures the provider. Both are optional in the schema (the
// plugin falls back to GRAFANA_AUTH / GRAFANA_URL), this program always sets them.
type ProviderArgs struct {
	// Auth is an API token or basic auth as "user:password"; made secret.
	Auth pulumi.StringPtrInput
	// Url is the root URL of the Grafana server, e.g. http://127.0.0.1:3001.
	Url pulumi.StringPtrInput
}

// ElementType is the plain type the args resolve to.
func (ProviderArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*providerArgs)(nil)).Elem()
}
