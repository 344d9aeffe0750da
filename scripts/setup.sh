#!/usr/bin/env bash
# Installs everything the provider and its tests need on a fresh machine:
# npm dependencies, the bundle, and moto (the AWS emulator) in a local virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
python3 -m venv .venv
.venv/bin/pip install --quiet -r test/requirements.txt
npm run build
