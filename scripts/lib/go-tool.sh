# Sourced by scripts/install-helm.sh and scripts/install-promtool.sh: a CLI compiled with `go install`
# into .tools/bin, because the machine has Go and the Go module proxy but no other downloads. Module and
# build caches live under .build/go (shared with the tests' Go programs), inside the repository's
# git-ignored directories. Idempotent: a tool that already reports the wanted version is left alone.
#
# The sourcing script sets, before calling go_tool_install:
#   TOOL          name, e.g. helm
#   TOOL_VERSION  the version wanted, e.g. v3.22.0
#   tool_version  a function printing the installed binary's version ("$1" is its path), or nothing
# and passes go_tool_install the `go install` arguments after the common ones (-trimpath).

go_tool_env() {
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  export GOMODCACHE="${GOMODCACHE:-$ROOT/.build/go/mod}"
  export GOCACHE="${GOCACHE:-$ROOT/.build/go/cache}"
  export GOBIN="${GOBIN_DIR:-$ROOT/.tools/bin}"
  export CGO_ENABLED=0
  if ! command -v go >/dev/null 2>&1; then
    echo "install-$TOOL: Go is required (go install builds $TOOL from source)" >&2
    exit 1
  fi
}

go_tool_install() {
  local binary="$GOBIN/$TOOL" installed got start end
  installed="$( [ -x "$binary" ] && tool_version "$binary" 2>/dev/null || true )"
  if [ "$installed" = "$TOOL_VERSION" ]; then
    echo "install-$TOOL: $binary is already $TOOL_VERSION"
    return 0
  fi
  mkdir -p "$GOBIN" "$GOMODCACHE" "$GOCACHE"
  echo "install-$TOOL: building $TOOL $TOOL_VERSION into $GOBIN (the first build takes a few minutes)"
  start=$(date +%s)
  go install -trimpath "$@"
  end=$(date +%s)
  got="$(tool_version "$binary" 2>/dev/null || true)"
  if [ "$got" != "$TOOL_VERSION" ]; then
    echo "install-$TOOL: built $binary but it reports version '$got', expected $TOOL_VERSION" >&2
    exit 1
  fi
  echo "install-$TOOL: $TOOL $got installed in $((end - start))s"
}
