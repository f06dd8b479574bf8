#!/usr/bin/env bash
# The whole system in one command: npm packages, PostgreSQL and Redis (installed from
# Debian packages on first use), migrations, then `updraft standalone` with the
# example DAGs in dags/. Ctrl-C stops Updraft; the databases keep running.
# UPDRAFT_WITH_KAFKA=1 and UPDRAFT_WITH_TEMPORAL=1 add Kafka and the Temporal server:
# `updraft standalone` starts the services through scripts/services.sh, which reads them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node bin/updraft.js standalone "$@"
