package live

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/render/webconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/tests/live/stack"
)

// remoteWriteAlert is the stack's alert for a failing remote-write queue.
const remoteWriteAlert = "PrometheusRemoteWriteFailing"

// minOutage is how long the engine stays down at least.
const minOutage = 2 * time.Minute

// TestRemoteWrite runs two hosts and an engine on loopback (see
// stack.StartRemoteWrite): the agent host's Prometheus in agent mode writes
// to the central Prometheus's receiver, which writes everything to
// VictoriaMetrics. In order: both receivers refuse wrong credentials; the
// series of both hosts reach VictoriaMetrics with their host and stack
// labels; VictoriaMetrics is stopped for at least two minutes, during which
// PrometheusRemoteWriteFailing fires, and restarted, after which the alert
// resolves and every sample the central Prometheus holds for the outage
// (its own scrapes and the agent's) is in VictoriaMetrics, none dropped.
func TestRemoteWrite(t *testing.T) {
	rs, err := stack.StartRemoteWrite()
	if err != nil {
		t.Fatalf("start the remote-write stack: %v", err)
	}
	t.Cleanup(func() {
		if err := rs.Close(); err != nil {
			t.Errorf("stop the remote-write stack: %v", err)
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs (tail):\n%s", rs.Logs(40))
		}
	})
	ctx := context.Background()

	t.Run("wrong credentials refused", func(t *testing.T) { checkRefusals(ctx, t, rs) })
	t.Run("container healthcheck logs in", func(t *testing.T) { checkAuthHealthcheck(t, rs) })
	if !t.Run("both hosts in the engine", func(t *testing.T) { checkBothHosts(ctx, t, rs) }) {
		t.FailNow()
	}
	t.Run("alert metric names", func(t *testing.T) { checkRemoteWriteMetricNames(ctx, t, rs) })
	t.Run("engine outage", func(t *testing.T) { checkOutage(ctx, t, rs) })
	t.Run("footprint", func(t *testing.T) { logFootprint(ctx, t, rs) })
}

// checkRefusals: VictoriaMetrics refuses a wrong password on writes and
// queries; the central Prometheus refuses a wrong password, an unknown
// user and no credentials on its receiver and its API. That the rendered
// credentials get in is shown by the data arriving (next step).
func checkRefusals(ctx context.Context, t *testing.T, rs *stack.RemoteWriteStack) {
	for _, c := range []struct {
		what, method, url, user, password string
	}{
		{"VictoriaMetrics write, wrong password", http.MethodPost, rs.VMURL + "/api/v1/write", stack.VMUser, "wrong"},
		{"VictoriaMetrics write, no credentials", http.MethodPost, rs.VMURL + "/api/v1/write", "", ""},
		{"VictoriaMetrics query, wrong password", http.MethodGet, rs.VMURL + "/api/v1/query?query=up", stack.VMUser, "wrong"},
		{"central receiver, agent with a wrong password", http.MethodPost, rs.ReceiverURL, webconfig.AgentUser, "wrong"},
		{"central receiver, the stack user's password for agent", http.MethodPost, rs.ReceiverURL, webconfig.AgentUser, rs.StackPassword},
		{"central receiver, unknown user", http.MethodPost, rs.ReceiverURL, "admin", rs.AgentPassword},
		{"central receiver, no credentials", http.MethodPost, rs.ReceiverURL, "", ""},
		{"central API, no credentials", http.MethodGet, rs.CentralURL + "/api/v1/query?query=up", "", ""},
		{"central readiness, no credentials", http.MethodGet, rs.CentralURL + "/-/ready", "", ""},
	} {
		code, body, err := stack.Status(ctx, c.method, c.url, c.user, c.password, strings.NewReader(""))
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		if code != http.StatusUnauthorized {
			t.Errorf("%s: %d (%s), want 401", c.what, code, firstLine(string(body)))
		}
	}
	// The right credentials pass the authentication (an empty body is then
	// a bad request, not a 401).
	code, _, err := stack.Status(ctx, http.MethodPost, rs.ReceiverURL, webconfig.AgentUser, rs.AgentPassword, strings.NewReader(""))
	if err != nil || code == http.StatusUnauthorized {
		t.Errorf("central receiver with the agent's password: %d, %v; want past authentication", code, err)
	}
}

// checkBothHosts waits until VictoriaMetrics has node_load1 from both hosts
// and the up series of every agent job (under the agent's host and the
// central job names, which the rules and dashboards select on), then
// requires, through its Prometheus-compatible series API: every series
// carries the stack label; every scraped series carries the host label of
// the host it was scraped on (the alert series ALERTS and ALERTS_FOR_STATE
// come from rules, not from a target, and carry only what their expression
// keeps).
func checkBothHosts(ctx context.Context, t *testing.T, rs *stack.RemoteWriteStack) {
	want := []string{"node_load1 " + stack.CentralHost, "node_load1 " + stack.AgentHost}
	for _, job := range promconfig.AgentJobs {
		want = append(want, "up "+string(job)+" "+stack.AgentHost)
	}
	var series []map[string]string
	var missing []string
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(2 * time.Second) {
		var resp struct {
			Data []map[string]string `json:"data"`
		}
		q := "/api/v1/series?match[]=" + url.QueryEscape(`{__name__=~".+"}`) + "&start=" + strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
		if err := rs.VM(ctx, q, &resp); err != nil {
			t.Fatal(err)
		}
		series = resp.Data
		seen := map[string]bool{}
		for _, s := range series {
			switch s["__name__"] {
			case "node_load1":
				seen["node_load1 "+s[promconfig.HostLabel]] = true
			case "up":
				seen["up "+s["job"]+" "+s[promconfig.HostLabel]] = true
			}
		}
		missing = missing[:0]
		for _, w := range want {
			if !seen[w] {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 3 minutes VictoriaMetrics still lacks: %v", missing)
		}
	}
	byHost := map[string]int{}
	unhosted := map[string]int{}
	for _, s := range series {
		name := s["__name__"]
		if s[promconfig.StackLabel] != rs.Settings.Stack {
			t.Errorf("series %v in VictoriaMetrics: stack %q, want %q", s, s[promconfig.StackLabel], rs.Settings.Stack)
		}
		switch h := s[promconfig.HostLabel]; {
		case h == stack.CentralHost || h == stack.AgentHost:
			byHost[h]++
		case h == "" && (name == "ALERTS" || name == "ALERTS_FOR_STATE"):
			unhosted[name]++
		default:
			t.Errorf("series %v in VictoriaMetrics: host %q, want %s or %s", s, h, stack.CentralHost, stack.AgentHost)
		}
	}
	t.Logf("VictoriaMetrics series by host: %v; rule-made alert series without a host: %v", byHost, unhosted)
}

// checkRemoteWriteMetricNames: the metrics the remote-write alert reads
// exist in a Prometheus that remote-writes (TestLive's stack has no queue,
// see notExportedHere).
func checkRemoteWriteMetricNames(ctx context.Context, t *testing.T, rs *stack.RemoteWriteStack) {
	var resp labelValuesResponse
	if err := rs.Central(ctx, "/api/v1/label/__name__/values", &resp); err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, why := range notExportedHere {
		if strings.HasPrefix(why, remoteWriteQueueDoc) {
			n++
			if !slices.Contains(resp.Data, name) {
				t.Errorf("%s is not exported by a Prometheus with a remote_write queue", name)
			}
		}
	}
	if n == 0 {
		t.Error("notExportedHere lists no remote-write queue metric: nothing checked")
	}
}

// checkOutage stops VictoriaMetrics until the remote-write alert fires and
// at least minOutage has passed, restarts it, waits for the alert to
// resolve and the queue to catch up, then compares samples.
func checkOutage(ctx context.Context, t *testing.T, rs *stack.RemoteWriteStack) {
	// A minute of data before the outage, and the alert quiet meanwhile.
	time.Sleep(time.Minute)
	if state := alertState(ctx, t, rs); state != "" {
		t.Fatalf("%s is %q before the outage", remoteWriteAlert, state)
	}
	lag := queryScalar(ctx, t, rs, `max(prometheus_remote_storage_highest_timestamp_in_seconds{host="central"} - ignoring(remote_name, url) group_right prometheus_remote_storage_queue_highest_sent_timestamp_seconds{host="central"})`)
	t.Logf("remote-write lag before the outage: %gs", lag)

	stopped := time.Now()
	if err := rs.StopVM(); err != nil {
		t.Fatal(err)
	}
	var firedAt time.Time
	for {
		if firedAt.IsZero() && alertState(ctx, t, rs) == "firing" {
			firedAt = time.Now()
			t.Logf("%s firing %s after VictoriaMetrics stopped", remoteWriteAlert, firedAt.Sub(stopped).Round(time.Second))
		}
		if !firedAt.IsZero() && time.Since(stopped) >= minOutage {
			break
		}
		if time.Since(stopped) > minOutage+3*time.Minute {
			t.Fatalf("%s not firing %s after VictoriaMetrics stopped", remoteWriteAlert, time.Since(stopped).Round(time.Second))
		}
		time.Sleep(2 * time.Second)
	}
	restarted := time.Now()
	if err := rs.StartVM(); err != nil {
		t.Fatal(err)
	}
	outage := restarted.Sub(stopped)
	t.Logf("VictoriaMetrics down for %s", outage.Round(time.Second))

	for deadline := time.Now().Add(3 * time.Minute); alertState(ctx, t, rs) != ""; time.Sleep(2 * time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still active 3 minutes after VictoriaMetrics restarted", remoteWriteAlert)
		}
	}
	t.Logf("%s resolved %s after VictoriaMetrics restarted", remoteWriteAlert, time.Since(restarted).Round(time.Second))

	// The window: a minute on each side of the outage, so that the samples
	// just before the stop and just after the restart are judged too. The
	// comparison waits until the queue has sent past the window and holds
	// nothing (read from the central Prometheus's /metrics at that moment,
	// not from its last self-scrape).
	from, to := stopped.Add(-time.Minute), restarted.Add(time.Minute)
	queue := map[string]string{"remote_name": stack.VMRemoteName}
	for deadline := to.Add(2 * time.Minute); ; time.Sleep(2 * time.Second) {
		sent, err := rs.CentralGauge(ctx, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds", queue)
		if err != nil {
			t.Fatal(err)
		}
		pending, err := rs.CentralGauge(ctx, "prometheus_remote_storage_samples_pending", queue)
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(to) && sent > float64(to.Unix()) && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the central queue has sent up to %s with %g samples pending, 2 minutes after the window's end %s", time.Unix(int64(sent), 0).UTC(), pending, to.UTC())
		}
	}
	compareSamples(ctx, t, rs, from, to, stopped, restarted)

	// Prometheus' own count: nothing dropped, on either queue; retries show
	// the outage was felt.
	for _, host := range []string{stack.CentralHost, stack.AgentHost} {
		if failed := queryScalar(ctx, t, rs, `sum(prometheus_remote_storage_samples_failed_total{host="`+host+`"})`); failed != 0 {
			t.Errorf("%s dropped %g samples (prometheus_remote_storage_samples_failed_total)", host, failed)
		}
	}
	if retried := queryScalar(ctx, t, rs, `sum(prometheus_remote_storage_samples_retried_total{host="central",remote_name="`+stack.VMRemoteName+`"})`); retried == 0 {
		t.Error("the central queue retried no sample: was the engine really down?")
	} else {
		t.Logf("the central queue retried %g samples during the outage", retried)
	}
}

// compareSamples requires every raw sample the central Prometheus holds in
// [from, to], of every series (its own scrapes, its rules' ALERTS and those
// the agent sent), to be in VictoriaMetrics with the same timestamp. Both
// sides are raw samples: the central range query {__name__=~".+"}[...] and
// VictoriaMetrics' export, which is read over a wider range so that no
// sample near the window's edges is cut off on its side only. Duplicates in
// VictoriaMetrics (a batch resent after a timeout) are counted once; NaN
// samples are not compared (the engine keeps none). The up series, one per
// scrape target and host, show that scrapes went on during the outage.
func compareSamples(ctx context.Context, t *testing.T, rs *stack.RemoteWriteStack, from, to, stopped, restarted time.Time) {
	span := to.Sub(from).Milliseconds()
	var local struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	all := `{__name__=~".+"}`
	q := "/api/v1/query?query=" + url.QueryEscape(fmt.Sprintf("%s[%dms]", all, span+1)) + "&time=" + strconv.FormatFloat(float64(to.UnixMilli())/1000, 'f', 3, 64)
	if err := rs.Central(ctx, q, &local); err != nil {
		t.Fatal(err)
	}
	remote, err := rs.VMExport(ctx, all, from.Add(-time.Minute), to.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	inVM := map[string]map[int64]bool{}
	for _, s := range remote {
		k := seriesKey(s.Metric)
		if inVM[k] == nil {
			inVM[k] = map[int64]bool{}
		}
		for _, ts := range s.Timestamps {
			inVM[k][ts] = true
		}
	}
	wantUp := len(services.Jobs()) + len(promconfig.AgentJobs)
	checked, during, missing, ups, nans := 0, 0, 0, 0, 0
	minDuring := math.MaxInt
	for _, s := range local.Data.Result {
		k := seriesKey(s.Metric)
		n := 0
		for _, v := range s.Values {
			ts := int64(math.Round(v[0].(float64) * 1000))
			if v[1] == "NaN" {
				// VictoriaMetrics stores no NaN other than Prometheus'
				// staleness marker (lib/storage/storage.go, "Skip NaNs other
				// than Prometheus staleness marker"): a summary's quantile
				// with no observation is NaN and is not kept there.
				nans++
				continue
			}
			checked++
			if ts >= stopped.UnixMilli() && ts < restarted.UnixMilli() {
				during++
				n++
			}
			if !inVM[k][ts] {
				missing++
				if missing <= 10 {
					t.Errorf("sample %s at %s is in the central Prometheus, not in VictoriaMetrics", k, time.UnixMilli(ts).UTC().Format(time.RFC3339Nano))
				}
			}
		}
		if s.Metric["__name__"] == "up" {
			ups++
			minDuring = min(minDuring, n)
		}
	}
	if ups != wantUp {
		t.Errorf("the central Prometheus holds %d up series in the window, want %d (%d central jobs, %d agent jobs)", ups, wantUp, len(services.Jobs()), len(promconfig.AgentJobs))
	}
	if missing > 0 {
		t.Errorf("%d of %d samples missing from VictoriaMetrics", missing, checked)
	}
	// Each target is scraped every 30s: the outage must hold that many up
	// samples per target, or the comparison proved little.
	if want := int(restarted.Sub(stopped)/promconfig.ScrapeInterval) - 1; minDuring < want {
		t.Errorf("an up series has only %d samples during the %s outage, want at least %d", minDuring, restarted.Sub(stopped).Round(time.Second), want)
	}
	t.Logf("compared %d samples of %d series over %s, %d of them scraped during the outage: %d missing from VictoriaMetrics (%d NaN samples not compared: the engine keeps no NaN)",
		checked, len(local.Data.Result), to.Sub(from).Round(time.Second), during, missing, nans)
}

// seriesKey identifies a series on both sides: its labels without the
// stack label, which VictoriaMetrics holds as sent and the central TSDB
// holds only on what the agent sent (an external label is added on the
// way out).
func seriesKey(m map[string]string) string {
	var parts []string
	for k, v := range m {
		if k != promconfig.StackLabel {
			parts = append(parts, k+"="+strconv.Quote(v))
		}
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// alertState is the remote-write alert's state for the central queue to
// VictoriaMetrics ("" = not active).
func alertState(ctx context.Context, t *testing.T, rs *stack.RemoteWriteStack) string {
	t.Helper()
	var resp alertsResponse
	if err := rs.Central(ctx, "/api/v1/alerts", &resp); err != nil {
		t.Fatal(err)
	}
	state := ""
	for _, a := range resp.Data.Alerts {
		if a.Labels["alertname"] == remoteWriteAlert && a.Labels["remote_name"] == stack.VMRemoteName && (state == "" || a.State == "firing") {
			state = a.State
		}
	}
	return state
}

// logFootprint logs what the caller's footprint report needs: the RSS of
// both Prometheus processes with remote write on, and the bytes each queue
// sent per sample.
func logFootprint(ctx context.Context, t *testing.T, rs *stack.RemoteWriteStack) {
	for _, name := range []string{"prometheus-central", "prometheus-agent", "victoria-metrics"} {
		rss, peak, err := stack.RSS(rs.Processes[name])
		if err != nil {
			t.Error(err)
			continue
		}
		t.Logf("%s: RSS %.1f MiB (peak %.1f MiB)", name, float64(rss)/(1<<20), float64(peak)/(1<<20))
	}
	for _, host := range []string{stack.CentralHost, stack.AgentHost} {
		sel := `{host="` + host + `"}`
		bytes := queryScalar(ctx, t, rs, `sum(prometheus_remote_storage_bytes_total`+sel+`)`)
		samples := queryScalar(ctx, t, rs, `sum(prometheus_remote_storage_samples_total`+sel+`)`)
		if samples == 0 {
			t.Errorf("%s sent no sample", host)
			continue
		}
		series := queryScalar(ctx, t, rs, `count({__name__=~".+",host="`+host+`"})`)
		t.Logf("%s: %.0f samples sent in %.0f bytes: %.2f bytes per sample (snappy-compressed protobuf, remote write 1.0); %g series", host, samples, bytes, bytes/samples, series)
	}
}

// queryScalar runs an instant query on the central Prometheus and returns
// its single value (NaN when the result is empty).
func queryScalar(ctx context.Context, t *testing.T, rs *stack.RemoteWriteStack, q string) float64 {
	t.Helper()
	var resp struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := rs.Central(ctx, "/api/v1/query?query="+url.QueryEscape(q), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Data.Result) == 0 {
		return math.NaN()
	}
	if len(resp.Data.Result) > 1 {
		t.Fatalf("%s: %d results, want one", q, len(resp.Data.Result))
	}
	v, err := strconv.ParseFloat(resp.Data.Result[0].Value[1].(string), 64)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// checkAuthHealthcheck runs the central Prometheus's container healthcheck
// (CMD-SHELL) the way its image does: busybox's sh, wget, base64, cat and
// printf, nothing else on the PATH. It passes with the stack user's
// password file, fails with a wrong one, and never has the password on its
// command line.
func checkAuthHealthcheck(t *testing.T, rs *stack.RemoteWriteStack) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox not found: install the Debian package busybox (.ci/run does)")
	}
	bin := t.TempDir()
	for _, applet := range []string{"sh", "wget", "base64", "cat", "printf"} {
		if err := os.Symlink(bb, filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	u, err := url.Parse(rs.CentralURL)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrong, []byte("not-the-password"), 0o600); err != nil {
		t.Fatal(err)
	}
	probe := services.Get(services.Prometheus).Health
	for file, wantOK := range map[string]bool{filepath.Join(rs.Dir, "secrets/stack_password"): true, wrong: false} {
		test := probe.CommandWithBasicAuth(port, webconfig.StackUser, file)
		if test[0] != "CMD-SHELL" || strings.Contains(test[1], rs.StackPassword) {
			t.Fatalf("healthcheck %q: not a shell probe, or the password is in it", test)
		}
		cmd := exec.Command(filepath.Join(bin, "sh"), "-c", test[1])
		cmd.Env = []string{"PATH=" + bin}
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Errorf("healthcheck with %s: %v (%s), want success %v", filepath.Base(file), err, out, wantOK)
		}
	}
}
