package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/logs"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/render/alloyconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/signals"
)

// errorLine matches log lines that report an error. Container logs carry no
// level label (applications print levels in many formats), so errors are
// found by words in the line.
const errorLine = "(?i)\\b(error|err|fatal|panic|critical|exception)\\b"

// logsBoard shows container logs shipped by Alloy into Loki, by container name,
// with an error-only view and the host's journal errors. Label names and
// job values come from the Alloy renderer, so the two cannot drift.
func logsBoard(t config.Thresholds) (dashboard.Dashboard, error) {
	docker := alloyconfig.LabelJob + `="` + alloyconfig.JobDocker + `", ` + alloyconfig.LabelContainer + `=~"$container"`
	stream := "{" + docker + "}"
	errors := stream + " |~ `" + errorLine + "`"
	journal := "{" + alloyconfig.LabelJob + `="` + alloyconfig.JobJournal + `", ` + alloyconfig.LabelLevel + `=~"emerg|alert|crit|err"}`

	d := newBoard(LogsUID, "KoproGo logs",
		"Container logs from Loki by container name, an error-only view and host journal errors. Search is a regular expression on the line.",
		"logs")
	// Loki's variable editor accepts label_values(<stream selector>, <label>).
	containerQuery := "label_values({" + alloyconfig.LabelJob + `="` + alloyconfig.JobDocker + `"}, ` + alloyconfig.LabelContainer + ")"
	d.variable(dashboard.NewQueryVariableBuilder("container").
		Label("Container").
		Datasource(lokiRef).
		Query(dashboard.StringOrMap{String: ptr(containerQuery)}).
		Definition(containerQuery).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).Current(allOption()))
	d.variable(dashboard.NewTextBoxVariableBuilder("search").
		Label("Search (regex)").
		Description("Regular expression the log line must match; empty shows every line."))

	d.row("Volume")
	d.panel(volume("Log lines by container", "Lines per interval and container.",
		"sum by ("+alloyconfig.LabelContainer+") (count_over_time("+stream+" [$__auto]))"))
	d.panel(volume("Error lines by container", "Lines that mention an error (error, fatal, panic, critical, exception) per interval and container.",
		"sum by ("+alloyconfig.LabelContainer+") (count_over_time("+errors+" [$__auto]))"))

	d.row("Lines")
	d.panel(logLines("Errors", "Container log lines that mention an error, newest first.", full, errors))
	d.panel(logLines("Container logs", "All lines of the selected containers matching the search, newest first.", size{24, 12}, stream+" |~ `$search`"))
	d.panel(logLines("Host journal errors", "systemd journal entries of priority err or worse.", full, journal))

	// What happens to lines between the containers and Loki's disk, from
	// Prometheus: the panels stay meaningful when Loki is the problem.
	d.row("Pipeline")
	loki, alloy := signals.Of(services.Loki), signals.Of(services.Alloy)
	ls := t.LogStorage
	d.panel(series("Loki disk: retained logs",
		showsAlert(fmt.Sprintf("Compressed log chunks Loki stored over the last %d days (logRetentionDays: what its volume keeps), as a share of lokiDiskBudgetGb (%d GiB). Yellow from %d%%, red from 100%%; the index and the WAL come on top.", ls.Days, ls.BudgetGiB, signals.LokiBudgetWarnPercent), "LokiDiskBudgetNearlyUsed"),
		"percent", third, rising(signals.LokiBudgetWarnPercent, 100),
		q{signals.LokiStoredPercentOfBudget(loki, ls.Days, ls.BudgetBytes()), "retained"}).Min(0))
	d.panel(series("Loki disk: where the rate leads",
		showsAlert(fmt.Sprintf("What %d days of logs would take at the rate of the last 6 hours, as a share of lokiDiskBudgetGb (%d GiB). Red from 100%%.", ls.Days, ls.BudgetGiB), "LokiDiskBudgetOutgrown"),
		"percent", third, rising(100, 100),
		q{signals.LokiProjectedPercentOfBudget(loki, "6h", ls.Days, ls.BudgetBytes()), "projected"}).Min(0))
	d.panel(series("Log lines lost or cut",
		"Lines refused by Loki for good (rate-limited ones are retried and not shown), entries Alloy gave up sending, lines cut to 256 KB (ending in [truncated]), and lines Alloy does not ship on purpose (Loki's and its own lines about refused pushes).",
		"short", third, neutral(),
		q{signals.LokiRefusedLines(loki, rateWindow), "refused by Loki: {{reason}}"},
		q{signals.AlloyDroppedEntries(alloy, rateWindow), "dropped by Alloy on {{host}} for {{exported_host}}: {{reason}}"},
		q{signals.AlloyTruncatedLines(alloy, rateWindow), "cut by Alloy on {{host}}"},
		q{signals.LokiTruncatedLines(loki, rateWindow), "cut by Loki"},
		// Alloy runs on every host with logEndpoints: by host too.
		q{`sum by (host, reason) (increase(loki_process_dropped_lines_total` + alloy.String() + `[` + rateWindow + `]))`, "not shipped on {{host}}: {{reason}}"}).Min(0))
	return d.build()
}

// volume is a stacked bar chart of a LogQL metric query.
func volume(title, description, expr string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(lokiRef).
		Targets([]cog.Builder[variants.Dataquery]{lokiTarget(0, expr, "{{"+alloyconfig.LabelContainer+"}}")}).
		Unit("short").
		Span(half.w).Height(half.h).
		Thresholds(neutral().builder()).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)).
		DrawStyle(common.GraphDrawStyleBars).
		FillOpacity(80).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
}

// logLines is a logs panel for one LogQL query.
func logLines(title, description string, sz size, expr string) *logs.PanelBuilder {
	return logs.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(lokiRef).
		Targets([]cog.Builder[variants.Dataquery]{lokiTarget(0, expr, "")}).
		Span(sz.w).Height(sz.h).
		ShowTime(true).
		WrapLogMessage(true).
		EnableLogDetails(true).
		SortOrder(common.LogsSortOrderDescending).
		DedupStrategy(common.LogsDedupStrategyNone)
}
