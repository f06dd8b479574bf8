#!/usr/bin/env bash
# Install the npm packages when node_modules is missing or older than the lockfile.
# Quick (a stat) when they are already there. `npm install` rather than `npm ci`: it
# installs the lockfile's versions too, and npm ci rejects this lockfile because npm
# leaves other platforms' optional packages (msgpackr-extract's prebuilds) out of it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "updraft: installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
fi
