#!/usr/bin/env bash
# Builds Prometheus' promtool from source with `go install` into .tools/bin/promtool, for the chart's
# alerting rules tests (test/monitoring.test.ts: `promtool check rules` and `promtool test rules`).
#
# Same pattern as scripts/install-helm.sh: the machine has Go and the Go module proxy but no other
# downloads, so promtool is compiled; module and build caches live under .build/go. Built with the
# remove_all_sd tag: rule checks and rule unit tests need none of Prometheus' service-discovery plugins,
# and leaving them out saves most of the download and compile time.
#
# Idempotent: if .tools/bin/promtool already reports the wanted version, nothing is done.
#
#   bash scripts/install-promtool.sh                        # pinned version below
#   PROMETHEUS_VERSION=v0.316.0 bash scripts/install-promtool.sh
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"

# The Go module version of github.com/prometheus/prometheus (v0.316.0 is Prometheus 3.16.0); the same
# version test/monitoring/go.mod uses for its PromQL parser. Bump both together, deliberately.
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"

export GOMODCACHE="${GOMODCACHE:-$ROOT/.build/go/mod}"
export GOCACHE="${GOCACHE:-$ROOT/.build/go/cache}"
export GOBIN="${PROMTOOL_BIN_DIR:-$ROOT/.tools/bin}"
export CGO_ENABLED=0
PROMTOOL="$GOBIN/promtool"

if ! command -v go >/dev/null 2>&1; then
  echo "install-promtool: Go is required (go install builds promtool from source)" >&2
  exit 1
fi

installed_version() {
  [ -x "$PROMTOOL" ] || return 0
  # `promtool --version` prints "promtool, version v0.316.0 (branch: ...)"
  "$PROMTOOL" --version 2>/dev/null | sed -n 's/^promtool, version \([^ ]*\).*/\1/p' || true
}

if [ "$(installed_version)" = "$PROMETHEUS_VERSION" ]; then
  echo "install-promtool: $PROMTOOL is already $PROMETHEUS_VERSION"
  exit 0
fi

mkdir -p "$GOBIN" "$GOMODCACHE" "$GOCACHE"
echo "install-promtool: building promtool $PROMETHEUS_VERSION into $GOBIN (first build takes several minutes)"
start=$(date +%s)
# Prometheus' Makefile fills in the version package with -ldflags; without them `promtool --version`
# reports nothing. Set it so the idempotency check above tells the truth.
go install \
  -trimpath \
  -tags remove_all_sd \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
  "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
end=$(date +%s)

got="$(installed_version)"
if [ "$got" != "$PROMETHEUS_VERSION" ]; then
  echo "install-promtool: built $PROMTOOL but it reports version '$got', expected $PROMETHEUS_VERSION" >&2
  exit 1
fi
echo "install-promtool: promtool $got installed in $((end - start))s"
