package config

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
)

// Value is the typed value of one configuration key. Set parses the raw
// string (already trimmed; the declared default when the key is unset) and
// validates it; its error says what is wrong and what is allowed, without
// the key's name, and never quotes more than a bounded prefix of the value.
type Value interface {
	Set(raw string) error
}

// problem is a validation failure of one value.
type problem string

func (p problem) Error() string { return string(p) }

func problemf(format string, args ...any) error { return problem(fmt.Sprintf(format, args...)) }

// maxShown bounds how much of a bad value a message repeats: enough to
// recognise a typo, never a pasted file.
const maxShown = 64

// credentials matches the user:password@ part of a URL, parsed or not.
var credentials = regexp.MustCompile(`(//[^/@:\s]*):[^/@\s]*@`)

// show quotes a value for a message: in full when short, else its first
// maxShown bytes and its length; a URL's password is replaced by ***.
func show(v string) string {
	v = credentials.ReplaceAllString(v, "$1:***@")
	if len(v) <= maxShown {
		return strconv.Quote(v)
	}
	cut := maxShown
	for cut > 0 && !utf8Start(v[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(v[:cut]), len(v))
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Port is a TCP port number.
type Port int

func (p *Port) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return problemf("%s is out of range; allowed: a whole number from 1 to 65535", show(v))
	}
	*p = Port(n)
	return nil
}

// decimal is what a threshold may look like: digits with an optional
// fraction. strconv.ParseFloat alone also takes NaN, Inf, 1e400 and hex
// floats, and a rule compared with NaN never fires.
var decimal = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,9})?$`)

// parseDecimal parses a finite decimal number.
func parseDecimal(v string) (float64, bool) {
	if !decimal.MatchString(v) {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// percent is a threshold strictly between 0 and 100.
type percent struct{ p *float64 }

func (p percent) Set(v string) error {
	f, ok := parseDecimal(v)
	if !ok || f <= 0 || f >= 100 {
		return problemf("%s is out of range; allowed: a decimal number above 0 and below 100", show(v))
	}
	*p.p = f
	return nil
}

// positive is a threshold above 0, at most max (0 = no maximum).
type positive struct {
	p   *float64
	max float64
	why string // why the maximum, for the message
}

func (p positive) Set(v string) error {
	f, ok := parseDecimal(v)
	if !ok || f <= 0 {
		return problemf("%s is out of range; allowed: a decimal number above 0", show(v))
	}
	if p.max > 0 && f > p.max {
		return problemf("%s is out of range; allowed: a decimal number above 0 and at most %s (%s)", show(v), strconv.FormatFloat(p.max, 'f', -1, 64), p.why)
	}
	*p.p = f
	return nil
}

// Duration is a Prometheus duration (30d, 12h, 1w).
type Duration model.Duration

// MinMetricsRetention is the shortest metrics retention accepted: the rules
// read up to 6 hours back (the disk fill prediction) and the dashboards open
// on the last 6 hours, so less would blank them.
const MinMetricsRetention = 24 * time.Hour

func (d *Duration) Set(v string) error {
	m, err := model.ParseDuration(v)
	if err != nil || time.Duration(m) < MinMetricsRetention {
		return problemf("%s is not a retention time; allowed: a Prometheus duration of at least 1d, such as 15d or 30d", show(v))
	}
	*d = Duration(m)
	return nil
}

// String is Prometheus' own spelling of the duration (30d, 1w, 36h).
func (d Duration) String() string { return model.Duration(d).String() }

// ByteSize is a size in bytes. Units are powers of 1024, as Prometheus
// reads its size flags (KB, MB, GB, TB; KiB... also accepted).
type ByteSize int64

// MinMetricsSize is the smallest metrics size cap accepted: the WAL and head
// chunks alone take tens of MB, and a smaller cap would delete every
// persisted block as soon as it is written.
const MinMetricsSize = 512 << 20

func (b *ByteSize) Set(v string) error {
	n, err := units.ParseBase2Bytes(v)
	if err != nil || n < MinMetricsSize {
		return problemf("%s is not a size; allowed: a size of at least 512MB, such as 8GB", show(v))
	}
	*b = ByteSize(n)
	return nil
}

// String spells the size in the largest unit that divides it exactly, in
// the form Prometheus' flags and documentation use (8GB, 512MB).
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}} {
		if int64(b) >= u.size && int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// boolValue parses true or false.
type boolValue struct{ p *bool }

func (b boolValue) Set(v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return problemf("%s is not a boolean; allowed: true or false", show(v))
	}
	*b.p = x
	return nil
}

// intIn is a whole number within bounds.
type intIn struct {
	p      *int
	lo, hi int
}

func (n intIn) Set(v string) error {
	x, err := strconv.Atoi(v)
	if err != nil || x < n.lo || x > n.hi {
		return problemf("%s is out of range; allowed: a whole number from %d to %d", show(v), n.lo, n.hi)
	}
	*n.p = x
	return nil
}

// text is a string that must match a grammar; empty passes when allowed.
type text struct {
	p          *string
	valid      func(string) bool
	allowEmpty bool
	allowed    string // the message's "what is wrong; allowed: ..." tail
}

func (t text) Set(v string) error {
	if (v == "" && !t.allowEmpty) || (v != "" && !t.valid(v)) {
		return problemf("%s %s", show(v), t.allowed)
	}
	*t.p = v
	return nil
}

// list is a comma-separated list; each item must be valid.
type list struct {
	p       *[]string
	valid   func(string) bool
	allowed string
}

func (l list) Set(v string) error {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	var bad []string
	for _, item := range out {
		if !l.valid(item) {
			bad = append(bad, fmt.Sprintf("%s %s", show(item), l.allowed))
		}
	}
	*l.p = out
	if len(bad) > 0 {
		return problem(strings.Join(bad, "\n"))
	}
	return nil
}

// sshOpts is a JSON list of extra ssh options. Options that turn host key
// checking off are refused: with them, whoever answers at the VPS's address
// gets the deploy's Docker access and every secret it uploads.
type sshOpts struct{ p *[]string }

// insecureSSH matches what turns host key verification off.
var insecureSSH = regexp.MustCompile(`(?i)^(-o\s*)?(StrictHostKeyChecking\s*=?\s*(no|off|accept-new)|UserKnownHostsFile\s*=?\s*/dev/null|GlobalKnownHostsFile\s*=?\s*/dev/null)$`)

func (j sshOpts) Set(v string) error {
	var out []string
	if v != "" {
		if err := json.Unmarshal([]byte(v), &out); err != nil {
			return problemf("%s is not a JSON list of strings", show(v))
		}
	}
	for _, o := range out {
		if insecureSSH.MatchString(strings.TrimSpace(o)) {
			return problemf("%s turns host key checking off; allowed: ssh options that keep it (add the VPS's host key to known_hosts instead)", show(o))
		}
	}
	*j.p = out
	return nil
}

// Grammars.
var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	// dockerObjectName is what Docker accepts for container and network names.
	dockerObjectName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	// imageRef accepts repo:tag (tag not "latest") or repo@sha256:<64 hex>.
	imageRef = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$`)
	// hostName is an RFC 1123 host name.
	hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
	// urlPath is an absolute path of plain characters: no query, fragment,
	// space or escape (Prometheus' metrics_path takes no parameters).
	urlPath = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)
	// login is a Grafana login as this stack uses it: it travels in an
	// HTTP basic-auth header (no ':'), a file and a shell (no space, no
	// quote, no control character).
	login = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)
)

func isNamePrefix(v string) bool { return dnsLabel.MatchString(v) && len(v) <= 40 }

func isImage(v string) bool { return imageRef.MatchString(v) && !strings.HasSuffix(v, ":latest") }

// isHost is a host name or an IP address.
func isHost(v string) bool {
	return len(v) <= 253 && (hostName.MatchString(v) || net.ParseIP(v) != nil)
}

// isTarget is host:port, the host a name, an IPv4 address or a bracketed
// IPv6 address ([::1]:9100).
func isTarget(v string) bool {
	host, port, err := net.SplitHostPort(v)
	if err != nil || !isHost(host) || (strings.Contains(host, ":") && !strings.HasPrefix(v, "[")) {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

func isIP(v string) bool { return net.ParseIP(v) != nil }

// isPrintable has no space and no control character.
func isPrintable(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

func isURLPath(v string) bool { return urlPath.MatchString(v) }

// isHostDir: Docker bind-mounts this host path. A relative path would be
// taken as a volume name, and ".." could walk out of the intended directory.
func isHostDir(v string) bool {
	return path.IsAbs(v) && !slices.Contains(strings.Split(v, "/"), "..")
}

// isHTTPURL is an http(s) URL with a host, and no credentials: a password
// in a URL would sit unencrypted in the stack file.
func isHTTPURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && isHost(u.Hostname()) && u.User == nil && u.Fragment == ""
}

func isEmail(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v
}

// dockerHost is ssh://user@host[:port], unix:///path or empty. A value that
// holds a password is never quoted.
type dockerHost struct{ p *string }

const dockerHostAllowed = "allowed: ssh://user@host[:port], unix:///path/to/docker.sock, or empty for the local socket"

func (d dockerHost) Set(h string) error {
	*d.p = h
	if h == "" {
		return nil
	}
	u, err := url.Parse(h)
	switch {
	case credentials.MatchString(h) || (err == nil && u.User != nil && hasPassword(u.User)):
		// Not quoted: the value holds a password, which belongs in an
		// SSH key, not in the stack configuration.
		return problemf("contains a password; %s, authenticated with an SSH key (ssh-agent or dockerSshOpts -i)", dockerHostAllowed)
	case err != nil || (u.Scheme != "ssh" && u.Scheme != "unix") || u.RawQuery != "" || u.Fragment != "",
		u.Scheme == "ssh" && (u.User == nil || !login.MatchString(u.User.Username()) || !isHost(u.Hostname()) || (u.Path != "" && u.Path != "/") || !validPort(u.Port())),
		u.Scheme == "unix" && (u.Path == "" || u.Host != "" || u.User != nil):
		return problemf("%s is not a Docker host; %s", show(h), dockerHostAllowed)
	}
	return nil
}

// validPort: empty (the default) or 1 to 65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

func hasPassword(u *url.Userinfo) bool {
	_, ok := u.Password()
	return ok
}

// loginName is the Grafana admin login.
type loginName struct{ p *string }

func (l loginName) Set(v string) error {
	if v == "" {
		return problem("is empty; allowed: a login name")
	}
	if !login.MatchString(v) {
		return problemf("%s is not a login name; allowed: 1 to 64 letters, digits and . _ @ + - (no ':', which would break the HTTP basic auth the Grafana provider logs in with)", show(v))
	}
	*l.p = v
	return nil
}

// subnet is a private IPv4 subnet of /16 to /28.
type subnet struct{ p *netip.Prefix }

func (n subnet) Set(v string) error {
	pfx, err := netip.ParsePrefix(v)
	if err != nil || !pfx.Addr().Is4() || pfx.Bits() < 16 || pfx.Bits() > 28 || pfx.Masked() != pfx || !pfx.Addr().IsPrivate() {
		return problemf("%s is not a subnet for the stack network; allowed: a private IPv4 subnet from /16 to /28 written with its network address, such as 172.29.253.0/24", show(v))
	}
	*n.p = pfx
	return nil
}
