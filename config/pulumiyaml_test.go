package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"

	. "github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit"
)

// projectConfig renders Keys as the `config:` section of Pulumi.yaml, so that
// `pulumi config` users see the same keys, types, defaults and meanings as
// the README. Pulumi applies a declared default to the configuration it
// hands the program, and refuses a value of the wrong type before the
// program runs. A required secret (no default) is declared `secret: true`:
// Pulumi then refuses it in plain text. An optional secret cannot be: Pulumi
// would refuse its own empty default as unencrypted, so config.Parse checks
// it instead.
func projectConfig() *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	for _, k := range Keys {
		decl := &yaml.Node{Kind: yaml.MappingNode}
		add := func(key string, v *yaml.Node) { decl.Content = append(decl.Content, str(key), v) }
		add("type", str(k.Type()))
		add("description", str(k.Doc))
		if k.Required {
			add("secret", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		} else {
			def := &yaml.Node{Kind: yaml.ScalarNode, Value: k.Default, Style: yaml.DoubleQuotedStyle}
			switch k.Type() {
			case "integer":
				def = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: k.Default}
			case "boolean":
				def = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: k.Default}
			}
			add("default", def)
		}
		m.Content = append(m.Content, str(k.Name), decl)
	}
	return m
}

// TestPulumiYAMLDeclaresEveryKey fails when the config section of
// Pulumi.yaml is not exactly Keys; -update rewrites it.
func TestPulumiYAMLDeclaresEveryKey(t *testing.T) {
	path := filepath.Join(testkit.RepoRoot(t), "Pulumi.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	top := doc.Content[0]
	want := projectConfig()
	var got *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "config" {
			got = top.Content[i+1]
			if *update {
				top.Content[i+1] = want
			}
		}
	}
	if got == nil && *update {
		top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "config"}, want)
	}
	if *update {
		var out bytes.Buffer
		enc := yaml.NewEncoder(&out)
		enc.SetIndent(2)
		if err := enc.Encode(&doc); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got == nil {
		t.Fatalf("Pulumi.yaml declares no config: run `go test ./config -update`")
	}
	encode := func(n *yaml.Node) string {
		b, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if encode(got) != encode(want) {
		t.Fatalf("the config section of Pulumi.yaml is out of date with config.Keys: run `go test ./config -update`")
	}
	// Every default is one Parse accepts with its type.
	for _, k := range Keys {
		if k.Type() == "integer" && k.Default != "" {
			if _, err := strconv.Atoi(k.Default); err != nil {
				t.Errorf("%s: default %q is not an integer", k.Name, k.Default)
			}
		}
	}
}
