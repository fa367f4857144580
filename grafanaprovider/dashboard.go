package grafanaprovider

import (
	"errors"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Dashboard is a Grafana dashboard.
type Dashboard struct {
	pulumi.CustomResourceState

	// ConfigJson is the dashboard model as JSON.
	ConfigJson pulumi.StringOutput `pulumi:"configJson"`
	// DashboardId is Grafana's numeric id of the dashboard.
	DashboardId pulumi.IntOutput `pulumi:"dashboardId"`
	// Folder is the UID of the folder holding the dashboard.
	Folder pulumi.StringPtrOutput `pulumi:"folder"`
	// Overwrite replaces a dashboard with the same UID that Pulumi did not create.
	Overwrite pulumi.BoolPtrOutput `pulumi:"overwrite"`
	// Uid is the dashboard's unique identifier (from configJson).
	Uid pulumi.StringOutput `pulumi:"uid"`
	// Url is the dashboard's full URL.
	Url pulumi.StringOutput `pulumi:"url"`
	// Version is Grafana's revision counter of the dashboard.
	Version pulumi.IntOutput `pulumi:"version"`
}

// NewDashboard registers a dashboard.
func NewDashboard(ctx *pulumi.Context, name string, args *DashboardArgs, opts ...pulumi.ResourceOption) (*Dashboard, error) {
	if args == nil {
		return nil, errors.New("missing one or more required arguments")
	}
	if args.ConfigJson == nil {
		return nil, errors.New("invalid value for required argument 'ConfigJson'")
	}
	opts = pkgResourceDefaultOpts(opts)
	var resource Dashboard
	if err := ctx.RegisterResource(dashboardToken, name, args, &resource, opts...); err != nil {
		return nil, err
	}
	return &resource, nil
}

type dashboardArgs struct {
	ConfigJson string  `pulumi:"configJson"`
	Folder     *string `pulumi:"folder"`
	Overwrite  *bool   `pulumi:"overwrite"`
}

// DashboardArgs configures a dashboard.
type DashboardArgs struct {
	// ConfigJson is the dashboard model as JSON (required).
	ConfigJson pulumi.StringInput
	// Folder is the UID of the folder to put the dashboard in.
	Folder pulumi.StringPtrInput
	// Overwrite replaces a dashboard with the same UID that Pulumi did not create.
	Overwrite pulumi.BoolPtrInput
}

// ElementType is the plain type the args resolve to.
func (DashboardArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*dashboardArgs)(nil)).Elem()
}
