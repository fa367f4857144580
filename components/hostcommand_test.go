package components

import (
	"os/exec"
	"testing"

	"github.com/koprogo/koprogo-monitoring/config"
)

func TestHostCommand(t *testing.T) {
	argv := []string{"docker", "exec", "-i", "koprogo-mon-grafana", "grafana", "cli"}
	for _, tc := range []struct {
		name string
		d    config.Docker
		want string
	}{
		{"local socket", config.Docker{}, "docker exec -i koprogo-mon-grafana grafana cli"},
		{"unix socket", config.Docker{Host: "unix:///run/user/1000/docker.sock"}, "docker -H unix:///run/user/1000/docker.sock exec -i koprogo-mon-grafana grafana cli"},
		{"ssh with the provider's options", config.Docker{Host: "ssh://deploy@vps.example.com:2222", SSHOpts: []string{"-o", "StrictHostKeyChecking=yes", "-i", "/home/op/my key"}},
			"ssh -o StrictHostKeyChecking=yes -i '/home/op/my key' -T -p 2222 -- deploy@vps.example.com docker exec -i koprogo-mon-grafana grafana cli"},
	} {
		if got := HostCommand(tc.d, argv...); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// shellJoin's quoting is read back by a real shell as the same words.
func TestShellJoinRoundTrip(t *testing.T) {
	words := []string{"plain", "with space", "it's", `back\slash`, "$HOME", "`id`", "", "semi;colon", "new\nline"}
	out, err := exec.Command("bash", "-c", `for w in `+shellJoin(words)+`; do printf '[%s]' "$w"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, w := range words {
		want += "[" + w + "]"
	}
	if string(out) != want {
		t.Fatalf("bash read %q, want %q", out, want)
	}
}
