#!/usr/bin/env bash
# Builds the Go AWS provider (github.com/aws/secrets-store-csi-driver-provider-aws), the anchor of the
# benchmarks in bench/, with `go install` into .tools/bin. Module and build caches live under .build/go.
# Both directories are git-ignored. Idempotent: a second run with the same ref does nothing.
#
#   GO_PROVIDER_REF      what to build; anything `go install module@REF` accepts: a commit hash, a
#                        pseudo-version, or a git tag. The repository's release tags are not importable
#                        semver for this module path (v3.x without a /v3 suffix), so a tag name or a
#                        commit is resolved by the module proxy into a v0.0.0-<date>-<commit> pseudo-version.
#   GO_PROVIDER_VERSION  the version string compiled into the binary (what its Version RPC reports),
#                        as the upstream Makefile does with -X .../server.Version and .../server.ProviderVersion.
#   FORCE=1              rebuild even if the stamp says the same ref is installed.
#
# Exit status: 0 built (or already there), 3 the module proxy will not serve the module (the bench then
# runs without the Go provider and says so), other non-zero: any other failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MODULE=github.com/aws/secrets-store-csi-driver-provider-aws
# chart-releaser tags each release "<chart>-<version>"; the 3.1.x line is what the issue asks for.
REF=${GO_PROVIDER_REF:-secrets-store-csi-driver-provider-aws-3.1.1}
VERSION=${GO_PROVIDER_VERSION:-$(echo "$REF" | sed -E 's/^secrets-store-csi-driver-provider-aws-//; s/^v//')}

export GOBIN=$ROOT/.tools/bin
export GOMODCACHE=$ROOT/.build/go/mod
export GOCACHE=$ROOT/.build/go/cache
export GOFLAGS=-modcacherw
export CGO_ENABLED=0
mkdir -p "$GOBIN" "$GOMODCACHE" "$GOCACHE"

BIN=$GOBIN/secrets-store-csi-driver-provider-aws
STAMP=$ROOT/.build/go/provider.stamp

if ! command -v go >/dev/null 2>&1; then
  echo "install-go-provider: no go toolchain on PATH" >&2
  exit 1
fi

if [[ -z "${FORCE:-}" && -x "$BIN" && -f "$STAMP" ]] && grep -qx "ref=$REF" "$STAMP"; then
  echo "install-go-provider: already installed ($(grep '^module_version=' "$STAMP" | cut -d= -f2)), $BIN"
  exit 0
fi

# Resolve the ref first, in a throw-away module, so that a refusal by the proxy is reported as such.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && go mod init bench/go-provider-probe >/dev/null 2>&1)
if ! resolved=$(cd "$tmp" && go list -m -json "$MODULE@$REF" 2>"$tmp/err"); then
  cat "$tmp/err" >&2
  if grep -qE '403 Forbidden|404 Not Found|410 Gone|not available|unknown revision|invalid version' "$tmp/err"; then
    echo "install-go-provider: the module proxy does not serve $MODULE@$REF; the Go provider cannot be built here" >&2
    exit 3
  fi
  exit 1
fi
module_version=$(printf '%s\n' "$resolved" | sed -nE 's/^[[:space:]]*"Version": "([^"]+)".*/\1/p' | head -1)
commit=$(printf '%s\n' "$resolved" | sed -nE 's/^[[:space:]]*"Hash": "([^"]+)".*/\1/p' | head -1)
echo "install-go-provider: $REF resolves to $MODULE@$module_version${commit:+ (commit $commit)}"

LDFLAGS="-X $MODULE/server.Version=$VERSION -X $MODULE/server.ProviderVersion=$VERSION"
start=$(date +%s.%N)
go install -trimpath -ldflags "$LDFLAGS" "$MODULE@$module_version"
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

{
  echo "ref=$REF"
  echo "module_version=$module_version"
  echo "commit=${commit:-unknown}"
  echo "version_ldflag=$VERSION"
  echo "go=$(go env GOVERSION)"
  echo "build_seconds=$secs"
  echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$STAMP"
echo "install-go-provider: built $BIN in ${secs}s (version $VERSION)"
