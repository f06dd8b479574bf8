#!/usr/bin/env bash
# The whole system in one command: npm packages, PostgreSQL and Redis (installed from
# Debian packages on first use), migrations, then `updraft standalone` with the
# example DAGs in dags/. Ctrl-C stops Updraft; the databases keep running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node bin/updraft.js standalone "$@"
