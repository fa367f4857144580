package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/signals"
)

// This file holds the small vocabulary the dashboards are written in: a
// board that numbers its panels, panel shapes, targets and thresholds.

// Colours used by thresholds and value mappings.
const (
	green  = "green"
	yellow = "yellow"
	red    = "red"
)

func ptr[T any](v T) *T { return &v }

var (
	promRef = common.DataSourceRef{Type: ptr(TypePrometheus), Uid: ptr(PrometheusUID)}
	lokiRef = common.DataSourceRef{Type: ptr(TypeLoki), Uid: ptr(LokiUID)}
)

// board wraps the SDK's dashboard builder. It gives every panel and row an
// explicit id in build order: Grafana would otherwise number them on save,
// and the stored model would drift from the one Pulumi sends.
type board struct {
	b  *dashboard.DashboardBuilder
	id uint32
}

// newBoard starts a dashboard with the settings every KoproGo dashboard
// shares: fixed UID, tags (the link menu finds siblings by the koprogo tag),
// browser time zone, shared crosshair, 1m refresh (scrapes are every 30s).
func newBoard(uid, title, description string, tags ...string) *board {
	b := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags(append([]string{Tag}, tags...)).
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("1m").
		Time("now-6h", "now").
		Link(dashboard.NewDashboardLinkBuilder("KoproGo dashboards").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(false).
			KeepTime(true))
	return &board{b: b}
}

// numbered sets a panel's id when it is built.
type numbered struct {
	inner cog.Builder[dashboard.Panel]
	id    uint32
}

func (n numbered) Build() (dashboard.Panel, error) {
	p, err := n.inner.Build()
	p.Id = ptr(n.id)
	return p, err
}

func (d *board) row(title string) {
	d.id++
	d.b.WithRow(dashboard.NewRowBuilder(title).Id(d.id))
}

func (d *board) panel(p cog.Builder[dashboard.Panel]) {
	d.id++
	d.b.WithPanel(numbered{inner: p, id: d.id})
}

func (d *board) variable(v cog.Builder[dashboard.VariableModel]) { d.b.WithVariable(v) }

func (d *board) build() (dashboard.Dashboard, error) { return d.b.Build() }

// q is one PromQL target and its legend.
type q struct {
	expr, legend string
}

// promTargets turns queries into targets with refIds A, B, C... Range
// targets draw series over time; instant targets are evaluated once, at the
// end of the range, for panels that show one value per series (bar gauges).
func promTargets(instant bool, qs []q) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], 0, len(qs))
	for i, x := range qs {
		t := prometheus.NewDataqueryBuilder().
			Datasource(promRef).
			RefId(refID(i)).
			Expr(x.expr)
		if instant {
			t.Instant()
		} else {
			t.Range()
		}
		if x.legend != "" {
			t.LegendFormat(x.legend)
		}
		out = append(out, t)
	}
	return out
}

func lokiTarget(refIndex int, expr, legend string) *loki.DataqueryBuilder {
	t := loki.NewDataqueryBuilder().
		Datasource(lokiRef).
		RefId(refID(refIndex)).
		Expr(expr).
		QueryType("range")
	if legend != "" {
		t.LegendFormat(legend)
	}
	return t
}

func refID(i int) string {
	if i >= 26 {
		panic(fmt.Sprintf("refID %d: more than 26 targets in one panel", i))
	}
	return string(rune('A' + i))
}

// step is a threshold: from value on, use color.
type step struct {
	value float64
	color string
}

// th is a threshold scale: a base colour, then steps.
type th []dashboard.Threshold

// thresholds starts at base colour and changes at each step.
func thresholds(base string, steps ...step) th {
	t := th{{Value: nil, Color: base}}
	for _, s := range steps {
		t = append(t, dashboard.Threshold{Value: ptr(s.value), Color: s.color})
	}
	return t
}

func (t th) builder() *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(t)
}

// rising is green, yellow from warn, red from crit (usage, latency, errors).
func rising(warn, crit float64) th { return thresholds(green, step{warn, yellow}, step{crit, red}) }

// falling is red below crit, yellow below warn, green above (hit ratios, time left).
func falling(crit, warn float64) th { return thresholds(red, step{crit, yellow}, step{warn, green}) }

// neutral has one colour: the panel has no good or bad values.
func neutral() th { return thresholds(green) }

// size is a panel's width and height in grid units (24 columns).
type size struct{ w, h uint32 }

var (
	full  = size{24, 8}
	half  = size{12, 8}
	third = size{8, 8}
	sixth = size{4, 4}
)

// series is a time series panel with a table legend (mean, max, last), so a
// reader sees numbers without hovering, and threshold lines drawn dashed.
func series(title, description, unit string, sz size, t th, qs ...q) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(promRef).
		Targets(promTargets(false, qs)).
		Unit(unit).
		Span(sz.w).Height(sz.h).
		Thresholds(t.builder()).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)).
		FillOpacity(10).
		LineWidth(1).
		ShowPoints(common.VisibilityModeNever).
		SpanNulls(common.BoolOrFloat64{Bool: ptr(false)}).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true).
			Calcs([]string{"mean", "max", "lastNotNull"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
	if len(t) > 1 {
		p.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed))
	}
	return p
}

// single is a stat panel: the last value, coloured by thresholds.
func single(title, description, unit string, sz size, t th, qs ...q) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(promRef).
		Targets(promTargets(false, qs)).
		Unit(unit).
		Span(sz.w).Height(sz.h).
		Thresholds(t.builder()).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeArea).
		TextMode(common.BigValueTextModeAuto).
		JustifyMode(common.BigValueJustifyModeCenter).
		Orientation(common.VizOrientationAuto).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
}

// bars is a horizontal bar gauge with one bar per series, from instant
// queries (current ranking, e.g. certificate expiry, slowest statements).
func bars(title, description, unit string, sz size, t th, qs ...q) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(promRef).
		Targets(promTargets(true, qs)).
		Unit(unit).
		Span(sz.w).Height(sz.h).
		Thresholds(t.builder()).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeGradient).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
}

// upDown maps 1/0 (the `up` convention) to UP/DOWN.
func upDown() []dashboard.ValueMapping {
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
		Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": {Text: ptr("DOWN"), Color: ptr(red), Index: ptr(int32(0))},
			"1": {Text: ptr("UP"), Color: ptr(green), Index: ptr(int32(1))},
		},
	}}}
}

// promVariable is a dashboard variable filled from Prometheus label values.
// Multi-value variables default to All, so the dashboard shows everything
// until the reader narrows it.
func promVariable(name, label, query string, multi bool) *dashboard.QueryVariableBuilder {
	v := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(promRef).
		Query(dashboard.StringOrMap{String: ptr(query)}).
		Definition(query).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
	if multi {
		v.Multi(true).IncludeAll(true).Current(allOption())
	}
	return v
}

// hostVariable is the multi-value $host of the dashboards that show series
// of every host, listing the hosts that run a target of the job. Every
// series carries host (the central host's name or an agent's); instance is
// the exporter's address, the same on every host, so it cannot tell hosts
// apart. up is used rather than one of the job's metrics so that a host
// whose exporter is down stays selectable. Legends name the host, since
// All shows every host's series side by side.
func hostVariable(n services.Name) *dashboard.QueryVariableBuilder {
	return promVariable("host", "Host", `label_values(up{`+job(n)+`}, host)`, true)
}

func allOption() dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: ptr(true),
		Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
		Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
	}
}

// job is the label matcher selecting one scrape job.
func job(s services.Name) string { return signals.Job(s) }

// rateWindow is the window of every rate in a panel: Grafana's
// $__rate_interval, at least four scrape intervals.
const rateWindow = "$__rate_interval"

// showsAlert ends the description of a panel that draws an alert's
// expression with its threshold: a test holds the panel's query to the
// alert's expression and its colour steps to the alert's thresholds.
func showsAlert(description, alert string) string { return description + " [alert: " + alert + "]" }
