package pgdsn

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/koprogo/koprogo-monitoring/internal/testkit"
)

func TestSplitRejectsWithoutQuotingTheDSN(t *testing.T) {
	const pass = "s3cr3t-value"
	for _, dsn := range []string{
		"mysql://u:" + pass + "@db:5432/app",
		"postgresql://u:" + pass + "@/app",
		"postgresql://:" + pass + "@db:5432/app",
		"postgresql://u:" + pass + "@db:5432/app#frag",
		"postgresql://u:%20" + pass + "@db:5432/app",
		"postgresql://u:" + pass + "@db:5432/app\x7f",
		"postgresql://u:" + pass + "@db:99999/app",
		"postgresql://u:" + pass + "@db:5432/app?sslmode=required",
		"postgresql://u:" + pass + "@db:5432/app?sslmode=disable&sslmode=require",
	} {
		_, err := Split(dsn)
		if err == nil {
			t.Errorf("Split accepted %q", dsn)
			continue
		}
		if strings.Contains(err.Error(), pass) {
			t.Errorf("Split error quotes the password: %v", err)
		}
	}
}

// TestExporterRebuildsTheDSN hands the three files to the real
// postgres_exporter and checks, on the wire, what it sends to a PostgreSQL
// server: the fake server below reads the startup message (user, database)
// and asks for a clear-text password, which the exporter then sends.
func TestExporterRebuildsTheDSN(t *testing.T) {
	bin := testkit.Tool(t, "postgres_exporter")
	pg, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	// Characters that need escaping in a URL, in every part.
	const user, pass, db = "mon@itor", "p@ss:w/rd ?&%#x", "app db"
	dsn := fmt.Sprintf("postgresql://%s:%s@%s/%s?sslmode=disable&application_name=koprogo-mon",
		"mon%40itor", "p%40ss%3Aw%2Frd%20%3F%26%25%23x", pg.Addr(), "app%20db")
	parts, err := Split(dsn)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	files := map[string]string{"DATA_SOURCE_USER_FILE": parts.User, "DATA_SOURCE_PASS_FILE": parts.Password, "DATA_SOURCE_URI_FILE": parts.URI}
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range files {
		p := filepath.Join(dir, k)
		// A trailing newline, as an editor or upload may leave: the exporter trims it.
		if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, k+"="+p)
	}
	web, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	webAddr := web.Addr().String()
	web.Close()

	cmd := exec.Command(bin, "--web.listen-address="+webAddr, "--config.file="+filepath.Join(dir, "none.yml"))
	cmd.Env = env
	cmd.Dir = dir
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	got := make(chan map[string]string, 1)
	go func() {
		conn, err := pg.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		params, err := readStartup(conn)
		if err != nil {
			got <- map[string]string{"error": err.Error()}
			return
		}
		// AuthenticationCleartextPassword.
		if _, err := conn.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3}); err != nil {
			got <- map[string]string{"error": err.Error()}
			return
		}
		params["password"], err = readPassword(conn)
		if err != nil {
			params["error"] = err.Error()
		}
		got <- params
	}()

	// The exporter connects when it is scraped; keep scraping until the fake
	// server has seen a connection.
	deadline := time.After(30 * time.Second)
	for {
		select {
		case p := <-got:
			if p["error"] != "" {
				t.Fatalf("fake server: %s", p["error"])
			}
			if p["user"] != user || p["database"] != db || p["password"] != pass {
				t.Fatalf("exporter sent user=%q database=%q password=%q; want %q %q %q", p["user"], p["database"], p["password"], user, db, pass)
			}
			if p["application_name"] != "koprogo-mon" {
				t.Fatalf("exporter dropped the URI parameters: application_name=%q", p["application_name"])
			}
			return
		case <-deadline:
			t.Fatalf("postgres_exporter never connected; its log:\n%s", logs.String())
		case <-time.After(300 * time.Millisecond):
			if resp, err := http.Get("http://" + webAddr + "/metrics"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
}

// readStartup reads a PostgreSQL v3 StartupMessage: length, protocol, then
// NUL-terminated key/value pairs ending with an empty key.
func readStartup(conn net.Conn) (map[string]string, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if proto := binary.BigEndian.Uint32(hdr[4:]); proto != 196608 {
		return nil, fmt.Errorf("protocol %d (an SSLRequest?), want 3.0", proto)
	}
	body := make([]byte, n-8)
	if _, err := io.ReadFull(conn, body); err != nil {
		return nil, err
	}
	fields := strings.Split(string(body), "\x00")
	params := map[string]string{}
	for i := 0; i+1 < len(fields) && fields[i] != ""; i += 2 {
		params[fields[i]] = fields[i+1]
	}
	return params, nil
}

// readPassword reads a PasswordMessage ('p', length, NUL-terminated password).
func readPassword(conn net.Conn) (string, error) {
	r := bufio.NewReader(conn)
	typ, err := r.ReadByte()
	if err != nil {
		return "", err
	}
	if typ != 'p' {
		return "", fmt.Errorf("message type %q, want 'p'", typ)
	}
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return "", err
	}
	body := make([]byte, binary.BigEndian.Uint32(l[:])-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(body), "\x00"), nil
}
