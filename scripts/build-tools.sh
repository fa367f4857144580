#!/usr/bin/env bash
# Builds the upstream binaries the tests run (promtool, amtool, prometheus,
# alertmanager, node_exporter, postgres_exporter) at exactly the versions the
# stack deploys, actionlint (which checks .github/workflows) and VictoriaMetrics
# single node (the remote-write receiver of the remote-write live test), into
# .cache/bin/<name>-<version>, and points .cache/bin-current/<name> at them.
# Tests find them through KOPROGO_TOOLS_BIN=.cache/bin-current.
#
# Each tool has its own module under tools/<tool>/ so that each binary is built
# with the dependency versions its upstream go.mod declares, as the release is
# (one shared module would unify dependencies and break Alertmanager). The
# version comes from that go.mod, so the versions test and this script cannot
# disagree about what "deployed version" means.
#
# A binary that already exists is not rebuilt: later runs take seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/bin"
current="$root/.cache/bin-current"
mkdir -p "$bin" "$current"

# Static binaries with the pure-Go resolver, like the release images; no VCS
# stamping (the tools modules are not the upstream repositories).
export CGO_ENABLED=0
build_flags=(-trimpath -tags netgo -buildvcs=false)

# module_version DIR MODULE prints the version of MODULE required by tools/DIR.
module_version() {
	(cd "$root/tools/$1" && go list -mod=readonly -m -f '{{.Version}}' "$2")
}

# release_version MODULE VERSION maps a module version to the release version
# the binary reports. Prometheus publishes 3.x.y as Go module v0.3xx.y.
release_version() {
	local v=${2#v}
	if [[ $1 == github.com/prometheus/prometheus ]]; then
		local major minor patch
		IFS=. read -r major minor patch <<<"$v"
		[[ $major == 0 && ${#minor} == 3 ]] || { echo "unexpected Prometheus module version $2" >&2; exit 1; }
		v="${minor:0:1}.$((10#${minor:1})).$patch"
	fi
	echo "$v"
}

# version_ldflags MODULE VERSION prints the -X flags that make the binary
# report its release version, as the upstream release build does.
version_ldflags() {
	case $1 in
	github.com/rhysd/actionlint)
		echo "-X github.com/rhysd/actionlint.version=$2"
		;;
	github.com/VictoriaMetrics/VictoriaMetrics)
		# The release Makefile stamps <app>-<build date>-<git describe --long
		# --all with / as ->, e.g. victoria-metrics-20260828-134629-tags-v1.151.0-0-g<sha>;
		# the binary prints it with -version and exports it as vm_app_version,
		# and buildinfo.ShortVersion extracts vX.Y.Z from it. The date here is
		# the module's commit time, so the stamp is the same at every build; the
		# commit hash is not known from the module and is left out.
		local when
		when=$(cd "$root/tools/victoriametrics" && go list -m -f '{{.Time.Format "20060102-150405"}}' "$1")
		echo "-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-metrics-$when-tags-v$2"
		;;
	*)
		echo "-X github.com/prometheus/common/version.Version=$2 -X github.com/prometheus/common/version.Branch=release -X github.com/prometheus/common/version.BuildUser=koprogo-tools"
		;;
	esac
}

# build NAME DIR MODULE PACKAGE [extra go build flags...]
build() {
	local name=$1 dir=$2 module=$3 pkg=$4
	shift 4
	local version out
	version=$(release_version "$module" "$(module_version "$dir" "$module")")
	out="$bin/$name-$version"
	if [[ ! -x $out ]]; then
		echo "building $name $version" >&2
		(cd "$root/tools/$dir" && go build "${build_flags[@]}" "$@" \
			-ldflags "-s -w $(version_ldflags "$module" "$version")" \
			-o "$out.tmp" "$pkg")
		mv "$out.tmp" "$out"
	fi
	ln -sfn "../bin/$name-$version" "$current/$name"
}

# Alertmanager's module zips (v0.32 on) lack the generated web UI that
# ui/web.go embeds (ui/app/dist), so the package cannot be built from the
# module cache. Vendor the module, give the embed a placeholder page and build
# from vendor/. `go mod vendor` reports the missing embed but still writes
# vendor/, which is what we check for. The tests use the API, never the UI.
vendor_alertmanager() {
	local dir="$root/tools/alertmanager"
	local dist="$dir/vendor/github.com/prometheus/alertmanager/ui/app/dist"
	if [[ ! -f $dir/vendor/modules.txt ]] || ! grep -q "^# github.com/prometheus/alertmanager $(module_version alertmanager github.com/prometheus/alertmanager) " "$dir/vendor/modules.txt"; then
		rm -rf "$dir/vendor"
		(cd "$dir" && go mod vendor 2>"$root/.cache/alertmanager-vendor.log") || true
		[[ -f $dir/vendor/modules.txt ]] || { cat "$root/.cache/alertmanager-vendor.log" >&2; exit 1; }
	fi
	mkdir -p "$dist"
	[[ -f $dist/index.html ]] || echo '<!doctype html><title>Alertmanager UI not built</title>' >"$dist/index.html"
}

build promtool prometheus github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool
build prometheus prometheus github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/prometheus
build node_exporter node_exporter github.com/prometheus/node_exporter github.com/prometheus/node_exporter
build postgres_exporter postgres_exporter github.com/prometheus-community/postgres_exporter \
	github.com/prometheus-community/postgres_exporter/cmd/postgres_exporter
am_version=$(module_version alertmanager github.com/prometheus/alertmanager)
if [[ ! -x $bin/alertmanager-${am_version#v} || ! -x $bin/amtool-${am_version#v} ]]; then
	vendor_alertmanager
fi
build alertmanager alertmanager github.com/prometheus/alertmanager github.com/prometheus/alertmanager/cmd/alertmanager -mod=vendor
build amtool alertmanager github.com/prometheus/alertmanager github.com/prometheus/alertmanager/cmd/amtool -mod=vendor
build actionlint actionlint github.com/rhysd/actionlint github.com/rhysd/actionlint/cmd/actionlint
# Pure Go (CGO_ENABLED=0 above): VictoriaMetrics' own "-pure" build, zstd
# through klauspost/compress instead of the cgo gozstd.
build victoria-metrics victoriametrics github.com/VictoriaMetrics/VictoriaMetrics \
	github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics

echo "tools ready in $current" >&2
