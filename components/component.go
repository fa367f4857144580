package components

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// typePrefix is the package part of every component's type token.
const typePrefix = "koprogo:monitoring:"

// TypeToken is the type token of a component: koprogo:monitoring:<Go type
// name>, so a component cannot be registered under another type's token.
func TypeToken[T any]() string { return typePrefix + reflect.TypeFor[T]().Name() }

// newComponent registers a component of type T, lets build register its
// children (with the component as their parent) and fill its fields, then
// registers as the component's outputs every field tagged `pulumi:"name"`,
// embedded structs included. It is the one place that knows how a
// component is registered, so each component only says what it builds.
func newComponent[T any, P interface {
	*T
	pulumi.ComponentResource
}](ctx *pulumi.Context, name string, build func(c P) error, opts ...pulumi.ResourceOption) (P, error) {
	c := P(new(T))
	if err := ctx.RegisterComponentResource(TypeToken[T](), name, c, opts...); err != nil {
		return nil, err
	}
	if err := build(c); err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, taggedOutputs(reflect.ValueOf(c).Elem()))
}

// taggedOutputs collects the fields tagged `pulumi:"name"` of a struct and
// of its embedded structs.
func taggedOutputs(v reflect.Value) pulumi.Map {
	out := pulumi.Map{}
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		if !f.IsExported() || f.Type == reflect.TypeFor[pulumi.ResourceState]() {
			continue
		}
		if name, ok := f.Tag.Lookup("pulumi"); ok {
			if in, isInput := fv.Interface().(pulumi.Input); isInput {
				out[name] = in
			}
			continue
		}
		if f.Anonymous && fv.Kind() == reflect.Struct {
			for k, in := range taggedOutputs(fv) {
				out[k] = in
			}
		}
	}
	return out
}
