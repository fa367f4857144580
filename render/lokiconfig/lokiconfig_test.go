package lokiconfig

// The real Loki could not be run or linked here: it is AGPL-licensed (not a
// dependency of this project) and no Loki binary is available offline. These
// tests therefore validate the rendered file by structure only: it parses as
// YAML, every key is one that the Loki 3.x configuration reference documents,
// and the invariants that make retention really delete data hold.

import (
	"flag"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/koprogo/koprogo-monitoring/internal/testkit"
	"github.com/koprogo/koprogo-monitoring/services"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const golden = "testdata/loki.prod.golden.yaml"

// documented lists, as dotted paths, the keys of the Loki 3.x configuration
// reference that this project may use (every one also accepted by the real
// Loki 3.7.3's -verify-config in a session run, docs/verification.md).
// Source: "Grafana Loki configuration
// parameters", https://grafana.com/docs/loki/latest/configure/ (generated
// from docs/sources/shared/configuration.md in grafana/loki): top-level keys
// `target`, `auth_enabled`; blocks `server`, `common`, `schema_config` /
// `period_config`, `compactor`, `limits_config`, `querier`, `query_range`,
// `chunk_store_config`, `cache_config`, `analytics`. Compactor retention:
// https://grafana.com/docs/loki/latest/operations/storage/retention/ .
var documented = map[string]bool{
	"target":                                                           true,
	"auth_enabled":                                                     true,
	"server.http_listen_port":                                          true,
	"server.grpc_listen_port":                                          true,
	"server.log_level":                                                 true,
	"server.grpc_server_max_recv_msg_size":                             true,
	"server.grpc_server_max_send_msg_size":                             true,
	"distributor.max_recv_msg_size":                                    true,
	"distributor.max_decompressed_size":                                true,
	"common.path_prefix":                                               true,
	"common.instance_addr":                                             true,
	"common.replication_factor":                                        true,
	"common.storage.filesystem.chunks_directory":                       true,
	"common.storage.filesystem.rules_directory":                        true,
	"common.ring.kvstore.store":                                        true,
	"schema_config.configs[].from":                                     true,
	"schema_config.configs[].store":                                    true,
	"schema_config.configs[].object_store":                             true,
	"schema_config.configs[].schema":                                   true,
	"schema_config.configs[].index.prefix":                             true,
	"schema_config.configs[].index.period":                             true,
	"compactor.working_directory":                                      true,
	"compactor.compaction_interval":                                    true,
	"compactor.retention_enabled":                                      true,
	"compactor.retention_delete_delay":                                 true,
	"compactor.delete_request_store":                                   true,
	"limits_config.retention_period":                                   true,
	"limits_config.reject_old_samples":                                 true,
	"limits_config.reject_old_samples_max_age":                         true,
	"limits_config.max_query_lookback":                                 true,
	"limits_config.ingestion_rate_mb":                                  true,
	"limits_config.ingestion_burst_size_mb":                            true,
	"limits_config.per_stream_rate_limit":                              true,
	"limits_config.per_stream_rate_limit_burst":                        true,
	"limits_config.max_global_streams_per_user":                        true,
	"limits_config.max_line_size":                                      true,
	"limits_config.max_line_size_truncate":                             true,
	"limits_config.max_line_size_truncate_identifier":                  true,
	"querier.max_concurrent":                                           true,
	"query_range.cache_results":                                        true,
	"query_range.results_cache.cache.embedded_cache.enabled":           true,
	"query_range.results_cache.cache.embedded_cache.max_size_mb":       true,
	"chunk_store_config.chunk_cache_config.embedded_cache.enabled":     true,
	"chunk_store_config.chunk_cache_config.embedded_cache.max_size_mb": true,
	"analytics.reporting_enabled":                                      true,
}

// options are the production options with a log retention of days.
func options(days int) Options {
	loki := services.Get(services.Loki)
	return Options{HTTPPort: loki.Port, DataDir: loki.DataDir, RetentionDays: days}
}

func render(t *testing.T, o Options) []byte {
	t.Helper()
	out, err := Render(o)
	require.NoError(t, err)
	return out
}

// parsed decodes the rendered file generically, so that the assertions do
// not depend on the renderer's own structs.
func parsed(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal(out, &m), "rendered file is not YAML:\n%s", out)
	return m
}

func get(t *testing.T, m map[string]any, path string) any {
	t.Helper()
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		require.True(t, ok, "%s: %q is not a mapping", path, p)
		cur, ok = mm[p]
		require.True(t, ok, "%s: key %q missing", path, p)
	}
	return cur
}

func period(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	cfgs, ok := get(t, m, "schema_config.configs").([]any)
	require.True(t, ok)
	require.Len(t, cfgs, 1, "one schema period")
	p, ok := cfgs[0].(map[string]any)
	require.True(t, ok)
	return p
}

func TestOnlyDocumentedKeys(t *testing.T) {
	m := parsed(t, render(t, options(7)))
	var paths []string
	collect("", m, &paths)
	sort.Strings(paths)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		require.True(t, documented[p], "key %q is not in the documented Loki 3.x key list", p)
	}
}

func collect(prefix string, v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			collect(p, child, out)
		}
	case []any:
		for _, child := range x {
			collect(prefix+"[]", child, out)
		}
	default:
		*out = append(*out, prefix)
	}
}

func TestRetentionReallyDeletes(t *testing.T) {
	m := parsed(t, render(t, options(7)))

	require.Equal(t, true, get(t, m, "compactor.retention_enabled"), "without it Loki never deletes")
	require.Equal(t, "filesystem", get(t, m, "compactor.delete_request_store"), "Loki 3.x refuses retention without a delete request store")
	require.True(t, strings.HasPrefix(get(t, m, "compactor.working_directory").(string), options(7).DataDir+"/"), "compactor state must live on the data volume")

	ret := get(t, m, "limits_config.retention_period").(string)
	d, err := time.ParseDuration(ret)
	require.NoError(t, err)
	require.Equal(t, 7*24*time.Hour, d)
	require.Equal(t, ret, get(t, m, "limits_config.reject_old_samples_max_age"))

	// The compactor applies retention per index table: the period must be 24h.
	p := period(t, m)
	idx := p["index"].(map[string]any)
	require.Equal(t, "24h", idx["period"])
}

func TestRetentionFollowsSetting(t *testing.T) {
	m := parsed(t, render(t, options(30)))
	require.Equal(t, "720h", get(t, m, "limits_config.retention_period"))
}

func TestSchemaAndStorage(t *testing.T) {
	m := parsed(t, render(t, options(7)))
	require.Equal(t, "all", get(t, m, "target"))
	require.Equal(t, false, get(t, m, "auth_enabled"))
	require.Equal(t, false, get(t, m, "analytics.reporting_enabled"))
	require.Equal(t, options(7).DataDir, get(t, m, "common.path_prefix"))
	require.Equal(t, options(7).DataDir+"/chunks", get(t, m, "common.storage.filesystem.chunks_directory"))
	require.Equal(t, "inmemory", get(t, m, "common.ring.kvstore.store"))
	require.Equal(t, 1, get(t, m, "common.replication_factor"))
	require.Equal(t, options(7).HTTPPort, get(t, m, "server.http_listen_port"))

	p := period(t, m)
	require.Equal(t, "tsdb", p["store"])
	require.Equal(t, "filesystem", p["object_store"])
	require.Equal(t, "v13", p["schema"])
	from := p["from"]
	// yaml.v3 may decode an unquoted date as a time.Time; either way it
	// must be the fixed, past date.
	var fromDay time.Time
	switch f := from.(type) {
	case time.Time:
		fromDay = f
	case string:
		var err error
		fromDay, err = time.Parse(time.DateOnly, f)
		require.NoError(t, err)
	default:
		t.Fatalf("schema from has type %T", from)
	}
	require.Equal(t, SchemaFrom, fromDay.Format(time.DateOnly))
	require.True(t, fromDay.Before(time.Now()), "schema start must be in the past")
}

func TestRejectsZeroRetention(t *testing.T) {
	_, err := Render(options(0))
	require.Error(t, err)
}

func TestDeterministic(t *testing.T) {
	require.Equal(t, render(t, options(7)), render(t, options(7)))
}

func TestGolden(t *testing.T) {
	out := render(t, options(7))
	testkit.Golden(t, golden, out, *update)
}

// TestPushLimitsAgree: the limits a push meets agree, so a push the
// ingestion limits accept is never refused by the transport (the relations
// measured on the real Loki 3.7.3: docs/verification.md).
func TestPushLimitsAgree(t *testing.T) {
	m := parsed(t, render(t, options(7)))
	body := get(t, m, "distributor.max_recv_msg_size").(int)
	require.Equal(t, body, get(t, m, "distributor.max_decompressed_size"), "compressed and decompressed bodies share one cap")
	grpcRecv := get(t, m, "server.grpc_server_max_recv_msg_size").(int)
	require.Equal(t, grpcRecv, get(t, m, "server.grpc_server_max_send_msg_size"))
	burst := int(get(t, m, "limits_config.ingestion_burst_size_mb").(int)) << 20
	// A push within the body cap is within the burst: the limiter answers
	// 429 (Alloy retries), not the transport 500.
	require.Less(t, body, burst, "push body cap must stay under the ingestion burst")
	// Its gRPC message, at most 3.7 x the decompressed body plus per-stream
	// framing, fits the gRPC limit.
	require.GreaterOrEqual(t, float64(grpcRecv), 3.7*float64(body)+(1<<20), "gRPC limit too small for the largest push")
	// Alloy's batches fit the cap with room for four.
	require.Equal(t, 4*AlloyBatchSize, body)
	// Truncation is visible and fits: the suffix is inside the limit.
	require.Equal(t, TruncatedSuffix, get(t, m, "limits_config.max_line_size_truncate_identifier"))
	require.Equal(t, true, get(t, m, "limits_config.max_line_size_truncate"))
	require.Equal(t, strconv.Itoa(MaxLineSize/1024)+"KB", get(t, m, "limits_config.max_line_size"))
	require.Less(t, len(TruncatedSuffix), MaxLineSize)
}

// TestNothingOutlivesRetention: Loki refuses lines older than the
// retention, never queries past it, and bounds the streams a tenant may
// open, so neither old lines nor a label explosion outlive the budget.
func TestNothingOutlivesRetention(t *testing.T) {
	m := parsed(t, render(t, options(7)))
	ret := get(t, m, "limits_config.retention_period")
	require.Equal(t, true, get(t, m, "limits_config.reject_old_samples"), "old lines must be refused, not stored until the next compaction")
	require.Equal(t, ret, get(t, m, "limits_config.max_query_lookback"), "queries must not reach past the retention")
	streams, ok := get(t, m, "limits_config.max_global_streams_per_user").(int)
	require.True(t, ok && streams > 0, "streams per tenant unbounded: %v", get(t, m, "limits_config.max_global_streams_per_user"))
}
