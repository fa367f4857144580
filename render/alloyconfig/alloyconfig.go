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
	"strings"
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
	Stack       string // the stack label on every stream
	LokiPushURL string
}

// Render returns config.alloy shipping Docker container logs and host logs
// (/var/log, the systemd journal) to o.LokiPushURL.
func Render(o Options) ([]byte, error) {
	if o.Stack == "" {
		return nil, errors.New("alloyconfig: empty stack name")
	}
	u, err := url.Parse(o.LokiPushURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("alloyconfig: Loki push URL %q is not an http(s) URL", o.LokiPushURL)
	}

	const receiver = ref("loki.write.loki.receiver")
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

		block{"loki.write", "loki", []stmt{
			attr{"external_labels", object{{LabelStack, str(o.Stack)}}},
			block{"endpoint", "", []stmt{
				attr{"url", str(o.LokiPushURL)},
			}},
		}},
	}

	var b strings.Builder
	b.WriteString("// Generated by koprogo-monitoring (render/alloyconfig). Do not edit: run `pulumi up`.\n")
	for _, st := range file {
		b.WriteString("\n")
		st.write(&b, 0)
	}
	return []byte(b.String()), nil
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
