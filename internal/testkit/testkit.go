// Package testkit holds what every test package needs: the path of a pinned
// upstream binary, the repository's root, and golden-file comparison. Its
// subpackages give stack configurations (stacks) and the dashboards' queries
// (queries).
package testkit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// ToolsEnv names the directory holding the pinned upstream binaries
// (promtool, amtool, prometheus, alertmanager, node_exporter,
// postgres_exporter); `make test` sets it to .cache/bin-current.
const ToolsEnv = "KOPROGO_TOOLS_BIN"

// Tool returns the path of a pinned upstream binary. It fails the test, and
// never skips it, when the binary is not there: a check that did not run
// proves nothing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv(ToolsEnv)
	if dir == "" {
		t.Fatalf("%s is not set: run `make tools` (or `make test`, which sets it) so that %s can be found", ToolsEnv, name)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not found in %s=%s: run `make tools` (%v)", name, ToolsEnv, dir, err)
	}
	return p
}

// RepoRoot is the repository's top directory (the one holding Pulumi.yaml),
// found from the test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no Pulumi.yaml in any parent directory of the test")
		}
		dir = parent
	}
}

// Golden compares got with the file at path. With update set (the package's
// -update flag) it rewrites the file instead, so every change to generated
// output shows up in a reviewable diff.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test` in this package with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run `go test` in this package with -update and review the diff", path)
	}
}
