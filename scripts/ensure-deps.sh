#!/usr/bin/env bash
# Install the npm packages when node_modules is missing or older than the lockfile.
# Quick (a stat) when they are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "updraft: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
