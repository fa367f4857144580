package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Beyond one host: remote-write endpoints of the central Prometheus, extra
// log endpoints of Alloy, and agent hosts. Lists are JSON in the stack file
// (`pulumi config set remoteWrite '[{"name":"vm","url":"https://..."}]'`);
// their secrets are one secret JSON object per list, by endpoint name
// (`pulumi config set --secret remoteWriteSecrets '{"vm":"..."}'`), so that
// the URLs stay readable and only the credentials are encrypted.

// Auth is how an endpoint authenticates.
const (
	AuthNone   = "none"
	AuthBasic  = "basic"  // username, and the password from the secrets object
	AuthBearer = "bearer" // the token from the secrets object
)

// RemoteWrite is one remote-write endpoint of the central Prometheus.
type RemoteWrite struct {
	Name        string            `json:"name"`
	URL         string            `json:"url"`
	Auth        string            `json:"auth,omitempty"`
	Username    string            `json:"username,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	KeepMetrics string            `json:"keepMetrics,omitempty"` // regex of metric names to send; "" = all
	// Secret is the password or token, from remoteWriteSecrets.
	Secret Secret `json:"-"`
}

// LogEndpoint is one Loki push endpoint Alloy ships logs to, besides or
// instead of the stack's own Loki.
type LogEndpoint struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Tenant   string `json:"tenant,omitempty"` // X-Scope-OrgID
	Auth     string `json:"auth,omitempty"`
	Username string `json:"username,omitempty"`
	Secret   Secret `json:"-"`
}

// AgentHost is a further Docker host that runs node_exporter, cAdvisor,
// Alloy (when logs have somewhere to go) and Prometheus in agent mode,
// remote-writing to the central Prometheus.
type AgentHost struct {
	Name       string   `json:"name"`
	DockerHost string   `json:"dockerHost"`
	SSHOpts    []string `json:"sshOpts,omitempty"`
}

// endpointName is what names an endpoint or a host: it becomes a label
// value, a file name and part of resource names.
var endpointName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// headerName is an HTTP header field name (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// decodeStrict decodes a JSON list refusing unknown fields: a misspelt
// field is a setting that never applied.
func decodeStrict(v string, into any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// isPrivateOrLoopback: the address is not routed on the internet.
func isPrivateOrLoopback(host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host == "localhost"
	}
	return a.IsLoopback() || a.IsPrivate() || netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// checkEndpointURL: http(s), a host, no credentials; https unless the host
// is loopback or a private address (credentials and data would cross the
// internet in clear otherwise).
func checkEndpointURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || !isHost(u.Hostname()) || u.Fragment != "":
		return fmt.Sprintf("url %s is not an http(s) URL", show(raw))
	case u.User != nil:
		return fmt.Sprintf("url %s holds credentials; allowed: a URL without them (set auth and the secrets object)", show(raw))
	case u.Scheme == "http" && !isPrivateOrLoopback(u.Hostname()):
		return fmt.Sprintf("url %s is not https; allowed: an https URL, or http to a loopback or private address", show(raw))
	}
	return ""
}

// checkAuth validates an endpoint's auth and username.
func checkAuth(auth, username string) string {
	switch auth {
	case "", AuthNone, AuthBearer:
		if username != "" {
			return "username is set but auth is not basic"
		}
	case AuthBasic:
		if username == "" || !isPrintable(username) || strings.Contains(username, ":") {
			return fmt.Sprintf("username %s is not a login; allowed: printable characters without spaces or ':'", show(username))
		}
	default:
		return fmt.Sprintf("auth %s is unknown; allowed: none, basic or bearer", show(auth))
	}
	return ""
}

// needsSecret reports whether an endpoint's auth takes a secret.
func needsSecret(auth string) bool { return auth == AuthBasic || auth == AuthBearer }

// remoteWrites is the remoteWrite key.
type remoteWrites struct{ p *[]RemoteWrite }

func (r remoteWrites) Set(v string) error {
	var out []RemoteWrite
	if err := decodeStrict(v, &out); err != nil {
		return problemf("is not a JSON list of endpoints ({\"name\", \"url\", \"auth\", \"username\", \"headers\", \"keepMetrics\"}): %s", show(err.Error()))
	}
	var bad []string
	names := map[string]bool{}
	for i, e := range out {
		where := fmt.Sprintf("endpoint %d", i+1)
		if endpointName.MatchString(e.Name) {
			where = fmt.Sprintf("endpoint %q", e.Name)
		}
		add := func(msg string) { bad = append(bad, where+": "+msg) }
		switch {
		case !endpointName.MatchString(e.Name):
			add(fmt.Sprintf("name %s is not a name; allowed: lower-case letters, digits and '-', at most 32", show(e.Name)))
		case names[e.Name]:
			add("name is used twice")
		}
		names[e.Name] = true
		if msg := checkEndpointURL(e.URL); msg != "" {
			add(msg)
		}
		if msg := checkAuth(e.Auth, e.Username); msg != "" {
			add(msg)
		}
		for h := range e.Headers {
			switch {
			case !headerName.MatchString(h):
				add(fmt.Sprintf("header %s is not a header name", show(h)))
			case strings.EqualFold(h, "Authorization"):
				add("header Authorization would put a credential in plain config; allowed: auth basic or bearer with the secrets object")
			}
		}
		if e.KeepMetrics != "" {
			if _, err := regexp.Compile("^(?:" + e.KeepMetrics + ")$"); err != nil {
				add(fmt.Sprintf("keepMetrics %s is not a regular expression", show(e.KeepMetrics)))
			}
		}
		if e.Auth == "" {
			out[i].Auth = AuthNone
		}
	}
	*r.p = out
	if len(bad) > 0 {
		return problem(strings.Join(bad, "\n"))
	}
	return nil
}

// logEndpoints is the logEndpoints key.
type logEndpoints struct{ p *[]LogEndpoint }

func (l logEndpoints) Set(v string) error {
	var out []LogEndpoint
	if err := decodeStrict(v, &out); err != nil {
		return problemf("is not a JSON list of endpoints ({\"name\", \"url\", \"tenant\", \"auth\", \"username\"}): %s", show(err.Error()))
	}
	var bad []string
	names := map[string]bool{}
	for i, e := range out {
		where := fmt.Sprintf("endpoint %d", i+1)
		if endpointName.MatchString(e.Name) {
			where = fmt.Sprintf("endpoint %q", e.Name)
		}
		add := func(msg string) { bad = append(bad, where+": "+msg) }
		switch {
		case !endpointName.MatchString(e.Name):
			add(fmt.Sprintf("name %s is not a name; allowed: lower-case letters, digits and '-', at most 32", show(e.Name)))
		case names[e.Name]:
			add("name is used twice")
		}
		names[e.Name] = true
		if msg := checkEndpointURL(e.URL); msg != "" {
			add(msg)
		}
		if msg := checkAuth(e.Auth, e.Username); msg != "" {
			add(msg)
		}
		if e.Tenant != "" && !isPrintable(e.Tenant) {
			add(fmt.Sprintf("tenant %s is not a tenant ID; allowed: printable characters without spaces", show(e.Tenant)))
		}
		if e.Auth == "" {
			out[i].Auth = AuthNone
		}
	}
	*l.p = out
	if len(bad) > 0 {
		return problem(strings.Join(bad, "\n"))
	}
	return nil
}

// agentHosts is the agentHosts key.
type agentHosts struct{ p *[]AgentHost }

func (a agentHosts) Set(v string) error {
	var out []AgentHost
	if err := decodeStrict(v, &out); err != nil {
		return problemf("is not a JSON list of hosts ({\"name\", \"dockerHost\", \"sshOpts\"}): %s", show(err.Error()))
	}
	var bad []string
	names := map[string]bool{}
	for i, h := range out {
		where := fmt.Sprintf("host %d", i+1)
		if endpointName.MatchString(h.Name) {
			where = fmt.Sprintf("host %q", h.Name)
		}
		add := func(msg string) { bad = append(bad, where+": "+msg) }
		switch {
		case !endpointName.MatchString(h.Name):
			add(fmt.Sprintf("name %s is not a name; allowed: lower-case letters, digits and '-', at most 32", show(h.Name)))
		case names[h.Name]:
			add("name is used twice")
		}
		names[h.Name] = true
		var dh string
		if err := (dockerHost{&dh}).Set(h.DockerHost); err != nil {
			add("dockerHost " + err.Error())
		} else if !strings.HasPrefix(h.DockerHost, "ssh://") {
			add(fmt.Sprintf("dockerHost %s is not ssh://; allowed: ssh://user@host[:port] (an agent host is another machine)", show(h.DockerHost)))
		}
		raw, _ := json.Marshal(h.SSHOpts)
		var opts []string
		if err := (sshOpts{&opts}).Set(string(raw)); err != nil {
			add("sshOpts: " + err.Error())
		}
	}
	*a.p = out
	if len(bad) > 0 {
		return problem(strings.Join(bad, "\n"))
	}
	return nil
}

// secretsByName is a secret JSON object of endpoint name → credential.
type secretsByName struct{ p *map[string]Secret }

func (s secretsByName) Set(v string) error {
	if v == "" {
		return nil
	}
	var raw map[string]string
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		// Never quoted: the value is secret.
		return problem(`is not a JSON object of endpoint name → credential; allowed: {"name": "password or token", ...}`)
	}
	out := map[string]Secret{}
	var bad []string
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		c := raw[name]
		if c == "" || strings.TrimSpace(c) != c || strings.ContainsFunc(c, unicode.IsControl) {
			bad = append(bad, fmt.Sprintf("the credential of %s is empty, has white space around it or a control character; allowed: the value without it", show(name)))
			continue
		}
		out[name] = NewSecret(c)
	}
	*s.p = out
	if len(bad) > 0 {
		return problem(strings.Join(bad, "\n"))
	}
	return nil
}

// receiverAddr is the private address:port the central Prometheus's
// remote-write receiver is published on for agent hosts.
type receiverAddr struct{ p *string }

func (r receiverAddr) Set(v string) error {
	*r.p = v
	if v == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil || !validPort(port) || port == "" || net.ParseIP(host) == nil {
		return problemf("%s is not an address; allowed: a private IP address and port of this host, such as 10.8.0.1:9091", show(v))
	}
	if a := net.ParseIP(host); a.IsLoopback() || a.IsUnspecified() || !isPrivateOrLoopback(host) {
		return problemf("%s is not a private address; allowed: an address of this host on a private network the agents share (WireGuard, a provider's private network), never loopback, 0.0.0.0 or a public address", show(v))
	}
	return nil
}

// hostLabel is the value of the host label on the central host's series.
var hostLabelValue = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$`)

// attachSecrets gives each endpoint that authenticates its credential from
// the secrets object, and reports endpoints without one and credentials for
// no such endpoint (a misspelt name).
func attachSecrets(r *report, listKey, secretsKey string, names []string, auths []string, secrets map[string]Secret, set func(i int, s Secret)) {
	used := map[string]bool{}
	for i, n := range names {
		sec, ok := secrets[n]
		switch {
		case needsSecret(auths[i]) && !ok:
			r.addf(secretsKey, "has no credential for %s endpoint %q (auth %s); set it with `pulumi config set --secret %s '{\"%s\": \"...\"}'`", listKey, n, auths[i], secretsKey, n)
		case !needsSecret(auths[i]) && ok:
			r.addf(secretsKey, "has a credential for %s endpoint %q, whose auth is none; allowed: credentials only for endpoints with auth basic or bearer", listKey, n)
		case ok:
			set(i, sec)
		}
		used[n] = true
	}
	for _, n := range slices.Sorted(maps.Keys(secrets)) {
		if !used[n] {
			r.addf(secretsKey, "has a credential for %s, which is no %s endpoint; allowed: the names in %s", show(n), listKey, listKey)
		}
	}
}

// checkScale validates what involves the scale-out keys together.
func (s *Settings) checkScale(r *report) {
	if r.ok("remoteWrite", "remoteWriteSecrets") {
		var names, auths []string
		for _, e := range s.RemoteWrite {
			names, auths = append(names, e.Name), append(auths, e.Auth)
		}
		attachSecrets(r, "remoteWrite", "remoteWriteSecrets", names, auths, s.remoteWriteSecrets, func(i int, sec Secret) { s.RemoteWrite[i].Secret = sec })
	}
	if r.ok("logEndpoints", "logEndpointSecrets") {
		var names, auths []string
		for _, e := range s.LogEndpoints {
			names, auths = append(names, e.Name), append(auths, e.Auth)
		}
		attachSecrets(r, "logEndpoints", "logEndpointSecrets", names, auths, s.logEndpointSecrets, func(i int, sec Secret) { s.LogEndpoints[i].Secret = sec })
	}
	if r.ok("agentHosts", "receiverAddress") {
		switch {
		case len(s.Agents) > 0 && s.ReceiverAddress == "":
			r.addf("receiverAddress", "is required with agentHosts: the private address:port of this host where agents send their samples, such as 10.8.0.1:9091")
		case len(s.Agents) == 0 && s.ReceiverAddress != "":
			r.addf("receiverAddress", "is set but agentHosts is empty: nothing would use the receiver; allowed: empty, or agentHosts")
		}
	}
	if s.HostLabel == "" {
		s.HostLabel = "local"
		if u, err := url.Parse(s.Docker.Host); err == nil && u.Scheme == "ssh" && u.Hostname() != "" {
			s.HostLabel = u.Hostname()
		}
	}
	for _, a := range s.Agents {
		if a.Name == s.HostLabel && r.ok("agentHosts", "hostLabel") {
			r.addf("agentHosts", "host %q has the central host's label; allowed: a name no other host uses", a.Name)
		}
	}
}
