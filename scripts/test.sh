#!/usr/bin/env bash
# The entire test suite, from a fresh machine: npm packages, real PostgreSQL, Redis, Kafka and Temporal
# (started here, stopped again at the end if this script started them), type check,
# lint, import-direction check, then every test against the real services.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --with-chromium
# The Kafka tests need the broker, and the durable-step tests the Temporal server:
# services.sh then starts and stops them too.
export UPDRAFT_WITH_KAFKA=1
export UPDRAFT_WITH_TEMPORAL=1

started_services=false
if ! bash scripts/services.sh status >/dev/null 2>&1; then started_services=true; fi
bash scripts/services.sh start
cleanup() { if [ "$started_services" = true ]; then bash scripts/services.sh stop >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
step "type check (tsc --noEmit)"
npx tsc --noEmit -p .
step "lint (eslint: no floating promises)"
npx eslint --max-warnings 0 .
step "import directions and cycles (dependency-cruiser)"
npx depcruise --config .dependency-cruiser.cjs core scheduler worker operators bin dag-processor dags index.ts
step "tests (mocha, against real PostgreSQL, Redis, Kafka and Temporal)"
npx mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts'
