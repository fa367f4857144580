package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"

	"github.com/koprogo/koprogo-monitoring/render/pgdsn"
)

// MinAdminPasswordLength is enforced on a configured Grafana admin password.
const MinAdminPasswordLength = 20

// Problems is every validation failure found, one line each, in key order.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

// parser collects problems while reading raw values, so that one run reports
// all of them instead of the first.
type parser struct {
	values   map[string]string
	secret   map[string]bool
	problems Problems
	known    map[string]Key
}

func (p *parser) addf(key, format string, args ...any) {
	p.problems = append(p.problems, key+": "+fmt.Sprintf(format, args...))
}

func (p *parser) raw(key string) string {
	k, ok := p.known[key]
	if !ok {
		panic("config: undeclared key " + key)
	}
	if v, ok := p.values[key]; ok {
		return v
	}
	return k.Default
}

func (p *parser) str(key string) string { return strings.TrimSpace(p.raw(key)) }

func (p *parser) boolean(key string) bool {
	v := p.str(key)
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.addf(key, "%q is not a boolean; allowed: true or false", v)
	}
	return b
}

func (p *parser) intIn(key string, lo, hi int) int {
	v := p.str(key)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.addf(key, "%q is out of range; allowed: a whole number from %d to %d", v, lo, hi)
	}
	return n
}

func (p *parser) port(key string) int { return p.intIn(key, 1, 65535) }

func (p *parser) percent(key string) float64 {
	v := p.str(key)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f >= 100 {
		p.addf(key, "%q is out of range; allowed: a number above 0 and below 100", v)
	}
	return f
}

func (p *parser) positive(key string) float64 {
	v := p.str(key)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		p.addf(key, "%q is out of range; allowed: a number above 0", v)
	}
	return f
}

// secretValue reads a secret key, refusing a value stored in plain text.
func (p *parser) secretValue(key string) Secret {
	v, ok := p.values[key]
	if !ok || v == "" {
		return Secret{}
	}
	if !p.secret[key] {
		p.addf(key, "is stored in plain text; set it with `pulumi config set --secret %s`", key)
	}
	return NewSecret(v)
}

func (p *parser) list(key string) []string {
	var out []string
	for _, item := range strings.Split(p.str(key), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// imageRef accepts repo:tag (tag not "latest") or repo@sha256:<64 hex>.
var imageRef = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$`)

func (p *parser) image(key string) string {
	v := p.str(key)
	if !imageRef.MatchString(v) || strings.HasSuffix(v, ":latest") {
		p.addf(key, "%q is not a pinned image; allowed: repository:tag with an explicit version (not latest) or repository@sha256:<digest>", v)
	}
	return v
}

var hostPort = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[0-9]{1,5}$`)

func (p *parser) target(key string) string {
	v := p.str(key)
	if !hostPort.MatchString(v) {
		p.addf(key, "%q is not a scrape target; allowed: host:port", v)
		return v
	}
	if port, _ := strconv.Atoi(v[strings.LastIndex(v, ":")+1:]); port < 1 || port > 65535 {
		p.addf(key, "%q is not a scrape target; allowed: host:port", v)
	}
	return v
}

func (p *parser) httpURL(key string) string {
	v := p.str(key)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.addf(key, "%q is not a URL; allowed: http(s)://host[:port][/path]", v)
	}
	return v
}

func (p *parser) email(key, v string) {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		p.addf(key, "%q is not an e-mail address; allowed: name@domain", v)
	}
}

var (
	dnsName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	// dockerObjectName is what Docker accepts for container and network names.
	dockerObjectName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
)

const dockerHostAllowed = "allowed: ssh://user@host[:port], unix:///path/to/docker.sock, or empty for the local socket"

// Parse builds Settings from raw stack values (key without project prefix →
// value) and the set of keys that were stored encrypted. It reports every
// problem at once; no message ever contains a secret's value.
func Parse(stack string, values map[string]string, secret map[string]bool) (Settings, error) {
	p := &parser{values: values, secret: secret, known: map[string]Key{}}
	for _, k := range Keys {
		p.known[k.Name] = k
	}
	var s Settings
	s.Stack = stack

	// Unknown keys are typos: a silently ignored key is a setting that never applied.
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if _, ok := p.known[name]; !ok {
			p.addf(name, "is not a known key; see the configuration table in README.md")
		}
	}

	s.DockerHost = p.str("dockerHost")
	if h := s.DockerHost; h != "" {
		u, err := url.Parse(h)
		switch {
		case err == nil && u.User != nil && hasPassword(u.User):
			// Not quoted: the value holds a password, which belongs in an
			// SSH key, not in the stack configuration.
			p.addf("dockerHost", "contains a password; %s, authenticated with an SSH key (ssh-agent or dockerSshOpts -i)", dockerHostAllowed)
		case err != nil || (u.Scheme != "ssh" && u.Scheme != "unix"),
			u.Scheme == "ssh" && (u.User == nil || u.User.Username() == "" || u.Hostname() == "" || (u.Path != "" && u.Path != "/")),
			u.Scheme == "unix" && (u.Path == "" || u.Host != ""):
			p.addf("dockerHost", "%q is not a Docker host; %s", h, dockerHostAllowed)
		}
	}
	if raw := p.str("dockerSshOpts"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &s.DockerSSHOpts); err != nil {
			p.addf("dockerSshOpts", "%q is not a JSON list of strings", raw)
		}
	}
	s.BindAddress = p.str("bindAddress")
	if net.ParseIP(s.BindAddress) == nil {
		p.addf("bindAddress", "%q is not an IP address; allowed: 127.0.0.1 (recommended) or another address of the host", s.BindAddress)
	}
	s.NamePrefix = p.str("namePrefix")
	if !dnsName.MatchString(s.NamePrefix) || len(s.NamePrefix) > 40 {
		p.addf("namePrefix", "%q is not a valid name prefix; allowed: lower-case letters, digits and '-', at most 40 characters", s.NamePrefix)
	}
	s.App.Network = p.str("appNetwork")
	if s.App.Network != "" && !dockerObjectName.MatchString(s.App.Network) {
		p.addf("appNetwork", "%q is not a Docker network name; allowed: letters, digits, '_', '.', '-', or empty to join none", s.App.Network)
	}

	s.Images = Images{
		Prometheus:       p.image("prometheusImage"),
		Alertmanager:     p.image("alertmanagerImage"),
		Grafana:          p.image("grafanaImage"),
		Loki:             p.image("lokiImage"),
		Alloy:            p.image("alloyImage"),
		NodeExporter:     p.image("nodeExporterImage"),
		PostgresExporter: p.image("postgresExporterImage"),
		Cadvisor:         p.image("cadvisorImage"),
	}

	s.Ports = Ports{
		Grafana:          p.port("grafanaPort"),
		Prometheus:       p.port("prometheusPort"),
		Alertmanager:     p.port("alertmanagerPort"),
		Loki:             p.port("lokiPort"),
		Alloy:            p.port("alloyPort"),
		NodeExporter:     p.port("nodeExporterPort"),
		PostgresExporter: p.port("postgresExporterPort"),
		Cadvisor:         p.port("cadvisorPort"),
	}
	p.uniquePorts(s.Ports)

	s.Retention.MetricsTime = p.str("metricsRetentionTime")
	if d, err := model.ParseDuration(s.Retention.MetricsTime); err != nil || d <= 0 {
		p.addf("metricsRetentionTime", "%q is not a retention time; allowed: a positive Prometheus duration such as 15d or 30d", s.Retention.MetricsTime)
	}
	s.Retention.MetricsSize = p.str("metricsRetentionSize")
	if b, err := units.ParseBase2Bytes(s.Retention.MetricsSize); err != nil || b <= 0 {
		p.addf("metricsRetentionSize", "%q is not a size; allowed: a positive size such as 512MB or 8GB", s.Retention.MetricsSize)
	}
	s.Retention.LogDays = p.intIn("logRetentionDays", 1, 3650)
	s.ProtectVolumes = p.boolean("protectVolumes")

	before := len(p.problems)
	s.Memory = MemoryMB{
		Prometheus:       p.intIn("prometheusMemoryMb", 128, 65536),
		Alertmanager:     p.intIn("alertmanagerMemoryMb", 32, 65536),
		Grafana:          p.intIn("grafanaMemoryMb", 128, 65536),
		Loki:             p.intIn("lokiMemoryMb", 128, 65536),
		Alloy:            p.intIn("alloyMemoryMb", 64, 65536),
		NodeExporter:     p.intIn("nodeExporterMemoryMb", 16, 65536),
		PostgresExporter: p.intIn("postgresExporterMemoryMb", 16, 65536),
		Cadvisor:         p.intIn("cadvisorMemoryMb", 64, 65536),
	}
	s.MemoryBudgetMB = p.intIn("memoryBudgetMb", 256, 262144)
	// The sum is only meaningful when every limit and the budget parsed.
	if len(p.problems) == before {
		if total := s.Memory.Total(); total > s.MemoryBudgetMB {
			p.addf("memoryBudgetMb", "the memory limits add up to %d MiB, over the budget of %d MiB; lower a *MemoryMb key or raise memoryBudgetMb", total, s.MemoryBudgetMB)
		}
	}

	s.App.TraefikTarget = p.target("traefikMetricsTarget")
	s.App.BackendTarget = p.target("backendMetricsTarget")
	s.App.BackendMetricsPath = p.str("backendMetricsPath")
	if !strings.HasPrefix(s.App.BackendMetricsPath, "/") {
		p.addf("backendMetricsPath", "%q is not a path; allowed: a path starting with /", s.App.BackendMetricsPath)
	}
	s.App.NodeTextfileHostDir = p.str("nodeTextfileHostDir")
	// Docker bind-mounts this host path: a relative path would be taken as a
	// volume name, and ".." could walk out of the intended directory.
	if d := s.App.NodeTextfileHostDir; !path.IsAbs(d) || slices.Contains(strings.Split(d, "/"), "..") {
		p.addf("nodeTextfileHostDir", "%q is not a host directory; allowed: an absolute path without \"..\" such as /var/lib/node_exporter/textfile", d)
	}
	s.App.CriticalContainers = p.list("criticalContainers")
	for _, c := range s.App.CriticalContainers {
		if !dockerObjectName.MatchString(c) {
			p.addf("criticalContainers", "%q is not a container name; allowed: letters, digits, '_', '.', '-'", c)
		}
	}
	s.App.PostgresDSN = p.secretValue("postgresDsn")
	if !s.App.PostgresDSN.IsSet() {
		p.addf("postgresDsn", "is required; set it with `pulumi config set --secret postgresDsn 'postgresql://user:password@host:5432/db?sslmode=disable'`")
	} else if _, err := pgdsn.Split(s.App.PostgresDSN.value); err != nil {
		// The same split postgres_exporter's files are made of, so a DSN
		// accepted here cannot fail at deployment. pgdsn errors never quote
		// the DSN.
		p.addf("postgresDsn", "is not usable (%v); allowed: postgresql://user:password@host:port/database?sslmode=...", err)
	}

	s.AlertsEnabled = p.boolean("alertsEnabled")
	s.SMTP = SMTP{
		Host:     p.str("smtpHost"),
		Port:     p.port("smtpPort"),
		From:     p.str("smtpFrom"),
		To:       p.list("smtpTo"),
		Username: p.str("smtpUsername"),
		Password: p.secretValue("smtpPassword"),
	}
	if s.AlertsEnabled {
		if s.SMTP.Host == "" {
			p.addf("smtpHost", "is required when alertsEnabled is true; set the SMTP server's host name or set alertsEnabled to false")
		} else if strings.ContainsAny(s.SMTP.Host, ":/ ") {
			p.addf("smtpHost", "%q is not a host name; allowed: a host name without port or scheme (the port is smtpPort)", s.SMTP.Host)
		}
		if s.SMTP.From == "" {
			p.addf("smtpFrom", "is required when alertsEnabled is true; allowed: the sender's e-mail address (name@domain)")
		} else {
			p.email("smtpFrom", s.SMTP.From)
		}
		if len(s.SMTP.To) == 0 {
			p.addf("smtpTo", "is required when alertsEnabled is true; allowed: comma-separated e-mail addresses")
		}
		for _, to := range s.SMTP.To {
			p.email("smtpTo", to)
		}
		if s.SMTP.Username != "" && !s.SMTP.Password.IsSet() {
			p.addf("smtpPassword", "is required when smtpUsername is set; set it with `pulumi config set --secret smtpPassword`")
		}
	}
	s.DeadMansSwitchURL = p.secretValue("deadMansSwitchUrl")
	if s.DeadMansSwitchURL.IsSet() {
		if u, err := url.Parse(s.DeadMansSwitchURL.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.addf("deadMansSwitchUrl", "is not a URL; allowed: http(s)://host/path")
		}
	}

	s.Grafana = Grafana{
		AdminUser:     p.str("grafanaAdminUser"),
		AdminPassword: p.secretValue("grafanaAdminPassword"),
		RootURL:       p.httpURL("grafanaRootUrl"),
		APIURL:        p.httpURL("grafanaApiUrl"),
		ManageContent: p.boolean("grafanaManageContent"),
	}
	if s.Grafana.AdminUser == "" {
		p.addf("grafanaAdminUser", "is empty; allowed: a login name")
	}
	if s.Grafana.AdminPassword.IsSet() && len([]rune(s.Grafana.AdminPassword.value)) < MinAdminPasswordLength {
		p.addf("grafanaAdminPassword", "is too short; allowed: at least %d characters, or unset to generate one", MinAdminPasswordLength)
	}

	s.Thresholds = Thresholds{
		CPUHighPercent:         p.percent("alertCpuHighPercent"),
		MemoryHighPercent:      p.percent("alertMemoryHighPercent"),
		LoadPerCore:            p.positive("alertLoadPerCore"),
		DiskFreePercent:        p.percent("alertDiskFreePercent"),
		BackupMaxAgeHours:      p.positive("alertBackupMaxAgeHours"),
		ContainerMemoryPercent: p.percent("alertContainerMemoryPercent"),
		HTTPP99Ms:              p.positive("alertHttpP99Ms"),
		HTTP5xxPercent:         p.percent("alertHttp5xxPercent"),
		PgConnectionsPercent:   p.percent("alertPgConnectionsPercent"),
		PgLongTxSeconds:        p.positive("alertPgLongTransactionSeconds"),
		PgSlowQueryMs:          p.positive("alertPgSlowQueryMs"),
	}

	if len(p.problems) > 0 {
		return Settings{}, p.problems
	}
	return s, nil
}

// uniquePorts reports a host port given to two services. It compares the
// parsed numbers ("09090" and "9090" are the same port); values that did not
// parse are already reported by port.
func (p *parser) uniquePorts(ports Ports) {
	seen := map[int]string{}
	for _, kp := range []struct {
		key  string
		port int
	}{
		{"grafanaPort", ports.Grafana}, {"prometheusPort", ports.Prometheus}, {"alertmanagerPort", ports.Alertmanager},
		{"lokiPort", ports.Loki}, {"alloyPort", ports.Alloy}, {"nodeExporterPort", ports.NodeExporter},
		{"postgresExporterPort", ports.PostgresExporter}, {"cadvisorPort", ports.Cadvisor},
	} {
		if kp.port < 1 || kp.port > 65535 {
			continue
		}
		if other, ok := seen[kp.port]; ok {
			p.addf(kp.key, "%d is already used by %s; allowed: a port no other service uses", kp.port, other)
			continue
		}
		seen[kp.port] = kp.key
	}
}

func hasPassword(u *url.Userinfo) bool {
	_, ok := u.Password()
	return ok
}
