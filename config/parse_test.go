package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	. "github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/services"
)

var (
	testSecrets      = stacks.SecretsFor("test")
	testDSN          = testSecrets.DSN()
	testSMTPPassword = testSecrets.SMTPPassword
)

const (
	testAdminPass   = "admin-pass-long-enough-3Zr"
	testDeadMansURL = "https://hc-ping.example/uuid-secret-5Wm"
)

// valid returns the minimal valid configuration.
func valid() (map[string]string, map[string]bool) {
	c := stacks.Minimal()
	return c.Values, c.Secret
}

// defaultMemoryTotal is the sum of the table's default memory limits.
func defaultMemoryTotal() int {
	total := 0
	for _, row := range services.All {
		total += row.MemoryMB
	}
	return total
}

func problemsOf(t *testing.T, values map[string]string, secret map[string]bool) []string {
	t.Helper()
	_, err := Parse("test", values, secret)
	if err == nil {
		return nil
	}
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("Parse returned %T, want Problems: %v", err, err)
	}
	return p
}

func TestValidConfigurationParses(t *testing.T) {
	v, sec := valid()
	s, err := Parse("prod", v, sec)
	if err != nil {
		t.Fatalf("valid configuration rejected:\n%v", err)
	}
	if s.BindAddress != "127.0.0.1" || s.Service(services.Grafana).HostPort != 3001 || !s.ProtectVolumes {
		t.Fatalf("defaults not applied: %+v", s)
	}
	for _, row := range services.All {
		if got := s.Service(row.Name); got.Image != row.Image || int(got.HostPort) != row.HostPort || got.MemoryMB != row.MemoryMB {
			t.Errorf("%s: settings %+v, want the table's defaults", row.Name, got)
		}
	}
	if len(s.Email.To) != 2 || !s.App.PostgresDSN.IsSet() || s.Grafana.AdminPassword.IsSet() {
		t.Fatalf("values not read: %+v", s)
	}
	// These defaults are the values the rules and node_exporter mount used
	// before they became keys: a default stack renders exactly as before.
	if th := s.Alerts.Thresholds; th.LoadPerCore != 2 || th.ContainerMemoryPercent != 90 || th.PgLongTxSeconds != 300 || s.App.NodeTextfileHostDir != "/var/lib/node_exporter/textfile" {
		t.Fatalf("threshold defaults changed: %+v, textfile dir %q", th, s.App.NodeTextfileHostDir)
	}
	if s.Retention.MetricsTime.String() != "30d" || s.Retention.MetricsSize.String() != "8GB" {
		t.Fatalf("retention defaults: %s, %s", s.Retention.MetricsTime, s.Retention.MetricsSize)
	}
	// Grafana's URLs follow grafanaPort.
	if s.Grafana.RootURL != "http://localhost:3001/" || s.Grafana.APIURL != "http://127.0.0.1:3001" {
		t.Fatalf("Grafana URLs %q, %q", s.Grafana.RootURL, s.Grafana.APIURL)
	}
}

// Each case changes a valid configuration and lists the exact messages.
func TestParseReportsExactProblems(t *testing.T) {
	cases := []struct {
		name   string
		set    map[string]string // "" deletes the key
		secret map[string]bool
		want   []string
	}{
		{"port out of range", map[string]string{"grafanaPort": "70000"}, nil,
			[]string{`grafanaPort: "70000" is out of range; allowed: a whole number from 1 to 65535`}},
		{"port not a number", map[string]string{"lokiPort": "loki"}, nil,
			[]string{`lokiPort: "loki" is out of range; allowed: a whole number from 1 to 65535`}},
		{"duplicate port", map[string]string{"lokiPort": "9090"}, nil,
			[]string{`lokiPort: 9090 is already used by prometheusPort; allowed: a port no other service uses`}},
		{"duplicate port spelt differently", map[string]string{"grafanaPort": "08082"}, nil,
			[]string{`grafanaPort: 8082 is already used by cadvisorPort; allowed: a port no other service uses`}},
		{"bad e-mail", map[string]string{"smtpFrom": "alerts", "smtpTo": "ops@example.com,Ops <ops@example.com>"}, nil,
			[]string{
				`smtpFrom: "alerts" is not an e-mail address; allowed: name@domain`,
				`smtpTo: "Ops <ops@example.com>" is not an e-mail address; allowed: name@domain`,
			}},
		{"weak admin password", map[string]string{"grafanaAdminPassword": "short-pw"}, map[string]bool{"grafanaAdminPassword": true},
			[]string{`grafanaAdminPassword: is too short; allowed: at least 20 characters, or unset to generate one`}},
		{"memory budget exceeded", map[string]string{"prometheusMemoryMb": "2000"}, nil,
			[]string{fmt.Sprintf("memoryBudgetMb: the memory limits add up to %d MiB, over the budget of 1792 MiB; lower a *MemoryMb key or raise memoryBudgetMb",
				defaultMemoryTotal()-services.Get(services.Prometheus).MemoryMB+2000)}},
		{"invalid memory limit is not summed", map[string]string{"lokiMemoryMb": "lots"}, nil,
			[]string{`lokiMemoryMb: "lots" is out of range; allowed: a whole number from 128 to 65536`}},
		{"image without tag", map[string]string{"grafanaImage": "grafana/grafana"}, nil,
			[]string{`grafanaImage: "grafana/grafana" is not a pinned image; allowed: repository:tag with an explicit version (not latest) or repository@sha256:<digest>`}},
		{"image latest", map[string]string{"lokiImage": "grafana/loki:latest"}, nil,
			[]string{`lokiImage: "grafana/loki:latest" is not a pinned image; allowed: repository:tag with an explicit version (not latest) or repository@sha256:<digest>`}},
		{"smtp host missing with alerts on", map[string]string{"smtpHost": ""}, nil,
			[]string{`smtpHost: is required when alertsEnabled is true; set the SMTP server's host name or set alertsEnabled to false`}},
		{"smtp sender and recipients missing with alerts on", map[string]string{"smtpFrom": "", "smtpTo": " , "}, nil,
			[]string{
				`smtpFrom: is required when alertsEnabled is true; allowed: the sender's e-mail address (name@domain)`,
				`smtpTo: is required when alertsEnabled is true; allowed: comma-separated e-mail addresses`,
			}},
		{"smtp settings not needed with alerts off", map[string]string{"alertsEnabled": "false", "smtpHost": "", "smtpFrom": "", "smtpTo": "", "smtpPassword": ""}, nil,
			nil},
		{"smtp host with port", map[string]string{"smtpHost": "smtp.example.com:587"}, nil,
			[]string{`smtpHost: "smtp.example.com:587" is not a host name; allowed: a host name or IP address without port or scheme (the port is smtpPort)`}},
		{"smtp user without password", map[string]string{"smtpPassword": ""}, nil,
			[]string{"smtpPassword: is required when smtpUsername is set; set it with `pulumi config set --secret smtpPassword`"}},
		{"negative log retention", map[string]string{"logRetentionDays": "-3"}, nil,
			[]string{`logRetentionDays: "-3" is out of range; allowed: a whole number from 1 to 3650`}},
		{"negative metrics retention", map[string]string{"metricsRetentionTime": "-30d", "metricsRetentionSize": "-1GB"}, nil,
			[]string{
				`metricsRetentionTime: "-30d" is not a retention time; allowed: a Prometheus duration of at least 1d, such as 15d or 30d`,
				`metricsRetentionSize: "-1GB" is not a size; allowed: a size of at least 512MB, such as 8GB`,
			}},
		{"docker host tcp", map[string]string{"dockerHost": "tcp://10.0.0.5:2375"}, nil,
			[]string{`dockerHost: "tcp://10.0.0.5:2375" is not a Docker host; allowed: ssh://user@host[:port], unix:///path/to/docker.sock, or empty for the local socket`}},
		{"docker host ssh without user", map[string]string{"dockerHost": "ssh://vps.example.com"}, nil,
			[]string{`dockerHost: "ssh://vps.example.com" is not a Docker host; allowed: ssh://user@host[:port], unix:///path/to/docker.sock, or empty for the local socket`}},
		{"docker host with password", map[string]string{"dockerHost": "ssh://deploy:hunter2@vps.example.com"}, nil,
			[]string{`dockerHost: contains a password; allowed: ssh://user@host[:port], unix:///path/to/docker.sock, or empty for the local socket, authenticated with an SSH key (ssh-agent or dockerSshOpts -i)`}},
		{"bad ssh opts", map[string]string{"dockerSshOpts": "-i ~/.ssh/key"}, nil,
			[]string{`dockerSshOpts: "-i ~/.ssh/key" is not a JSON list of strings`}},
		{"secret in plain text", nil, map[string]bool{"postgresDsn": false},
			[]string{"postgresDsn: is stored in plain text; set it with `pulumi config set --secret postgresDsn`"}},
		{"dsn missing", map[string]string{"postgresDsn": ""}, nil,
			[]string{"postgresDsn: is required; set it with `pulumi config set --secret postgresDsn 'postgresql://user:password@host:5432/db?sslmode=disable'`"}},
		{"dsn not postgres", map[string]string{"postgresDsn": "mysql://u:p@db/app"}, nil,
			[]string{`postgresDsn: is not usable (pgdsn: the DSN must start with postgresql:// or postgres://); allowed: postgresql://user:password@host:port/database?sslmode=...`}},
		{"unknown key", map[string]string{"grafanaPortt": "3001"}, nil,
			[]string{`grafanaPortt: is not a known key; see the configuration table in README.md`}},
		{"bind address not an IP", map[string]string{"bindAddress": "localhost"}, nil,
			[]string{`bindAddress: "localhost" is not an IP address; allowed: 127.0.0.1 (recommended) or another address of the host`}},
		{"bad name prefix", map[string]string{"namePrefix": "KoproGo_Mon"}, nil,
			[]string{`namePrefix: "KoproGo_Mon" is not a valid name prefix; allowed: lower-case letters, digits and '-', at most 40 characters`}},
		{"bad app network", map[string]string{"appNetwork": "my net"}, nil,
			[]string{`appNetwork: "my net" is not a Docker network name; allowed: letters, digits, '_', '.', '-', or empty to join none`}},
		{"percent out of range", map[string]string{"alertCpuHighPercent": "150"}, nil,
			[]string{`alertCpuHighPercent: "150" is out of range; allowed: a decimal number above 0 and below 100`}},
		{"tunable fixed thresholds out of range", map[string]string{"alertLoadPerCore": "0", "alertContainerMemoryPercent": "100", "alertPgLongTransactionSeconds": "5m"}, nil,
			[]string{
				`alertLoadPerCore: "0" is out of range; allowed: a decimal number above 0`,
				`alertContainerMemoryPercent: "100" is out of range; allowed: a decimal number above 0 and below 100`,
				`alertPgLongTransactionSeconds: "5m" is out of range; allowed: a decimal number above 0`,
			}},
		{"textfile directory relative", map[string]string{"nodeTextfileHostDir": "var/lib/node_exporter/textfile"}, nil,
			[]string{`nodeTextfileHostDir: "var/lib/node_exporter/textfile" is not a host directory; allowed: an absolute path without ".." such as /var/lib/node_exporter/textfile`}},
		{"textfile directory escaping with ..", map[string]string{"nodeTextfileHostDir": "/var/lib/../../etc"}, nil,
			[]string{`nodeTextfileHostDir: "/var/lib/../../etc" is not a host directory; allowed: an absolute path without ".." such as /var/lib/node_exporter/textfile`}},
		{"bad boolean", map[string]string{"protectVolumes": "yes"}, nil,
			[]string{`protectVolumes: "yes" is not a boolean; allowed: true or false`}},
		{"bad scrape target", map[string]string{"traefikMetricsTarget": "http://traefik:8082"}, nil,
			[]string{`traefikMetricsTarget: "http://traefik:8082" is not a scrape target; allowed: host:port`}},
		{"bad grafana url", map[string]string{"grafanaRootUrl": "grafana.example.com"}, nil,
			[]string{`grafanaRootUrl: "grafana.example.com" is not a URL; allowed: http(s)://host[:port][/path]`}},
		{"bad dead man url", map[string]string{"deadMansSwitchUrl": "hc-ping.example/abc"}, map[string]bool{"deadMansSwitchUrl": true},
			[]string{`deadMansSwitchUrl: is not a URL; allowed: http(s)://host/path`}},
		// Values that would silently disable an alert.
		{"NaN threshold", map[string]string{"alertBackupMaxAgeHours": "NaN", "alertDiskFreePercent": "nan"}, nil,
			[]string{
				`alertDiskFreePercent: "nan" is out of range; allowed: a decimal number above 0 and below 100`,
				`alertBackupMaxAgeHours: "NaN" is out of range; allowed: a decimal number above 0`,
			}},
		{"infinite and exotic numbers", map[string]string{"alertLoadPerCore": "+Inf", "alertHttp5xxPercent": "1e1", "alertPgSlowQueryMs": "0x1p9"}, nil,
			[]string{
				`alertLoadPerCore: "+Inf" is out of range; allowed: a decimal number above 0`,
				`alertHttp5xxPercent: "1e1" is out of range; allowed: a decimal number above 0 and below 100`,
				`alertPgSlowQueryMs: "0x1p9" is out of range; allowed: a decimal number above 0`,
			}},
		{"p99 target no histogram can reach", map[string]string{"alertHttpP99Ms": "8000"}, nil,
			[]string{`alertHttpP99Ms: "8000" is out of range; allowed: a decimal number above 0 and at most 5000 (Traefik's largest finite latency bucket is 5 s: histogram_quantile never reports more, so a higher target would never fire)`}},
		{"retention too short for the rules", map[string]string{"metricsRetentionTime": "6h", "metricsRetentionSize": "100MB"}, nil,
			[]string{
				`metricsRetentionTime: "6h" is not a retention time; allowed: a Prometheus duration of at least 1d, such as 15d or 30d`,
				`metricsRetentionSize: "100MB" is not a size; allowed: a size of at least 512MB, such as 8GB`,
			}},
		// Logins and hosts.
		{"admin login with a colon", map[string]string{"grafanaAdminUser": "ops:admin"}, nil,
			[]string{`grafanaAdminUser: "ops:admin" is not a login name; allowed: 1 to 64 letters, digits and . _ @ + - (no ':', which would break the HTTP basic auth the Grafana provider logs in with)`}},
		{"admin login with a space", map[string]string{"grafanaAdminUser": "grafana admin"}, nil,
			[]string{`grafanaAdminUser: "grafana admin" is not a login name; allowed: 1 to 64 letters, digits and . _ @ + - (no ':', which would break the HTTP basic auth the Grafana provider logs in with)`}},
		{"admin login of a megabyte, shown bounded", map[string]string{"grafanaAdminUser": strings.Repeat("a", 1<<20)}, nil,
			[]string{`grafanaAdminUser: "` + strings.Repeat("a", 64) + `"… (1048576 bytes) is not a login name; allowed: 1 to 64 letters, digits and . _ @ + - (no ':', which would break the HTTP basic auth the Grafana provider logs in with)`}},
		{"smtp host with a tab", map[string]string{"smtpHost": "smtp.example.com\tx"}, nil,
			[]string{`smtpHost: "smtp.example.com\tx" is not a host name; allowed: a host name or IP address without port or scheme (the port is smtpPort)`}},
		{"smtp username with a space", map[string]string{"smtpUsername": "alerts @example.com"}, nil,
			[]string{`smtpUsername: "alerts @example.com" is not a login; allowed: printable characters without spaces, or empty for no authentication`}},
		{"docker host with a bad port", map[string]string{"dockerHost": "ssh://deploy@vps.example.com:99999"}, nil,
			[]string{`dockerHost: "ssh://deploy@vps.example.com:99999" is not a Docker host; allowed: ssh://user@host[:port], unix:///path/to/docker.sock, or empty for the local socket`}},
		{"docker host with a query", map[string]string{"dockerHost": "ssh://deploy@vps.example.com?x=1"}, nil,
			[]string{`dockerHost: "ssh://deploy@vps.example.com?x=1" is not a Docker host; allowed: ssh://user@host[:port], unix:///path/to/docker.sock, or empty for the local socket`}},
		{"malformed docker host with a password is not echoed", map[string]string{"dockerHost": "ssh://deploy:hunter2@vps example.com"}, nil,
			[]string{`dockerHost: contains a password; allowed: ssh://user@host[:port], unix:///path/to/docker.sock, or empty for the local socket, authenticated with an SSH key (ssh-agent or dockerSshOpts -i)`}},
		{"ssh options turning host key checking off", map[string]string{"dockerSshOpts": `["-o","StrictHostKeyChecking=no"]`}, nil,
			[]string{`dockerSshOpts: "StrictHostKeyChecking=no" turns host key checking off; allowed: ssh options that keep it (add the VPS's host key to known_hosts instead)`}},
		{"ssh option glued to -o", map[string]string{"dockerSshOpts": `["-oUserKnownHostsFile=/dev/null"]`}, nil,
			[]string{`dockerSshOpts: "-oUserKnownHostsFile=/dev/null" turns host key checking off; allowed: ssh options that keep it (add the VPS's host key to known_hosts instead)`}},
		{"metrics path with a query and a space", map[string]string{"backendMetricsPath": "/metrics?format=prometheus", "traefikMetricsTarget": "traefik :8082"}, nil,
			[]string{
				`traefikMetricsTarget: "traefik :8082" is not a scrape target; allowed: host:port`,
				`backendMetricsPath: "/metrics?format=prometheus" is not a path; allowed: a path starting with /`,
			}},
		{"IPv6 scrape target accepted", map[string]string{"backendMetricsTarget": "[fd00::5]:8080"}, nil, nil},
		{"IPv6 scrape target without brackets", map[string]string{"backendMetricsTarget": "fd00::5:8080"}, nil,
			[]string{`backendMetricsTarget: "fd00::5:8080" is not a scrape target; allowed: host:port`}},
		{"credentials in the Grafana API URL", map[string]string{"grafanaApiUrl": "https://admin:hunter2@grafana.example.com"}, nil,
			[]string{`grafanaApiUrl: "https://admin:***@grafana.example.com" is not a URL; allowed: http(s)://host[:port][/path]`}},
		{"DSN with a bad port and sslmode", map[string]string{"postgresDsn": "postgresql://u:p@db:99999/app"}, nil,
			[]string{`postgresDsn: is not usable (pgdsn: the DSN's port is not a port number (1 to 65535)); allowed: postgresql://user:password@host:port/database?sslmode=...`}},
		{"DSN with an unknown sslmode", map[string]string{"postgresDsn": "postgresql://u:p@db:5432/app?sslmode=required"}, nil,
			[]string{`postgresDsn: is not usable (pgdsn: the DSN's sslmode is not one of disable, allow, prefer, require, verify-ca, verify-full); allowed: postgresql://user:password@host:port/database?sslmode=...`}},
		// Secrets as they come out of a clipboard or a file.
		{"whitespace-only and newline-ended secrets", map[string]string{"grafanaAdminPassword": strings.Repeat(" ", 25), "smtpPassword": "s3cret\n"}, map[string]bool{"grafanaAdminPassword": true},
			[]string{
				"smtpPassword: begins or ends with white space or a newline; allowed: the value without it (`pulumi config set --secret KEY -- \"$(cat file)\"` keeps a file's trailing newline out)",
				"grafanaAdminPassword: begins or ends with white space or a newline; allowed: the value without it (`pulumi config set --secret KEY -- \"$(cat file)\"` keeps a file's trailing newline out)",
			}},
		{"secret with a control character", map[string]string{"deadMansSwitchUrl": "https://hc-ping.example/a\x07b"}, map[string]bool{"deadMansSwitchUrl": true},
			[]string{"deadMansSwitchUrl: contains a control character; allowed: printable characters only"}},
		// Exposure.
		{"public bind address without acknowledgement", map[string]string{"bindAddress": "0.0.0.0"}, nil,
			[]string{`bindAddress: "0.0.0.0" is not a loopback address: every UI and API of the stack (most without authentication) would be reachable there; allowed: a loopback address such as 127.0.0.1, or this one with allowNonLoopbackBind set to true`}},
		{"public bind address acknowledged", map[string]string{"bindAddress": "10.0.0.5", "allowNonLoopbackBind": "true"}, nil, nil},
		{"loopback bind address needs nothing", map[string]string{"bindAddress": "::1"}, nil, nil},
		{"app network is the stack's own", map[string]string{"appNetwork": "koprogo-mon-net"}, nil,
			[]string{`appNetwork: "koprogo-mon-net" is the stack's own network; allowed: the application's existing network, or empty`}},
		{"loopback API URL on another stack's port", map[string]string{"grafanaApiUrl": "http://127.0.0.1:3002"}, nil,
			[]string{`grafanaApiUrl: "http://127.0.0.1:3002" is on this machine's loopback but not on grafanaPort 3001, where the SSH tunnel (or a local engine) puts this stack's Grafana; allowed: unset (http://127.0.0.1:3001), a loopback URL on port 3001, or a non-loopback URL`}},
		{"non-loopback API URL accepted", map[string]string{"grafanaApiUrl": "https://grafana.internal.example.com"}, nil, nil},
		{"stack subnet not private or not a network address", map[string]string{"stackSubnet": "8.8.8.0/24"}, nil,
			[]string{`stackSubnet: "8.8.8.0/24" is not a subnet for the stack network; allowed: a private IPv4 subnet from /16 to /28 written with its network address, such as 172.29.253.0/24`}},
		{"stack subnet with host bits", map[string]string{"stackSubnet": "10.1.2.3/24"}, nil,
			[]string{`stackSubnet: "10.1.2.3/24" is not a subnet for the stack network; allowed: a private IPv4 subnet from /16 to /28 written with its network address, such as 172.29.253.0/24`}},
		// Beyond one host.
		{"remote write endpoints, all good", map[string]string{
			"remoteWrite":        `[{"name":"vm","url":"https://vm.example.com/api/v1/write","auth":"basic","username":"koprogo"},{"name":"mimir","url":"http://10.0.0.7:9009/api/v1/push","headers":{"X-Scope-OrgID":"koprogo"},"keepMetrics":"up|node_.*"}]`,
			"remoteWriteSecrets": `{"vm":"rw-pass-1"}`}, map[string]bool{"remoteWriteSecrets": true}, nil},
		{"remote write endpoint problems", map[string]string{
			"remoteWrite": `[{"name":"VM","url":"http://vm.example.com/api/v1/write"},{"name":"a","url":"https://u:p@x.example.com/w","auth":"digest"},{"name":"b","url":"https://b.example.com/w","headers":{"Authorization":"Bearer x"},"keepMetrics":"up("},{"name":"b","url":"ftp://b"}]`}, nil,
			[]string{
				`remoteWrite: endpoint 1: name "VM" is not a name; allowed: lower-case letters, digits and '-', at most 32`,
				`remoteWrite: endpoint 1: url "http://vm.example.com/api/v1/write" is not https; allowed: an https URL, or http to a loopback or private address`,
				`remoteWrite: endpoint "a": url "https://u:***@x.example.com/w" holds credentials; allowed: a URL without them (set auth and the secrets object)`,
				`remoteWrite: endpoint "a": auth "digest" is unknown; allowed: none, basic or bearer`,
				`remoteWrite: endpoint "b": header Authorization would put a credential in plain config; allowed: auth basic or bearer with the secrets object`,
				`remoteWrite: endpoint "b": keepMetrics "up(" is not a regular expression`,
				`remoteWrite: endpoint "b": name is used twice`,
				`remoteWrite: endpoint "b": url "ftp://b" is not an http(s) URL`,
			}},
		{"remote write field misspelt", map[string]string{"remoteWrite": `[{"name":"vm","ur1":"https://vm.example.com"}]`}, nil,
			[]string{`remoteWrite: is not a JSON list of endpoints ({"name", "url", "auth", "username", "headers", "keepMetrics"}): "json: unknown field \"ur1\""`}},
		{"remote write secrets that do not match", map[string]string{
			"remoteWrite":        `[{"name":"vm","url":"https://vm.example.com/w","auth":"bearer"},{"name":"open","url":"https://o.example.com/w"}]`,
			"remoteWriteSecrets": `{"open":"x-1","vn":"typo-2"}`}, map[string]bool{"remoteWriteSecrets": true},
			[]string{
				"remoteWriteSecrets: has no credential for remoteWrite endpoint \"vm\" (auth bearer); set it with `pulumi config set --secret remoteWriteSecrets '{\"vm\": \"...\"}'`",
				`remoteWriteSecrets: has a credential for remoteWrite endpoint "open", whose auth is none; allowed: credentials only for endpoints with auth basic or bearer`,
				`remoteWriteSecrets: has a credential for "vn", which is no remoteWrite endpoint; allowed: the names in remoteWrite`,
			}},
		{"logs kept longer than the metrics history", map[string]string{"logRetentionDays": "31", "metricsRetentionTime": "30d12h"}, nil,
			[]string{`logRetentionDays: 31 is longer than metricsRetentionTime (30 whole days): the Loki disk alerts could not see every day of logs Loki keeps; allowed: at most 30, or a longer metricsRetentionTime`}},
		{"logs kept as long as the metrics history", map[string]string{"logRetentionDays": "30", "metricsRetentionTime": "30d"}, nil, nil},
		{"no Loki disk budget", map[string]string{"lokiDiskBudgetGb": "0"}, nil,
			[]string{`lokiDiskBudgetGb: "0" is out of range; allowed: a whole number from 1 to 100000`}},
		{"agent hosts need a private receiver", map[string]string{"agentHosts": `[{"name":"vps2","dockerHost":"ssh://deploy@vps2.example.com","sshOpts":["-o","StrictHostKeyChecking=yes"]}]`}, nil,
			[]string{`receiverAddress: is required with agentHosts: the private address:port of this host where agents send their samples, such as 10.8.0.1:9091`}},
		{"agent hosts with a public receiver", map[string]string{"agentHosts": `[{"name":"vps2","dockerHost":"ssh://deploy@vps2.example.com"}]`, "receiverAddress": "203.0.113.5:9091"}, nil,
			[]string{`receiverAddress: "203.0.113.5:9091" is not a private address; allowed: an address of this host on a private network the agents share (WireGuard, a provider's private network), never loopback, 0.0.0.0 or a public address`}},
		{"agent hosts, all good", map[string]string{"agentHosts": `[{"name":"vps2","dockerHost":"ssh://deploy@vps2.example.com"}]`, "receiverAddress": "10.8.0.1:9091"}, nil, nil},
		{"agent host problems", map[string]string{"receiverAddress": "10.8.0.1:9091", "agentHosts": `[{"name":"vps2","dockerHost":"unix:///var/run/docker.sock"},{"name":"vps3","dockerHost":"ssh://d@v3","sshOpts":["-o","StrictHostKeyChecking=no"]}]`}, nil,
			[]string{
				`agentHosts: host "vps2": dockerHost "unix:///var/run/docker.sock" is not ssh://; allowed: ssh://user@host[:port] (an agent host is another machine)`,
				`agentHosts: host "vps3": sshOpts: "StrictHostKeyChecking=no" turns host key checking off; allowed: ssh options that keep it (add the VPS's host key to known_hosts instead)`,
			}},
		{"receiver without agents", map[string]string{"receiverAddress": "10.8.0.1:9091"}, nil,
			[]string{`receiverAddress: is set but agentHosts is empty: nothing would use the receiver; allowed: empty, or agentHosts`}},
		// Every problem at once, not the first one.
		{"several problems", map[string]string{"grafanaPort": "0", "smtpFrom": "x", "unknownKey": "1"}, map[string]bool{"postgresDsn": false},
			[]string{
				`unknownKey: is not a known key; see the configuration table in README.md`,
				`grafanaPort: "0" is out of range; allowed: a whole number from 1 to 65535`,
				"postgresDsn: is stored in plain text; set it with `pulumi config set --secret postgresDsn`",
				`smtpFrom: "x" is not an e-mail address; allowed: name@domain`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, sec := valid()
			for k, val := range tc.set {
				if val == "" {
					delete(v, k)
				} else {
					v[k] = val
				}
			}
			for k, b := range tc.secret {
				sec[k] = b
			}
			got := problemsOf(t, v, sec)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// No problem message, and no formatting of Settings, may contain a secret's
// value, whatever is wrong with it.
func TestMessagesNeverContainSecrets(t *testing.T) {
	secrets := map[string]string{
		"postgresDsn":          "mysql://monitor:dsn-pass-7Qx@postgres/app#dsn-frag-2Lp",
		"smtpPassword":         testSMTPPassword,
		"grafanaAdminPassword": "short-4Tn",
		"deadMansSwitchUrl":    "hc-ping.example/uuid-secret-5Wm",
	}
	needles := []string{"dsn-pass-7Qx", "dsn-frag-2Lp", testSMTPPassword, "short-4Tn", "uuid-secret-5Wm"}
	for _, plain := range []bool{false, true} {
		v, sec := valid()
		for k, val := range secrets {
			v[k] = val
			sec[k] = !plain
		}
		v["dockerHost"] = "ssh://deploy:host-pass-8Vb@vps.example.com"
		needles := append(needles, "host-pass-8Vb")
		got := problemsOf(t, v, sec)
		if len(got) < len(secrets) {
			t.Fatalf("expected a problem per bad secret, got %q", got)
		}
		for _, msg := range got {
			for _, n := range needles {
				if strings.Contains(msg, n) {
					t.Errorf("message leaks a secret: %q", msg)
				}
			}
		}
	}

	v, sec := valid()
	v["grafanaAdminPassword"], sec["grafanaAdminPassword"] = testAdminPass, true
	v["deadMansSwitchUrl"], sec["deadMansSwitchUrl"] = testDeadMansURL, true
	s, err := Parse("prod", v, sec)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, s)
		for _, n := range []string{testDSN, "dsn-pass-7Qx", testSMTPPassword, testAdminPass, testDeadMansURL} {
			if strings.Contains(out, n) {
				t.Errorf("fmt %s of Settings leaks a secret", f)
			}
		}
	}
}
