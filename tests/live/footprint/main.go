// Command footprint measures the live stack's resource use and writes
// docs/footprint.md (`make bench`). It runs the production configuration,
// then an untuned baseline (same jobs and intervals, no metric_relabel drops,
// exporters with default flags), each for the same fixed time, and reports
// both side by side. It is a benchmark, not a test: it asserts nothing, it
// measures.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/prometheus/tsdb"

	"github.com/koprogo/koprogo-monitoring/tests/live/stack"
)

// measured are the processes of the monitoring stack (PostgreSQL is the
// monitored application, not part of the footprint).
var measured = []string{"prometheus", "alertmanager", "node_exporter", "postgres_exporter"}

// logger writes to stderr explicitly: a dependency redirects the standard
// logger's output.
var logger = log.New(os.Stderr, "footprint: ", log.LstdFlags)

// warmup is skipped before CPU is counted: start-up (WAL creation, first
// scrapes, rule loading) is not the steady state.
const warmup = time.Minute

type result struct {
	name        string
	duration    time.Duration
	rssMB       map[string]float64 // max RSS over the run, MiB
	cpuPerMin   map[string]float64 // CPU seconds per minute after warm-up
	seriesByJob map[string]float64
	headSeries  float64
	samplesPerS float64
	block       blockStats
}

type blockStats struct {
	samples, series     uint64
	chunkBytes, idxByte int64
}

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long each stack runs (after start-up)")
	out := flag.String("out", "docs/footprint.md", "report to write")
	flag.Parse()
	if *duration < 2*warmup {
		logger.Fatalf("-duration must be at least %s", 2*warmup)
	}
	tuned, err := run("tuned (production configuration)", stack.Options{}, *duration)
	if err != nil {
		logger.Fatal(err)
	}
	baseline, err := run("untuned baseline", stack.Options{Baseline: true}, *duration)
	if err != nil {
		logger.Fatal(err)
	}
	if err := os.WriteFile(*out, []byte(report(tuned, baseline)), 0o644); err != nil {
		logger.Fatal(err)
	}
	logger.Printf("wrote %s", *out)
}

func run(name string, opts stack.Options, d time.Duration) (r result, err error) {
	logger.Printf("%s: starting", name)
	st, err := stack.Start(opts)
	if err != nil {
		return r, err
	}
	defer func() {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}()
	r = result{name: name, duration: d, rssMB: map[string]float64{}, cpuPerMin: map[string]float64{}}
	ctx := context.Background()

	start := time.Now()
	var cpu0 map[string]float64
	var t0 time.Time
	for time.Since(start) < d {
		for _, p := range measured {
			if rss, err := rssMB(st.Processes[p].PID()); err == nil && rss > r.rssMB[p] {
				r.rssMB[p] = rss
			}
		}
		if cpu0 == nil && time.Since(start) >= warmup {
			cpu0, t0 = cpuSeconds(st), time.Now()
		}
		time.Sleep(5 * time.Second)
	}
	cpu1, t1 := cpuSeconds(st), time.Now()
	for _, p := range measured {
		r.cpuPerMin[p] = (cpu1[p] - cpu0[p]) / t1.Sub(t0).Minutes()
	}

	if r.seriesByJob, err = queryByJob(ctx, st, `count by (job) ({__name__=~".+",job!=""})`); err != nil {
		return r, err
	}
	if r.headSeries, err = queryScalar(ctx, st, `sum(prometheus_tsdb_head_series)`); err != nil {
		return r, err
	}
	window := strconv.Itoa(int((d-warmup)/time.Second)) + "s"
	if r.samplesPerS, err = queryScalar(ctx, st, `sum(rate(prometheus_tsdb_head_samples_appended_total[`+window+`]))`); err != nil {
		return r, err
	}

	// Stop Prometheus cleanly, then compact its head into a block the way it
	// would after two hours, to read real on-disk bytes per sample.
	if err := st.Processes["prometheus"].Stop(syscall.SIGTERM, 30*time.Second); err != nil {
		return r, err
	}
	if r.block, err = compactHead(filepath.Join(st.Dir, "prometheus-data")); err != nil {
		return r, err
	}
	logger.Printf("%s: done", name)
	return r, nil
}

func rssMB(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// cpuSeconds reads utime+stime of each measured process from /proc.
func cpuSeconds(st *stack.Stack) map[string]float64 {
	const clockTicks = 100 // USER_HZ on Linux
	out := map[string]float64{}
	for _, p := range measured {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(st.Processes[p].PID()) + "/stat")
		if err != nil {
			continue
		}
		// Fields after the parenthesised command name; utime and stime are
		// fields 14 and 15 of the whole line.
		rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		utime, _ := strconv.ParseFloat(rest[11], 64)
		stime, _ := strconv.ParseFloat(rest[12], 64)
		out[p] = (utime + stime) / clockTicks
	}
	return out
}

type vectorResponse struct {
	Data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func query(ctx context.Context, st *stack.Stack, q string) (vectorResponse, error) {
	var v vectorResponse
	err := stack.GetJSON(ctx, st.PromURL+"/api/v1/query?query="+url.QueryEscape(q), &v)
	return v, err
}

func queryScalar(ctx context.Context, st *stack.Stack, q string) (float64, error) {
	v, err := query(ctx, st, q)
	if err != nil {
		return 0, err
	}
	if len(v.Data.Result) != 1 {
		return 0, fmt.Errorf("%s: %d results, want 1", q, len(v.Data.Result))
	}
	return strconv.ParseFloat(v.Data.Result[0].Value[1].(string), 64)
}

func queryByJob(ctx context.Context, st *stack.Stack, q string) (map[string]float64, error) {
	v, err := query(ctx, st, q)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, s := range v.Data.Result {
		f, err := strconv.ParseFloat(s.Value[1].(string), 64)
		if err != nil {
			return nil, err
		}
		out[s.Metric["job"]] = f
	}
	return out, nil
}

// compactHead opens the stopped Prometheus' TSDB with Prometheus' own tsdb
// package (replaying the WAL), writes the whole head as one persisted block,
// and returns that block's sample count and sizes.
func compactHead(dir string) (blockStats, error) {
	db, err := tsdb.Open(dir, slog.New(slog.DiscardHandler), nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		return blockStats{}, err
	}
	defer db.Close()
	h := db.Head()
	if err := db.CompactHead(tsdb.NewRangeHead(h, h.MinTime(), h.MaxTime())); err != nil {
		return blockStats{}, err
	}
	var bs blockStats
	for _, b := range db.Blocks() {
		m := b.Meta()
		bs.samples += m.Stats.NumSamples
		bs.series += m.Stats.NumSeries
		bs.chunkBytes += dirSize(filepath.Join(b.Dir(), "chunks"))
		if st, err := os.Stat(filepath.Join(b.Dir(), "index")); err == nil {
			bs.idxByte += st.Size()
		}
	}
	if bs.samples == 0 {
		return bs, fmt.Errorf("no samples in the compacted block of %s", dir)
	}
	return bs, nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

const thirtyDays = 30 * 24 * time.Hour

// blocksIn30Days: Prometheus compacts 2h blocks up to 10% of the retention
// (3 days for 30d), so about ten blocks hold 30 days, each with an index of
// every series it contains.
const blocksIn30Days = 10

// projectedGB is the 30-day TSDB size: chunk bytes per sample times the
// samples of 30 days, plus one index per block.
func (r result) projectedGB() float64 {
	perSample := float64(r.block.chunkBytes) / float64(r.block.samples)
	idxPerSeries := float64(r.block.idxByte) / float64(r.block.series)
	bytes := r.samplesPerS*thirtyDays.Seconds()*perSample + blocksIn30Days*idxPerSeries*r.headSeries
	return bytes / 1e9
}

func verdict(v, limit float64, format string) string {
	ok := "met"
	if v > limit {
		ok = "NOT met"
	}
	return fmt.Sprintf(format, v) + " (" + ok + ")"
}

func sum(m map[string]float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

func report(tuned, base result) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Footprint\n\n")
	w("Generated by `make bench` (tests/live/footprint) on %s, %s/%s, %d CPUs. Each stack ran %s on loopback with the\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), tuned.duration)
	w("upstream binaries at the deployed versions; CPU is counted after a %s warm-up. Re-run `make bench` to refresh.\n\n", warmup)
	w("- **tuned**: the production files and flags (render/promconfig with its metric_relabel drops, render/flags).\n")
	w("- **baseline**: the same jobs, targets, intervals and rules, without any metric_relabel_configs, and exporters\n")
	w("  started with only their listen address (default collectors).\n\n")
	w("What runs here: Prometheus, Alertmanager, node_exporter, postgres_exporter (against a throwaway PostgreSQL 15\n")
	w("with pg_stat_statements). Not measured: Grafana, Loki, Alloy (not built here), cAdvisor (no Docker engine here);\n")
	w("their scrape jobs exist but are down, so their series are absent from the counts below.\n\n")

	w("## Targets\n\n| target | tuned | baseline |\n|---|---|---|\n")
	w("| Prometheus RSS <= 150 MB | %s | %s |\n", verdict(tuned.rssMB["prometheus"]*1.048576, 150, "%.0f MB"), verdict(base.rssMB["prometheus"]*1.048576, 150, "%.0f MB"))
	w("| <= 3,000 active series per monitored host (this run: one host) | %s | %s |\n", verdict(tuned.headSeries, 3000, "%.0f"), verdict(base.headSeries, 3000, "%.0f"))
	w("| projected 30-day TSDB <= 10 GB | %s | %s |\n", verdict(tuned.projectedGB(), 10, "%.2f GB"), verdict(base.projectedGB(), 10, "%.2f GB"))
	w("| whole measured set < 5%% of one core | %s | %s |\n\n", verdict(sum(tuned.cpuPerMin)/60*100, 5, "%.2f%%"), verdict(sum(base.cpuPerMin)/60*100, 5, "%.2f%%"))

	w("## Processes\n\n| process | max RSS tuned (MiB) | max RSS baseline (MiB) | CPU s/min tuned | CPU s/min baseline |\n|---|---:|---:|---:|---:|\n")
	var cpuT, cpuB, rssT, rssB float64
	for _, p := range measured {
		w("| %s | %.1f | %.1f | %.2f | %.2f |\n", p, tuned.rssMB[p], base.rssMB[p], tuned.cpuPerMin[p], base.cpuPerMin[p])
		cpuT += tuned.cpuPerMin[p]
		cpuB += base.cpuPerMin[p]
		rssT += tuned.rssMB[p]
		rssB += base.rssMB[p]
	}
	w("| **all** | %.1f | %.1f | %.2f (%.2f%% of one core) | %.2f (%.2f%% of one core) |\n\n", rssT, rssB, cpuT, cpuT/60*100, cpuB, cpuB/60*100)

	w("## Series\n\n| job | active series tuned | active series baseline |\n|---|---:|---:|\n")
	jobs := map[string]bool{}
	for j := range tuned.seriesByJob {
		jobs[j] = true
	}
	for j := range base.seriesByJob {
		jobs[j] = true
	}
	var names []string
	for j := range jobs {
		names = append(names, j)
	}
	sort.Strings(names)
	for _, j := range names {
		w("| %s | %.0f | %.0f |\n", j, tuned.seriesByJob[j], base.seriesByJob[j])
	}
	w("| **head series (all, incl. rule outputs)** | %.0f | %.0f |\n\n", tuned.headSeries, base.headSeries)

	w("## Storage\n\n| | tuned | baseline |\n|---|---:|---:|\n")
	w("| samples/s appended | %.1f | %.1f |\n", tuned.samplesPerS, base.samplesPerS)
	w("| samples in the compacted block | %d | %d |\n", tuned.block.samples, base.block.samples)
	w("| chunk bytes per sample | %.2f | %.2f |\n", float64(tuned.block.chunkBytes)/float64(tuned.block.samples), float64(base.block.chunkBytes)/float64(base.block.samples))
	w("| index bytes per series | %.0f | %.0f |\n", float64(tuned.block.idxByte)/float64(tuned.block.series), float64(base.block.idxByte)/float64(base.block.series))
	w("| projected 30-day TSDB (GB) | %.3f | %.3f |\n\n", tuned.projectedGB(), base.projectedGB())
	w("Bytes per sample come from Prometheus' own tsdb package: after the run, the stopped Prometheus' head (WAL) is\n")
	w("compacted into one persisted block and its chunks and index are measured. A %s block holds few samples per\n", tuned.duration)
	w("series (one every 30 s), so chunks are less compressed than in a 2-hour block: the per-sample figure is an upper\n")
	w("bound. Projection: samples/s x 30 days x chunk bytes per sample + %d block indexes (2 h blocks are compacted up\n", blocksIn30Days)
	w("to 10%% of the retention) x index bytes per series x head series. The WAL (about 3 x 2 h of samples) comes on top.\n\n")
	w("## Reading the numbers\n\n")
	w("- postgres-exporter has more series tuned than baseline: the deployed flags turn on the stat_statements collector\n")
	w("  (the slow-query alert needs it), which the default flags leave off. Every other running job is smaller tuned.\n")
	w("- The per-host series budget is spent by node-exporter (per host) plus cAdvisor (per container, not measured\n")
	w("  here); the other jobs exist once per stack. The head-series row is therefore an upper bound of the per-host\n")
	w("  share without cAdvisor.\n")
	w("- The down jobs (alloy, backend, cadvisor, grafana, loki, traefik) carry only Prometheus' synthetic series (up,\n")
	w("  scrape_*); in production they add their own exporters' series.\n")
	w("- CPU and RSS are read from /proc for each process; other work on this 2-core machine (compilers of other\n")
	w("  sessions) runs at the same time and is not counted, but competes for the CPU.\n")
	return b.String()
}
