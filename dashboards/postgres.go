package dashboards

import (
	"fmt"
	"math"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/signals"
)

// postgresBoard shows the database as postgres_exporter sees it. Per-database
// panels follow the $datname variable; server-wide ones (connections
// against max_connections, locks by mode) do not.
func postgresBoard(t config.Thresholds) (dashboard.Dashboard, error) {
	pe := job(services.PostgresExporter)
	db := pe + `, datname=~"$datname"`
	dbs := signals.Of(services.PostgresExporter).With(`datname=~"$datname"`)
	d := newBoard(PostgresUID, "KoproGo PostgreSQL",
		"PostgreSQL through postgres_exporter: connections, throughput, cache, locks, sizes, long transactions and slow statements.",
		"postgresql")
	d.variable(promVariable("datname", "Database",
		`label_values(pg_database_size_bytes{`+pe+`, datname!~"template0|template1"}, datname)`, true))

	d.row("Server")
	d.panel(single("PostgreSQL", "Whether postgres_exporter can reach the server.", "none", sixth,
		thresholds(red, step{1, green}),
		q{`min(pg_up{` + pe + `})`, ""}).Mappings(upDown()))
	d.panel(single("Connections used", showsAlert(fmt.Sprintf("Connections in use as a share of max_connections. Red from %g%% (alertPgConnectionsPercent).", t.PgConnectionsPercent), "PostgresTooManyConnections"), "percent", sixth,
		rising(t.PgConnectionsPercent*0.8, t.PgConnectionsPercent),
		q{signals.PgConnectionsPercent(signals.Of(services.PostgresExporter)), ""}))
	// Yellow after a minute (or half the alert threshold if that is shorter),
	// red at the alert threshold.
	txColours := rising(math.Min(60, t.PgLongTxSeconds/2), t.PgLongTxSeconds)
	d.panel(single("Longest transaction", showsAlert(fmt.Sprintf("Age of the oldest open transaction per database. Long transactions hold locks and stop vacuum from cleaning up. Red from %g s (alertPgLongTransactionSeconds).", t.PgLongTxSeconds), "PostgresLongRunningTransaction"), "s", sixth,
		txColours,
		q{signals.PgLongestTransactionSeconds(dbs), "{{datname}}"}))
	d.panel(single("Deadlocks", "Deadlocks detected over the selected time range.", "none", sixth,
		thresholds(green, step{1, red}),
		q{`sum(increase(pg_stat_database_deadlocks{` + db + `}[$__range]))`, ""}))
	d.panel(single("Cache hit ratio", "Share of block reads served from shared buffers over the selected range. Below 99% the working set no longer fits in memory.", "percentunit", sixth,
		falling(0.9, 0.99),
		q{`sum(rate(pg_stat_database_blks_hit{` + db + `}[$__range])) / (sum(rate(pg_stat_database_blks_hit{` + db + `}[$__range])) + sum(rate(pg_stat_database_blks_read{` + db + `}[$__range])))`, ""}).Decimals(2))
	d.panel(single("Database size", "Size on disk of the selected databases.", "bytes", sixth, neutral(),
		q{`sum(pg_database_size_bytes{` + db + `})`, ""}))

	d.row("Activity")
	d.panel(series("Connections vs max", "Connections by state against max_connections.", "short", half, neutral(),
		q{`sum by (state) (pg_stat_activity_count{` + pe + `})`, "{{state}}"},
		q{`max(pg_settings_max_connections{` + pe + `})`, "max_connections"}).Min(0))
	d.panel(series("Transactions/s", "Commits and rollbacks per second by database.", "ops", half, neutral(),
		q{`sum by (datname) (rate(pg_stat_database_xact_commit{` + db + `}[$__rate_interval]))`, "{{datname}} commit"},
		q{`sum by (datname) (rate(pg_stat_database_xact_rollback{` + db + `}[$__rate_interval]))`, "{{datname}} rollback"}).Min(0))
	d.panel(series("Cache hit ratio", "Share of block reads served from shared buffers, by database.", "percentunit", half,
		falling(0.9, 0.99),
		q{`sum by (datname) (rate(pg_stat_database_blks_hit{` + db + `}[$__rate_interval])) / (sum by (datname) (rate(pg_stat_database_blks_hit{` + db + `}[$__rate_interval])) + sum by (datname) (rate(pg_stat_database_blks_read{` + db + `}[$__rate_interval])))`, "{{datname}}"}).Max(1))
	d.panel(series("Rows", "Rows returned, inserted, updated and deleted per second.", "rowsps", half, neutral(),
		q{`sum(rate(pg_stat_database_tup_fetched{` + db + `}[$__rate_interval]))`, "fetched"},
		q{`sum(rate(pg_stat_database_tup_inserted{` + db + `}[$__rate_interval]))`, "inserted"},
		q{`sum(rate(pg_stat_database_tup_updated{` + db + `}[$__rate_interval]))`, "updated"},
		q{`sum(rate(pg_stat_database_tup_deleted{` + db + `}[$__rate_interval]))`, "deleted"}).Min(0))

	d.row("Locks and transactions")
	d.panel(series("Locks by mode", "Locks held or awaited, by lock mode.", "short", third, neutral(),
		q{`sum by (mode) (pg_locks_count{` + db + `})`, "{{mode}}"}).Min(0))
	d.panel(series("Deadlocks", "Deadlocks per database in each interval.", "none", third,
		thresholds(green, step{1, red}),
		q{`sum by (datname) (increase(pg_stat_database_deadlocks{` + db + `}[$__rate_interval]))`, "{{datname}}"}).Min(0))
	d.panel(series("Longest transaction", showsAlert(fmt.Sprintf("Age of the oldest open transaction per database. Red from %g s (alertPgLongTransactionSeconds).", t.PgLongTxSeconds), "PostgresLongRunningTransaction"), "s", third,
		txColours,
		q{signals.PgLongestTransactionSeconds(dbs), "{{datname}}"}).Min(0))

	d.row("Storage")
	d.panel(series("Database size", "Size on disk per database.", "bytes", half, neutral(),
		q{`pg_database_size_bytes{` + db + `}`, "{{datname}}"}).Min(0))
	d.panel(series("Temporary files", "Bytes written to temporary files per second: sorts and hashes that did not fit in work_mem.", "Bps", half, neutral(),
		q{`sum by (datname) (rate(pg_stat_database_temp_bytes{` + db + `}[$__rate_interval]))`, "{{datname}}"}).Min(0))

	d.row("Statements (pg_stat_statements)")
	d.panel(series("Mean statement time", showsAlert(fmt.Sprintf("Mean execution time of a statement per database. Red from %g ms (alertPgSlowQueryMs). Empty unless the pg_stat_statements extension is installed in the database.", t.PgSlowQueryMs), "PostgresSlowQueries"), "ms", half,
		rising(t.PgSlowQueryMs/2, t.PgSlowQueryMs),
		q{signals.PgMeanStatementMs(dbs, rateWindow), "{{datname}}"}).Min(0))
	slow := t.PgSlowQueryMs / 1000
	d.panel(bars("Slowest statements", fmt.Sprintf("Mean execution time per call over the selected range, top 10 by queryid (query texts are not collected). Coloured at half and at alertPgSlowQueryMs (%g ms), which PostgresSlowQueries applies to each database's mean, not to single statements. Empty unless the pg_stat_statements extension is installed in the database.", t.PgSlowQueryMs), "s", half,
		rising(slow/2, slow),
		q{`topk(10, sum by (datname, queryid) (rate(pg_stat_statements_seconds_total{` + db + `}[$__range])) / sum by (datname, queryid) (rate(pg_stat_statements_calls_total{` + db + `}[$__range])) > 0)`, "{{datname}} {{queryid}}"}))
	d.panel(series("Time spent in statements", "Seconds of execution per second, top 10 statements: where the database spends its time. Empty unless pg_stat_statements is installed.", "s", half, neutral(),
		q{`topk(10, sum by (datname, queryid) (rate(pg_stat_statements_seconds_total{` + db + `}[$__rate_interval])))`, "{{datname}} {{queryid}}"}).Min(0))
	return d.build()
}
