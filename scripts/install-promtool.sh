#!/usr/bin/env bash
# Builds Prometheus' promtool from source with `go install` into .tools/bin/promtool (scripts/lib/go-tool.sh:
# caches under .build/go, nothing done when the wanted version is already there), for the chart's
# alerting rules tests (test/monitoring.test.ts: `promtool check rules` and `promtool test rules`).
# Built with the remove_all_sd tag: rule checks and rule unit tests need none of Prometheus'
# service-discovery plugins, and leaving them out saves most of the download and compile time.
#
#   bash scripts/install-promtool.sh                        # pinned version below
#   PROMETHEUS_VERSION=v0.316.0 bash scripts/install-promtool.sh
#   PROMTOOL_BIN_DIR=/some/dir bash scripts/install-promtool.sh   # somewhere else than .tools/bin
set -euo pipefail
source "$(dirname "$0")/lib/go-tool.sh"

TOOL=promtool
# The Go module version of github.com/prometheus/prometheus (v0.316.0 is Prometheus 3.16.0); the same
# version test/monitoring/go.mod uses for its PromQL parser. Bump both together, deliberately.
TOOL_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
# `promtool --version` prints "promtool, version v0.316.0 (branch: ...)"
tool_version() { "$1" --version | sed -n 's/^promtool, version \([^ ]*\).*/\1/p'; }
GOBIN_DIR="${PROMTOOL_BIN_DIR:-}"

go_tool_env
# Prometheus' Makefile fills in the version package with -ldflags; without them `promtool --version`
# reports nothing. Set it so the idempotency check tells the truth.
go_tool_install \
  -tags remove_all_sd \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=$TOOL_VERSION" \
  "github.com/prometheus/prometheus/cmd/promtool@$TOOL_VERSION"
