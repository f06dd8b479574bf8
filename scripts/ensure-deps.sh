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

# Headless Chromium for the UI's end-to-end tests (driven by playwright-core, which
# downloads no browser itself): Debian's package, installed once like PostgreSQL and
# Redis in services.sh, and only for the tests (`--with-chromium`), not for standalone.
# Without root, the tests that need it say what to install.
if [ "${1:-}" = "--with-chromium" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "updraft: installing chromium from Debian packages (one time, for the UI tests)"
    log=$(mktemp)
    if ! { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq -y --no-install-recommends install chromium; } >"$log" 2>&1; then
      command -v chromium >/dev/null 2>&1 || { echo "updraft: apt-get could not install chromium:"; tail -20 "$log"; exit 1; }
    fi
    rm -f "$log"
  else
    echo "updraft: chromium is missing (UI tests need it): sudo apt-get install -y chromium"
  fi
fi
