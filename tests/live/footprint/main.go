// Command footprint measures the live stack's resource use and writes
// docs/footprint.md (`make bench`). It runs the production configuration,
// then an untuned baseline (same jobs and intervals, no metric_relabel drops,
// exporters with default flags, Prometheus with its runtime defaults), each
// for the same fixed time and under the same query load (every PromQL query
// of the built-in dashboards every 30 s, as an open Grafana tab), and reports
// both side by side. Then it runs the Prometheus variant study: many
// Prometheus processes at once, each changing one thing, under the same
// load. It also writes the whole stack's memory budget: each default limit
// next to the working set it is set from, measured here or cited. It is a
// benchmark, not a test: it asserts nothing about the numbers, it measures.
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

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/tests/live/stack"
)

// measured are the processes of the monitoring stack (PostgreSQL is the
// monitored application, not part of the footprint), and their services.
var measured = []string{"prometheus", "alertmanager", "node_exporter", "postgres_exporter"}

var serviceOf = map[string]services.Name{
	"prometheus":        services.Prometheus,
	"alertmanager":      services.Alertmanager,
	"node_exporter":     services.NodeExporter,
	"postgres_exporter": services.PostgresExporter,
}

// logger writes to stderr explicitly: a dependency redirects the standard
// logger's output.
var logger = log.New(os.Stderr, "footprint: ", log.LstdFlags)

// warmup is skipped before CPU is counted: start-up (WAL creation, first
// scrapes, rule loading) is not the steady state.
const warmup = time.Minute

// sampleEvery is how often /proc is read for RssAnon and RssFile (VmHWM is
// the kernel's own peak and needs no sampling).
const sampleEvery = 2 * time.Second

// productionPrometheusEnv is the Go runtime environment of the Prometheus
// container at its default limit (flags.Env, as components set it; the
// live stack starts its processes with the same).
func productionPrometheusEnv() []string {
	return flags.Env(services.Prometheus, services.Get(services.Prometheus).MemoryMB)
}

type result struct {
	name         string
	duration     time.Duration
	use          map[string]*usage
	goMiB        map[string]float64 // peak Go runtime memory (sys - released) per process, from its own metrics
	load         loadStats
	runtime      map[string]float64 // Prometheus' own GOGC, GOMAXPROCS, GOMEMLIMIT
	seriesByJob  map[string]float64
	headSeries   float64
	samplesPerS  float64
	block        blockStats
	lo, mean, hi float64         // 1-minute load average of the machine
	settings     config.Settings // the stack's settings: production's defaults
}

type blockStats struct {
	samples, series     uint64
	chunkBytes, idxByte int64
}

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long each stack, and the variant study, runs (after start-up)")
	out := flag.String("out", "docs/footprint.md", "report to write")
	withVariants := flag.Bool("variants", true, "also run the Prometheus variant study (as long again as one stack)")
	flag.Parse()
	if *duration < 2*warmup {
		logger.Fatalf("-duration must be at least %s", 2*warmup)
	}
	tuned, err := run("tuned (production configuration)", stack.Options{}, *duration)
	if err != nil {
		logger.Fatal(err)
	}
	if err := checkRuntime(tuned.runtime); err != nil {
		logger.Fatal(err)
	}
	baseline, err := run("untuned baseline", stack.Options{Baseline: true}, *duration)
	if err != nil {
		logger.Fatal(err)
	}
	var vr *variantRun
	if *withVariants {
		r, err := runVariants(*duration)
		if err != nil {
			logger.Fatal(err)
		}
		vr = &r
	}
	if err := os.WriteFile(*out, []byte(report(tuned, baseline, vr)), 0o644); err != nil {
		logger.Fatal(err)
	}
	logger.Printf("wrote %s", *out)
}

// checkRuntime fails the benchmark when the tuned Prometheus does not run
// with the environment it was given: the numbers would not be production's.
func checkRuntime(rt map[string]float64) error {
	want := map[string]float64{}
	for _, kv := range productionPrometheusEnv() {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "GOGC":
			want["go_gc_gogc_percent"], _ = strconv.ParseFloat(v, 64)
		case "GOMAXPROCS":
			want["go_sched_gomaxprocs_threads"], _ = strconv.ParseFloat(v, 64)
		case "GOMEMLIMIT":
			mib, _ := strconv.ParseFloat(strings.TrimSuffix(v, "MiB"), 64)
			want["go_gc_gomemlimit_bytes"] = mib * (1 << 20)
		}
	}
	for m, w := range want {
		if rt[m] != w {
			return fmt.Errorf("tuned Prometheus reports %s %v, want %v (from its environment %v)", m, rt[m], w, productionPrometheusEnv())
		}
	}
	return nil
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
	r = result{name: name, duration: d, settings: st.Settings}
	ctx := context.Background()

	qs, err := dashboardQueries(st.Settings.Alerts.Thresholds)
	if err != nil {
		return r, err
	}
	pids := map[string]int{}
	for _, p := range measured {
		pids[p] = st.Processes[p].PID()
	}
	s := newSampler(pids)
	load := newQueryLoad(st.PromURL, qs)
	lctx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() { load.run(lctx, 0); close(loadDone) }()
	err = sample(s, d)
	stopLoad()
	<-loadDone
	if err != nil {
		return r, err
	}
	r.use, r.load = s.use, load.stats()
	r.lo, r.mean, r.hi = s.loadRange()
	if r.load.failed > 0 {
		return r, fmt.Errorf("%s: %d of %d dashboard queries failed, first: %s", name, r.load.failed, r.load.failed+r.load.ok, r.load.firstErr)
	}

	if r.runtime, err = ownMetrics(st.PromURL); err != nil {
		return r, err
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
	// The Go runtime memory GOMEMLIMIT bounds: everything the runtime
	// holds from the OS minus what it has returned.
	goByJob, err := queryByJob(ctx, st, `max by (job) (max_over_time((go_memstats_sys_bytes - go_memstats_heap_released_bytes)[`+strconv.Itoa(int(d/time.Second))+`s:30s]))`)
	if err != nil {
		return r, err
	}
	r.goMiB = map[string]float64{}
	for p, svc := range serviceOf {
		r.goMiB[p] = goByJob[string(svc)] / (1 << 20)
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

// sample reads the processes every sampleEvery for d, then their CPU.
func sample(s *sampler, d time.Duration) error {
	start := time.Now()
	for time.Since(start) < d {
		if err := s.sample(warmup); err != nil {
			return err
		}
		time.Sleep(sampleEvery)
	}
	if err := s.sample(warmup); err != nil {
		return err
	}
	return s.finish()
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

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func mb(mib float64) float64 { return mib * 1.048576 }

func report(tuned, base result, vr *variantRun) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	promT, promB := tuned.use["prometheus"].peak, base.use["prometheus"].peak
	ratio := promT.hwm / promB.hwm
	anonRatio := promT.anon / promB.anon

	w("# Footprint\n\n")
	w("Generated by `make bench` (tests/live/footprint) on %s, %s/%s, %d CPUs. Each stack ran %s on loopback with the\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), tuned.duration)
	w("upstream binaries at the deployed versions; CPU is counted after a %s warm-up. Re-run `make bench` to refresh\n", warmup)
	w("(about %s in all).\n\n", 3*tuned.duration+5*time.Minute)
	w("- **tuned**: the production files, flags and Prometheus environment (render/promconfig with its metric_relabel\n")
	w("  drops, render/flags, `%s` as the container gets them).\n", strings.Join(productionPrometheusEnv(), " "))
	w("- **baseline**: the same jobs, targets, intervals and rules, without any metric_relabel_configs, exporters\n")
	w("  started with only their listen address (default collectors), Prometheus with its runtime defaults (GOGC 75,\n")
	w("  one thread per core, GOMEMLIMIT from `--auto-gomemlimit`: 90%% of the machine's memory, i.e. no limit).\n")
	w("- **query load**, on both: every PromQL query of the built-in dashboards (%d, through `queries.All` and\n", tuned.load.queries)
	w("  `queries.Substitute`) as a range query over the dashboards' default %s with a %s step, all of them every\n", loadRange, loadStep)
	w("  %s, %d at a time (what a browser sends to one host), as an open Grafana tab would. Tuned: %d rounds, mean\n", loadInterval, loadConcurrency, tuned.load.rounds)
	w("  %s per query; baseline: %d rounds, mean %s; no query failed.\n\n", tuned.load.meanLatency.Round(time.Millisecond), base.load.rounds, base.load.meanLatency.Round(time.Millisecond))
	w("Machine load (1-minute load average on %d CPUs, shared with other work): tuned run %.1f-%.1f (mean %.1f), baseline\n", runtime.NumCPU(), tuned.lo, tuned.hi, tuned.mean)
	w("run %.1f-%.1f (mean %.1f)", base.lo, base.hi, base.mean)
	if vr != nil {
		w(", variant study %.1f-%.1f (mean %.1f)", vr.lo, vr.hi, vr.mean)
	}
	w(".\n\n")
	w("What runs here: Prometheus, Alertmanager, node_exporter, postgres_exporter (against a throwaway PostgreSQL\n")
	w("with pg_stat_statements). Not run: Grafana, Loki, Alloy, cAdvisor (see stack.NotRunning); their scrape jobs\n")
	w("exist but are down, and their memory comes from the evidence cited in the budget below.\n\n")

	w("## Targets\n\n| target | tuned | baseline |\n|---|---|---|\n")
	w("| Prometheus peak RSS <= 150 MB | %.0f MB (%s) | %.0f MB (%s) |\n", mb(promT.hwm), verdict(mb(promT.hwm) <= 150), mb(promB.hwm), verdict(mb(promB.hwm) <= 150))
	w("| tuned Prometheus peak RSS <= 75%% of the baseline's, same run | %.1f / %.1f MiB = %.0f%% (%s) | |\n", promT.hwm, promB.hwm, 100*ratio, verdict(ratio <= 0.75))
	w("| the same for its anonymous memory (heap, stacks, runtime) | %.1f / %.1f MiB = %.0f%% (%s) | |\n", promT.anon, promB.anon, 100*anonRatio, verdict(anonRatio <= 0.75))
	w("| <= 3,000 active series per monitored host (this run: one host) | %.0f (%s) | %.0f (%s) |\n", tuned.headSeries, verdict(tuned.headSeries <= 3000), base.headSeries, verdict(base.headSeries <= 3000))
	w("| projected 30-day TSDB <= 10 GB | %.2f GB (%s) | %.2f GB (%s) |\n", tuned.projectedGB(), verdict(tuned.projectedGB() <= 10), base.projectedGB(), verdict(base.projectedGB() <= 10))
	cpuT, cpuB := cpuSum(tuned), cpuSum(base)
	w("| whole measured set < 5%% of one core, under the query load | %.2f%% (%s) | %.2f%% (%s) |\n\n", cpuT/60*100, verdict(cpuT/60*100 < 5), cpuB/60*100, verdict(cpuB/60*100 < 5))
	w("Tuned vs untuned, same run: the tuned Prometheus' peak RSS is %.0f%% of the untuned one's (goal: at most 75%%, %s).\n", 100*ratio, verdict(ratio <= 0.75))
	w("Its anonymous memory, what the configuration and the runtime settings control, is %.0f%% (%s); the rest of the\n", 100*anonRatio, verdict(anonRatio <= 0.75))
	w("peak is the binary's own file-backed pages (%.1f MiB tuned, %.1f MiB untuned), which no flag or setting changes\n", promT.file, promB.file)
	w("(see *Reading the numbers*).\n\n")

	w("## Processes\n\n")
	w("Peak RSS is the kernel's own high-water mark (VmHWM). It is anonymous memory (heap, stacks, Go runtime) plus\n")
	w("file-backed pages, almost all of them the binary's own code and read-only data, which the kernel shares and can\n")
	w("drop and re-read: columns *anon* and *file* are the largest values of each, sampled every %s.\n\n", sampleEvery)
	w("| process | peak RSS tuned (MiB) | baseline | anon tuned | anon baseline | file tuned | file baseline | CPU s/min tuned | baseline |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var rssT, rssB float64
	for _, p := range measured {
		t, bs := tuned.use[p], base.use[p]
		w("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f |\n", p, t.peak.hwm, bs.peak.hwm, t.peak.anon, bs.peak.anon, t.peak.file, bs.peak.file, t.cpuPerMin, bs.cpuPerMin)
		rssT += t.peak.hwm
		rssB += bs.peak.hwm
	}
	w("| **all** | %.1f | %.1f | | | | | %.2f (%.2f%% of one core) | %.2f (%.2f%% of one core) |\n\n", rssT, rssB, cpuT, cpuT/60*100, cpuB, cpuB/60*100)

	limits, sets := budget(w, tuned, vr)
	seedPlan(w, tuned, limits, sets)
	agents(w, tuned)
	goMemLimitTable(w, tuned)
	if vr != nil {
		variantTable(w, *vr)
	}

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
	w("- About %.0f MiB of each Prometheus' RSS (column *file*) is its own %.0f MiB binary mapped from disk: code and read-only\n", promT.file, binaryMiB("prometheus"))
	w("  data that package initialisation, the GC's stack scans and the kernel's fault-around touch. It is the same in\n")
	w("  every configuration and no flag or environment variable changes it; the kernel can drop these pages under\n")
	w("  memory pressure and read them again. What the configuration controls is the anonymous part: the live heap\n")
	w("  (about 25 MiB at this scale, mostly fixed costs: the head's series stripes, scrape caches, package\n")
	w("  initialisation of the service-discovery libraries, gzip writers of query responses) plus the garbage GOGC lets\n")
	w("  accumulate before a collection. That is why the tuned Prometheus' RSS falls by less than its anonymous memory.\n")
	w("- postgres-exporter has more series tuned than baseline: the deployed flags turn on the stat_statements collector\n")
	w("  (the slow-query alert needs it), which the default flags leave off. Every other running job is smaller tuned.\n")
	w("- The per-host series budget is spent by node-exporter (per host) plus cAdvisor (per container, not measured\n")
	w("  here); the other jobs exist once per stack. The head-series row is therefore an upper bound of the per-host\n")
	w("  share without cAdvisor.\n")
	w("- The head series count every series seen since the start, including those that ended: node_exporter reports a\n")
	w("  series set per network interface and mount, and other sessions on this machine create and remove Docker\n")
	w("  containers (veth interfaces) all the time, so the head holds more series than the jobs expose at the end.\n")
	w("- The down jobs (alloy, backend, cadvisor, grafana, loki, traefik) carry only Prometheus' synthetic series (up,\n")
	w("  scrape_*); in production they add their own exporters' series (see the more-series variant for what that costs).\n")
	w("- CPU and RSS are read from /proc for each process; other work on this 2-core machine (compilers and tests of\n")
	w("  other sessions, the load averages above) runs at the same time and is not counted, but competes for the CPU:\n")
	w("  query latencies and CPU seconds are higher than on an idle VPS, memory is not affected.\n")
	return b.String()
}

// binaryMiB is the size of an upstream binary the benchmark runs.
func binaryMiB(name string) float64 {
	st, err := os.Stat(filepath.Join(os.Getenv(stack.ToolsEnv), name))
	if err != nil {
		return 0
	}
	return float64(st.Size()) / (1 << 20)
}

func cpuSum(r result) float64 {
	var t float64
	for _, p := range measured {
		t += r.use[p].cpuPerMin
	}
	return t
}

// budget writes the whole stack's memory on the 2 GB VPS: every service's
// default limit next to the working set it is set from.
func budget(w func(string, ...any), tuned result, vr *variantRun) (limits, sets float64) {
	measuredBy := map[services.Name]string{}
	for p, svc := range serviceOf {
		measuredBy[svc] = p
	}
	// Prometheus' figure is the variant with production's series count
	// when the variant study ran: the down jobs add thousands of series in
	// production, and series cost memory.
	var promMore *variantResult
	if vr != nil {
		for i := range vr.results {
			if vr.results[i].Name == "production-more-series" {
				promMore = &vr.results[i]
			}
		}
	}
	w("## Whole stack on a 2 GB VPS\n\n")
	w("Each default memory limit (services/services.go, the production defaults; staging sets its own in\n")
	w("Pulumi.staging.yaml) is set from a working set, measured by this benchmark for the services that run here\n")
	w("(peak RSS under the query load), measured or published elsewhere for the others, with at least %.0f%% of\n", 100*(headroom-1))
	w("headroom, rounded up to a multiple of 8 MiB. *limit / figure* checks that headroom against this run.\n\n")
	w("| service | limit (MiB) | working set (MiB) | limit / figure | evidence |\n|---|---:|---:|---:|---|\n")
	ok := true
	for _, svc := range services.All {
		var figure float64
		var ev string
		p, isMeasured := measuredBy[svc.Name]
		switch {
		case svc.Name == services.Prometheus && promMore != nil:
			figure = promMore.use.peak.hwm
			ev = fmt.Sprintf("measured: peak RSS of the production-more-series variant (%.0f head series: the %.0f here plus "+
				"copies of the exporter jobs standing for cAdvisor, Traefik, the backend and the Loki, Alloy and Grafana "+
				"self-metrics, which do not run here); %.1f MiB with the %.0f series of this run (anon %.1f MiB, Go runtime %.1f MiB)",
				promMore.headSeries, tuned.headSeries, tuned.use[p].peak.hwm, tuned.headSeries, tuned.use[p].peak.anon, tuned.goMiB[p])
		case isMeasured:
			figure = tuned.use[p].peak.hwm
			ev = fmt.Sprintf("measured: peak RSS of %s in this run (anon %.1f MiB, Go runtime %.1f MiB)", p, tuned.use[p].peak.anon, tuned.goMiB[p])
		default:
			e, found := cited[svc.Name]
			if !found {
				ev = "NO EVIDENCE"
				ok = false
				break
			}
			figure = e.mib
			ev = fmt.Sprintf("%s; %s. Also: %s", e.what, e.source, e.also)
		}
		mark := ""
		if figure > 0 && float64(svc.MemoryMB) < headroom*figure {
			mark, ok = fmt.Sprintf(" (below %.1f)", headroom), false
		}
		w("| %s | %d | %.0f | %.2f%s | %s |\n", svc.Title, svc.MemoryMB, figure, float64(svc.MemoryMB)/figure, mark, ev)
		limits += float64(svc.MemoryMB)
		sets += figure
	}
	w("| **sum** | **%.0f** | **%.0f** (%.0f MB) | %.2f | |\n\n", limits, sets, mb(sets), limits/sets)
	w("- Limits: %.0f MiB of the %d MiB host (%.0f%%), leaving %.0f MiB for PostgreSQL, the backend, Traefik and the\n", limits, hostMiB, 100*limits/hostMiB, hostMiB-limits)
	w("  kernel. Limits are ceilings, not reservations: the stack uses its working set.\n")
	w("- Working sets: %.0f MB against the seed plan's %d MB (%s by %.0f MB). The plan gave Grafana about 100 MB and\n", mb(sets), seedBudgetMB, map[bool]string{true: "under", false: "over"}[mb(sets) <= seedBudgetMB], abs(mb(sets)-seedBudgetMB))
	w("  Loki about 150 MB; the evidence for the pinned releases is %.0f MB and %.0f MB.\n", mb(cited[services.Grafana].mib), mb(cited[services.Loki].mib))
	w("- Every limit is at least %.1f times its figure in this run: %s.\n\n", headroom, verdict(ok))
	return limits, sets
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// goMemLimitTable says, per measured Go service, whether GOMEMLIMIT at 90% of
// the limit leaves room for the memory the Go runtime does not count.
func goMemLimitTable(w func(string, ...any), tuned result) {
	w("## GOMEMLIMIT at 90%% of the limit\n\n")
	w("Every Go service's container gets GOMEMLIMIT = 90%% of its memory limit (components/service.go). GOMEMLIMIT\n")
	w("bounds only the Go runtime's own memory (*Go runtime*: `go_memstats_sys_bytes - go_memstats_heap_released_bytes`,\n")
	w("its peak in this run, read from the service's own metrics); the container's limit also counts the file-backed\n")
	w("pages of the binary (*file*) when they are charged to it. Every measured service ran with its GOMEMLIMIT.\n\n")
	w("| service | limit | GOMEMLIMIT | room above it | Go runtime peak | of GOMEMLIMIT | file peak | peak RSS |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range measured {
		svc := services.Get(serviceOf[p])
		lim := float64(svc.MemoryMB)
		gml := float64(flags.GoMemLimitMiB(svc.MemoryMB))
		u := tuned.use[p].peak
		w("| %s | %.0f | %.0f | %.1f | %.1f | %.0f%% | %.1f | %.1f |\n", svc.Title, lim, gml, lim-gml, tuned.goMiB[p], 100*tuned.goMiB[p]/gml, u.file, u.hwm)
	}
	w("\nThe 10%% above GOMEMLIMIT is smaller than the binaries' file-backed pages for every service here, so GOMEMLIMIT\n")
	w("alone could not keep a service under its limit if its Go memory grew to GOMEMLIMIT: the kernel would first drop\n")
	w("those pages (re-reading them on use), then OOM-kill. It does not come to that: each service's Go runtime peak is\n")
	w("the share of GOMEMLIMIT shown, and the limit is at least %.0f%% above the whole peak RSS (budget above).\n", 100*(headroom-1))
	w("GOMEMLIMIT is a backstop that makes the GC work harder near the limit, not what sizes it.\n\n")
}

// variantTable writes the Prometheus variant study.
func variantTable(w func(string, ...any), vr variantRun) {
	ref := map[string]variantResult{}
	for _, r := range vr.results {
		ref[r.Name] = r
	}
	base := ref[referenceVariant]
	w("## Prometheus variants\n\n")
	w("What drives Prometheus' RSS at this scale: %d Prometheus processes ran at the same time for %s next to one\n", len(vr.results), vr.duration)
	w("stack (same exporters, same PostgreSQL, same machine load), each with its own data directory and, unless marked\n")
	w("idle, its own copy of the dashboards' query load (rounds spread over the %s interval). Each changes one\n", loadInterval)
	w("thing; *delta* is against `%s`. The production choice is `production`.\n\n", referenceVariant)
	w("| variant | what it changes | GOGC, GOMAXPROCS | peak RSS | delta | anon | file | Go runtime | heap in use | CPU s/min | mean query | head series |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range vr.results {
		q := "idle"
		if !r.idle {
			q = r.load.meanLatency.Round(time.Millisecond).String()
			if r.load.failed > 0 {
				q += fmt.Sprintf(" (%d failed)", r.load.failed)
			}
		}
		w("| %s | %s | %.0f, %.0f | %.1f | %+.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %s | %.0f |\n", r.Name, r.what, r.gogc, r.procs, r.use.peak.hwm, r.use.peak.hwm-base.use.peak.hwm,
			r.use.peak.anon, r.use.peak.file, r.goMiB, r.heapMiB, r.use.cpuPerMin, q, r.headSeries)
	}
	w("\nMiB throughout; *Go runtime* and *heap in use* are read from the process's own metrics at the end of the run.\n\n")
	prod, untuned, more := ref["production"], ref["untuned"], ref["production-more-series"]
	w("- Production vs untuned, same run: peak RSS %.1f / %.1f MiB = %.0f%%; anonymous memory %.1f / %.1f MiB = %.0f%%.\n",
		prod.use.peak.hwm, untuned.use.peak.hwm, 100*prod.use.peak.hwm/untuned.use.peak.hwm, prod.use.peak.anon, untuned.use.peak.anon, 100*prod.use.peak.anon/untuned.use.peak.anon)
	if ds := more.headSeries - prod.headSeries; ds > 0 {
		w("- Head series: %.0f more series cost %+.1f MiB of peak RSS (%.1f MiB per 1,000 series at GOGC 25), so a\n", ds, more.use.peak.hwm-prod.use.peak.hwm, 1000*(more.use.peak.hwm-prod.use.peak.hwm)/ds)
		w("  production stack with cAdvisor, Traefik, the backend and the self-monitoring jobs up (several thousand\n")
		w("  series more than here) needs some tens of MiB more than measured above; the limit's headroom is for that.\n")
	}
	if idle, ok := ref["production-idle"]; ok {
		w("- Query load: the dashboards' queries add %+.1f MiB to the production Prometheus' peak RSS (%+.1f MiB untuned)\n", prod.use.peak.hwm-idle.use.peak.hwm, untuned.use.peak.hwm-ref["untuned-idle"].use.peak.hwm)
		w("  and %+.2f CPU s/min.\n", prod.use.cpuPerMin-idle.use.cpuPerMin)
	}
	w("\n")
}
