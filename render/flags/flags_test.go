package flags

import (
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
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

func centralWithReceiver() PrometheusOptions {
	return PrometheusOptions{
		ConfigFile: "/nonexistent/prometheus.yml", StoragePath: "/prometheus", ListenAddress: ":9090",
		RetentionTime: config.Duration(30 * 24 * time.Hour), RetentionSize: config.ByteSize(8 << 30),
		WebConfigFile: "/etc/prometheus/web.yml", ReceiverListenAddress: ":9091",
	}
}

func agentOptions() PrometheusAgentOptions {
	return PrometheusAgentOptions{ConfigFile: "/nonexistent/prometheus.yml", StoragePath: "/prometheus", ListenAddress: ":9090"}
}

// TestPrometheusReceiverFlagsAcceptedByPrometheus: the central Prometheus's
// web config and remote-write receiver flags, by name, and only when set.
func TestPrometheusReceiverFlagsAcceptedByPrometheus(t *testing.T) {
	bin := testkit.Tool(t, "prometheus")
	args := Prometheus(centralWithReceiver())
	acceptsFlags(t, bin, args)
	for _, want := range []string{"--web.config.file=/etc/prometheus/web.yml", "--web.listen-address=:9090", "--web.listen-address=:9091", "--web.enable-remote-write-receiver"} {
		if !slices.Contains(args, want) {
			t.Errorf("Prometheus() = %q, missing %s", args, want)
		}
	}
	for _, a := range Prometheus(PrometheusOptions{}) {
		if strings.HasPrefix(a, "--web.config.file") || strings.HasPrefix(a, "--web.enable-remote-write-receiver") {
			t.Errorf("Prometheus() without a web config or receiver passes %s", a)
		}
	}
}

func TestPrometheusAgentFlagsAcceptedByPrometheus(t *testing.T) {
	acceptsFlags(t, testkit.Tool(t, "prometheus"), PrometheusAgent(agentOptions()))
}

// modeCheck runs prometheus with args and a configuration file that does not
// exist. Prometheus checks that no flag belongs to the other mode (exit 3)
// before it loads the configuration (exit 2), so exit 2 proves the flags fit
// the mode the arguments select. It returns the exit code and the output.
func modeCheck(t *testing.T, args []string) (int, string) {
	t.Helper()
	out, err := exec.Command(testkit.Tool(t, "prometheus"), args...).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("prometheus %q: want an exit on the missing configuration file, got %v\n%s", args, err, firstLines(string(out), 5))
	}
	return exit.ExitCode(), string(out)
}

// TestFlagsFitTheirMode: agent flags include no server-only flag (retention,
// TSDB path, web config of the server), server flags no agent-only flag.
func TestFlagsFitTheirMode(t *testing.T) {
	for name, args := range map[string][]string{
		"agent":  PrometheusAgent(agentOptions()),
		"server": Prometheus(centralWithReceiver()),
	} {
		code, out := modeCheck(t, args)
		if code != 2 || !strings.Contains(out, "Error loading config") {
			t.Errorf("%s flags %q: exit %d, want 2 at the configuration load:\n%s", name, args, code, firstLines(out, 5))
		}
	}
	// The check can fail: a retention flag is refused in agent mode.
	args := append(PrometheusAgent(agentOptions()), "--storage.tsdb.retention.time=15d")
	if code, out := modeCheck(t, args); code != 3 || !strings.Contains(out, "can not be used in agent mode") {
		t.Errorf("agent flags plus a retention flag: exit %d, want 3 (server-only flag refused):\n%s", code, firstLines(out, 5))
	}
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
