// Package stack_test builds the whole stack with Pulumi's mocks for the real
// prod and staging stack files, and checks what would be sent to the engine.
package stack_test

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/alerts"
	"github.com/koprogo/koprogo-monitoring/components"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/config/pgdsn"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/render/alloyconfig"
	"github.com/koprogo/koprogo-monitoring/render/amconfig"
	"github.com/koprogo/koprogo-monitoring/render/lokiconfig"
	"github.com/koprogo/koprogo-monitoring/render/promconfig"
	"github.com/koprogo/koprogo-monitoring/services"
	"github.com/koprogo/koprogo-monitoring/topology"
)

const stackName = config.Project

var typeStack = components.TypeToken[components.Stack]()

type built struct {
	m        *mocks
	s        config.Settings
	sec      stacks.Secrets
	layout   topology.Layout
	tunnel   string
	password string
}

func build(t *testing.T, stack string) built {
	t.Helper()
	return buildFrom(t, stack, stacks.File(t, stack).Parse(t, stack))
}

// buildFrom runs the stack for settings a test may have changed.
func buildFrom(t *testing.T, stack string, s config.Settings) built {
	t.Helper()
	m := &mocks{}
	b := built{m: m, s: s, sec: stacks.SecretsFor(stack), layout: s.Layout()}
	// RunErr does not wait for applies nothing depends on, so the values
	// are handed over through channels.
	tunnel, password := make(chan string, 1), make(chan string, 1)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		st, err := components.NewStack(ctx, stackName, &components.StackArgs{Settings: s})
		if err != nil {
			return err
		}
		st.TunnelCommand.ApplyT(func(v string) string { tunnel <- v; return v })
		st.Grafana.AdminPassword.ApplyT(func(v string) string { password <- v; return v })
		return nil
	}, pulumi.WithMocks(config.Project, stack, m))
	if err != nil {
		t.Fatalf("building the %s stack: %v", stack, err)
	}
	for _, r := range []struct {
		dst *string
		ch  chan string
	}{{&b.tunnel, tunnel}, {&b.password, password}} {
		select {
		case *r.dst = <-r.ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("an output of the %s stack never resolved", stack)
		}
	}
	return b
}

func forEachStack(t *testing.T, f func(t *testing.T, b built)) {
	for _, stack := range []string{"prod", "staging"} {
		t.Run(stack, func(t *testing.T) { f(t, build(t, stack)) })
	}
}

func isChildOf(r *registered, parent *registered) bool {
	return r.parent != "" && string(r.parent.Type()) == parent.typ && r.parent.Name() == parent.name
}

func TestResourcesParentsAndProviders(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		m := b.m
		st := m.find(t, typeStack, stackName)
		provider := m.find(t, typeDockerProvider, "docker")
		if !isChildOf(provider, st) {
			t.Errorf("the Docker provider is not a child of the stack")
		}
		if got, _ := plain(provider.inputs["host"]); got != b.s.Docker.Host {
			t.Errorf("provider host = %q, want %q", got, b.s.Docker.Host)
		}
		// Always off, so a pull request's preview needs no VPS and sends the
		// same provider inputs as an up.
		if v := provider.inputs["disableDockerDaemonCheck"]; !v.IsBool() || !v.BoolValue() {
			t.Errorf("provider disableDockerDaemonCheck = %v, want true", v)
		}
		usesProvider := func(r *registered) bool {
			return string(r.provider.Type()) == typeDockerProvider && r.provider.Name() == "docker"
		}
		network := m.find(t, typeNetwork, "network")
		if !isChildOf(network, st) || !usesProvider(network) {
			t.Errorf("network: parent %s provider %s", network.parent, network.provider)
		}
		if got, _ := plain(network.inputs["name"]); got != b.s.NamePrefix+"-net" {
			t.Errorf("network name = %q", got)
		}
		for _, row := range services.All {
			svc := row.Name
			comp := m.component(t, string(svc))
			if !isChildOf(comp, st) {
				t.Errorf("%s component is not a child of the stack", svc)
			}
			kids := []*registered{m.find(t, typeRemoteImage, string(svc)+"-image"), m.find(t, typeContainer, string(svc))}
			if row.DataDir != "" {
				kids = append(kids, m.find(t, typeVolume, string(svc)+"-data"))
			}
			for _, k := range kids {
				if !isChildOf(k, comp) {
					t.Errorf("%s %s: parent %s, want the %s component", k.typ, k.name, k.parent, svc)
				}
				if !usesProvider(k) {
					t.Errorf("%s %s: provider %q, want the stack's Docker provider", k.typ, k.name, k.provider)
				}
			}
		}
		// Exactly the expected Docker resources: nothing unowned or duplicated.
		volumes := 0
		for _, row := range services.All {
			if row.DataDir != "" {
				volumes++
			}
		}
		n := len(services.All)
		wantCount := map[string]int{typeContainer: n, typeRemoteImage: n, typeVolume: volumes, typeNetwork: 1, typeDockerProvider: 1}
		for typ, n := range wantCount {
			if got := len(m.ofType(typ)); got != n {
				t.Errorf("%d resources of type %s, want %d", got, typ, n)
			}
		}
		content := m.ofType(components.TypeToken[components.GrafanaContent]())
		if b.s.Grafana.ManageContent && (len(content) != 1 || !isChildOf(content[0], st)) {
			t.Errorf("grafanaManageContent is true but the GrafanaContent component is missing or misplaced")
		}
	})
}

func TestContainersUsePinnedImagesByID(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		for _, svc := range services.Names() {
			img := b.m.find(t, typeRemoteImage, string(svc)+"-image")
			name, _ := plain(img.inputs["name"])
			if want := b.s.Service(svc).Image; name != want {
				t.Errorf("%s pulls %q, want the configured %q", svc, name, want)
			}
			if strings.HasSuffix(name, ":latest") || !(strings.Contains(name[strings.LastIndex(name, "/")+1:], ":") || strings.Contains(name, "@sha256:")) {
				t.Errorf("%s image %q is not pinned", svc, name)
			}
			c := b.m.find(t, typeContainer, string(svc))
			if got, _ := plain(c.inputs["image"]); got != fakeImageID(name) {
				t.Errorf("%s container image = %q, want the RemoteImage ID %q", svc, got, fakeImageID(name))
			}
		}
	})
}

func TestContainerSettings(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		total := 0
		for _, row := range services.All {
			svc, cfg := row.Name, b.s.Service(row.Name)
			c := b.m.find(t, typeContainer, string(svc))
			in := c.inputs
			if got, _ := plain(in["name"]); got != services.ContainerName(b.s.NamePrefix, svc) {
				t.Errorf("%s container name = %q", svc, got)
			}
			ports := arr(t, in["ports"])
			if row.HostNetwork {
				checkHostNetwork(t, b, row, in)
			} else {
				if len(ports) != 1 {
					t.Fatalf("%s: %d port bindings, want 1", svc, len(ports))
				}
				p := obj(t, ports[0])
				if ip, _ := plain(p["ip"]); ip != "127.0.0.1" {
					t.Errorf("%s binds %q, want 127.0.0.1", svc, ip)
				}
				if ext := p["external"].NumberValue(); int(ext) != int(cfg.HostPort) {
					t.Errorf("%s host port = %v, want %d", svc, ext, cfg.HostPort)
				}
				if in := int(p["internal"].NumberValue()); in != row.Port {
					t.Errorf("%s container port = %d, want %d", svc, in, row.Port)
				}
			}
			mem := int(in["memory"].NumberValue())
			if mem <= 0 || mem != cfg.MemoryMB {
				t.Errorf("%s memory = %d, want %d", svc, mem, cfg.MemoryMB)
			}
			total += mem
			wantGoMem := fmt.Sprintf("GOMEMLIMIT=%dMiB", mem*9/10)
			if !contains(strs(t, in["envs"]), wantGoMem) {
				t.Errorf("%s: no %s in %q", svc, wantGoMem, strs(t, in["envs"]))
			}
			if r, _ := plain(in["restart"]); r != "unless-stopped" {
				t.Errorf("%s restart = %q", svc, r)
			}
			hc := obj(t, in["healthcheck"])
			probe := row.Health.Command(row.Port)
			if row.HostNetwork {
				probe = row.Health.CommandAt(b.s.StackGateway(), int(cfg.HostPort))
			}
			if tests := strs(t, hc["tests"]); strings.Join(tests, " ") != strings.Join(probe, " ") {
				t.Errorf("%s healthcheck = %q, want the table's probe %q", svc, tests, probe)
			}
			if !in["wait"].BoolValue() {
				t.Errorf("%s: wait is not set", svc)
			}
			if d, _ := plain(in["logDriver"]); d != "json-file" {
				t.Errorf("%s log driver = %q", svc, d)
			}
			lo := obj(t, in["logOpts"])
			if _, ok := lo["max-size"]; !ok {
				t.Errorf("%s: no log rotation (%v)", svc, lo)
			}
			if !contains(strs(t, in["securityOpts"]), "no-new-privileges=true") {
				t.Errorf("%s: no-new-privileges missing", svc)
			}
			if !c.dbr {
				t.Errorf("%s: fixed name and port but not delete-before-replace", svc)
			}
			// Repair, never removal, of a container that is not running
			// (docs/verification.md, lab round 2).
			if !contains(c.replaceOn, "networkDatas") {
				t.Errorf("%s: a container whose start failed would stay down (replaceOnChanges %q)", svc, c.replaceOn)
			}
			if mr, ok := in["mustRun"]; !ok || !mr.IsBool() || mr.BoolValue() {
				t.Errorf("%s: mustRun %v: a refresh (the drift check) would delete a stopped container", svc, mr)
			}
			if row.HostNetwork {
				continue
			}
			if mode, _ := plain(in["networkMode"]); mode != "bridge" {
				t.Errorf("%s networkMode = %q", svc, mode)
			}
			var nets []string
			for _, n := range arr(t, in["networksAdvanced"]) {
				name, _ := plain(obj(t, n)["name"])
				nets = append(nets, name)
			}
			want := []string{b.s.NamePrefix + "-net"}
			if svc == services.Prometheus || svc == services.PostgresExporter {
				want = append(want, b.s.App.Network)
			}
			if strings.Join(nets, ",") != strings.Join(want, ",") {
				t.Errorf("%s networks = %q, want %q", svc, nets, want)
			}
		}
		if total > b.s.MemoryBudgetMB {
			t.Errorf("memory limits add up to %d MiB, over the budget of %d", total, b.s.MemoryBudgetMB)
		}
		// node_exporter: host rootfs for --path.rootfs, textfile directory read-only.
		ne := b.m.find(t, typeContainer, string(services.NodeExporter))
		if !contains(strs(t, ne.inputs["command"]), "--path.rootfs=/host") {
			t.Errorf("node_exporter command lacks --path.rootfs=/host: %q", strs(t, ne.inputs["command"]))
		}
		if !textfileMounted(t, b) || !ne.inputs["readOnly"].BoolValue() {
			t.Errorf("node_exporter: %s mounted read-only at %s: %v, read-only rootfs %v",
				b.s.App.NodeTextfileHostDir, b.layout.Files.NodeTextfileDir, textfileMounted(t, b), ne.inputs["readOnly"])
		}
	})
}

// checkHostNetwork: a host-network service (node_exporter) runs in the
// host's network namespace, publishes nothing, and listens only on the
// stack network's gateway, at its host port: where Prometheus scrapes it,
// and an address the stack's containers reach and the internet does not.
func checkHostNetwork(t *testing.T, b built, row services.Service, in resource.PropertyMap) {
	t.Helper()
	if mode, _ := plain(in["networkMode"]); mode != "host" {
		t.Errorf("%s networkMode = %q, want host", row.Name, mode)
	}
	if p := arr(t, in["ports"]); len(p) != 0 {
		t.Errorf("%s publishes %d ports from the host's network namespace", row.Name, len(p))
	}
	if n := arr(t, in["networksAdvanced"]); len(n) != 0 {
		t.Errorf("%s joins networks from the host's network namespace", row.Name)
	}
	want := net.JoinHostPort(b.s.StackGateway(), strconv.Itoa(int(b.s.Service(row.Name).HostPort)))
	if addr, ok := flagValue(strs(t, in["command"]), "--web.listen-address"); !ok || addr != want {
		t.Errorf("%s listens on %q, want the stack network's gateway %s", row.Name, addr, want)
	}
	if got := b.layout.Targets[row.Name].Address; got != want {
		t.Errorf("Prometheus scrapes %s at %s, want %s", row.Name, got, want)
	}
	if ip := net.ParseIP(b.s.StackGateway()); ip == nil || !ip.IsPrivate() {
		t.Errorf("the gateway %s is not a private address", b.s.StackGateway())
	}
	network := b.m.find(t, typeNetwork, "network")
	ipam := arr(t, network.inputs["ipamConfigs"])
	if len(ipam) != 1 {
		t.Fatalf("the stack network has %d IPAM configs, want its fixed subnet", len(ipam))
	}
	if gw, _ := plain(obj(t, ipam[0])["gateway"]); gw != b.s.StackGateway() {
		t.Errorf("the stack network's gateway is %q, node_exporter listens on %s", gw, b.s.StackGateway())
	}
	// Ordered after the network it takes no input from: its gateway must
	// exist, and a replaced network's old containers must be gone first
	// (an upgrade otherwise fails on the container name, lab round 3).
	if !b.m.find(t, typeContainer, string(row.Name)).dependsOn(network) {
		t.Errorf("%s does not depend on the stack network whose gateway it listens on", row.Name)
	}
}

// textfileMounted: node_exporter mounts the configured host directory,
// read-only, where its textfile collector reads.
func textfileMounted(t *testing.T, b built) bool {
	t.Helper()
	ne := b.m.find(t, typeContainer, string(services.NodeExporter))
	for _, v := range arr(t, ne.inputs["volumes"]) {
		o := obj(t, v)
		hp, _ := plain(o["hostPath"])
		cp, _ := plain(o["containerPath"])
		if hp == b.s.App.NodeTextfileHostDir && cp == b.layout.Files.NodeTextfileDir && o["readOnly"].BoolValue() {
			return true
		}
	}
	return false
}

// TestTextfileHostDirFollowsConfig: nodeTextfileHostDir moves the host side of
// the mount; the path inside the container stays the layout's.
func TestTextfileHostDirFollowsConfig(t *testing.T) {
	s := stacks.File(t, "prod").Parse(t, "prod")
	def := s.App.NodeTextfileHostDir
	s.App.NodeTextfileHostDir = "/srv/backup/node-textfile"
	b := buildFrom(t, "prod", s)
	if !textfileMounted(t, b) {
		t.Fatalf("node_exporter does not mount %s read-only at %s", s.App.NodeTextfileHostDir, b.layout.Files.NodeTextfileDir)
	}
	for _, v := range arr(t, b.m.find(t, typeContainer, string(services.NodeExporter)).inputs["volumes"]) {
		if hp, _ := plain(obj(t, v)["hostPath"]); hp == def {
			t.Errorf("the default host directory %s is still mounted", def)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestVolumesRetainedAndProtectedPerConfig(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		for _, row := range services.All {
			if row.DataDir == "" {
				continue
			}
			svc := row.Name
			v := b.m.find(t, typeVolume, string(svc)+"-data")
			if !v.retain {
				t.Errorf("%s volume is not RetainOnDelete", svc)
			}
			if v.protect != b.s.ProtectVolumes {
				t.Errorf("%s volume protect = %v, want %v (protectVolumes)", svc, v.protect, b.s.ProtectVolumes)
			}
			if name, _ := plain(v.inputs["name"]); name != services.ContainerName(b.s.NamePrefix, svc)+"-data" {
				t.Errorf("%s volume name = %q", svc, name)
			}
			mounted := false
			for _, vol := range arr(t, b.m.find(t, typeContainer, string(svc)).inputs["volumes"]) {
				o := obj(t, vol)
				vn, _ := plain(o["volumeName"])
				cp, _ := plain(o["containerPath"])
				mounted = mounted || (vn == services.ContainerName(b.s.NamePrefix, svc)+"-data" && cp == row.DataDir)
			}
			if !mounted {
				t.Errorf("%s does not mount its volume at %s", svc, row.DataDir)
			}
		}
	})
}

// uploads returns the uploads of a service's container by file path.
func uploads(t *testing.T, b built, svc services.Name) map[string]resource.PropertyValue {
	t.Helper()
	out := map[string]resource.PropertyValue{}
	for _, u := range arr(t, b.m.find(t, typeContainer, string(svc)).inputs["uploads"]) {
		o := obj(t, u)
		f, _ := plain(o["file"])
		out[f] = o["content"]
	}
	return out
}

func TestUploadsAreTheRenderedFiles(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		s, l := b.s, b.layout
		loki := services.Get(services.Loki)
		must := func(data []byte, err error) string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			return string(data)
		}
		rulesFile, err := components.RulesFile(l.Files.PrometheusRulesGlob)
		if err != nil {
			t.Fatal(err)
		}
		tmplFile, err := components.TemplateFile(l.Files.AlertmanagerTemplatesGlob)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := pgdsn.Split(b.sec.DSN())
		if err != nil {
			t.Fatal(err)
		}
		adminPassword := b.sec.AdminPassword
		if adminPassword == "" {
			adminPassword = generated(generatedAdmin)
		}
		type file struct {
			content string
			secret  bool
		}
		want := map[services.Name]map[string]file{
			services.Prometheus: {
				// The host label is the name prefix until the caller adds its key.
				components.PrometheusConfigFile: {must(promconfig.Render(promconfig.Options{Stack: s.Stack, Host: s.HostLabel, Layout: l})), false},
				rulesFile:                       {must(alerts.RenderRules(s.Alerts)), false},
			},
			services.Alertmanager: {
				components.AlertmanagerConfigFile: {must(amconfig.Render(amconfig.For(s.Email, true, l.Files))), false},
				tmplFile:                          {string(amconfig.Template()), false},
				l.Files.SMTPPasswordFile:          {b.sec.SMTPPassword, true},
				l.Files.DeadMansSwitchURLFile:     {b.sec.DeadMansURL, true},
			},
			services.Loki: {components.LokiConfigFile: {must(lokiconfig.Render(lokiconfig.Options{
				HTTPPort: loki.Port, DataDir: loki.DataDir, RetentionDays: s.Retention.LogDays,
			})), false}},
			services.Alloy: {alloyconfig.ConfigPath: {must(alloyconfig.Render(alloyconfig.Options{
				Stack: s.Stack, Host: s.HostLabel, LokiPushURL: l.LokiPushURL,
				LokiContainer:  services.ContainerName(s.NamePrefix, services.Loki),
				AlloyContainer: services.ContainerName(s.NamePrefix, services.Alloy),
			})), false}},
			services.Grafana: {
				"/etc/grafana/secrets/bootstrap_admin_password": {generated(generatedBootstrap), true},
			},
			services.PostgresExporter: {
				"/etc/postgres_exporter/secrets/user":     {parts.User, true},
				"/etc/postgres_exporter/secrets/password": {parts.Password, true},
				"/etc/postgres_exporter/secrets/uri":      {parts.URI, true},
			},
			services.NodeExporter: {},
			services.Cadvisor:     {},
		}
		// A service without expectations must upload nothing.
		for _, svc := range services.Names() {
			files := want[svc]
			got := uploads(t, b, svc)
			if len(got) != len(files) {
				t.Errorf("%s uploads %d files, want %d", svc, len(got), len(files))
			}
			for path, f := range files {
				v, ok := got[path]
				if !ok {
					t.Errorf("%s: no upload at %s", svc, path)
					continue
				}
				content, secret := plain(v)
				if content != f.content {
					t.Errorf("%s %s: content differs from the renderer's output", svc, path)
				}
				if secret != f.secret {
					t.Errorf("%s %s: secret = %v, want %v", svc, path, secret, f.secret)
				}
			}
		}
		if b.password != adminPassword {
			t.Errorf("the exported admin password is not the configured or generated one")
		}
		// The container's environment names the files, never their content.
		pe := b.m.find(t, typeContainer, string(services.PostgresExporter))
		for _, e := range strs(t, pe.inputs["envs"]) {
			if strings.HasPrefix(e, "DATA_SOURCE_NAME=") || strings.Contains(e, parts.Password) {
				t.Errorf("postgres_exporter environment carries the DSN: %q", e)
			}
		}
	})
}

// TestNoSecretInPlainInputs walks every input of every registered resource:
// a known secret value may only appear under a secret marker.
func TestNoSecretInPlainInputs(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		needles := []string{b.sec.DSN(), b.sec.DSNPassword, b.sec.SMTPPassword, b.sec.DeadMansURL, generated(generatedAdmin), generated(generatedBootstrap)}
		if b.sec.AdminPassword != "" {
			needles = append(needles, b.sec.AdminPassword)
		}
		checked := 0
		for _, r := range b.m.all {
			walk(resource.NewObjectProperty(r.inputs), false, func(s string, secret bool) {
				checked++
				if secret {
					return
				}
				for _, n := range needles {
					if strings.Contains(s, n) {
						t.Errorf("%s %s: a secret value appears in a plain input", r.typ, r.name)
					}
				}
			})
		}
		if checked == 0 {
			t.Fatal("walked no strings")
		}
	})
}

func TestTunnelCommand(t *testing.T) {
	b := build(t, "prod")
	want := "ssh -N"
	for _, svc := range []services.Name{services.Prometheus, services.Alertmanager, services.Loki, services.Grafana} {
		port := strconv.Itoa(int(b.s.Service(svc).HostPort))
		want += " -L " + port + ":127.0.0.1:" + port
	}
	want += " deploy@vps-prod.koprogo.com"
	if b.tunnel != want {
		t.Fatalf("tunnel = %q, want %q", b.tunnel, want)
	}
	if got := components.TunnelCommand("ssh://ops@[2001:db8::1]:2222", "::1", []int{3001}); got != "ssh -N -L 3001:[::1]:3001 -p 2222 ops@2001:db8::1" {
		t.Fatalf("IPv6 tunnel = %q", got)
	}
	if got := components.TunnelCommand("", "127.0.0.1", []int{3001}); got != "" {
		t.Fatalf("local engine tunnel = %q, want none", got)
	}
}

// Grafana's passwords are generated (RandomPassword, children of the
// Grafana component, at least 24 characters): the bootstrap password always,
// the admin password only when none is configured.
func TestGeneratedPasswords(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		want := []string{generatedBootstrap}
		if !b.s.Grafana.AdminPassword.IsSet() {
			want = append(want, generatedAdmin)
		}
		var got []string
		grafana := b.m.component(t, string(services.Grafana))
		for _, pw := range b.m.ofType(typeRandomPassword) {
			got = append(got, pw.name)
			if !isChildOf(pw, grafana) {
				t.Errorf("%s parent = %s, want the Grafana component", pw.name, pw.parent)
			}
			if n := int(pw.inputs["length"].NumberValue()); n < 24 {
				t.Errorf("%s: length %d, want at least 24", pw.name, n)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("RandomPassword resources %q, want %q", got, want)
		}
	})
}

// The admin password reaches the running Grafana through the reset
// command: on the Docker host (over the provider's own ssh and options),
// the password on stdin and secret, after the container, before any
// Grafana-provider resource.
func TestAdminPasswordReset(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		cmd := b.m.find(t, typeCommand, "grafana-admin-password-reset")
		if !isChildOf(cmd, b.m.component(t, string(services.Grafana))) {
			t.Errorf("reset command parent = %s", cmd.parent)
		}
		stdin, secret := plain(cmd.inputs["stdin"])
		want := b.sec.AdminPassword
		if want == "" {
			want = generated(generatedAdmin)
		}
		if stdin != want || !secret {
			t.Errorf("reset stdin: the admin password %v, secret %v", stdin == want, secret)
		}
		create, _ := plain(cmd.inputs["create"])
		wantCmd := components.HostCommand(b.s.Docker, append([]string{"docker", "exec", "-i", services.ContainerName(b.s.NamePrefix, services.Grafana)}, components.ResetAdminPasswordCommand...)...)
		if create != wantCmd {
			t.Errorf("reset command %q, want %q", create, wantCmd)
		}
		for _, opt := range b.s.Docker.SSHOpts {
			if !strings.Contains(create, opt) {
				t.Errorf("reset command %q does not pass dockerSshOpts' %q, as the Docker provider does", create, opt)
			}
		}
		if strings.Contains(create, want) {
			t.Error("the password is in the command line")
		}
		if !cmd.dependsOn(b.m.find(t, typeContainer, string(services.Grafana))) {
			t.Errorf("the reset does not wait for the Grafana container: %q", cmd.deps)
		}
		grafanaResources := 0
		for _, r := range b.m.all {
			if strings.HasPrefix(r.typ, "grafana:") || r.typ == "pulumi:providers:grafana" {
				grafanaResources++
				if !r.dependsOn(cmd) {
					t.Errorf("%s %s logs in before the admin password is set", r.typ, r.name)
				}
			}
		}
		if b.s.Grafana.ManageContent && grafanaResources == 0 {
			t.Error("no Grafana-provider resource registered")
		}
	})
}

// The rules and template files must land where the configured globs look.
func TestInstalledFilesMatchTheGlobs(t *testing.T) {
	if f, err := components.RulesFile("/etc/prometheus/rules/*.rules"); err == nil {
		t.Errorf("RulesFile accepted %q, which the glob does not match", f)
	}
	if f, err := components.TemplateFile("/etc/am/*.tmpl"); err != nil || f != "/etc/am/koprogo.tmpl" {
		t.Errorf("TemplateFile = %q, %v", f, err)
	}
}

// Least privilege: no privileged container, every host path read-only,
// capabilities dropped (cAdvisor keeps Docker's default set), read-only root
// filesystems where no upload needs a writable one.
func TestLeastPrivilege(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		for _, svc := range services.Names() {
			in := b.m.find(t, typeContainer, string(svc)).inputs
			if p, ok := in["privileged"]; ok && p.IsBool() && p.BoolValue() {
				t.Errorf("%s is privileged", svc)
			}
			for _, v := range arr(t, in["volumes"]) {
				o := obj(t, v)
				if hp, _ := plain(o["hostPath"]); hp != "" && !o["readOnly"].BoolValue() {
					t.Errorf("%s mounts host path %s writable", svc, hp)
				}
			}
			for _, m := range arr(t, in["mounts"]) {
				if o := obj(t, m); !o["readOnly"].BoolValue() {
					t.Errorf("%s has a writable mount %v", svc, o["source"])
				}
			}
			caps := obj(t, in["capabilities"])
			dropsAll := contains(strs(t, caps["drops"]), "ALL")
			if dropsAll == (svc == services.Cadvisor) {
				t.Errorf("%s drops ALL capabilities: %v", svc, dropsAll)
			}
			wantRO := svc == services.NodeExporter || svc == services.Cadvisor
			if ro := in["readOnly"].BoolValue(); ro != wantRO {
				t.Errorf("%s read-only root filesystem = %v, want %v", svc, ro, wantRO)
			}
			if g := in["destroyGraceSeconds"]; !g.IsNumber() || g.NumberValue() <= 0 {
				t.Errorf("%s is force-removed on replacement (no destroyGraceSeconds)", svc)
			}
		}
	})
}

// TestStackFilesStateOnlyWhatDiffers: a key in a stack file that restates
// its default (however spelt: "8GB" and "8192MB" are the same size) hides
// which settings really differ between environments.
func TestStackFilesStateOnlyWhatDiffers(t *testing.T) {
	for _, stack := range []string{"prod", "staging"} {
		t.Run(stack, func(t *testing.T) {
			c := stacks.File(t, stack)
			full := c.Parse(t, stack)
			for key, v := range c.Values {
				if c.Secret[key] {
					continue // the test's own secrets
				}
				without := c.With(map[string]string{key: ""})
				if s, err := config.Parse(stack, without.Values, without.Secret); err == nil && reflect.DeepEqual(s, full) {
					t.Errorf("Pulumi.%s.yaml sets %s to %q, which is its default", stack, key, v)
				}
			}
		})
	}
}
