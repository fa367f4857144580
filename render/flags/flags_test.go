package flags

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit"
)

// acceptsFlags runs the real binary with args followed by --help. kingpin
// parses every flag (names and typed values such as durations and byte
// sizes) before it runs the help action, so the command exits 0 only if the
// binary accepts every argument.
func acceptsFlags(t *testing.T, bin string, args []string) {
	t.Helper()
	out, err := exec.Command(bin, append(append([]string{}, args...), "--help")...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s rejected %q: %v\n%s", filepath.Base(bin), args, err, firstLines(string(out), 5))
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func TestPrometheusFlagsAcceptedByPrometheus(t *testing.T) {
	bin := testkit.Tool(t, "prometheus")
	acceptsFlags(t, bin, Prometheus(PrometheusOptions{
		ConfigFile: "/etc/prometheus/prometheus.yml", StoragePath: "/prometheus", ListenAddress: ":9090",
		ExternalURL: "http://localhost:9090/", RetentionTime: config.Duration(30 * 24 * time.Hour), RetentionSize: config.ByteSize(8 << 30),
	}))
}

func TestAlertmanagerFlagsAcceptedByAlertmanager(t *testing.T) {
	bin := testkit.Tool(t, "alertmanager")
	acceptsFlags(t, bin, Alertmanager(AlertmanagerOptions{
		ConfigFile: "/etc/alertmanager/alertmanager.yml", StoragePath: "/alertmanager", ListenAddress: ":9093",
		ExternalURL: "http://localhost:9093/",
	}))
}

func TestNodeExporterFlagsAcceptedByNodeExporter(t *testing.T) {
	bin := testkit.Tool(t, "node_exporter")
	acceptsFlags(t, bin, NodeExporter(NodeExporterOptions{RootFS: "/host", TextfileDir: "/var/lib/node_exporter/textfile", ListenAddress: ":9100"}))
}

func TestPostgresExporterFlagsAcceptedByPostgresExporter(t *testing.T) {
	bin := testkit.Tool(t, "postgres_exporter")
	acceptsFlags(t, bin, PostgresExporter(PostgresExporterOptions{ListenAddress: ":9187"}))
}

// The check above must be able to fail: a misspelt flag is rejected.
func TestAcceptsFlagsDetectsUnknownFlag(t *testing.T) {
	bin := testkit.Tool(t, "node_exporter")
	out, err := exec.Command(bin, "--no-collector.doesnotexist", "--help").CombinedOutput()
	if err == nil {
		t.Fatalf("node_exporter accepted an unknown flag; the --help probe proves nothing:\n%s", firstLines(string(out), 3))
	}
}

// cAdvisor, Loki and Alloy have no binary in the tools set; their flag names
// come from the upstream sources of the pinned releases. What can be checked
// here is the one computed part: cAdvisor's split of the listen address.
func TestCadvisorSplitsListenAddress(t *testing.T) {
	got, err := Cadvisor(CadvisorOptions{ListenAddress: "127.0.0.1:18080"})
	if err != nil {
		t.Fatal(err)
	}
	joined := " " + strings.Join(got, " ") + " "
	for _, want := range []string{" --listen_ip=127.0.0.1 ", " --port=18080 "} {
		if !strings.Contains(joined, want) {
			t.Errorf("Cadvisor() = %q, missing %q", got, strings.TrimSpace(want))
		}
	}
	if _, err := Cadvisor(CadvisorOptions{ListenAddress: "8080"}); err == nil {
		t.Fatal("Cadvisor accepted a listen address without a port")
	}
}

func TestAlloyRunsConfigFileLast(t *testing.T) {
	got := Alloy(AlloyOptions{ConfigFile: "/etc/alloy/config.alloy", StoragePath: "/var/lib/alloy", ListenAddress: "0.0.0.0:12345"})
	if got[0] != "run" || got[len(got)-1] != "/etc/alloy/config.alloy" {
		t.Fatalf("Alloy() = %q: want the run subcommand first and the config path last", got)
	}
}
