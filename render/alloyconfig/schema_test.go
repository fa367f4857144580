package alloyconfig

import "time"

// The arguments of each component this project uses, as the Alloy reference
// documents them (https://grafana.com/docs/alloy/latest/reference/components/,
// pages discovery.docker, discovery.relabel, loki.source.docker,
// local.file_match, loki.source.file, loki.relabel, loki.source.journal,
// loki.process, loki.write), in Alloy's struct-tag form. Alloy's own evaluator (syntax/vm)
// decodes each rendered component body into these: it refuses an argument or
// block that is not listed, a required one that is missing, and a value of
// the wrong type (a duration that does not parse, a string for a bool...).
// Only the component registry itself, which needs Alloy's binary, is not
// used. Arguments holding references to other components are `any`: the test
// scope gives each declared export a distinct value to compare with.

type relabelRule struct {
	SourceLabels []string `alloy:"source_labels,attr,optional"`
	Separator    string   `alloy:"separator,attr,optional"`
	Regex        string   `alloy:"regex,attr,optional"`
	Modulus      uint64   `alloy:"modulus,attr,optional"`
	TargetLabel  string   `alloy:"target_label,attr,optional"`
	Replacement  string   `alloy:"replacement,attr,optional"`
	Action       string   `alloy:"action,attr,optional"`
}

type discoveryDocker struct {
	Host               string        `alloy:"host,attr"`
	Port               int           `alloy:"port,attr,optional"`
	HostNetworkingHost string        `alloy:"host_networking_host,attr,optional"`
	RefreshInterval    time.Duration `alloy:"refresh_interval,attr,optional"`
}

type discoveryRelabel struct {
	Targets []map[string]string `alloy:"targets,attr"`
	Rules   []relabelRule       `alloy:"rule,block,optional"`
}

type lokiSourceDocker struct {
	Host            string            `alloy:"host,attr"`
	Targets         any               `alloy:"targets,attr"`
	ForwardTo       []any             `alloy:"forward_to,attr"`
	Labels          map[string]string `alloy:"labels,attr,optional"`
	RelabelRules    any               `alloy:"relabel_rules,attr,optional"`
	RefreshInterval time.Duration     `alloy:"refresh_interval,attr,optional"`
}

type localFileMatch struct {
	PathTargets []map[string]string `alloy:"path_targets,attr"`
	SyncPeriod  time.Duration       `alloy:"sync_period,attr,optional"`
}

type lokiSourceFile struct {
	Targets             any    `alloy:"targets,attr"`
	ForwardTo           []any  `alloy:"forward_to,attr"`
	Encoding            string `alloy:"encoding,attr,optional"`
	TailFromEnd         bool   `alloy:"tail_from_end,attr,optional"`
	LegacyPositionsFile string `alloy:"legacy_positions_file,attr,optional"`
}

type lokiRelabel struct {
	ForwardTo    []any         `alloy:"forward_to,attr"`
	MaxCacheSize int           `alloy:"max_cache_size,attr,optional"`
	Rules        []relabelRule `alloy:"rule,block,optional"`
}

type lokiSourceJournal struct {
	ForwardTo    []any             `alloy:"forward_to,attr"`
	FormatAsJSON bool              `alloy:"format_as_json,attr,optional"`
	Labels       map[string]string `alloy:"labels,attr,optional"`
	Matches      string            `alloy:"matches,attr,optional"`
	MaxAge       time.Duration     `alloy:"max_age,attr,optional"`
	Path         string            `alloy:"path,attr,optional"`
	RelabelRules any               `alloy:"relabel_rules,attr,optional"`
}

type basicAuth struct {
	Username     string `alloy:"username,attr,optional"`
	Password     string `alloy:"password,attr,optional"`
	PasswordFile string `alloy:"password_file,attr,optional"`
}

type lokiWriteEndpoint struct {
	Name            string            `alloy:"name,attr,optional"`
	URL             string            `alloy:"url,attr"`
	BatchWait       time.Duration     `alloy:"batch_wait,attr,optional"`
	BatchSize       string            `alloy:"batch_size,attr,optional"`
	RemoteTimeout   time.Duration     `alloy:"remote_timeout,attr,optional"`
	Headers         map[string]string `alloy:"headers,attr,optional"`
	TenantID        string            `alloy:"tenant_id,attr,optional"`
	BearerTokenFile string            `alloy:"bearer_token_file,attr,optional"`
	BasicAuth       *basicAuth        `alloy:"basic_auth,block,optional"`
}

// loki.process: stages are an enum of blocks (stage.match, stage.drop,
// stage.truncate, ...), in order.
type stage struct {
	Match    *matchStage    `alloy:"match,block,optional"`
	Drop     *dropStage     `alloy:"drop,block,optional"`
	Truncate *truncateStage `alloy:"truncate,block,optional"`
}

type matchStage struct {
	Selector     string  `alloy:"selector,attr"`
	Stages       []stage `alloy:"stage,enum,optional"`
	Action       string  `alloy:"action,attr,optional"`
	PipelineName string  `alloy:"pipeline_name,attr,optional"`
	DropReason   string  `alloy:"drop_counter_reason,attr,optional"`
}

type dropStage struct {
	DropReason string        `alloy:"drop_counter_reason,attr,optional"`
	Source     string        `alloy:"source,attr,optional"`
	Value      string        `alloy:"value,attr,optional"`
	Separator  string        `alloy:"separator,attr,optional"`
	Expression string        `alloy:"expression,attr,optional"`
	OlderThan  time.Duration `alloy:"older_than,attr,optional"`
	LongerThan string        `alloy:"longer_than,attr,optional"`
}

type truncateStage struct {
	Rules []truncateRule `alloy:"rule,block"`
}

type truncateRule struct {
	Limit      string   `alloy:"limit,attr"`
	Suffix     string   `alloy:"suffix,attr,optional"`
	Sources    []string `alloy:"sources,attr,optional"`
	SourceType string   `alloy:"source_type,attr,optional"`
}

type lokiProcess struct {
	ForwardTo []any   `alloy:"forward_to,attr"`
	Stages    []stage `alloy:"stage,enum,optional"`
}

type lokiWrite struct {
	Endpoints      []lokiWriteEndpoint `alloy:"endpoint,block"`
	ExternalLabels map[string]string   `alloy:"external_labels,attr,optional"`
	MaxStreams     int                 `alloy:"max_streams,attr,optional"`
}

// components maps a component name to a new value of its arguments and the
// names of its exports.
var components = map[string]struct {
	args    func() any
	exports []string
}{
	"discovery.docker":    {func() any { return &discoveryDocker{} }, []string{"targets"}},
	"discovery.relabel":   {func() any { return &discoveryRelabel{} }, []string{"output", "rules"}},
	"loki.source.docker":  {func() any { return &lokiSourceDocker{} }, nil},
	"local.file_match":    {func() any { return &localFileMatch{} }, []string{"targets"}},
	"loki.source.file":    {func() any { return &lokiSourceFile{} }, nil},
	"loki.relabel":        {func() any { return &lokiRelabel{} }, []string{"receiver", "rules"}},
	"loki.source.journal": {func() any { return &lokiSourceJournal{} }, nil},
	"loki.process":        {func() any { return &lokiProcess{} }, []string{"receiver"}},
	"loki.write":          {func() any { return &lokiWrite{} }, []string{"receiver"}},
}
