// Package versions checks that the container images the stack deploys and
// the binaries the tests run are the same releases: the live test proves the
// deployed versions only if they are the ones it runs.
package versions

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/koprogo/koprogo-monitoring/services"
)

// tool ties an image to the tools module that builds the same program.
type tool struct {
	image  string // the service table's default image
	dir    string // tools/<dir>/go.mod
	module string // upstream module whose version is the release
}

func tools() []tool {
	img := func(n services.Name) string { return services.Get(n).Image }
	return []tool{
		{img(services.Prometheus), "prometheus", "github.com/prometheus/prometheus"},
		{img(services.Alertmanager), "alertmanager", "github.com/prometheus/alertmanager"},
		{img(services.NodeExporter), "node_exporter", "github.com/prometheus/node_exporter"},
		{img(services.PostgresExporter), "postgres_exporter", "github.com/prometheus-community/postgres_exporter"},
	}
}

var tagRE = regexp.MustCompile(`:v?(\d+\.\d+\.\d+)$`)

func TestImageTagsMatchToolVersions(t *testing.T) {
	for _, tl := range tools() {
		t.Run(tl.dir, func(t *testing.T) {
			m := tagRE.FindStringSubmatch(tl.image)
			if m == nil {
				t.Fatalf("image %q has no x.y.z release tag to compare with tools/%s", tl.image, tl.dir)
			}
			modVersion, err := requiredVersion(filepath.Join("..", "..", "tools", tl.dir, "go.mod"), tl.module)
			if err != nil {
				t.Fatal(err)
			}
			release, err := releaseVersion(tl.module, modVersion)
			if err != nil {
				t.Fatal(err)
			}
			if m[1] != release {
				t.Errorf("the service table deploys %s but tools/%s/go.mod builds %s %s (release %s): change both together", tl.image, tl.dir, tl.module, modVersion, release)
			}
		})
	}
}

// TestReleaseVersion pins the one non-obvious mapping: Prometheus 3.x.y is
// published as Go module v0.3xx.y.
func TestReleaseVersion(t *testing.T) {
	for in, want := range map[string]string{"v0.316.0": "3.16.0", "v0.300.1": "3.0.1", "v0.310.12": "3.10.12"} {
		got, err := releaseVersion("github.com/prometheus/prometheus", in)
		if err != nil || got != want {
			t.Errorf("releaseVersion(prometheus, %s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, _ := releaseVersion("github.com/prometheus/alertmanager", "v0.35.0"); got != "0.35.0" {
		t.Errorf("releaseVersion(alertmanager, v0.35.0) = %q, want 0.35.0", got)
	}
	if _, err := releaseVersion("github.com/prometheus/prometheus", "v2.53.0"); err == nil {
		t.Error("releaseVersion accepted a Prometheus module version outside the v0.3xx scheme")
	}
}

// requiredVersion reads the version of module required by a go.mod file.
func requiredVersion(path, module string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	f, err := modfile.ParseLax(path, data, nil)
	if err != nil {
		return "", err
	}
	for _, r := range f.Require {
		if r.Mod.Path == module {
			return r.Mod.Version, nil
		}
	}
	return "", fmt.Errorf("%s does not require %s", path, module)
}

// releaseVersion maps a module version to the release version (no "v").
// scripts/build-tools.sh applies the same mapping when it stamps binaries.
func releaseVersion(module, version string) (string, error) {
	m := regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)$`).FindStringSubmatch(version)
	if m == nil {
		return "", fmt.Errorf("%s %s is not a release version", module, version)
	}
	if module != "github.com/prometheus/prometheus" {
		return m[1] + "." + m[2] + "." + m[3], nil
	}
	minor, _ := strconv.Atoi(m[2])
	if m[1] != "0" || minor < 300 || minor > 399 {
		return "", fmt.Errorf("prometheus module version %s is not of the form v0.3xx.y", version)
	}
	return fmt.Sprintf("3.%d.%s", minor-300, m[3]), nil
}
