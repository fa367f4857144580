package grafanaprovider

import (
	"errors"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Folder is a Grafana dashboard folder.
type Folder struct {
	pulumi.CustomResourceState

	// Title is the folder's title.
	Title pulumi.StringOutput `pulumi:"title"`
	// Uid is the folder's unique identifier (dashboards refer to it).
	Uid pulumi.StringOutput `pulumi:"uid"`
	// Url is the folder's full URL.
	Url pulumi.StringOutput `pulumi:"url"`
}

// NewFolder registers a folder.
func NewFolder(ctx *pulumi.Context, name string, args *FolderArgs, opts ...pulumi.ResourceOption) (*Folder, error) {
	if args == nil {
		return nil, errors.New("missing one or more required arguments")
	}
	if args.Title == nil {
		return nil, errors.New("invalid value for required argument 'Title'")
	}
	opts = pkgResourceDefaultOpts(opts)
	var resource Folder
	if err := ctx.RegisterResource(folderToken, name, args, &resource, opts...); err != nil {
		return nil, err
	}
	return &resource, nil
}

type folderArgs struct {
	Title string  `pulumi:"title"`
	Uid   *string `pulumi:"uid"`
}

// FolderArgs configures a folder.
type FolderArgs struct {
	// Title is the folder's title (required).
	Title pulumi.StringInput
	// Uid is a fixed identifier; changing it replaces the folder.
	Uid pulumi.StringPtrInput
}

// ElementType is the plain type the args resolve to.
func (FolderArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*folderArgs)(nil)).Elem()
}
