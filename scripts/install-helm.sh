#!/usr/bin/env bash
# Builds the helm v3 CLI from source with `go install` into .tools/bin/helm (scripts/lib/go-tool.sh:
# caches under .build/go, nothing done when the wanted version is already there).
#
#   bash scripts/install-helm.sh                   # pinned version below
#   HELM_VERSION=v3.21.4 bash scripts/install-helm.sh
#   HELM_VERSION=latest bash scripts/install-helm.sh   # newest v3 tag the module proxy lists
set -euo pipefail
source "$(dirname "$0")/lib/go-tool.sh"

TOOL=helm
# Newest helm v3 release on the Go module proxy when this script was written. Bump deliberately.
TOOL_VERSION="${HELM_VERSION:-v3.22.0}"
# `helm version --template` prints e.g. v3.22.0
tool_version() { "$1" version --template '{{.Version}}'; }

go_tool_env

if [ "$TOOL_VERSION" = "latest" ]; then
  # `go list -m -versions` asks the module proxy for the tag list; keep release tags of major version 3.
  TOOL_VERSION="$(cd "$(mktemp -d)" && go list -m -versions helm.sh/helm/v3 | tr ' ' '\n' \
    | grep -E '^v3\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1)"
  if [ -z "$TOOL_VERSION" ]; then
    echo "install-helm: could not list helm.sh/helm/v3 versions from the Go module proxy" >&2
    exit 1
  fi
fi

# helm's version package is filled in by its Makefile's -ldflags; without them `helm version` reports the
# module's default. Set it so the idempotency check and `helm version` tell the truth.
go_tool_install \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$TOOL_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$TOOL_VERSION"
