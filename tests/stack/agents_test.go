package stack_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/koprogo/koprogo-monitoring/components"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/render/alloyconfig"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/render/webconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

const (
	typeDataSource = "grafana:oss/dataSource:DataSource"
	receiverAddr   = "10.8.0.1:9091"
	agentPassword  = "prometheus-agent-password"
	stackPassword  = "prometheus-stack-password"
)

// agentStack is production with two agent hosts, the second without ssh
// options, and optionally a log endpoint (which puts Alloy on the agents).
func agentStack(t *testing.T, withLogs bool) built {
	t.Helper()
	c := stacks.File(t, "prod").With(map[string]string{
		"agentHosts": `[{"name":"worker-1","dockerHost":"ssh://deploy@worker-1.koprogo.com","sshOpts":["-o","StrictHostKeyChecking=yes"]},
			{"name":"worker-2","dockerHost":"ssh://deploy@10.8.0.3"}]`,
		"receiverAddress": receiverAddr,
	})
	if withLogs {
		c = c.With(map[string]string{"logEndpoints": `[{"name":"cloud","url":"https://logs.example.net/loki/api/v1/push","auth":"bearer"}]`})
		c.Set("logEndpointSecrets", `{"cloud":"bearer-Secret-9"}`, true)
	}
	return buildFrom(t, "prod", c.Parse(t, "prod"))
}

// Each agent host is its own Docker provider with its own ssh address and
// options, under its own component, and runs node_exporter, cAdvisor and
// Prometheus in agent mode (Alloy only when logs have somewhere to go),
// publishing no port.
func TestAgentHostsResources(t *testing.T) {
	for _, withLogs := range []bool{false, true} {
		b := agentStack(t, withLogs)
		st := b.m.find(t, typeStack, stackName)
		for _, a := range b.s.Agents {
			comp := b.m.find(t, components.TypeToken[components.AgentHost](), a.Name)
			if !isChildOf(comp, st) {
				t.Errorf("%s: the agent host is not a child of the stack", a.Name)
			}
			provider := b.m.find(t, typeDockerProvider, a.Name+"-docker")
			if host, _ := plain(provider.inputs["host"]); host != a.DockerHost {
				t.Errorf("%s: provider host %q, want %q", a.Name, host, a.DockerHost)
			}
			if opts := strs(t, provider.inputs["sshOpts"]); !slices.Equal(opts, a.SSHOpts) {
				t.Errorf("%s: provider ssh options %q, want %q", a.Name, opts, a.SSHOpts)
			}
			if v := provider.inputs["disableDockerDaemonCheck"]; !v.IsBool() || !v.BoolValue() {
				t.Errorf("%s: the daemon check is on: a preview would need the host", a.Name)
			}
			want := []string{string(services.Cadvisor), string(services.NodeExporter), string(services.Prometheus)}
			if withLogs {
				want = append(want, string(services.Alloy))
			}
			var got []string
			for _, r := range b.m.all {
				if r.provider == "" || r.provider.Name() != a.Name+"-docker" {
					continue
				}
				if !strings.HasPrefix(r.name, a.Name+"-") {
					t.Errorf("%s %s uses %s's provider but is not named after it", r.typ, r.name, a.Name)
				}
				if r.typ != typeContainer {
					continue
				}
				got = append(got, strings.TrimPrefix(r.name, a.Name+"-"))
				if ports := arr(t, r.inputs["ports"]); len(ports) != 0 {
					t.Errorf("%s publishes %d port(s): an agent host exposes nothing", r.name, len(ports))
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s runs %q, want %q", a.Name, got, want)
			}
			if withLogs {
				cfg, _ := plain(uploads(t, b, services.Name(a.Name+"-"+string(services.Alloy)))[alloyconfig.ConfigPath])
				if !strings.Contains(cfg, `"host" = "`+a.Name+`"`) || strings.Contains(cfg, b.layout.LokiPushURL) || !strings.Contains(cfg, "https://logs.example.net/loki/api/v1/push") {
					t.Errorf("%s: Alloy does not ship to the log endpoint only, labelled with the host:\n%s", a.Name, cfg)
				}
			}
		}
		// The central host's resources are where they were (their names
		// and the central provider).
		for _, svc := range services.Names() {
			if c := b.m.find(t, typeContainer, string(svc)); c.provider.Name() != "docker" {
				t.Errorf("central %s uses provider %s", svc, c.provider.Name())
			}
		}
	}
}

// An agent's Prometheus runs in agent mode with the rendered agent
// configuration: its host's exporters, the central receiver, the agent
// user's password from a secret file.
func TestAgentPrometheus(t *testing.T) {
	b := agentStack(t, false)
	for _, a := range b.s.Agents {
		ctr := b.m.find(t, typeContainer, a.Name+"-"+string(services.Prometheus))
		cmd := strs(t, ctr.inputs["command"])
		if !slices.Contains(cmd, "--agent") {
			t.Errorf("%s: not in agent mode: %q", a.Name, cmd)
		}
		targets := map[services.Name]topology.Target{}
		for _, j := range promconfig.AgentJobs {
			if j != services.Alloy {
				targets[j] = b.layout.Targets[j]
			}
		}
		want, err := promconfig.RenderAgent(promconfig.AgentOptions{
			Stack: b.s.Stack, Host: a.Name, Targets: targets,
			ReceiverURL: "http://" + receiverAddr + "/api/v1/write",
			Auth:        promconfig.BasicAuth{Username: webconfig.AgentUser, PasswordFile: "/etc/prometheus/secrets/agent_password"},
		})
		if err != nil {
			t.Fatal(err)
		}
		up := uploads(t, b, services.Name(a.Name+"-"+string(services.Prometheus)))
		if got, _ := plain(up["/etc/prometheus/prometheus.yml"]); got != string(want) {
			t.Errorf("%s: prometheus.yml is not the rendered agent configuration:\n%s", a.Name, got)
		}
		if pw, secret := plain(up["/etc/prometheus/secrets/agent_password"]); pw != generated(agentPassword) || !secret {
			t.Errorf("%s: agent password upload %q (secret %v)", a.Name, pw, secret)
		}
	}
}

// With agent hosts the central Prometheus receives remote writes on the
// private receiver address only, and every one of its endpoints requires a
// login: the web config holds bcrypt hashes of the two generated passwords,
// the self-scrape, the healthcheck and Grafana log in as the stack user,
// and no password is in a plain input. Without agents, none of it.
func TestReceiver(t *testing.T) {
	b := agentStack(t, false)
	ctr := b.m.find(t, typeContainer, string(services.Prometheus))
	cmd := strs(t, ctr.inputs["command"])
	for _, f := range []string{"--web.config.file=" + components.PrometheusWebConfigFile, "--web.enable-remote-write-receiver"} {
		if !slices.Contains(cmd, f) {
			t.Errorf("central Prometheus lacks %s: %q", f, cmd)
		}
	}
	var published []string
	for _, p := range arr(t, ctr.inputs["ports"]) {
		o := obj(t, p)
		ip, _ := plain(o["ip"])
		published = append(published, fmt.Sprintf("%s:%v->%v", ip, o["external"].NumberValue(), o["internal"].NumberValue()))
	}
	slices.Sort(published)
	wantPorts := []string{"10.8.0.1:9091->9090", "127.0.0.1:9090->9090"}
	if !slices.Equal(published, wantPorts) {
		t.Errorf("central Prometheus publishes %q, want %q", published, wantPorts)
	}

	up := uploads(t, b, services.Prometheus)
	web, secret := plain(up[components.PrometheusWebConfigFile])
	if !secret {
		t.Error("web.yml is not a secret upload")
	}
	var wc struct {
		Users map[string]string `yaml:"basic_auth_users"`
	}
	if err := yaml.Unmarshal([]byte(web), &wc); err != nil {
		t.Fatal(err)
	}
	for user, pw := range map[string]string{webconfig.AgentUser: generated(agentPassword), webconfig.StackUser: generated(stackPassword)} {
		if err := bcrypt.CompareHashAndPassword([]byte(wc.Users[user]), []byte(pw)); err != nil {
			t.Errorf("web.yml user %s: %v", user, err)
		}
	}
	if len(wc.Users) != 2 {
		t.Errorf("web.yml has %d users, want agent and stack", len(wc.Users))
	}
	if pw, secret := plain(up[components.PrometheusStackPasswordFile]); pw != generated(stackPassword) || !secret {
		t.Errorf("stack password upload %q (secret %v)", pw, secret)
	}
	cfg, _ := plain(up[components.PrometheusConfigFile])
	if !strings.Contains(cfg, "password_file: "+components.PrometheusStackPasswordFile) {
		t.Error("the self-scrape does not log in as the stack user")
	}
	health := strs(t, obj(t, ctr.inputs["healthcheck"])["tests"])
	if len(health) != 2 || health[0] != "CMD-SHELL" || !strings.Contains(health[1], components.PrometheusStackPasswordFile) || !strings.Contains(health[1], "Authorization: Basic") {
		t.Errorf("healthcheck %q does not log in with the password file", health)
	}

	ds := b.m.find(t, typeDataSource, "grafana-content-datasource-prometheus")
	if v := ds.inputs["basicAuthEnabled"]; !v.IsBool() || !v.BoolValue() {
		t.Error("Grafana's Prometheus datasource does not log in")
	}
	if u, _ := plain(ds.inputs["basicAuthUsername"]); u != webconfig.StackUser {
		t.Errorf("Grafana logs in as %q", u)
	}
	sj, secret := plain(ds.inputs["secureJsonDataEncoded"])
	var sec map[string]string
	if err := json.Unmarshal([]byte(sj), &sec); err != nil || sec["basicAuthPassword"] != generated(stackPassword) || !secret {
		t.Errorf("Grafana's datasource password: %v, secret %v", err, secret)
	}

	for _, r := range b.m.all {
		walk(resource.NewObjectProperty(r.inputs), false, func(s string, secret bool) {
			for _, n := range []string{generated(agentPassword), generated(stackPassword)} {
				if !secret && strings.Contains(s, n) {
					t.Errorf("%s %s: a Prometheus password in a plain input", r.typ, r.name)
				}
			}
		})
	}

	single := build(t, "prod")
	cmd = strs(t, single.m.find(t, typeContainer, string(services.Prometheus)).inputs["command"])
	for _, f := range cmd {
		if strings.HasPrefix(f, "--web.config.file") || strings.HasPrefix(f, "--web.enable-remote-write-receiver") {
			t.Errorf("without agent hosts the central Prometheus has %s", f)
		}
	}
	if v := single.m.find(t, typeDataSource, "grafana-content-datasource-prometheus").inputs["basicAuthEnabled"]; v.IsBool() && v.BoolValue() {
		t.Error("without agent hosts Grafana logs in to Prometheus")
	}
}

// Remote-write credentials are secret files Prometheus reads; the
// configuration names the files, never the values.
func TestRemoteWriteCredentialsAreSecretFiles(t *testing.T) {
	c := stacks.File(t, "prod").With(map[string]string{"remoteWrite": `[
		{"name":"mimir","url":"https://mimir.example.net/api/v1/push","auth":"basic","username":"koprogo","headers":{"X-Scope-OrgID":"koprogo"}},
		{"name":"vm","url":"https://vm.example.org/api/v1/write","auth":"bearer","keepMetrics":"up|node_.*"},
		{"name":"lan","url":"http://10.0.0.9:8428/api/v1/write"}]`})
	c.Set("remoteWriteSecrets", `{"mimir":"rw-Secret-1","vm":"rw-Secret-2"}`, true)
	b := buildFrom(t, "prod", c.Parse(t, "prod"))
	up := uploads(t, b, services.Prometheus)
	cfg, _ := plain(up[components.PrometheusConfigFile])
	for name, want := range map[string]string{"mimir": "rw-Secret-1", "vm": "rw-Secret-2"} {
		file := "/etc/prometheus/secrets/remote_write/" + name
		if got, secret := plain(up[file]); got != want || !secret {
			t.Errorf("%s: upload %q secret=%v, want %q secret", file, got, secret, want)
		}
		if !strings.Contains(cfg, file) {
			t.Errorf("prometheus.yml does not read %s", file)
		}
		if strings.Contains(cfg, want) {
			t.Errorf("prometheus.yml holds the %s credential", name)
		}
	}
	if _, ok := up["/etc/prometheus/secrets/remote_write/lan"]; ok {
		t.Error("an endpoint without auth got a secret file")
	}
	for _, want := range []string{"https://mimir.example.net/api/v1/push", "X-Scope-OrgID: koprogo", "http://10.0.0.9:8428/api/v1/write", "up|node_.*"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("prometheus.yml lacks %q", want)
		}
	}
}
