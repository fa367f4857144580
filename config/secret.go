package config

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/config/pgdsn"
)

// Secret holds a secret configuration value. It never prints its value, and
// the only way to hand it to a resource is Output, which is marked secret.
type Secret struct {
	value string
}

// NewSecret wraps a value read from encrypted config (or a test fixture).
func NewSecret(v string) Secret { return Secret{value: v} }

// IsSet reports whether a value was configured.
func (s Secret) IsSet() bool { return s.value != "" }

// String hides the value from fmt, logs and error messages.
func (s Secret) String() string { return "[secret]" }

// GoString hides the value from %#v.
func (s Secret) GoString() string { return "config.Secret{[secret]}" }

// Output returns the value as a secret Pulumi output.
func (s Secret) Output() pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.String(s.value)).(pulumi.StringOutput)
}

// secretValue reads a secret key. Its value is never trimmed nor quoted in a
// message; whether it was stored encrypted is checked by Parse.
type secretValue struct {
	p *Secret
	// required is the message when the key is unset; "" = optional.
	required string
	// check validates a set value; nil accepts any.
	check func(v string) error
}

func (s secretValue) Set(v string) error {
	if v == "" {
		if s.required != "" {
			return problem(s.required)
		}
		return nil
	}
	// Never quoted. A trailing newline (from `echo` or a file) or white
	// space around the value would be part of the secret for one reader and
	// stripped by another (Alertmanager trims the SMTP password file; the
	// Grafana provider's basic auth keeps it).
	if strings.TrimSpace(v) != v {
		return problem("begins or ends with white space or a newline; allowed: the value without it (`pulumi config set --secret KEY -- \"$(cat file)\"` keeps a file's trailing newline out)")
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return problem("contains a control character; allowed: printable characters only")
	}
	*s.p = NewSecret(v)
	if s.check != nil {
		return s.check(v)
	}
	return nil
}

// checkDSN uses the same split postgres_exporter's files are made of, so a
// DSN accepted here cannot fail at deployment. pgdsn errors never quote the
// DSN.
func checkDSN(v string) error {
	if _, err := pgdsn.Split(v); err != nil {
		return problemf("is not usable (%v); allowed: postgresql://user:password@host:port/database?sslmode=...", err)
	}
	return nil
}

func checkSecretURL(v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return problem("is not a URL; allowed: http(s)://host/path")
	}
	return nil
}

// MinAdminPasswordLength is enforced on a configured Grafana admin password.
const MinAdminPasswordLength = 20

func checkAdminPassword(v string) error {
	if len([]rune(v)) < MinAdminPasswordLength {
		return problemf("is too short; allowed: at least %d characters, or unset to generate one", MinAdminPasswordLength)
	}
	return nil
}
