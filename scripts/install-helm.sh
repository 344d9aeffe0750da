#!/usr/bin/env bash
# Builds the helm v3 CLI from source with `go install` into .tools/bin/helm.
#
# The machine has Go and the Go module proxy but no other downloads, so helm is compiled rather than
# fetched as a release binary. Module and build caches live under .build/go so CI can cache them and
# nothing escapes the repository's git-ignored directories.
#
# Idempotent: if .tools/bin/helm already reports the wanted version, nothing is done.
#
#   bash scripts/install-helm.sh                   # pinned version below
#   HELM_VERSION=v3.21.4 bash scripts/install-helm.sh
#   HELM_VERSION=latest bash scripts/install-helm.sh   # newest v3 tag the module proxy lists
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"

# Newest helm v3 release on the Go module proxy when this script was written. Bump deliberately.
HELM_VERSION="${HELM_VERSION:-v3.22.0}"

export GOMODCACHE="${GOMODCACHE:-$ROOT/.build/go/mod}"
export GOCACHE="${GOCACHE:-$ROOT/.build/go/cache}"
export GOBIN="$ROOT/.tools/bin"
export CGO_ENABLED=0
HELM="$GOBIN/helm"

if ! command -v go >/dev/null 2>&1; then
  echo "install-helm: Go is required (go install builds helm from source)" >&2
  exit 1
fi

if [ "$HELM_VERSION" = "latest" ]; then
  # `go list -m -versions` asks the module proxy for the tag list; keep release tags of major version 3.
  HELM_VERSION="$(cd "$(mktemp -d)" && go list -m -versions helm.sh/helm/v3 | tr ' ' '\n' \
    | grep -E '^v3\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1)"
  if [ -z "$HELM_VERSION" ]; then
    echo "install-helm: could not list helm.sh/helm/v3 versions from the Go module proxy" >&2
    exit 1
  fi
fi

installed_version() {
  [ -x "$HELM" ] || return 0
  # `helm version --template` prints e.g. v3.22.0
  "$HELM" version --template '{{.Version}}' 2>/dev/null || true
}

if [ "$(installed_version)" = "$HELM_VERSION" ]; then
  echo "install-helm: $HELM is already $HELM_VERSION"
  exit 0
fi

mkdir -p "$GOBIN" "$GOMODCACHE" "$GOCACHE"
echo "install-helm: building helm $HELM_VERSION into $GOBIN (first build takes a few minutes)"
start=$(date +%s)
# helm's version package is filled in by its Makefile's -ldflags; without them `helm version` reports the
# module's default. Set it so the idempotency check above and `helm version` tell the truth.
go install \
  -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
end=$(date +%s)

got="$(installed_version)"
if [ "$got" != "$HELM_VERSION" ]; then
  echo "install-helm: built $HELM but it reports version '$got', expected $HELM_VERSION" >&2
  exit 1
fi
echo "install-helm: helm $got installed in $((end - start))s"
