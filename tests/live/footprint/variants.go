package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/koprogo/koprogo-monitoring/render/flags"
	"github.com/koprogo/koprogo-monitoring/tests/live/stack"
)

// variant is one Prometheus of the variant study: all of them run at the same
// time next to one stack (same exporters, same PostgreSQL, same machine
// load), each with its own data directory and, unless idle, its own copy of
// the dashboards' query load.
type variant struct {
	stack.PrometheusVariant
	what string // what it isolates
	idle bool   // no query load
}

func withFlags(extra ...string) func(flags.PrometheusOptions) []string {
	return func(o flags.PrometheusOptions) []string { return append(flags.Prometheus(o), extra...) }
}

// referenceVariant is the one the others are compared with: the production
// files and flags with Prometheus' own runtime defaults (GOGC 75, one thread
// per core), i.e. what was deployed before the runtime tuning.
const referenceVariant = "config-only"

// extraSeriesCopies is how many copies of the node-exporter and
// postgres-exporter jobs the "more-series" variant scrapes.
const extraSeriesCopies = 3

func variants() []variant {
	prod := productionPrometheusEnv()
	v := func(name, what string, pv stack.PrometheusVariant) variant {
		pv.Name = name
		return variant{PrometheusVariant: pv, what: what}
	}
	list := []variant{
		v("untuned", "baseline: no metric_relabel drops, upstream runtime defaults", stack.PrometheusVariant{UntunedConfig: true}),
		v(referenceVariant, "production files and flags, upstream runtime defaults (reference for the deltas)", stack.PrometheusVariant{}),
		v("production", "production files, flags and environment ("+strings.Join(prod, " ")+")", stack.PrometheusVariant{Env: prod}),
		v("production-no-rules", "production, without the rule files: what rule evaluation costs", stack.PrometheusVariant{Env: prod, NoRules: true}),
		v("production-more-series", fmt.Sprintf("production, plus %d copies of the node-exporter and postgres-exporter jobs: what head series cost", extraSeriesCopies),
			stack.PrometheusVariant{Env: prod, ExtraSeries: extraSeriesCopies}),
		v("gogc-50", "GOGC=50", stack.PrometheusVariant{Env: []string{"GOGC=50"}}),
		v("gogc-25", "GOGC=25", stack.PrometheusVariant{Env: []string{"GOGC=25"}}),
		v("gogc-10", "GOGC=10", stack.PrometheusVariant{Env: []string{"GOGC=10"}}),
		v("gomaxprocs-1", "GOMAXPROCS=1", stack.PrometheusVariant{Env: []string{"GOMAXPROCS=1"}}),
		v("gogc-10-gomaxprocs-1", "GOGC=10 GOMAXPROCS=1", stack.PrometheusVariant{Env: []string{"GOGC=10", "GOMAXPROCS=1"}}),
		v("gomemlimit-48", "GOMEMLIMIT=48MiB (about the live heap plus runtime overhead)", stack.PrometheusVariant{Env: []string{"GOMEMLIMIT=48MiB"}}),
		v("query-concurrency-2", "--query.max-concurrency=2 (default 20; the active query tracker maps 20 kB at 20)", stack.PrometheusVariant{Args: withFlags("--query.max-concurrency=2")}),
		v("wal-zstd", "--storage.tsdb.wal-compression-type=zstd (default snappy)", stack.PrometheusVariant{Args: withFlags("--storage.tsdb.wal-compression-type=zstd")}),
		v("wal-segment-10mb", "--storage.tsdb.wal-segment-size=10MB (default 128MB)", stack.PrometheusVariant{Args: withFlags("--storage.tsdb.wal-segment-size=10MB")}),
		v("head-chunks-queue", "--storage.tsdb.head-chunks-write-queue-size=1000 (default 0: no queue)", stack.PrometheusVariant{Args: withFlags("--storage.tsdb.head-chunks-write-queue-size=1000")}),
	}
	idle := []variant{
		v("untuned-idle", "untuned, no query load", stack.PrometheusVariant{UntunedConfig: true}),
		v("production-idle", "production, no query load", stack.PrometheusVariant{Env: prod}),
	}
	for i := range idle {
		idle[i].idle = true
	}
	return append(list, idle...)
}

type variantResult struct {
	variant
	use        usage
	load       loadStats
	headSeries float64
	goMiB      float64 // Go runtime memory at the end (sys - released), MiB
	heapMiB    float64 // heap in use at the end, MiB
	gogc       float64 // GOGC and GOMAXPROCS as the process reports them
	procs      float64
}

type variantRun struct {
	duration     time.Duration
	results      []variantResult
	lo, mean, hi float64 // 1-minute load average of the machine
	queries      int
}

// runVariants starts one stack, stops its own Prometheus, and runs every
// variant at once for d.
func runVariants(d time.Duration) (vr variantRun, err error) {
	logger.Printf("variants: starting")
	st, err := stack.Start(stack.Options{})
	if err != nil {
		return vr, err
	}
	defer func() {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}()
	if err := st.Processes["prometheus"].Stop(syscall.SIGTERM, 30*time.Second); err != nil {
		return vr, err
	}
	qs, err := dashboardQueries(st.Settings.Alerts.Thresholds)
	if err != nil {
		return vr, err
	}
	vs := variants()
	urls := map[string]string{}
	pids := map[string]int{}
	for _, v := range vs {
		u, p, err := st.StartPrometheus(v.PrometheusVariant)
		if err != nil {
			return vr, err
		}
		urls[v.Name], pids[v.Name] = u, p.PID()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loads := map[string]*queryLoad{}
	done := make(chan struct{})
	n := 0
	for i, v := range vs {
		if v.idle {
			continue
		}
		l := newQueryLoad(urls[v.Name], qs)
		loads[v.Name] = l
		n++
		// Rounds are spread over the interval, so that the variants do not
		// all query at the same instant on a 2-core machine.
		go func(offset time.Duration) { l.run(ctx, offset); done <- struct{}{} }(time.Duration(i) * loadInterval / time.Duration(len(vs)))
	}
	s := newSampler(pids)
	if err := sample(s, d); err != nil {
		return vr, err
	}
	cancel()
	for range n {
		<-done
	}
	vr = variantRun{duration: d, queries: len(qs)}
	vr.lo, vr.mean, vr.hi = s.loadRange()
	for _, v := range vs {
		r := variantResult{variant: v, use: *s.use[v.Name]}
		if l := loads[v.Name]; l != nil {
			r.load = l.stats()
		}
		m, err := ownMetrics(urls[v.Name])
		if err != nil {
			return vr, fmt.Errorf("variant %s: %w", v.Name, err)
		}
		r.headSeries = m["prometheus_tsdb_head_series"]
		r.goMiB = (m["go_memstats_sys_bytes"] - m["go_memstats_heap_released_bytes"]) / (1 << 20)
		r.heapMiB = m["go_memstats_heap_inuse_bytes"] / (1 << 20)
		r.gogc, r.procs = m["go_gc_gogc_percent"], m["go_sched_gomaxprocs_threads"]
		if err := checkEnv(v.Env, r.gogc, r.procs); err != nil {
			return vr, fmt.Errorf("variant %s: %w", v.Name, err)
		}
		vr.results = append(vr.results, r)
	}
	logger.Printf("variants: done")
	return vr, nil
}

// checkEnv fails when a variant's runtime does not report the GOGC and
// GOMAXPROCS its environment sets (or Prometheus' defaults, 75 and one per
// CPU): a setting that did not take would be measured as if it had.
func checkEnv(env []string, gogc, procs float64) error {
	want := map[string]float64{"GOGC": 75, "GOMAXPROCS": float64(runtime.NumCPU())}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := want[k]; ok {
			want[k], _ = strconv.ParseFloat(v, 64)
		}
	}
	if gogc != want["GOGC"] || procs != want["GOMAXPROCS"] {
		return fmt.Errorf("runs with GOGC %v and GOMAXPROCS %v, want %v and %v", gogc, procs, want["GOGC"], want["GOMAXPROCS"])
	}
	return nil
}

// ownMetrics reads the unlabelled samples of a Prometheus' own /metrics
// (the Go runtime metrics the scrape configuration drops are there too).
func ownMetrics(promURL string) (map[string]float64, error) {
	resp, err := http.Get(promURL + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || strings.HasPrefix(line, "#") || strings.Contains(f[0], "{") {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			out[f[0]] = v
		}
	}
	return out, nil
}
