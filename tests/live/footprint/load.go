package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/queries"
)

// The query load is what an open Grafana tab puts on Prometheus: every
// PromQL target of every built-in dashboard, as a range query over the
// dashboards' default time range, refreshed every loadInterval.
const (
	// loadInterval: the dashboards refresh every minute; every 30 s is one
	// tab on each of two dashboards, or a user who reloads.
	loadInterval = 30 * time.Second
	// loadRange is the dashboards' default time range (now-6h to now).
	loadRange = 6 * time.Hour
	// loadStep: Grafana's step is the time range divided by the panel's
	// width in pixels (~1000: 21.6 s), never below the datasource's
	// timeInterval (the scrape interval, 30 s).
	loadStep = 30 * time.Second
	// loadConcurrency: a browser opens at most 6 HTTP/1.1 connections per
	// host (Grafana through the SSH tunnel is plain HTTP/1.1), and Grafana
	// forwards each panel query as it arrives.
	loadConcurrency = 6
)

// dashboardQueries returns every PromQL query of the built-in dashboards
// with Grafana's variables substituted (queries.Substitute: $__rate_interval
// is 2m, dashboard variables match everything).
func dashboardQueries(t config.Thresholds) ([]string, error) {
	all, err := queries.All(t)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, q := range all {
		if q.Language != queries.PromQL {
			continue // LogQL goes to Loki, which does not run here
		}
		e, err := queries.Substitute(q.Expr)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PromQL query in the dashboards")
	}
	return out, nil
}

// queryLoad sends the dashboards' queries to one Prometheus.
type queryLoad struct {
	promURL string
	queries []string
	client  *http.Client

	mu       sync.Mutex
	rounds   int
	ok       int
	failed   int
	firstErr string
	latency  time.Duration // sum over successful queries
}

func newQueryLoad(promURL string, qs []string) *queryLoad {
	return &queryLoad{promURL: promURL, queries: qs, client: &http.Client{Timeout: 2 * time.Minute}}
}

// run sends a round at once after offset, then every loadInterval, until ctx
// ends. A round waits for its queries, so a slow Prometheus is not sent a
// new round on top of an unfinished one.
func (l *queryLoad) run(ctx context.Context, offset time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(offset):
	}
	t := time.NewTicker(loadInterval)
	defer t.Stop()
	for {
		l.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *queryLoad) round(ctx context.Context) {
	end := time.Now()
	form := func(q string) url.Values {
		return url.Values{
			"query": {q},
			"start": {strconv.FormatInt(end.Add(-loadRange).Unix(), 10)},
			"end":   {strconv.FormatInt(end.Unix(), 10)},
			"step":  {strconv.Itoa(int(loadStep / time.Second))},
		}
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range loadConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range work {
				l.send(ctx, form(q))
			}
		}()
	}
	for _, q := range l.queries {
		work <- q
	}
	close(work)
	wg.Wait()
	l.mu.Lock()
	l.rounds++
	l.mu.Unlock()
}

// send posts one range query as Grafana does (form-encoded POST; Go's
// transport asks for a gzip response, as Grafana's does).
func (l *queryLoad) send(ctx context.Context, form url.Values) {
	t0 := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.promURL+"/api/v1/query_range", strings.NewReader(form.Encode()))
	if err != nil {
		l.fail(err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := l.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			l.fail(err.Error())
		}
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		l.fail(fmt.Sprintf("%s: %s: %.200s", form.Get("query"), resp.Status, body))
		return
	}
	l.mu.Lock()
	l.ok++
	l.latency += time.Since(t0)
	l.mu.Unlock()
}

func (l *queryLoad) fail(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed++
	if l.firstErr == "" {
		l.firstErr = msg
	}
}

// loadStats is what a load did.
type loadStats struct {
	queries, rounds, ok, failed int
	meanLatency                 time.Duration
	firstErr                    string
}

func (l *queryLoad) stats() loadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := loadStats{queries: len(l.queries), rounds: l.rounds, ok: l.ok, failed: l.failed, firstErr: l.firstErr}
	if l.ok > 0 {
		s.meanLatency = l.latency / time.Duration(l.ok)
	}
	return s
}
