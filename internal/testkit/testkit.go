// Package testkit holds the two helpers every test package needs: the path
// of a pinned upstream binary, and golden-file comparison.
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
