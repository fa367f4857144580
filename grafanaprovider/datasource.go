package grafanaprovider

import (
	"errors"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DataSource is a Grafana datasource.
type DataSource struct {
	pulumi.CustomResourceState

	// AccessMode is "proxy" (the Grafana server queries) or "direct".
	AccessMode pulumi.StringPtrOutput `pulumi:"accessMode"`
	// BasicAuthEnabled and BasicAuthUsername: Grafana authenticates to the
	// datasource; the password goes in secureJsonData (basicAuthPassword).
	BasicAuthEnabled  pulumi.BoolPtrOutput   `pulumi:"basicAuthEnabled"`
	BasicAuthUsername pulumi.StringPtrOutput `pulumi:"basicAuthUsername"`
	// HttpHeaders are custom HTTP headers sent to the datasource (secret).
	HttpHeaders pulumi.StringMapOutput `pulumi:"httpHeaders"`
	// IsDefault marks the organisation's default datasource.
	IsDefault pulumi.BoolPtrOutput `pulumi:"isDefault"`
	// JsonDataEncoded is the datasource's jsonData as a JSON string.
	JsonDataEncoded pulumi.StringPtrOutput `pulumi:"jsonDataEncoded"`
	// Name is the datasource's display name.
	Name pulumi.StringOutput `pulumi:"name"`
	// SecureJsonDataEncoded is the datasource's secureJsonData as a JSON string (secret).
	SecureJsonDataEncoded pulumi.StringPtrOutput `pulumi:"secureJsonDataEncoded"`
	// Type is the datasource plugin id, e.g. "prometheus".
	Type pulumi.StringOutput `pulumi:"type"`
	// Uid is the datasource's unique identifier (dashboards refer to it).
	Uid pulumi.StringOutput `pulumi:"uid"`
	// Url is the address Grafana queries.
	Url pulumi.StringPtrOutput `pulumi:"url"`
}

// dataSourceSecrets are the DataSource inputs the schema marks secret.
var dataSourceSecrets = []string{"httpHeaders", "secureJsonDataEncoded"}

// NewDataSource registers a datasource.
func NewDataSource(ctx *pulumi.Context, name string, args *DataSourceArgs, opts ...pulumi.ResourceOption) (*DataSource, error) {
	if args == nil {
		return nil, errors.New("missing one or more required arguments")
	}
	if args.Type == nil {
		return nil, errors.New("invalid value for required argument 'Type'")
	}
	if args.HttpHeaders != nil {
		args.HttpHeaders = pulumi.ToSecret(args.HttpHeaders).(pulumi.StringMapInput)
	}
	if args.SecureJsonDataEncoded != nil {
		args.SecureJsonDataEncoded = pulumi.ToSecret(args.SecureJsonDataEncoded).(pulumi.StringPtrInput)
	}
	opts = append(opts, pulumi.AdditionalSecretOutputs(dataSourceSecrets))
	opts = pkgResourceDefaultOpts(opts)
	var resource DataSource
	if err := ctx.RegisterResource(dataSourceToken, name, args, &resource, opts...); err != nil {
		return nil, err
	}
	return &resource, nil
}

type dataSourceArgs struct {
	AccessMode            *string           `pulumi:"accessMode"`
	BasicAuthEnabled      *bool             `pulumi:"basicAuthEnabled"`
	BasicAuthUsername     *string           `pulumi:"basicAuthUsername"`
	HttpHeaders           map[string]string `pulumi:"httpHeaders"`
	IsDefault             *bool             `pulumi:"isDefault"`
	JsonDataEncoded       *string           `pulumi:"jsonDataEncoded"`
	Name                  *string           `pulumi:"name"`
	SecureJsonDataEncoded *string           `pulumi:"secureJsonDataEncoded"`
	Type                  string            `pulumi:"type"`
	Uid                   *string           `pulumi:"uid"`
	Url                   *string           `pulumi:"url"`
}

// DataSourceArgs configures a datasource.
type DataSourceArgs struct {
	// AccessMode is "proxy" (default) or "direct".
	AccessMode pulumi.StringPtrInput
	// BasicAuthEnabled and BasicAuthUsername: the password is
	// secureJsonData's basicAuthPassword.
	BasicAuthEnabled  pulumi.BoolPtrInput
	BasicAuthUsername pulumi.StringPtrInput
	// HttpHeaders are custom HTTP headers; made secret.
	HttpHeaders pulumi.StringMapInput
	// IsDefault marks the organisation's default datasource.
	IsDefault pulumi.BoolPtrInput
	// JsonDataEncoded is jsonData serialised as JSON.
	JsonDataEncoded pulumi.StringPtrInput
	// Name is the display name (must be unique in the organisation).
	Name pulumi.StringPtrInput
	// SecureJsonDataEncoded is secureJsonData serialised as JSON; made secret.
	SecureJsonDataEncoded pulumi.StringPtrInput
	// Type is the datasource plugin id (required).
	Type pulumi.StringInput
	// Uid is a fixed identifier; changing it replaces the datasource.
	Uid pulumi.StringPtrInput
	// Url is the address Grafana queries.
	Url pulumi.StringPtrInput
}

// ElementType is the plain type the args resolve to.
func (DataSourceArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*dataSourceArgs)(nil)).Elem()
}
