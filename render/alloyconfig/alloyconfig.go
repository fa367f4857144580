// Package alloyconfig renders Grafana Alloy's configuration (Alloy syntax).
//
// Component and argument names follow the Alloy reference documentation,
// https://grafana.com/docs/alloy/latest/reference/components/ (pages
// discovery.docker, discovery.relabel, loki.source.docker, local.file_match,
// loki.source.file, loki.relabel, loki.source.journal, loki.write).
package alloyconfig

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/koprogo/koprogo-monitoring/render/lokiconfig"
)

// Paths inside the Alloy container. The container must mount the host's
// Docker socket, /var/log, /run/log/journal and /etc/machine-id (all
// read-only) at these paths.
const (
	ConfigPath    = "/etc/alloy/config.alloy"
	DockerSocket  = "/var/run/docker.sock"
	HostLogDir    = "/var/log" // includes /var/log/journal, the persistent journal
	RunJournalDir = "/run/log/journal"
	MachineIDFile = "/etc/machine-id" // the journal reader finds the host's journal by machine ID
)

// HostFileGlobs are the host log files shipped besides the journal. On hosts
// that run rsyslog, syslog and some *.log files repeat journal entries; the
// `job` label tells the two sources apart.
var HostFileGlobs = []string{HostLogDir + "/*.log", HostLogDir + "/syslog"}

// Loki labels set by this configuration (besides `stack`, added to every
// stream by loki.write, and `filename`, added by loki.source.file).
const (
	LabelJob            = "job"
	LabelContainer      = "container"
	LabelComposeService = "compose_service"
	LabelComposeProject = "compose_project"
	LabelStream         = "stream"
	LabelUnit           = "unit"
	LabelLevel          = "level"
	LabelHost           = "host"
	LabelStack          = "stack"
)

// Values of the job label, one per source.
const (
	JobDocker  = "docker"
	JobVarLogs = "varlogs"
	JobJournal = "systemd-journal"
)

// Options is everything config.alloy depends on.
type Options struct {
	Stack string // the stack label on every stream
	// Host is the host label of every stream that has none of its own
	// (the journal's streams carry the machine's host name): the same
	// value as on the host's metrics.
	Host string
	// LokiPushURL is the stack's own Loki; "" ships only to Endpoints.
	LokiPushURL string
	// Endpoints are further Loki endpoints (a Loki cluster, a managed Loki).
	Endpoints []Endpoint
	// LokiContainer and AlloyContainer are the Docker names of Loki and of
	// Alloy itself, whose lines about refused pushes are not shipped back
	// (FeedbackRules).
	LokiContainer, AlloyContainer string
}

// Endpoint is a further Loki push endpoint.
type Endpoint struct {
	Name   string
	URL    string
	Tenant string // X-Scope-OrgID; "" = none
	// Username and PasswordFile for basic auth, or BearerTokenFile; ""
	// for none. Files, never values, in the configuration.
	Username, PasswordFile string
	BearerTokenFile        string
}

// Feedback is a rule that keeps a container's lines about refused pushes
// out of Loki.
type Feedback struct {
	Container string
	Reason    string // drop_counter_reason: counted by Alloy, visible in Prometheus
	Pattern   string // RE2, matched against the line
}

// Refused pushes would otherwise feed themselves: Loki logs every refused
// push (even at log_level warn), Alloy ships Loki's container log back into
// Loki, a bad client makes Loki log more, and so on; and Alloy logs every
// batch it finally drops, which it would ship back the same way. The lines
// are those the real Loki 3.7.3 logs for a refused or failed push (captured
// in a session run, docs/verification.md) and the one Alloy logs when it
// drops a batch (internal/component/common/loki/client/shards.go). The
// refusals stay countable in Prometheus (loki_discarded_samples_total,
// loki_request_duration_seconds_count{status_code=~"4..|5.."},
// loki_write_dropped_entries_total) and in Alloy's
// loki_process_dropped_lines_total{reason}.
const (
	LokiRefusedPush  = `^level=(?:warn|error) .*(?:path=write msg="write operation failed"|method=/logproto\.Pusher/Push |msg="POST /loki/api/v1/push \(5[0-9][0-9]\))`
	AlloyDroppedPush = `level=error .*msg="final error sending batch`
)

// FeedbackRules are the drop rules of the options.
func (o Options) FeedbackRules() []Feedback {
	return []Feedback{
		{Container: o.LokiContainer, Reason: "loki_push_refused", Pattern: LokiRefusedPush},
		{Container: o.AlloyContainer, Reason: "alloy_push_dropped", Pattern: AlloyDroppedPush},
	}
}

// Render returns config.alloy shipping Docker container logs and host logs
// (/var/log, the systemd journal), through the feedback and truncation
// stages, to the stack's Loki and the further endpoints.
func Render(o Options) ([]byte, error) {
	if o.Stack == "" {
		return nil, errors.New("alloyconfig: empty stack name")
	}
	if o.Host == "" {
		return nil, errors.New("alloyconfig: empty host label")
	}
	if o.LokiContainer == "" || o.AlloyContainer == "" {
		return nil, errors.New("alloyconfig: no Loki or Alloy container name for the feedback rules")
	}
	var endpoints []stmt
	if o.LokiPushURL != "" {
		if err := checkURL(o.LokiPushURL); err != nil {
			return nil, err
		}
		endpoints = append(endpoints, endpoint("", o.LokiPushURL, nil))
	}
	for _, e := range o.Endpoints {
		if err := checkURL(e.URL); err != nil {
			return nil, err
		}
		var extra []stmt
		if e.Tenant != "" {
			extra = append(extra, attr{"tenant_id", str(e.Tenant)})
		}
		switch {
		case e.Username != "" && e.PasswordFile != "":
			extra = append(extra, block{"basic_auth", "", []stmt{
				attr{"username", str(e.Username)},
				attr{"password_file", str(e.PasswordFile)},
			}})
		case e.BearerTokenFile != "":
			extra = append(extra, attr{"bearer_token_file", str(e.BearerTokenFile)})
		}
		endpoints = append(endpoints, endpoint(e.Name, e.URL, extra))
	}
	if len(endpoints) == 0 {
		return nil, errors.New("alloyconfig: no Loki endpoint: logs would go nowhere")
	}

	// Every source goes through the processing stage, then to loki.write.
	const receiver = ref("loki.process.ship.receiver")
	var paths list
	for _, g := range HostFileGlobs {
		paths = append(paths, object{{"__path__", str(g)}, {LabelJob, str(JobVarLogs)}})
	}

	file := []stmt{
		// Docker containers: discovered through the socket, read through
		// the Docker API (no access to /var/lib/docker needed). The rules
		// run per log entry inside loki.source.docker, where the stream
		// (stdout/stderr) is known; targets = [] because only the rules
		// of this discovery.relabel are used.
		block{"discovery.docker", "containers", []stmt{
			attr{"host", str("unix://" + DockerSocket)},
			attr{"refresh_interval", str("15s")},
		}},
		block{"discovery.relabel", "containers", []stmt{
			attr{"targets", list{}},
			rule(`/(.*)`, LabelContainer, "__meta_docker_container_name"),
			rule(`(.+)`, LabelComposeService, "__meta_docker_container_label_com_docker_compose_service"),
			rule(`(.+)`, LabelComposeProject, "__meta_docker_container_label_com_docker_compose_project"),
			rule(`(.+)`, LabelStream, "__meta_docker_container_log_stream"),
		}},
		block{"loki.source.docker", "containers", []stmt{
			attr{"host", str("unix://" + DockerSocket)},
			attr{"targets", ref("discovery.docker.containers.targets")},
			attr{"labels", object{{LabelJob, str(JobDocker)}}},
			attr{"relabel_rules", ref("discovery.relabel.containers.rules")},
			attr{"forward_to", list{receiver}},
		}},

		// Host log files. tail_from_end: on the very first start, ship new
		// lines only instead of the whole history stamped with today's date;
		// afterwards the stored positions take over.
		block{"local.file_match", "host_files", []stmt{
			attr{"path_targets", paths},
		}},
		block{"loki.source.file", "host_files", []stmt{
			attr{"targets", ref("local.file_match.host_files.targets")},
			attr{"tail_from_end", boolean(true)},
			attr{"forward_to", list{receiver}},
		}},

		// The systemd journal (persistent and volatile locations, found
		// through /etc/machine-id). The __journal_* fields exist only
		// inside loki.source.journal, hence rules exported by loki.relabel.
		block{"loki.relabel", "journal", []stmt{
			attr{"forward_to", list{}},
			rule(`(.+)`, LabelUnit, "__journal__systemd_unit"),
			rule(`(.+)`, LabelLevel, "__journal_priority_keyword"),
			rule(`(.+)`, LabelHost, "__journal__hostname"),
		}},
		block{"loki.source.journal", "journal", []stmt{
			attr{"max_age", str("12h")},
			attr{"labels", object{{LabelJob, str(JobJournal)}}},
			attr{"relabel_rules", ref("loki.relabel.journal.rules")},
			attr{"forward_to", list{receiver}},
		}},

		block{"loki.process", "ship", process(o)},

		block{"loki.write", "loki", append([]stmt{
			// A stream's own labels win over these (loki.write merges
			// them under the stream's), so the journal keeps its host.
			attr{"external_labels", object{{LabelHost, str(o.Host)}, {LabelStack, str(o.Stack)}}},
		}, endpoints...)},
	}

	var b strings.Builder
	b.WriteString("// Generated by koprogo-monitoring (render/alloyconfig). Do not edit: run `pulumi up`.\n")
	for _, st := range file {
		b.WriteString("\n")
		st.write(&b, 0)
	}
	return []byte(b.String()), nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("alloyconfig: Loki push URL %q is not an http(s) URL", raw)
	}
	return nil
}

// endpoint is a loki.write endpoint. batch_size is Alloy's default, stated
// because Loki's push body limit is derived from it (render/lokiconfig).
func endpoint(name, url string, extra []stmt) block {
	body := []stmt{}
	if name != "" {
		body = append(body, attr{"name", str(name)})
	}
	body = append(body, attr{"url", str(url)}, attr{"batch_size", str(bytesSize(lokiconfig.AlloyBatchSize))})
	return block{"endpoint", "", append(body, extra...)}
}

// bytesSize spells a size as Alloy's units.Base2Bytes reads it (KiB, MiB).
func bytesSize(n int) string {
	switch {
	case n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// process is the loki.process stage every line goes through: the feedback
// rules, then truncation to Loki's line limit with Loki's marker, so an
// oversized line arrives already cut and says so; Loki's own truncation,
// with the same marker, stays as the backstop for other clients.
func process(o Options) []stmt {
	body := []stmt{attr{"forward_to", list{ref("loki.write.loki.receiver")}}}
	for _, f := range o.FeedbackRules() {
		body = append(body, block{"stage.match", "", []stmt{
			attr{"selector", str(`{` + LabelContainer + `="` + f.Container + `"}`)},
			block{"stage.drop", "", []stmt{
				attr{"expression", str(f.Pattern)},
				attr{"drop_counter_reason", str(f.Reason)},
			}},
		}})
	}
	return append(body, block{"stage.truncate", "", []stmt{
		block{"rule", "", []stmt{
			attr{"limit", str(bytesSize(lokiconfig.MaxLineSize))},
			attr{"suffix", str(lokiconfig.TruncatedSuffix)},
		}},
	}})
}

// rule copies the first capture group of regex, matched against source, to
// target. A source that is absent (empty) does not match `(.+)`, so the
// label is only set when the value exists.
func rule(regex, target, source string) block {
	return block{"rule", "", []stmt{
		attr{"source_labels", list{str(source)}},
		attr{"regex", str(regex)},
		attr{"target_label", str(target)},
	}}
}
