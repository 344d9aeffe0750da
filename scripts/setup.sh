#!/usr/bin/env bash
# Installs everything the provider and its tests need on a fresh machine: npm dependencies,
# the bundle, moto (the AWS emulator) in a local virtualenv, Node.js 22 for the tests when the
# machine's node is older (the image's runtime), and helm and promtool (built with go install) for the chart
# and alerting-rule tests.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
python3 -m venv .venv
.venv/bin/pip install --quiet -r test/requirements.txt
npm run build
bash scripts/install-node.sh
bash scripts/install-helm.sh
bash scripts/install-promtool.sh
