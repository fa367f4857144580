# Entry points for humans and CI. `make test` is the one command that proves
# the stack: unit and golden tests, upstream-tool validation, and the live
# test that runs the rendered configuration on the real binaries.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go

TOOLS_BIN := $(CURDIR)/.cache/bin-current
# The live tests need about 11 minutes once the tools are built (TestLive
# about 5, TestRemoteWrite about 6 with its 2-minute engine outage); the rest
# is headroom for a slow first build of the test binaries on a small machine.
TEST_TIMEOUT ?= 20m
# How long `make bench` measures each stack (tuned and baseline).
BENCH_DURATION ?= 10m

# For `make tunnel`: the deployed stack whose UIs to forward.
STACK ?= staging

.PHONY: all tools host-packages vet test bench tunnel

all: test

# Builds the pinned upstream binaries once into .cache/bin (seconds when cached).
tools:
	./scripts/build-tools.sh

# The live test starts a throwaway PostgreSQL server, and runs the container
# healthchecks that need a shell with busybox (the images' shell); fail
# early and clearly when they are not installed.
host-packages:
	@./scripts/pg-bindir.sh >/dev/null || { echo "PostgreSQL server binaries (initdb, postgres) not found: install the Debian package 'postgresql' (.ci/run does this)" >&2; exit 1; }
	@command -v busybox >/dev/null || { echo "busybox not found: install the Debian package 'busybox' (.ci/run does this)" >&2; exit 1; }

# go.mod must say what the code imports (a dependency marked indirect that
# the program imports directly is one `go mod tidy` away from a surprise),
# and the code is gofmt-formatted.
vet:
	$(GO) vet ./...
	$(GO) mod tidy -diff
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$unformatted" || { echo "not gofmt-formatted: $$unformatted" >&2; exit 1; }

test: tools host-packages vet
	KOPROGO_TOOLS_BIN=$(TOOLS_BIN) $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

# Runs the live stack and an untuned baseline for BENCH_DURATION each and
# writes docs/footprint.md with the measured numbers.
bench: tools host-packages
	KOPROGO_TOOLS_BIN=$(TOOLS_BIN) $(GO) run ./tests/live/footprint -duration $(BENCH_DURATION) -out docs/footprint.md

# Forwards the UIs of a deployed stack (bound to 127.0.0.1 on the VPS) to
# the same local ports, with the command the stack itself derives from its
# settings (output sshTunnel): make tunnel STACK=prod
tunnel:
	@cmd=$$(pulumi stack output sshTunnel --stack "$(STACK)") && test -n "$$cmd" || { echo "make tunnel: stack $(STACK) has no sshTunnel output (not deployed yet, or a local Docker engine that needs no tunnel)" >&2; exit 2; }; \
	echo "$$cmd" >&2; exec $$cmd
