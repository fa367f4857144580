// Package deps pins modules while the packages that use them are written in
// parallel. TEMPORARY: deleted (and go.mod tidied) once every importer exists.
package deps

import (
	_ "github.com/emersion/go-sasl"
	_ "github.com/emersion/go-smtp"
	_ "github.com/grafana/grafana-foundation-sdk/go/cog"
	_ "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	_ "github.com/grafana/grafana-foundation-sdk/go/logs"
	_ "github.com/grafana/grafana-foundation-sdk/go/loki"
	_ "github.com/grafana/grafana-foundation-sdk/go/prometheus"
	_ "github.com/grafana/grafana-foundation-sdk/go/stat"
	_ "github.com/grafana/grafana-foundation-sdk/go/timeseries"
	_ "github.com/prometheus/alertmanager/config"
	_ "github.com/prometheus/prometheus/config"
	_ "github.com/prometheus/prometheus/model/rulefmt"
	_ "github.com/prometheus/prometheus/promql/parser"
	_ "github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	_ "github.com/pulumi/pulumi-random/sdk/v4/go/random"
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	_ "github.com/stretchr/testify/require"
	_ "gopkg.in/yaml.v3"
)
