// Package stacks gives tests stack configurations as the engine delivers
// them: the real Pulumi.<stack>.yaml files, and one minimal valid
// configuration, with distinctive test secrets.
package stacks

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit"
)

// Secrets are distinctive values for the secret keys, so that a leak into
// a plain input or a message is found by searching for them.
type Secrets struct {
	DSNPassword, SMTPPassword, DeadMansURL, AdminPassword string
}

// DSN is the PostgreSQL DSN holding DSNPassword.
func (s Secrets) DSN() string {
	return "postgresql://monitor:" + s.DSNPassword + "@postgres:5432/koprogo?sslmode=disable"
}

// SecretsFor returns the test secrets of a stack. Staging sets the Grafana
// admin password; every other stack leaves it to be generated.
func SecretsFor(stack string) Secrets {
	s := Secrets{
		DSNPassword:  "pg-" + stack + "-Pw9x",
		SMTPPassword: "smtp-" + stack + "-Pw4k",
		DeadMansURL:  "https://hc-ping.example/" + stack + "-uuid-Dm3",
	}
	if stack == "staging" {
		s.AdminPassword = "staging-admin-password-Ad7-long"
	}
	return s
}

// Config is a stack configuration as the engine delivers it: raw values
// by key (without the project prefix) and which of them are secret.
type Config struct {
	Values map[string]string
	Secret map[string]bool
}

// Set sets a key (a secret one stored encrypted); "" deletes it.
func (c Config) Set(key, value string, secret bool) {
	if value == "" {
		delete(c.Values, key)
		delete(c.Secret, key)
		return
	}
	c.Values[key] = value
	c.Secret[key] = secret
}

// With returns a copy with plain values set ("" deletes a key).
func (c Config) With(values map[string]string) Config {
	out := Config{Values: maps.Clone(c.Values), Secret: maps.Clone(c.Secret)}
	for k, v := range values {
		out.Set(k, v, c.Secret[k])
	}
	return out
}

// Parse parses the configuration with config.Parse, failing the test on a
// problem.
func (c Config) Parse(t testing.TB, stack string) config.Settings {
	t.Helper()
	s, err := config.Parse(stack, c.Values, c.Secret)
	if err != nil {
		t.Fatalf("the %s configuration does not validate:\n%v", stack, err)
	}
	return s
}

// Minimal is the smallest valid configuration: the defaults plus the
// required keys (the PostgreSQL DSN and, alerts being on by default, the
// SMTP settings), with the secrets of SecretsFor("test").
func Minimal() Config {
	sec := SecretsFor("test")
	c := Config{Values: map[string]string{}, Secret: map[string]bool{}}
	c.Set("postgresDsn", sec.DSN(), true)
	c.Set("smtpHost", "smtp.example.com", false)
	c.Set("smtpFrom", "alerts@example.com", false)
	c.Set("smtpTo", "ops@example.com,oncall@example.com", false)
	c.Set("smtpUsername", "alerts@example.com", false)
	c.Set("smtpPassword", sec.SMTPPassword, true)
	return c
}

// File reads the real Pulumi.<stack>.yaml (the test fails when it is
// missing) and fills every secret key with SecretsFor(stack): the file
// holds the operator's values encrypted, or none.
func File(t testing.TB, stack string) Config {
	t.Helper()
	path := filepath.Join(testkit.RepoRoot(t), "Pulumi."+stack+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	var f struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := Config{Values: map[string]string{}, Secret: map[string]bool{}}
	for k, v := range f.Config {
		name, ok := strings.CutPrefix(k, config.Project+":")
		if !ok {
			continue // another namespace (a provider's keys)
		}
		switch v := v.(type) {
		case map[string]any:
			// An operator's `pulumi config set --secret` value: replaced
			// below by the test's own value.
			if _, enc := v["secure"]; !enc {
				t.Fatalf("%s: %s holds a structured value; the program expects a string", path, k)
			}
		case []any:
			b, _ := json.Marshal(v)
			c.Values[name] = string(b)
		default:
			c.Values[name] = fmt.Sprint(v)
		}
	}
	sec := SecretsFor(stack)
	c.Set("postgresDsn", sec.DSN(), true)
	c.Set("smtpPassword", sec.SMTPPassword, true)
	c.Set("deadMansSwitchUrl", sec.DeadMansURL, true)
	c.Set("grafanaAdminPassword", sec.AdminPassword, true)
	return c
}
