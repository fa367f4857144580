package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// CustomDir is where operators drop their own dashboard JSON files,
// relative to the Pulumi project directory (the repository root). Every
// *.json file there is pushed into the KoproGo folder by `pulumi up`.
const CustomDir = "dashboards/custom"

// datasourceUIDs maps the datasource plugin ids this stack provides to the
// UIDs of its datasources.
var datasourceUIDs = map[string]string{
	TypePrometheus:   PrometheusUID,
	TypeLoki:         LokiUID,
	TypeAlertmanager: AlertmanagerUID,
}

// LoadCustom reads every *.json file of dir, in name order, and prepares it
// for this stack (see PrepareCustom). A missing dir holds no dashboards.
// UIDs must be unique and must not collide with the built-in dashboards.
func LoadCustom(dir string) ([]Dashboard, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		if _, err := os.Stat(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	taken := map[string]string{}
	for _, b := range builtins {
		taken[b.uid] = "built-in"
	}
	var out []Dashboard
	var problems []string
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		d, err := PrepareCustom(filepath.Base(path), raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		if other, ok := taken[d.UID]; ok {
			problems = append(problems, fmt.Sprintf("%s: uid %q is already used by %s dashboard", path, d.UID, other))
			continue
		}
		taken[d.UID] = path
		out = append(out, d)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("custom dashboards:\n  %s", strings.Join(problems, "\n  "))
	}
	return out, nil
}

var (
	validUID   = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,40}$`)
	nonUIDChar = regexp.MustCompile(`[^a-z0-9]+`)
)

// input is one entry of an exported dashboard's __inputs: what Grafana's
// import dialog asks for ("Export for sharing externally", and dashboards
// downloaded from grafana.com such as Node Exporter Full, ID 1860).
type input struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	PluginID string `json:"pluginId"`
	Value    string `json:"value"`
}

// PrepareCustom turns one dashboard file into what this stack pushes, as
// Grafana's import dialog would with the stack's datasources chosen:
//   - the Grafana API export format ({"dashboard": ..., "meta": ...}) is unwrapped;
//   - every ${INPUT} of __inputs is replaced: datasource inputs by the UID
//     of the stack's datasource of that plugin type (an input for a type the
//     stack lacks is an error), constants by their value;
//   - datasource references then point at the stack: a UID string becomes a
//     {type, uid} object, and a {type, uid} object of a type the stack
//     provides but with another instance's UID gets the stack's UID.
//     References to dashboard variables ($datasource, ${ds}), to Grafana's
//     built-in sources (-- Grafana --, -- Mixed --, -- Dashboard --) and to
//     plugin types the stack lacks are left alone;
//   - __inputs, __requires, id and version are dropped (Grafana assigns id
//     and version; keeping them would make every `pulumi up` show a diff);
//   - a missing uid is derived from the file name ("custom-" + name).
//
// Library panels (__elements) cannot be imported through the dashboard API
// and are refused. The output is canonical JSON (keys sorted), so the same
// file always gives the same bytes.
func PrepareCustom(fileName string, raw []byte) (Dashboard, error) {
	model, err := decode(raw)
	if err != nil {
		return Dashboard{}, err
	}
	if inner, ok := model["dashboard"].(map[string]any); ok {
		if _, isExport := model["meta"]; isExport {
			model = inner
		}
	}
	if elements, ok := model["__elements"].(map[string]any); ok && len(elements) > 0 {
		return Dashboard{}, errors.New("uses library panels (__elements); export it with the library panels unlinked")
	}
	replace, err := inputReplacements(model["__inputs"])
	if err != nil {
		return Dashboard{}, err
	}
	for _, k := range []string{"__inputs", "__requires", "__elements", "id", "version"} {
		delete(model, k)
	}
	rewritten, ok := rewrite(model, replace, "").(map[string]any)
	if !ok {
		return Dashboard{}, errors.New("not a JSON object")
	}
	model = rewritten

	title, _ := model["title"].(string)
	if strings.TrimSpace(title) == "" {
		return Dashboard{}, errors.New("has no title")
	}
	uid, _ := model["uid"].(string)
	if uid == "" {
		uid = customUID(fileName)
		model["uid"] = uid
	}
	if !validUID.MatchString(uid) {
		return Dashboard{}, fmt.Errorf("uid %q: Grafana allows at most 40 letters, digits, '-' and '_'", uid)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(model); err != nil {
		return Dashboard{}, err
	}
	return Dashboard{UID: uid, Title: title, JSON: bytes.TrimSuffix(out.Bytes(), []byte("\n"))}, nil
}

// decode keeps numbers as written (json.Number), so large ids and floats
// survive the round trip unchanged.
func decode(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var model map[string]any
	if err := dec.Decode(&model); err != nil {
		return nil, fmt.Errorf("not a dashboard JSON object: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the dashboard JSON object")
	}
	if model == nil {
		return nil, errors.New("not a dashboard JSON object")
	}
	return model, nil
}

// inputReplacements returns a replacer of "${NAME}" by the value of each
// __inputs entry. The replacer works in one pass, so a value holding
// "${...}" is not replaced again.
func inputReplacements(raw any) (*strings.Replacer, error) {
	var pairs []string
	if raw == nil {
		return strings.NewReplacer(), nil
	}
	buf, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var inputs []input
	if err := json.Unmarshal(buf, &inputs); err != nil {
		return nil, fmt.Errorf("__inputs: %w", err)
	}
	for _, in := range inputs {
		if in.Name == "" {
			return nil, errors.New("__inputs: an entry has no name")
		}
		switch in.Type {
		case "datasource":
			uid, ok := datasourceUIDs[in.PluginID]
			if !ok {
				return nil, fmt.Errorf("__inputs: %s needs a %q datasource; this stack provides prometheus, loki and alertmanager", in.Name, in.PluginID)
			}
			pairs = append(pairs, "${"+in.Name+"}", uid)
		case "constant":
			pairs = append(pairs, "${"+in.Name+"}", in.Value)
		default:
			return nil, fmt.Errorf("__inputs: %s has type %q; only datasource and constant inputs can be filled in", in.Name, in.Type)
		}
	}
	return strings.NewReplacer(pairs...), nil
}

// rewrite walks the model: it substitutes the inputs in every string and
// points every "datasource" value at the stack's datasources.
func rewrite(v any, replace *strings.Replacer, key string) any {
	switch x := v.(type) {
	case string:
		x = replace.Replace(x)
		if key == "datasource" {
			for typ, uid := range datasourceUIDs {
				if x == uid {
					return map[string]any{"type": typ, "uid": uid}
				}
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = rewrite(x[i], replace, "")
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = rewrite(x[k], replace, k)
		}
		if key == "datasource" {
			pointAtStack(x)
		}
		return x
	default:
		return v
	}
}

// pointAtStack fixes one {type, uid} datasource reference in place.
func pointAtStack(ref map[string]any) {
	typ, _ := ref["type"].(string)
	uid, _ := ref["uid"].(string)
	if strings.HasPrefix(uid, "$") {
		return // a dashboard variable: it resolves against the stack's datasources
	}
	if typ == "" {
		for t, u := range datasourceUIDs {
			if uid == u {
				ref["type"] = t
			}
		}
		return
	}
	if ours, ok := datasourceUIDs[typ]; ok && uid != "" {
		ref["uid"] = ours
	}
}

// customUID derives a UID from a file name: "Node Exporter Full.json" ->
// "custom-node-exporter-full", at most 40 characters.
func customUID(fileName string) string {
	base := strings.TrimSuffix(fileName, filepath.Ext(fileName))
	slug := strings.Trim(nonUIDChar.ReplaceAllString(strings.ToLower(base), "-"), "-")
	uid := "custom-" + slug
	if len(uid) > 40 {
		uid = strings.TrimRight(uid[:40], "-")
	}
	return uid
}
