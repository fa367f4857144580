package alloyconfig

// Alloy's own parser (Go module github.com/grafana/alloy/syntax, Apache-2.0)
// is not served by the module proxy available here (`go list -m -versions`
// answers 403), and no Alloy binary is available offline. These tests
// therefore validate by structure only, with a small reader of the subset of
// the syntax the renderer emits: it is NOT Alloy's parser and proves nothing
// about Alloy accepting the file beyond what is asserted below (balanced
// blocks, decodable string literals, documented component and argument names,
// references that resolve to declared components).

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/topology"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const golden = "testdata/config.prod.golden.alloy"

// documented maps each component this project uses to the arguments and
// blocks its Alloy reference page documents, and exports to the fields it
// exports. Source: https://grafana.com/docs/alloy/latest/reference/components/
// pages discovery.docker, discovery.relabel, loki.source.docker,
// local.file_match, loki.source.file, loki.relabel, loki.source.journal,
// loki.write.
var documented = map[string]struct {
	args    []string
	blocks  map[string][]string
	exports []string
}{
	"discovery.docker":    {args: []string{"host", "port", "host_networking_host", "refresh_interval"}, exports: []string{"targets"}},
	"discovery.relabel":   {args: []string{"targets"}, blocks: map[string][]string{"rule": ruleArgs}, exports: []string{"output", "rules"}},
	"loki.source.docker":  {args: []string{"host", "targets", "forward_to", "labels", "relabel_rules", "refresh_interval"}},
	"local.file_match":    {args: []string{"path_targets", "sync_period"}, exports: []string{"targets"}},
	"loki.source.file":    {args: []string{"targets", "forward_to", "encoding", "tail_from_end", "legacy_positions_file"}},
	"loki.relabel":        {args: []string{"forward_to", "max_cache_size"}, blocks: map[string][]string{"rule": ruleArgs}, exports: []string{"receiver", "rules"}},
	"loki.source.journal": {args: []string{"forward_to", "format_as_json", "labels", "matches", "max_age", "path", "relabel_rules"}},
	"loki.write":          {args: []string{"external_labels", "max_streams"}, blocks: map[string][]string{"endpoint": {"url", "name", "batch_wait", "batch_size", "remote_timeout", "headers"}}, exports: []string{"receiver"}},
}

var ruleArgs = []string{"source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"}

func prodSettings(t *testing.T, stack string) config.Settings {
	t.Helper()
	s, err := config.Parse(stack,
		map[string]string{"postgresDsn": "postgresql://monitor:pw@postgres:5432/koprogo?sslmode=disable", "alertsEnabled": "false"},
		map[string]bool{"postgresDsn": true})
	require.NoError(t, err)
	return s
}

func render(t *testing.T, s config.Settings, l topology.Layout) []byte {
	t.Helper()
	out, err := Render(s, l)
	require.NoError(t, err)
	return out
}

func TestDocumentedComponentsAndArguments(t *testing.T) {
	s := prodSettings(t, "prod")
	f := read(t, render(t, s, topology.Production(s)))

	declared := map[string]bool{}
	for _, c := range f {
		doc, ok := documented[c.name]
		require.True(t, ok, "component %q is not in the documented list", c.name)
		require.NotEmpty(t, c.label, "%s needs a label", c.name)
		id := c.name + "." + c.label
		require.False(t, declared[id], "%s declared twice", id)
		declared[id] = true
		for _, a := range c.attrs {
			require.Contains(t, doc.args, a.name, "%s: argument %q is not documented", id, a.name)
		}
		for _, b := range c.blocks {
			allowed, ok := doc.blocks[b.name]
			require.True(t, ok, "%s: block %q is not documented", id, b.name)
			for _, a := range b.attrs {
				require.Contains(t, allowed, a.name, "%s: %s argument %q is not documented", id, b.name, a.name)
			}
		}
	}

	// Every reference names a declared component and one of its exports.
	refs := 0
	for _, c := range f {
		for _, r := range c.refs() {
			refs++
			i := strings.LastIndex(r, ".")
			target, export := r[:i], r[i+1:]
			require.True(t, declared[target], "%s references undeclared %s", c.name, target)
			name := target[:strings.LastIndex(target, ".")]
			require.Contains(t, documented[name].exports, export, "%s has no export %q", name, export)
		}
	}
	require.Positive(t, refs)
}

func TestShipsEverySourceToLoki(t *testing.T) {
	s := prodSettings(t, "prod")
	l := topology.Production(s)
	f := read(t, render(t, s, l))

	w := f.one(t, "loki.write")
	require.Equal(t, l.LokiPushURL, w.block(t, "endpoint").str(t, "url"))
	require.Equal(t, map[string]string{"stack": "prod"}, w.object(t, "external_labels"))

	for _, src := range []string{"loki.source.docker", "loki.source.file", "loki.source.journal"} {
		c := f.one(t, src)
		require.Equal(t, []string{"loki.write." + w.label + ".receiver"}, c.attr(t, "forward_to").refList(t), src)
	}

	docker := f.one(t, "loki.source.docker")
	require.Equal(t, "unix://"+DockerSocket, docker.str(t, "host"))
	require.Equal(t, "discovery.docker."+f.one(t, "discovery.docker").label+".targets", docker.attr(t, "targets").ref)
	require.Equal(t, "discovery.relabel."+f.one(t, "discovery.relabel").label+".rules", docker.attr(t, "relabel_rules").ref)

	journal := f.one(t, "loki.source.journal")
	require.Equal(t, "loki.relabel."+f.one(t, "loki.relabel").label+".rules", journal.attr(t, "relabel_rules").ref)

	require.Equal(t, true, f.one(t, "loki.source.file").attr(t, "tail_from_end").boolean)
	var globs []string
	for _, o := range f.one(t, "local.file_match").attr(t, "path_targets").list {
		globs = append(globs, o.object["__path__"])
	}
	require.Equal(t, HostFileGlobs, globs)
}

func TestLabelRules(t *testing.T) {
	s := prodSettings(t, "prod")
	f := read(t, render(t, s, topology.Production(s)))
	targets := func(c component) map[string]string {
		m := map[string]string{}
		for _, r := range c.blocks {
			src := r.attr(t, "source_labels").strList(t)
			require.Len(t, src, 1)
			m[r.str(t, "target_label")] = src[0] + " ~ " + r.str(t, "regex")
		}
		return m
	}
	require.Equal(t, map[string]string{
		LabelContainer:      "__meta_docker_container_name ~ /(.*)",
		LabelComposeService: "__meta_docker_container_label_com_docker_compose_service ~ (.+)",
		LabelComposeProject: "__meta_docker_container_label_com_docker_compose_project ~ (.+)",
		LabelStream:         "__meta_docker_container_log_stream ~ (.+)",
	}, targets(f.one(t, "discovery.relabel")))
	require.Equal(t, map[string]string{
		LabelUnit:  "__journal__systemd_unit ~ (.+)",
		LabelLevel: "__journal_priority_keyword ~ (.+)",
		LabelHost:  "__journal__hostname ~ (.+)",
	}, targets(f.one(t, "loki.relabel")))
}

// TestEscapesInterpolatedStrings: hostile values come back byte for byte
// and cannot break out of their literal.
func TestEscapesInterpolatedStrings(t *testing.T) {
	s := prodSettings(t, "prod")
	s.Stack = "a\"b\\c\nd}\u00e9\x01"
	l := topology.Production(s)
	l.LokiPushURL = `http://loki:3100/loki/api/v1/push?x="} loki.write "evil" {`
	f := read(t, render(t, s, l))
	w := f.one(t, "loki.write")
	require.Equal(t, l.LokiPushURL, w.block(t, "endpoint").str(t, "url"))
	require.Equal(t, s.Stack, w.object(t, "external_labels")["stack"])
	require.Len(t, f, 8, "no component injected")
}

func TestRejectsBadInput(t *testing.T) {
	s := prodSettings(t, "prod")
	l := topology.Production(s)
	l.LokiPushURL = "loki:3100"
	_, err := Render(s, l)
	require.Error(t, err)
	s.Stack = ""
	_, err = Render(s, topology.Production(prodSettings(t, "prod")))
	require.Error(t, err)
}

func TestDeterministic(t *testing.T) {
	s := prodSettings(t, "prod")
	l := topology.Production(s)
	require.Equal(t, render(t, s, l), render(t, s, l))
}

func TestGolden(t *testing.T) {
	s := prodSettings(t, "prod")
	out := render(t, s, topology.Production(s))
	testkit.Golden(t, golden, out, *update)
}

// ---- a reader for the emitted subset of the syntax (see top of file) ----

type value struct {
	str     *string
	boolean bool
	ref     string
	list    []value
	object  map[string]string
}

type attribute struct {
	name string
	val  value
}

type component struct {
	name, label string
	attrs       []attribute
	blocks      []component
}

type fileTree []component

func (f fileTree) one(t *testing.T, name string) component {
	t.Helper()
	var found []component
	for _, c := range f {
		if c.name == name {
			found = append(found, c)
		}
	}
	require.Len(t, found, 1, "exactly one %s", name)
	return found[0]
}

func (c component) attr(t *testing.T, name string) value {
	t.Helper()
	for _, a := range c.attrs {
		if a.name == name {
			return a.val
		}
	}
	t.Fatalf("%s %q: no argument %s", c.name, c.label, name)
	return value{}
}

func (c component) str(t *testing.T, name string) string {
	t.Helper()
	v := c.attr(t, name)
	require.NotNil(t, v.str, "%s is not a string", name)
	return *v.str
}

func (c component) object(t *testing.T, name string) map[string]string {
	t.Helper()
	v := c.attr(t, name)
	require.NotNil(t, v.object, "%s is not an object", name)
	return v.object
}

func (c component) block(t *testing.T, name string) component {
	t.Helper()
	for _, b := range c.blocks {
		if b.name == name {
			return b
		}
	}
	t.Fatalf("%s: no block %s", c.name, name)
	return component{}
}

func (c component) refs() []string {
	var out []string
	var walk func(v value)
	walk = func(v value) {
		if v.ref != "" {
			out = append(out, v.ref)
		}
		for _, e := range v.list {
			walk(e)
		}
	}
	for _, a := range c.attrs {
		walk(a.val)
	}
	return out
}

func (v value) refList(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range v.list {
		require.NotEmpty(t, e.ref)
		out = append(out, e.ref)
	}
	return out
}

func (v value) strList(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range v.list {
		require.NotNil(t, e.str)
		out = append(out, *e.str)
	}
	return out
}

type reader struct {
	src string
	pos int
}

func read(t *testing.T, src []byte) fileTree {
	t.Helper()
	r := &reader{src: string(src)}
	var f fileTree
	for {
		r.skip()
		if r.pos >= len(r.src) {
			return f
		}
		c, err := r.component()
		require.NoError(t, err, "at offset %d:\n%s", r.pos, src)
		f = append(f, c)
	}
}

// skip passes whitespace and //-comments.
func (r *reader) skip() {
	for r.pos < len(r.src) {
		switch {
		case unicode.IsSpace(rune(r.src[r.pos])):
			r.pos++
		case strings.HasPrefix(r.src[r.pos:], "//"):
			for r.pos < len(r.src) && r.src[r.pos] != '\n' {
				r.pos++
			}
		default:
			return
		}
	}
}

func (r *reader) ident() string {
	r.skip()
	start := r.pos
	for r.pos < len(r.src) {
		c := rune(r.src[r.pos])
		if !(unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '.') {
			break
		}
		r.pos++
	}
	return r.src[start:r.pos]
}

func (r *reader) expect(c byte) error {
	r.skip()
	if r.pos >= len(r.src) || r.src[r.pos] != c {
		return fmt.Errorf("expected %q", c)
	}
	r.pos++
	return nil
}

func (r *reader) peek() byte {
	r.skip()
	if r.pos >= len(r.src) {
		return 0
	}
	return r.src[r.pos]
}

// stringLit reads a double-quoted literal and decodes it with Go's rules,
// which Alloy's string escapes follow.
func (r *reader) stringLit() (string, error) {
	r.skip()
	start := r.pos
	if r.peek() != '"' {
		return "", fmt.Errorf("expected string")
	}
	r.pos++
	for r.pos < len(r.src) && r.src[r.pos] != '"' {
		if r.src[r.pos] == '\n' {
			return "", fmt.Errorf("newline in string literal")
		}
		if r.src[r.pos] == '\\' {
			r.pos++
		}
		r.pos++
	}
	r.pos++
	return strconv.Unquote(r.src[start:r.pos])
}

func (r *reader) component() (component, error) {
	c := component{name: r.ident()}
	if c.name == "" {
		return c, fmt.Errorf("expected a block name")
	}
	if r.peek() == '"' {
		l, err := r.stringLit()
		if err != nil {
			return c, err
		}
		c.label = l
	}
	if err := r.expect('{'); err != nil {
		return c, err
	}
	for r.peek() != '}' {
		if r.peek() == 0 {
			return c, fmt.Errorf("unterminated block %s", c.name)
		}
		start := r.pos // peek skipped the whitespace
		name := r.ident()
		if name == "" {
			return c, fmt.Errorf("expected an attribute or block in %s", c.name)
		}
		if r.peek() == '=' {
			r.pos++
			v, err := r.value()
			if err != nil {
				return c, fmt.Errorf("%s.%s: %w", c.name, name, err)
			}
			c.attrs = append(c.attrs, attribute{name, v})
			continue
		}
		r.pos = start
		b, err := r.component()
		if err != nil {
			return c, err
		}
		c.blocks = append(c.blocks, b)
	}
	r.pos++
	return c, nil
}

func (r *reader) value() (value, error) {
	switch c := r.peek(); {
	case c == '"':
		s, err := r.stringLit()
		return value{str: &s}, err
	case c == '[':
		r.pos++
		var v value
		v.list = []value{}
		for r.peek() != ']' {
			e, err := r.value()
			if err != nil {
				return v, err
			}
			v.list = append(v.list, e)
			if r.peek() == ',' {
				r.pos++
			} else if r.peek() != ']' {
				return v, fmt.Errorf("expected , or ] in list")
			}
		}
		r.pos++
		return v, nil
	case c == '{':
		r.pos++
		v := value{object: map[string]string{}}
		for r.peek() != '}' {
			k, err := r.stringLit()
			if err != nil {
				return v, err
			}
			if err := r.expect('='); err != nil {
				return v, err
			}
			s, err := r.stringLit()
			if err != nil {
				return v, err
			}
			v.object[k] = s
			if r.peek() == ',' {
				r.pos++
			} else if r.peek() != '}' {
				return v, fmt.Errorf("expected , or } in object")
			}
		}
		r.pos++
		return v, nil
	default:
		id := r.ident()
		switch id {
		case "":
			return value{}, fmt.Errorf("expected a value")
		case "true", "false":
			return value{boolean: id == "true"}, nil
		}
		return value{ref: id}, nil
	}
}
