package stack

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Postgres is a throwaway PostgreSQL server: its own data directory, a
// loopback port, pg_stat_statements preloaded, and a least-privilege
// monitoring role (pg_monitor) the exporter logs in with a password.
type Postgres struct {
	Port        int
	MonitorUser string
	MonitorPass string
	binDir      string
	dir         string // owned by the server's user; holds data/ and the socket
	cred        *syscall.Credential
	proc        *Process
}

// DSN is the URL postgres_exporter connects with (over TCP, password auth).
func (pg *Postgres) DSN() string {
	u := url.URL{
		Scheme:   "postgresql",
		User:     url.UserPassword(pg.MonitorUser, pg.MonitorPass),
		Host:     "127.0.0.1:" + strconv.Itoa(pg.Port),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// newPostgres initialises a cluster under a fresh directory. initdb refuses
// to run as root, so as root the server runs as the `postgres` user (created
// by the Debian package), in a directory that user owns.
func newPostgres(binDir string, port int, logDir string) (*Postgres, error) {
	dir, err := os.MkdirTemp("", "koprogo-live-pg-")
	if err != nil {
		return nil, err
	}
	pg := &Postgres{Port: port, MonitorUser: "koprogo_monitor", MonitorPass: randomHex(16), binDir: binDir, dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return pg, fmt.Errorf("running as root and there is no `postgres` user to run PostgreSQL as (initdb refuses root): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return pg, err
		}
	}
	data := filepath.Join(dir, "data")
	out, err := pg.run("initdb", "-D", data, "-U", "postgres", "-E", "UTF8", "--no-sync",
		"--auth-local=trust", "--auth-host=scram-sha-256")
	if err != nil {
		return pg, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nshared_preload_libraries = 'pg_stat_statements'\n", port, dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return pg, err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return pg, err
	}
	if err := pg.Start(logDir); err != nil {
		return pg, err
	}
	setup := fmt.Sprintf("CREATE EXTENSION pg_stat_statements; CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE pg_monitor;", pg.MonitorUser, pg.MonitorPass)
	if out, err := pg.run("psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", strconv.Itoa(port), "-U", "postgres", "-d", "postgres", "-c", setup); err != nil {
		return pg, fmt.Errorf("psql setup: %w\n%s", err, out)
	}
	return pg, nil
}

// Start runs the server and waits until it accepts connections.
func (pg *Postgres) Start(logDir string) error {
	p, err := startProcess("postgres", logDir, filepath.Join(pg.binDir, "postgres"), []string{"-D", filepath.Join(pg.dir, "data")}, nil, pg.cred)
	if err != nil {
		return err
	}
	pg.proc = p
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := pg.run("pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port)); err == nil {
			return nil
		}
		if p.Exited() || time.Now().After(deadline) {
			return fmt.Errorf("postgres did not become ready:\n%s", p.LogTail(20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop shuts the server down the way `pg_ctl stop -m fast` does (SIGINT):
// clients are disconnected, nothing is left half-written.
func (pg *Postgres) Stop() error {
	if pg.proc == nil {
		return nil
	}
	return pg.proc.Stop(syscall.SIGINT, 30*time.Second)
}

// Close stops the server and removes its directory.
func (pg *Postgres) Close() error {
	err := pg.Stop()
	if rerr := os.RemoveAll(pg.dir); err == nil {
		err = rerr
	}
	return err
}

// run executes one PostgreSQL client tool as the server's user.
func (pg *Postgres) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(pg.binDir, tool), args...)
	cmd.Dir = pg.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	return cmd.CombinedOutput()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
