// Package lokiconfig renders Loki's configuration file.
//
// Every key below is taken from the Loki 3.x configuration reference
// (https://grafana.com/docs/loki/latest/configure/ , generated from
// docs/sources/shared/configuration.md in grafana/loki) and retention from
// https://grafana.com/docs/loki/latest/operations/storage/retention/ .
// Loki is AGPL-licensed: it is neither imported nor run by this program; the
// file is built from the typed structs below and marshalled with yaml.v3.
package lokiconfig

import (
	"bytes"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// SchemaFrom is the first day of the only schema period. It must stay fixed
// forever: Loki uses it to find existing index tables, and moving it would
// orphan the data written before. Any past date works for a new deployment.
const SchemaFrom = "2024-04-01"

// GRPCPort is Loki's gRPC listen port inside the container (only Loki
// itself talks to it, in single-binary mode).
const GRPCPort = 9095

// Push limits, derived here and nowhere else. Measured on the real Loki
// 3.7.3 with this configuration (docs/verification.md): in single-binary
// mode one gRPC server carries the distributor's push to the ingester as
// uncompressed protobuf, at most 3.7 times the push's decompressed body
// (46 bytes of framing per entry against 10-19 in the client's protobuf),
// and refuses a larger message with a 500; the ingestion limiter counts only
// line bytes. So the push body is capped, and the gRPC limit sized from the
// cap: every push within it is answered 204 (stored) or 429 (rate limited,
// retried by Alloy), never refused by the transport.
const (
	// AlloyBatchSize is the largest push Alloy's loki.write sends (its
	// default, set explicitly by render/alloyconfig).
	AlloyBatchSize = 1 << 20
	// PushBodyLimit is the largest push body Loki accepts, compressed (413
	// above) and decompressed (400 above): four batches, and below the
	// ingestion burst.
	PushBodyLimit = 4 * AlloyBatchSize
	// GRPCMessageLimit is the gRPC server's message limit, both ways: four
	// push bodies (above 3.7). It also bounds a query's ingester batch
	// (128 entries), so a query over many lines near MaxLineSize fails
	// cleanly rather than taking hundreds of MB.
	GRPCMessageLimit = 4 * PushBodyLimit
	// IngestionRateMB and IngestionBurstMB: a small VPS produces well under
	// 1 MB/s of logs; these stop a runaway container from filling the disk
	// or Loki's memory while leaving room for the burst after an Alloy
	// restart.
	IngestionRateMB  = 4
	IngestionBurstMB = 8
	// MaxLineSize is the longest line stored; longer ones are cut to it,
	// ending with TruncatedSuffix (within the limit).
	MaxLineSize     = 256 << 10
	TruncatedSuffix = "[truncated]"
)

// Options is everything loki.yaml depends on.
type Options struct {
	HTTPPort      int    // listen port of the HTTP API (pushes, queries, /ready)
	DataDir       string // the data volume's mount point
	RetentionDays int
}

type file struct {
	Target           string           `yaml:"target"`
	AuthEnabled      bool             `yaml:"auth_enabled"`
	Server           server           `yaml:"server"`
	Common           common           `yaml:"common"`
	SchemaConfig     schemaConfig     `yaml:"schema_config"`
	Compactor        compactor        `yaml:"compactor"`
	Distributor      distributor      `yaml:"distributor"`
	LimitsConfig     limitsConfig     `yaml:"limits_config"`
	Querier          querier          `yaml:"querier"`
	QueryRange       queryRange       `yaml:"query_range"`
	ChunkStoreConfig chunkStoreConfig `yaml:"chunk_store_config"`
	Analytics        analytics        `yaml:"analytics"`
}

type server struct {
	HTTPListenPort           int    `yaml:"http_listen_port"`
	GRPCListenPort           int    `yaml:"grpc_listen_port"`
	LogLevel                 string `yaml:"log_level"`
	GRPCServerMaxRecvMsgSize int    `yaml:"grpc_server_max_recv_msg_size"`
	GRPCServerMaxSendMsgSize int    `yaml:"grpc_server_max_send_msg_size"`
}

type distributor struct {
	MaxRecvMsgSize      int `yaml:"max_recv_msg_size"`
	MaxDecompressedSize int `yaml:"max_decompressed_size"`
}

type common struct {
	PathPrefix        string        `yaml:"path_prefix"`
	InstanceAddr      string        `yaml:"instance_addr"`
	ReplicationFactor int           `yaml:"replication_factor"`
	Storage           commonStorage `yaml:"storage"`
	Ring              ring          `yaml:"ring"`
}

type commonStorage struct {
	Filesystem struct {
		ChunksDirectory string `yaml:"chunks_directory"`
		RulesDirectory  string `yaml:"rules_directory"`
	} `yaml:"filesystem"`
}

type ring struct {
	KVStore struct {
		Store string `yaml:"store"`
	} `yaml:"kvstore"`
}

type schemaConfig struct {
	Configs []periodConfig `yaml:"configs"`
}

type periodConfig struct {
	From        string `yaml:"from"`
	Store       string `yaml:"store"`
	ObjectStore string `yaml:"object_store"`
	Schema      string `yaml:"schema"`
	Index       struct {
		Prefix string `yaml:"prefix"`
		Period string `yaml:"period"`
	} `yaml:"index"`
}

type compactor struct {
	WorkingDirectory   string `yaml:"working_directory"`
	CompactionInterval string `yaml:"compaction_interval"`
	RetentionEnabled   bool   `yaml:"retention_enabled"`
	RetentionDelay     string `yaml:"retention_delete_delay"`
	DeleteRequestStore string `yaml:"delete_request_store"`
}

type limitsConfig struct {
	RetentionPeriod         string  `yaml:"retention_period"`
	RejectOldSamples        bool    `yaml:"reject_old_samples"`
	RejectOldSamplesMaxAge  string  `yaml:"reject_old_samples_max_age"`
	MaxQueryLookback        string  `yaml:"max_query_lookback"`
	IngestionRateMB         float64 `yaml:"ingestion_rate_mb"`
	IngestionBurstSizeMB    float64 `yaml:"ingestion_burst_size_mb"`
	PerStreamRateLimit      string  `yaml:"per_stream_rate_limit"`
	PerStreamRateLimitBurst string  `yaml:"per_stream_rate_limit_burst"`
	MaxGlobalStreamsPerUser int     `yaml:"max_global_streams_per_user"`
	MaxLineSize             string  `yaml:"max_line_size"`
	MaxLineSizeTruncate     bool    `yaml:"max_line_size_truncate"`
	TruncateIdentifier      string  `yaml:"max_line_size_truncate_identifier"`
}

type querier struct {
	MaxConcurrent int `yaml:"max_concurrent"`
}

type queryRange struct {
	CacheResults bool `yaml:"cache_results"`
	ResultsCache struct {
		Cache cacheConfig `yaml:"cache"`
	} `yaml:"results_cache"`
}

type chunkStoreConfig struct {
	ChunkCacheConfig cacheConfig `yaml:"chunk_cache_config"`
}

type cacheConfig struct {
	EmbeddedCache struct {
		Enabled   bool `yaml:"enabled"`
		MaxSizeMB int  `yaml:"max_size_mb"`
	} `yaml:"embedded_cache"`
}

type analytics struct {
	ReportingEnabled bool `yaml:"reporting_enabled"`
}

// Render returns loki.yaml: single-binary, filesystem storage, retention
// enforced by the compactor.
func Render(o Options) ([]byte, error) {
	if o.RetentionDays < 1 {
		return nil, fmt.Errorf("lokiconfig: log retention must be at least 1 day, got %d", o.RetentionDays)
	}
	if o.HTTPPort < 1 || o.DataDir == "" {
		return nil, fmt.Errorf("lokiconfig: no HTTP port or data directory")
	}
	// Hours, not days: Loki parses these as durations and the compactor only
	// deletes whole 24h index tables, so whole days are exact.
	retention := strconv.Itoa(o.RetentionDays*24) + "h"

	f := file{
		// Single binary: every component in one process, one container.
		Target:      "all",
		AuthEnabled: false, // single tenant ("fake"); Loki is only reachable on the monitoring network
		Server: server{
			HTTPListenPort: o.HTTPPort,
			GRPCListenPort: GRPCPort,
			// Alloy ships Loki's own container logs back into Loki: keep
			// that loop quiet (its refused-push lines are also dropped by
			// Alloy, see render/alloyconfig).
			LogLevel:                 "warn",
			GRPCServerMaxRecvMsgSize: GRPCMessageLimit,
			GRPCServerMaxSendMsgSize: GRPCMessageLimit,
		},
		Distributor: distributor{MaxRecvMsgSize: PushBodyLimit, MaxDecompressedSize: PushBodyLimit},
		Common: common{
			PathPrefix:        o.DataDir,
			InstanceAddr:      "127.0.0.1",
			ReplicationFactor: 1,
		},
		SchemaConfig: schemaConfig{Configs: []periodConfig{{
			From:        SchemaFrom,
			Store:       "tsdb",
			ObjectStore: "filesystem",
			Schema:      "v13",
		}}},
		Compactor: compactor{
			WorkingDirectory:   o.DataDir + "/compactor",
			CompactionInterval: "10m",
			// Without this Loki keeps logs forever whatever retention_period says.
			RetentionEnabled: true,
			RetentionDelay:   "2h",
			// Required by Loki 3.x when retention is enabled.
			DeleteRequestStore: "filesystem",
		},
		LimitsConfig: limitsConfig{
			RetentionPeriod: retention,
			// Lines older than the retention would be deleted at the next
			// compaction anyway; refuse them at the door.
			RejectOldSamples:        true,
			RejectOldSamplesMaxAge:  retention,
			MaxQueryLookback:        retention,
			IngestionRateMB:         IngestionRateMB,
			IngestionBurstSizeMB:    IngestionBurstMB,
			PerStreamRateLimit:      "3MB",
			PerStreamRateLimitBurst: "10MB",
			// Labels are low-cardinality (container, unit, stream, ...):
			// a few hundred streams at most on one host.
			MaxGlobalStreamsPerUser: 2000,
			// Keep the head of an oversized line (a stack trace, a dump)
			// instead of dropping the whole line, and say it was cut.
			// Alloy already cuts to the same size with the same suffix, so
			// this is a backstop for other clients.
			// Loki reads KB as 1024 bytes (its datasize package).
			MaxLineSize:         strconv.Itoa(MaxLineSize>>10) + "KB",
			MaxLineSizeTruncate: true,
			TruncateIdentifier:  TruncatedSuffix,
		},
		// Two cores: more concurrent queries would only queue on the CPU
		// and multiply memory.
		Querier: querier{MaxConcurrent: 2},
		QueryRange: queryRange{
			CacheResults: true,
		},
		Analytics: analytics{ReportingEnabled: false},
	}
	f.Common.Storage.Filesystem.ChunksDirectory = o.DataDir + "/chunks"
	f.Common.Storage.Filesystem.RulesDirectory = o.DataDir + "/rules"
	f.Common.Ring.KVStore.Store = "inmemory"
	// Retention deletes whole index tables: the index period must be 24h.
	f.SchemaConfig.Configs[0].Index.Prefix = "index_"
	f.SchemaConfig.Configs[0].Index.Period = "24h"
	// Bounded in-process caches (Loki's embedded default is 100 MB each),
	// sized for the container's memory limit.
	f.QueryRange.ResultsCache.Cache.EmbeddedCache.Enabled = true
	f.QueryRange.ResultsCache.Cache.EmbeddedCache.MaxSizeMB = 16
	f.ChunkStoreConfig.ChunkCacheConfig.EmbeddedCache.Enabled = true
	f.ChunkStoreConfig.ChunkCacheConfig.EmbeddedCache.MaxSizeMB = 32

	var out bytes.Buffer
	out.WriteString("# Generated by koprogo-monitoring (render/lokiconfig). Do not edit: run `pulumi up`.\n")
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("lokiconfig: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("lokiconfig: %w", err)
	}
	return out.Bytes(), nil
}
