package stack_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"go.yaml.in/yaml/v3"

	"github.com/koprogo/koprogo-monitoring/components"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/program"
	"github.com/koprogo/koprogo-monitoring/render/alloyconfig"
	"github.com/koprogo/koprogo-monitoring/services"
)

// Each test here states one setting that protects data, access or secrets,
// as the containers receive it, so that dropping, hard-coding or flipping it
// fails a test even after golden files are regenerated.

// command returns a service container's command line.
func command(t *testing.T, b built, svc services.Name) []string {
	t.Helper()
	return strs(t, b.m.find(t, typeContainer, string(svc)).inputs["command"])
}

// flagValue returns the value of --name=value in args, and whether it is there.
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// Prometheus keeps what metricsRetentionTime and metricsRetentionSize say:
// the prod defaults, staging's own values, and values no stack uses.
func TestPrometheusRetentionFollowsConfig(t *testing.T) {
	check := func(t *testing.T, b built) {
		args := command(t, b, services.Prometheus)
		rt, ok := flagValue(args, "--storage.tsdb.retention.time")
		d, err := model.ParseDuration(rt)
		if !ok || err != nil || d != model.Duration(b.s.Retention.MetricsTime) {
			t.Errorf("--storage.tsdb.retention.time = %q (present %v), want %s", rt, ok, b.s.Retention.MetricsTime)
		}
		rs, ok := flagValue(args, "--storage.tsdb.retention.size")
		n, err := units.ParseBase2Bytes(rs)
		if !ok || err != nil || int64(n) != int64(b.s.Retention.MetricsSize) {
			t.Errorf("--storage.tsdb.retention.size = %q (present %v), want %s", rs, ok, b.s.Retention.MetricsSize)
		}
	}
	forEachStack(t, check)
	t.Run("other values", func(t *testing.T) {
		c := stacks.File(t, "prod").With(map[string]string{"metricsRetentionTime": "45d", "metricsRetentionSize": "3GB"})
		check(t, buildFrom(t, "prod", c.Parse(t, "prod")))
	})
}

// The stack outputs are secret where they carry a secret (the Grafana admin
// password, configured or generated), and no other output carries one.
func TestSecretOutputsStaySecret(t *testing.T) {
	for _, tc := range []struct {
		name, stack string
		values      map[string]string
		secret      []string // the outputs that must be secret, and the only ones
	}{
		{"prod", "prod", nil, []string{"grafanaAdminPassword"}},
		{"staging", "staging", nil, []string{"grafanaAdminPassword"}},
		{"prod with agent hosts", "prod", map[string]string{
			"agentHosts": `[{"name":"worker-1","dockerHost":"ssh://deploy@worker-1.koprogo.com"}]`, "receiverAddress": receiverAddr,
		}, []string{"grafanaAdminPassword", "prometheusPassword"}},
	} {
		stack := tc.stack
		t.Run(tc.name, func(t *testing.T) {
			s := stacks.File(t, stack).With(tc.values).Parse(t, stack)
			sec := stacks.SecretsFor(stack)
			var outs map[string]pulumi.Output
			var mu sync.Mutex
			values := map[string]any{}
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				st, err := components.NewStack(ctx, config.Project, &components.StackArgs{Settings: s})
				if err != nil {
					return err
				}
				outs = program.Outputs(st)
				for name, o := range outs {
					o.ApplyT(func(v any) any {
						mu.Lock()
						defer mu.Unlock()
						values[name] = v
						return v
					})
				}
				return nil
			}, pulumi.WithMocks(config.Project, stack, &mocks{}))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range tc.secret {
				if o, ok := outs[name]; !ok || !pulumi.IsSecret(o) {
					t.Errorf("the %s output is missing or not secret", name)
				}
			}
			needles := []string{sec.DSN(), sec.DSNPassword, sec.SMTPPassword, sec.DeadMansURL, generated(generatedAdmin), generated(generatedBootstrap),
				generated(agentPassword), generated(stackPassword)}
			if sec.AdminPassword != "" {
				needles = append(needles, sec.AdminPassword)
			}
			for name, o := range outs {
				if slices.Contains(tc.secret, name) {
					continue
				}
				if pulumi.IsSecret(o) {
					t.Errorf("output %s is secret; only %q should be", name, tc.secret)
				}
				for _, n := range needles {
					if strings.Contains(flatten(values[name]), n) {
						t.Errorf("output %s carries a secret value in plain", name)
					}
				}
			}
		})
	}
}

func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]string:
		var b strings.Builder
		for k, e := range v {
			b.WriteString(k + "=" + e + "\n")
		}
		return b.String()
	}
	return ""
}

// Grafana admits nobody but its accounts: no self sign-up, no anonymous
// access; and it reports nothing to Grafana Labs.
func TestGrafanaAccessSettings(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		env := map[string]string{}
		for _, e := range strs(t, b.m.find(t, typeContainer, string(services.Grafana)).inputs["envs"]) {
			k, v, _ := strings.Cut(e, "=")
			if _, dup := env[k]; dup {
				t.Errorf("%s is set twice (the last one wins)", k)
			}
			env[k] = v
		}
		for k, want := range map[string]string{
			"GF_USERS_ALLOW_SIGN_UP":                "false",
			"GF_AUTH_ANONYMOUS_ENABLED":             "false",
			"GF_ANALYTICS_REPORTING_ENABLED":        "false",
			"GF_ANALYTICS_CHECK_FOR_UPDATES":        "false",
			"GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
			"GF_SECURITY_ADMIN_USER":                b.s.Grafana.AdminUser,
		} {
			if env[k] != want {
				t.Errorf("Grafana %s = %q, want %q", k, env[k], want)
			}
		}
		if _, ok := env["GF_SECURITY_ADMIN_PASSWORD"]; ok {
			t.Error("the admin password is in Grafana's environment (docker inspect shows it)")
		}
	})
}

// A bind address other than the default reaches every published port, the
// host URLs and the tunnel.
func TestBindAddressReachesEveryPort(t *testing.T) {
	const bind = "127.0.0.2"
	c := stacks.File(t, "prod").With(map[string]string{"bindAddress": bind})
	b := buildFrom(t, "prod", c.Parse(t, "prod"))
	for _, svc := range services.Names() {
		for _, p := range arr(t, b.m.find(t, typeContainer, string(svc)).inputs["ports"]) {
			if ip, _ := plain(obj(t, p)["ip"]); ip != bind {
				t.Errorf("%s publishes a port on %q, want %s", svc, ip, bind)
			}
		}
	}
	if !strings.Contains(b.tunnel, ":"+bind+":") || strings.Contains(b.tunnel, "127.0.0.1") {
		t.Errorf("tunnel %q does not forward to %s", b.tunnel, bind)
	}
}

// Alertmanager runs alone: gossip is off (an empty cluster listen address),
// so no cluster port accepts peers.
func TestAlertmanagerGossipOff(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		if v, ok := flagValue(command(t, b, services.Alertmanager), "--cluster.listen-address"); !ok || v != "" {
			t.Errorf("--cluster.listen-address = %q (present %v), want present and empty", v, ok)
		}
	})
}

// Flags that would widen access or leak data stay off, and those that keep
// data in stay on.
func TestNoFlagWidensAccessOrLeaksData(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		prom := command(t, b, services.Prometheus)
		for _, f := range []string{"--web.enable-lifecycle", "--web.enable-admin-api", "--web.enable-remote-write-receiver", "--web.enable-otlp-receiver"} {
			if slices.ContainsFunc(prom, func(a string) bool { return a == f || strings.HasPrefix(a, f+"=") }) {
				t.Errorf("Prometheus runs with %s", f)
			}
		}
		// Query texts may hold personal data and multiply series.
		for _, a := range command(t, b, services.PostgresExporter) {
			if strings.Contains(a, "include_query") {
				t.Errorf("postgres_exporter runs with %s", a)
			}
		}
		// Container labels and environment may hold secrets.
		if v, ok := flagValue(command(t, b, services.Cadvisor), "--store_container_labels"); !ok || v != "false" {
			t.Errorf("cAdvisor --store_container_labels = %q (present %v), want false", v, ok)
		}
		if !slices.Contains(command(t, b, services.Alloy), "--disable-reporting") {
			t.Error("Alloy reports usage to Grafana Labs")
		}
	})
}

// Further log endpoints get their credentials as secret files Alloy reads;
// the configuration names the files and never holds a credential, and an
// endpoint without auth gets no file.
func TestLogEndpointCredentialsAreSecretFiles(t *testing.T) {
	c := stacks.File(t, "prod").With(map[string]string{"logEndpoints": `[
		{"name":"cloud","url":"https://logs.example.net/loki/api/v1/push","tenant":"koprogo","auth":"basic","username":"u1"},
		{"name":"team","url":"https://loki.example.org/loki/api/v1/push","auth":"bearer"},
		{"name":"lan","url":"http://10.0.0.5:3100/loki/api/v1/push"}]`})
	c.Set("logEndpointSecrets", `{"cloud":"basic-Secret-1","team":"bearer-Secret-2"}`, true)
	b := buildFrom(t, "prod", c.Parse(t, "prod"))
	up := uploads(t, b, services.Alloy)
	cfg, _ := plain(up[alloyconfig.ConfigPath])
	for name, want := range map[string]string{"cloud": "basic-Secret-1", "team": "bearer-Secret-2"} {
		file := "/etc/alloy/secrets/" + name
		got, secret := plain(up[file])
		if got != want || !secret {
			t.Errorf("%s: upload %q secret=%v, want %q secret", file, got, secret, want)
		}
		if !strings.Contains(cfg, strconv.Quote(file)) {
			t.Errorf("config.alloy does not read %s", file)
		}
		if strings.Contains(cfg, want) {
			t.Errorf("config.alloy holds the %s credential", name)
		}
	}
	if _, ok := up["/etc/alloy/secrets/lan"]; ok {
		t.Error("an endpoint without auth got a secret file")
	}
	for _, want := range []string{`tenant_id = "koprogo"`, `username = "u1"`, "http://10.0.0.5:3100/loki/api/v1/push", b.layout.LokiPushURL} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config.alloy lacks %s", want)
		}
	}
}

// Production keeps logs the 7 days of the plan, with the disk budget the
// plan sizes for them: the loki.yaml it uploads deletes after 7 days and
// refuses older lines, and the disk alerts Prometheus loads measure 7 days
// against 5 GiB. Staging follows its own file, and other values follow.
func TestLogRetentionAndBudget(t *testing.T) {
	check := func(t *testing.T, b built, days, budgetGiB int) {
		lokiYAML, _ := plain(uploads(t, b, services.Loki)[components.LokiConfigFile])
		var cfg struct {
			Limits struct {
				Retention string `yaml:"retention_period"`
				MaxAge    string `yaml:"reject_old_samples_max_age"`
			} `yaml:"limits_config"`
		}
		if err := yaml.Unmarshal([]byte(lokiYAML), &cfg); err != nil {
			t.Fatal(err)
		}
		want := model.Duration(time.Duration(days) * 24 * time.Hour)
		for name, v := range map[string]string{"retention_period": cfg.Limits.Retention, "reject_old_samples_max_age": cfg.Limits.MaxAge} {
			if d, err := model.ParseDuration(v); err != nil || d != want {
				t.Errorf("loki.yaml %s = %q, want %s", name, v, want)
			}
		}
		rulesFile, err := components.RulesFile(b.layout.Files.PrometheusRulesGlob)
		if err != nil {
			t.Fatal(err)
		}
		rules, _ := plain(uploads(t, b, services.Prometheus)[rulesFile])
		for _, want := range []string{fmt.Sprintf("[%dd]", days), fmt.Sprint(int64(budgetGiB) << 30)} {
			if !strings.Contains(rules, want) {
				t.Errorf("the rules Prometheus loads do not measure %d days against %d GiB (no %q)", days, budgetGiB, want)
			}
		}
	}
	t.Run("prod", func(t *testing.T) { check(t, build(t, "prod"), 7, 5) })
	t.Run("other values", func(t *testing.T) {
		c := stacks.File(t, "prod").With(map[string]string{"logRetentionDays": "11", "lokiDiskBudgetGb": "13"})
		check(t, buildFrom(t, "prod", c.Parse(t, "prod")), 11, 13)
	})
}

// Every series the stack's Prometheus scrapes carries the host label: the
// dockerHost's host name by default, hostLabel when set.
func TestHostLabelOnEverySeries(t *testing.T) {
	check := func(t *testing.T, b built, want string) {
		promYAML, _ := plain(uploads(t, b, services.Prometheus)[components.PrometheusConfigFile])
		var cfg struct {
			Jobs []struct {
				Name   string `yaml:"job_name"`
				Static []struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"static_configs"`
			} `yaml:"scrape_configs"`
		}
		if err := yaml.Unmarshal([]byte(promYAML), &cfg); err != nil {
			t.Fatal(err)
		}
		if len(cfg.Jobs) == 0 {
			t.Fatal("no scrape job")
		}
		for _, j := range cfg.Jobs {
			for _, sc := range j.Static {
				if got := sc.Labels["host"]; got != want {
					t.Errorf("job %s: host label %q, want %q", j.Name, got, want)
				}
			}
		}
	}
	t.Run("prod: dockerHost's name", func(t *testing.T) { check(t, build(t, "prod"), "vps-prod.koprogo.com") })
	t.Run("hostLabel", func(t *testing.T) {
		c := stacks.File(t, "prod").With(map[string]string{"hostLabel": "web-1"})
		check(t, buildFrom(t, "prod", c.Parse(t, "prod")), "web-1")
	})
}
