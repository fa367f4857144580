package webconfig

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/exporter-toolkit/web"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// hash is what pulumi-random's RandomPassword.bcryptHash gives, at the
// lowest cost so the test stays fast (the cost is in the hash).
func hash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

func write(t *testing.T, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "web.yml")
	require.NoError(t, os.WriteFile(p, content, 0o600))
	return p
}

// TestValidatedByExporterToolkit: Prometheus' own validation of
// --web.config.file (users' hashes included) accepts the rendered file.
func TestValidatedByExporterToolkit(t *testing.T) {
	out, err := Render(map[string]string{AgentUser: hash(t, "a"), StackUser: hash(t, "s")})
	require.NoError(t, err)
	require.NoError(t, web.Validate(write(t, out)))
	require.NotContains(t, string(out), "tls_server_config", "TLS is the private network's job here")
}

// TestServesBasicAuth runs exporter-toolkit's server (the code behind
// Prometheus' --web.config.file) with the rendered file: each user gets in
// with its own password only, and nobody gets in without one.
func TestServesBasicAuth(t *testing.T) {
	out, err := Render(map[string]string{AgentUser: hash(t, "agent-secret"), StackUser: hash(t, "stack-secret")})
	require.NoError(t, err)
	path := write(t, out)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })}
	done := make(chan error, 1)
	go func() {
		done <- web.Serve(l, srv, &web.FlagConfig{WebConfigFile: &path}, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	})

	for _, c := range []struct {
		user, password string
		want           int
	}{
		{AgentUser, "agent-secret", http.StatusOK},
		{StackUser, "stack-secret", http.StatusOK},
		{AgentUser, "stack-secret", http.StatusUnauthorized},
		{StackUser, "agent-secret", http.StatusUnauthorized},
		{"admin", "agent-secret", http.StatusUnauthorized},
		{"", "", http.StatusUnauthorized},
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+l.Addr().String()+"/api/v1/write", nil)
		require.NoError(t, err)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.password)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, c.want, resp.StatusCode, "user %q password %q", c.user, c.password)
	}
}

// TestRefusesWhatIsNotAHash: a plain password is refused (it would be
// written in clear, and exporter-toolkit refuses it too).
func TestRefusesWhatIsNotAHash(t *testing.T) {
	_, err := Render(map[string]string{AgentUser: "plain-password"})
	require.ErrorContains(t, err, "not a bcrypt hash")
	require.Error(t, web.Validate(write(t, []byte("basic_auth_users:\n  agent: plain-password\n"))),
		"exporter-toolkit accepted a plain password: the refusal above guards nothing")
}

func TestRefusesBadUsers(t *testing.T) {
	for _, users := range []map[string]string{
		nil,
		{"": hash(t, "x")},
		{"a:b": hash(t, "x")},
	} {
		_, err := Render(users)
		require.Error(t, err, "%v", users)
	}
}

func TestDeterministic(t *testing.T) {
	users := map[string]string{AgentUser: hash(t, "a"), StackUser: hash(t, "s"), "operator": hash(t, "o")}
	first, err := Render(users)
	require.NoError(t, err)
	for range 5 {
		again, err := Render(users)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
}
