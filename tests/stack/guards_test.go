package stack_test

// Guards found missing by the mutation audit of issue 13: each states one
// meaning a one-line change could otherwise break with every test green.

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/units"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"go.yaml.in/yaml/v3"

	"github.com/koprogo/koprogo-monitoring/components"
	"github.com/koprogo/koprogo-monitoring/config"
	"github.com/koprogo/koprogo-monitoring/config/pgdsn"
	"github.com/koprogo/koprogo-monitoring/internal/testkit/stacks"
	"github.com/koprogo/koprogo-monitoring/program"
	"github.com/koprogo/koprogo-monitoring/services"
)

// A bind address other than the default reaches the URL outputs too: each
// names the address the port is published on.
func TestURLOutputsFollowBindAddress(t *testing.T) {
	const bind = "127.0.0.2"
	s := stacks.File(t, "prod").With(map[string]string{"bindAddress": bind}).Parse(t, "prod")
	// RunErr does not wait for applies nothing depends on: the values
	// come through channels.
	urls := map[string]chan string{"grafanaUrl": nil, "prometheusUrl": nil, "alertmanagerUrl": nil, "lokiUrl": nil}
	for k := range urls {
		urls[k] = make(chan string, 1)
	}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		st, err := components.NewStack(ctx, config.Project, &components.StackArgs{Settings: s})
		if err != nil {
			return err
		}
		for name, o := range program.Outputs(st) {
			if ch, ok := urls[name]; ok {
				o.(pulumi.StringOutput).ApplyT(func(v string) string { ch <- v; return v })
			}
		}
		return nil
	}, pulumi.WithMocks(config.Project, "prod", &mocks{}))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for name, ch := range urls {
		select {
		case values[name] = <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("output %s never resolved", name)
		}
	}
	for out, svc := range map[string]services.Name{"grafanaUrl": services.Grafana, "prometheusUrl": services.Prometheus, "alertmanagerUrl": services.Alertmanager, "lokiUrl": services.Loki} {
		want := "http://" + net.JoinHostPort(bind, strconv.Itoa(int(s.Service(svc).HostPort)))
		if values[out] != want {
			t.Errorf("output %s = %q, want %q", out, values[out], want)
		}
	}
}

// Capabilities granted beyond none are exactly the two each needs: Alloy
// reads other users' log files, cAdvisor reads /dev/kmsg. Nothing else
// gains one.
func TestOnlyTheNeededCapabilitiesAreAdded(t *testing.T) {
	want := map[services.Name][]string{services.Alloy: {"CAP_DAC_OVERRIDE"}, services.Cadvisor: {"CAP_SYSLOG"}}
	forEachStack(t, func(t *testing.T, b built) {
		for _, svc := range services.Names() {
			caps := obj(t, b.m.find(t, typeContainer, string(svc)).inputs["capabilities"])
			if got := strs(t, caps["adds"]); !slices.Equal(got, want[svc]) {
				t.Errorf("%s adds capabilities %q, want %q", svc, got, want[svc])
			}
		}
	})
}

// Only node_exporter shares the host's PID and network namespaces (it
// reports the host's mounts and interfaces); no device is writable.
func TestHostNamespacesAndDevices(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		for _, svc := range services.Names() {
			in := b.m.find(t, typeContainer, string(svc)).inputs
			wantHost := svc == services.NodeExporter
			if pm, _ := plain(in["pidMode"]); (pm == "host") != wantHost {
				t.Errorf("%s pidMode = %q", svc, pm)
			}
			if nm, _ := plain(in["networkMode"]); (nm == "host") != wantHost {
				t.Errorf("%s networkMode = %q", svc, nm)
			}
			for _, d := range arr(t, in["devices"]) {
				if p, _ := plain(obj(t, d)["permissions"]); p != "r" {
					hp, _ := plain(obj(t, d)["hostPath"])
					t.Errorf("%s device %s with permissions %q, want r", svc, hp, p)
				}
			}
		}
	})
}

// Every container's log is bounded: json-file with a size and a count
// whose product is at most 30 MiB, so no container can fill the disk
// with its own output.
func TestContainerLogsAreBounded(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		for _, svc := range services.Names() {
			lo := obj(t, b.m.find(t, typeContainer, string(svc)).inputs["logOpts"])
			sizeS, _ := plain(lo["max-size"])
			fileS, _ := plain(lo["max-file"])
			// Docker's units: k, m, g (powers of 1024).
			size, err := units.ParseBase2Bytes(strings.ToUpper(sizeS) + "iB")
			files, err2 := strconv.Atoi(fileS)
			if err != nil || err2 != nil || size <= 0 || files <= 0 || int64(size)*int64(files) > 30<<20 {
				t.Errorf("%s logs max-size %q max-file %q: unbounded or over 30 MiB", svc, sizeS, fileS)
			}
		}
	})
}

// The admin password reset runs with its logging off and its stdin,
// stdout and stderr kept secret in the state.
func TestAdminPasswordResetLeavesNoTrace(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		cmd := b.m.find(t, typeCommand, "grafana-admin-password-reset")
		if l, _ := plain(cmd.inputs["logging"]); l != "none" {
			t.Errorf("reset command logging = %q, want none", l)
		}
		for _, o := range []string{"stdin", "stdout", "stderr"} {
			if !slices.Contains(cmd.secretOuts, o) {
				t.Errorf("reset command output %s is not an additional secret output (%q)", o, cmd.secretOuts)
			}
		}
	})
}

// postgres_exporter reads each part of the DSN from the file its
// DATA_SOURCE_*_FILE variable names, and that file holds that part.
func TestPostgresExporterReadsEachPartFromItsFile(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		up := uploads(t, b, services.PostgresExporter)
		env := map[string]string{}
		for _, e := range strs(t, b.m.find(t, typeContainer, string(services.PostgresExporter)).inputs["envs"]) {
			k, v, _ := strings.Cut(e, "=")
			env[k] = v
		}
		parts := map[string]string{"DATA_SOURCE_USER_FILE": "user", "DATA_SOURCE_PASS_FILE": "password", "DATA_SOURCE_URI_FILE": "uri"}
		p, err := pgdsn.Split(b.sec.DSN())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"user": p.User, "password": p.Password, "uri": p.URI}
		for k, part := range parts {
			got, secret := plain(up[env[k]])
			if env[k] == "" || got != want[part] || !secret {
				t.Errorf("%s=%q: the file holds the %s? %v (secret %v)", k, env[k], part, got == want[part], secret)
			}
		}
	})
}

// Alertmanager e-mails only over TLS with a verified certificate.
func TestSMTPRequiresVerifiedTLS(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		if !b.s.Email.Enabled {
			t.Fatal("the stack sends no e-mail: nothing to check (both stacks should)")
		}
		am, _ := plain(uploads(t, b, services.Alertmanager)[components.AlertmanagerConfigFile])
		var cfg struct {
			Receivers []struct {
				Email []map[string]any `yaml:"email_configs"`
			} `yaml:"receivers"`
		}
		if err := yaml.Unmarshal([]byte(am), &cfg); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range cfg.Receivers {
			for _, e := range r.Email {
				n++
				tlsCfg, _ := e["tls_config"].(map[string]any)
				if e["require_tls"] != true || tlsCfg["insecure_skip_verify"] == true {
					t.Errorf("e-mail config require_tls %v, tls_config %v", e["require_tls"], tlsCfg)
				}
			}
		}
		if n == 0 {
			t.Error("no e-mail receiver")
		}
	})
}

// A *_FILE variable in a container's environment names a file the
// container receives as a secret upload: the service reads its secret from
// where the stack put it.
func TestFileVariablesNameSecretUploads(t *testing.T) {
	forEachStack(t, func(t *testing.T, b built) {
		n := 0
		for _, svc := range services.Names() {
			up := uploads(t, b, svc)
			for _, e := range strs(t, b.m.find(t, typeContainer, string(svc)).inputs["envs"]) {
				k, path, _ := strings.Cut(e, "=")
				if !strings.HasSuffix(k, "_FILE") {
					continue
				}
				n++
				if v, ok := up[path]; !ok {
					t.Errorf("%s: %s names %s, which is not uploaded", svc, k, path)
				} else if _, secret := plain(v); !secret {
					t.Errorf("%s: %s names %s, which is not a secret upload", svc, k, path)
				}
			}
		}
		if n == 0 {
			t.Fatal("no _FILE variable")
		}
	})
}

// Agent hosts' volumes follow protectVolumes like the central host's: an
// unprotected stack can be destroyed whole, a protected one cannot.
func TestAgentVolumesFollowProtectVolumes(t *testing.T) {
	for _, protect := range []string{"true", "false"} {
		t.Run("protectVolumes="+protect, func(t *testing.T) {
			c := stacks.File(t, "prod").With(map[string]string{
				"agentHosts":      `[{"name":"worker-1","dockerHost":"ssh://deploy@worker-1.koprogo.com"}]`,
				"receiverAddress": receiverAddr, "protectVolumes": protect,
			})
			b := buildFrom(t, "prod", c.Parse(t, "prod"))
			n := 0
			for _, v := range b.m.ofType(typeVolume) {
				n++
				if !v.retain || strconv.FormatBool(v.protect) != protect {
					t.Errorf("volume %s: retain %v protect %v, want retained and protect %s", v.name, v.retain, v.protect, protect)
				}
			}
			if n < 4 {
				t.Fatalf("%d volumes, want the central ones and the agent's", n)
			}
		})
	}
}
