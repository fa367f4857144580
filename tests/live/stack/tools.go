package stack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// ToolsEnv names the directory holding the upstream binaries (`make tools`
// fills .cache/bin-current and `make test` sets this variable).
const ToolsEnv = "KOPROGO_TOOLS_BIN"

// Tools are the paths of the upstream binaries.
type Tools struct {
	Prometheus, Alertmanager, NodeExporter, PostgresExporter string
}

// FindTools resolves the binaries from KOPROGO_TOOLS_BIN. The error says how
// to fix it: the live test must fail, not skip, when they are missing.
func FindTools() (Tools, error) {
	if os.Getenv(ToolsEnv) == "" {
		return Tools{}, fmt.Errorf("%s is not set: run `make tools` and then `make test` (which sets it to .cache/bin-current)", ToolsEnv)
	}
	path := findTool
	var t Tools
	var errs []error
	for _, b := range []struct {
		name string
		dst  *string
	}{
		{"prometheus", &t.Prometheus},
		{"alertmanager", &t.Alertmanager},
		{"node_exporter", &t.NodeExporter},
		{"postgres_exporter", &t.PostgresExporter},
	} {
		p, err := path(b.name)
		errs = append(errs, err)
		*b.dst = p
	}
	return t, errors.Join(errs...)
}

// findTool resolves one binary from KOPROGO_TOOLS_BIN.
func findTool(name string) (string, error) {
	dir := os.Getenv(ToolsEnv)
	if dir == "" {
		return "", fmt.Errorf("%s is not set: run `make tools` and then `make test` (which sets it to .cache/bin-current)", ToolsEnv)
	}
	p := filepath.Join(dir, name)
	st, err := os.Stat(p)
	if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s: no executable %s in %s: run `make tools`", ToolsEnv, name, dir)
	}
	return p, nil
}

// PostgresBinDir finds the PostgreSQL server binaries: the initdb on PATH,
// else the newest /usr/lib/postgresql/<major>/bin (Debian's layout, which
// does not put initdb on PATH). Same search as scripts/pg-bindir.sh.
func PostgresBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(r), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	major := func(d string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		return n
	}
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin: install the Debian package `postgresql` (.ci/run does)")
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
