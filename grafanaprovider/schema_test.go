package grafanaprovider

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// schemaFile is an excerpt of the real Pulumi schema of the pulumiverse
// grafana provider, release 2.38.0 (terraform-provider-grafana v4.44.0),
// verbatim from provider/cmd/pulumi-resource-grafana/schema.json of
// github.com/pulumiverse/pulumi-grafana: the package name,
// pluginDownloadURL, the provider's config and inputs, and the Folder,
// DataSource, Dashboard and alerting resources with every type they
// reference. It is the tests' own data, so a clone needs nothing beside it.
const schemaFile = "testdata/schema-excerpt.json"

type schemaProperty struct {
	Type                 string          `json:"type"`
	Secret               bool            `json:"secret"`
	AdditionalProperties *schemaProperty `json:"additionalProperties"`
}

type schemaResource struct {
	InputProperties map[string]schemaProperty `json:"inputProperties"`
	RequiredInputs  []string                  `json:"requiredInputs"`
	Properties      map[string]schemaProperty `json:"properties"`
	Required        []string                  `json:"required"`
}

type providerSchema struct {
	Source            string                    `json:"_source"`
	Name              string                    `json:"name"`
	PluginDownloadURL string                    `json:"pluginDownloadURL"`
	Provider          schemaResource            `json:"provider"`
	Resources         map[string]schemaResource `json:"resources"`
}

func loadSchema(t *testing.T) providerSchema {
	t.Helper()
	path := schemaFile
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s providerSchema
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(s.Resources) == 0 || len(s.Provider.InputProperties) == 0 {
		t.Fatalf("%s holds no resources or provider inputs", path)
	}
	return s
}

// binding is one resource type of this package, as the test sees it.
type binding struct {
	token   string
	args    interface{ ElementType() reflect.Type } // the Args struct
	outputs any                                     // the resource struct
	secrets []string                                // inputs the constructor makes secret
}

var bindings = []binding{
	{providerToken, ProviderArgs{}, Provider{}, providerSecrets},
	{folderToken, FolderArgs{}, Folder{}, nil},
	{dataSourceToken, DataSourceArgs{}, DataSource{}, dataSourceSecrets},
	{dashboardToken, DashboardArgs{}, Dashboard{}, nil},
}

func (s providerSchema) resource(t *testing.T, token string) schemaResource {
	t.Helper()
	if token == providerToken {
		return s.Provider
	}
	r, ok := s.Resources[token]
	if !ok {
		t.Fatalf("type token %s is not in the provider schema", token)
	}
	return r
}

// pulumiTags maps each `pulumi:"name"` tag of a struct to its field type.
func pulumiTags(typ reflect.Type) map[string]reflect.Type {
	tags := map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if name, ok := f.Tag.Lookup("pulumi"); ok {
			tags[name] = f.Type
		}
	}
	return tags
}

// goType is the plain Go type a schema property unmarshals to, optional
// properties as pointers (maps are optional by being nil).
func goType(p schemaProperty, required bool) reflect.Type {
	var t reflect.Type
	switch p.Type {
	case "string":
		t = reflect.TypeOf("")
	case "boolean":
		t = reflect.TypeOf(false)
	case "integer":
		t = reflect.TypeOf(0)
	case "object":
		if p.AdditionalProperties != nil && p.AdditionalProperties.Type == "string" {
			return reflect.TypeOf(map[string]string{})
		}
		return nil
	default:
		return nil
	}
	if !required {
		t = reflect.PointerTo(t)
	}
	return t
}

func TestPackageMatchesSchema(t *testing.T) {
	s := loadSchema(t)
	if providerToken != "pulumi:providers:"+s.Name {
		t.Errorf("provider token %s, schema package is %q", providerToken, s.Name)
	}
	if PluginDownloadURL != s.PluginDownloadURL {
		t.Errorf("PluginDownloadURL %q, schema says %q", PluginDownloadURL, s.PluginDownloadURL)
	}
	if !strings.Contains(s.Source, "tag v"+PluginVersion+";") {
		t.Errorf("PluginVersion %s does not match the schema's release (%s)", PluginVersion, s.Source)
	}
}

func TestInputsMatchSchema(t *testing.T) {
	s := loadSchema(t)
	for _, b := range bindings {
		t.Run(b.token, func(t *testing.T) {
			r := s.resource(t, b.token)
			tags := pulumiTags(b.args.ElementType())
			if len(tags) == 0 {
				t.Fatal("args have no pulumi tags")
			}
			var schemaSecrets []string
			for name, typ := range tags {
				p, ok := r.InputProperties[name]
				if !ok {
					t.Errorf("input %q is not an input property of %s", name, b.token)
					continue
				}
				required := slices.Contains(r.RequiredInputs, name)
				if want := goType(p, required); want != typ {
					t.Errorf("input %q: binding type %v, schema (type %s, required %v) gives %v", name, typ, p.Type, required, want)
				}
				if p.Secret {
					schemaSecrets = append(schemaSecrets, name)
				}
			}
			for _, name := range r.RequiredInputs {
				if _, ok := tags[name]; !ok {
					t.Errorf("required input %q of %s is missing from the binding", name, b.token)
				}
			}
			sort.Strings(schemaSecrets)
			got := slices.Sorted(slices.Values(b.secrets))
			if !slices.Equal(got, schemaSecrets) {
				t.Errorf("secret inputs: binding makes %v secret, schema marks %v", got, schemaSecrets)
			}
		})
	}
}

func TestOutputsMatchSchema(t *testing.T) {
	s := loadSchema(t)
	outputType := reflect.TypeOf((*pulumi.Output)(nil)).Elem()
	for _, b := range bindings {
		t.Run(b.token, func(t *testing.T) {
			r := s.resource(t, b.token)
			tags := pulumiTags(reflect.TypeOf(b.outputs))
			if len(tags) == 0 {
				t.Fatal("resource has no output fields")
			}
			for name, typ := range tags {
				p, ok := r.Properties[name]
				if !ok {
					t.Errorf("output %q is not a property of %s", name, b.token)
					continue
				}
				if !typ.Implements(outputType) {
					t.Errorf("output %q has type %v, not a pulumi output", name, typ)
					continue
				}
				elem := reflect.Zero(typ).Interface().(pulumi.Output).ElementType()
				// A provider's properties are never returned as required.
				required := b.token != providerToken && slices.Contains(r.Required, name)
				if want := goType(p, required); want != elem {
					t.Errorf("output %q: binding resolves to %v, schema (type %s, required %v) gives %v", name, elem, p.Type, required, want)
				}
			}
		})
	}
}
