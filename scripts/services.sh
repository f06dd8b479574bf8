#!/usr/bin/env bash
# Installs and runs Updraft's own PostgreSQL and Redis for development, tests
# and standalone mode: no Docker, only Debian packages.
#
#   bash scripts/services.sh start    install what is missing, start both, wait until ready
#   bash scripts/services.sh stop     stop both (no error when already stopped)
#   bash scripts/services.sh status   one line per service; exit 0 if all run, 3 if not
#   bash scripts/services.sh env      print `export UPDRAFT_...=...` lines:
#                                     eval "$(bash scripts/services.sh env)"
#   ... --with-kafka (or UPDRAFT_WITH_KAFKA=1): each command also covers Apache
#                                     Kafka, through scripts/kafka.sh (tests set it)
#   ... --with-temporal (or UPDRAFT_WITH_TEMPORAL=1): each command also covers the
#                                     Temporal dev server, through scripts/temporal.sh (tests set it)
#
# Environment (all optional):
#   UPDRAFT_HOME          where data, logs and pid files live (default ./.updraft)
#   UPDRAFT_PG_PORT       port of our PostgreSQL (default 15432)
#   UPDRAFT_REDIS_PORT    port of our Redis (default 16379)
#   UPDRAFT_DATABASE_URL  use this PostgreSQL instead: ours is neither installed nor started
#   UPDRAFT_REDIS_URL     use this Redis instead: ours is neither installed nor started
#
# Layout under UPDRAFT_HOME:
#   pg/data  pg/run (unix socket)  pg/postgres.log  pg/initdb.log
#   redis/   (AOF data, redis.pid, redis.log)    apt.log    .services.lock
#
# Both instances are private to this checkout: they listen on 127.0.0.1 only,
# on their own ports, so they never touch a system-wide PostgreSQL or Redis.
# Run every command on one UPDRAFT_HOME as the same user (root, or one
# non-root user): files made by one cannot be managed by the other.
set -euo pipefail

readonly SELF="bash scripts/services.sh"
readonly LOCK_FD=9
readonly PG_SUPERUSER=updraft
readonly PG_DATABASE=updraft
readonly PG_OS_USER_WHEN_ROOT=postgres
readonly REDIS_SERVER=/usr/bin/redis-server
readonly REDIS_CLI=/usr/bin/redis-cli

# ---------------------------------------------------------------- messages

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
usage: $SELF start|stop|status|env [--with-kafka] [--with-temporal]
  start   install missing Debian packages, start PostgreSQL and Redis, wait until ready
  stop    stop both
  status  show whether each runs (exit 0 if all run, 3 if not)
  env     print export lines for UPDRAFT_DATABASE_URL and UPDRAFT_REDIS_URL
environment: UPDRAFT_HOME (./.updraft) UPDRAFT_PG_PORT (15432) UPDRAFT_REDIS_PORT (16379)
             UPDRAFT_DATABASE_URL / UPDRAFT_REDIS_URL to bring your own services
             --with-kafka or UPDRAFT_WITH_KAFKA=1: Kafka too (scripts/kafka.sh; UPDRAFT_KAFKA_PORT 19092)
             --with-temporal or UPDRAFT_WITH_TEMPORAL=1: Temporal too (scripts/temporal.sh; UPDRAFT_TEMPORAL_PORT 17233)
EOF
}

# Hide a password in a user-supplied URL before printing it in a status line.
redact_url() { sed -E 's#^([a-z+]+://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"; }

# ---------------------------------------------------------------- settings

load_settings() {
  # Absolute, so the paths written into config files and pid files stay valid
  # whatever directory later commands run from; symlinks resolved so that they
  # compare equal to a server's /proc/PID/cwd (see owns_process).
  UPDRAFT_HOME=$(realpath -m -- "${UPDRAFT_HOME:-./.updraft}")
  PG_PORT=${UPDRAFT_PG_PORT:-15432}
  REDIS_PORT=${UPDRAFT_REDIS_PORT:-16379}
  check_port_number UPDRAFT_PG_PORT "$PG_PORT"
  check_port_number UPDRAFT_REDIS_PORT "$REDIS_PORT"
  PG_PORT=$((10#$PG_PORT)) REDIS_PORT=$((10#$REDIS_PORT))

  PG_DIR=$UPDRAFT_HOME/pg
  PG_DATA=$PG_DIR/data
  PG_RUN=$PG_DIR/run
  PG_LOG=$PG_DIR/postgres.log
  REDIS_DIR=$UPDRAFT_HOME/redis
  REDIS_PIDFILE=$REDIS_DIR/redis.pid
  REDIS_LOG=$REDIS_DIR/redis.log

  OUR_PG_URL="postgres://$PG_SUPERUSER@127.0.0.1:$PG_PORT/$PG_DATABASE"
  OUR_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  EXTERNAL_PG_URL=${UPDRAFT_DATABASE_URL:-}
  EXTERNAL_REDIS_URL=${UPDRAFT_REDIS_URL:-}
  PG_BIN=""
}

manage_pg() { [[ -z $EXTERNAL_PG_URL ]]; }
# Kafka is opt-in: only stream ingestion needs it, and it costs a JVM.
with_kafka() { [[ ${UPDRAFT_WITH_KAFKA:-} == 1 || ${UPDRAFT_WITH_KAFKA:-} == true ]]; }
# scripts/kafka.sh has its own lock; fd 9 (ours) is closed so the JVM does not hold it.
kafka_sh() { UPDRAFT_HOME=$UPDRAFT_HOME bash "$(dirname "${BASH_SOURCE[0]}")/kafka.sh" "$1" 9>&-; }
# Temporal is opt-in too: only durable steps need it. Same arrangement as Kafka.
with_temporal() { [[ ${UPDRAFT_WITH_TEMPORAL:-} == 1 || ${UPDRAFT_WITH_TEMPORAL:-} == true ]]; }
temporal_sh() { UPDRAFT_HOME=$UPDRAFT_HOME bash "$(dirname "${BASH_SOURCE[0]}")/temporal.sh" "$1" 9>&-; }
manage_redis() { [[ -z $EXTERNAL_REDIS_URL ]]; }
is_root() { ((EUID == 0)); }

# ---------------------------------------------------------------- helpers

# owns_process PID NAME DIR: true if PID is a live NAME process working in DIR.
# Both servers chdir into their data directory, so the cwd tells our instance
# from any other process that got the same pid after a crash or a reboot
# (a zombie has no cwd, so it never counts as running).
owns_process() {
  local comm=""
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  { read -r comm <"/proc/$1/comm"; } 2>/dev/null || return 1
  [[ $comm == "$2" ]] || return 1
  [[ $(readlink "/proc/$1/cwd" 2>/dev/null) == "$3" ]]
}

# live_process PID NAME: PID is a NAME process that is not a zombie.
live_process() {
  local comm="" stat=""
  { read -r comm <"/proc/$1/comm" && read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ $comm == "$2" && ${stat:0:1} != Z ]]
}

# Serialise start/stop: tests and people may run them at the same time.
take_lock() {
  (umask 022 && mkdir -p -- "$UPDRAFT_HOME") || die "cannot create UPDRAFT_HOME $UPDRAFT_HOME"
  [[ -w $UPDRAFT_HOME ]] || die "$UPDRAFT_HOME is not writable by $(id -un); use the user that made it or another UPDRAFT_HOME"
  exec 9>>"$UPDRAFT_HOME/.services.lock" # fd 9 is LOCK_FD
  flock -w 300 "$LOCK_FD" || die "another '$SELF' has held $UPDRAFT_HOME/.services.lock for 5 minutes; giving up"
}

# ---------------------------------------------------------------- packages

# Newest installed PostgreSQL server, e.g. /usr/lib/postgresql/15/bin.
newest_pg_bin() {
  local f found=()
  for f in /usr/lib/postgresql/*/bin/pg_ctl; do
    [[ -x $f && -x ${f%/pg_ctl}/initdb && -x ${f%/pg_ctl}/psql ]] && found+=("${f%/pg_ctl}")
  done
  ((${#found[@]})) || return 1
  printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

missing_packages() {
  if manage_pg && ! newest_pg_bin >/dev/null; then echo postgresql; fi
  if manage_redis && [[ ! -x $REDIS_SERVER || ! -x $REDIS_CLI ]]; then echo redis-server; fi
  return 0
}

ensure_packages() {
  local missing log=$UPDRAFT_HOME/apt.log
  missing=$(missing_packages | xargs)
  [[ -z $missing ]] && return 0
  is_root || die "missing Debian packages: $missing. Install them once as root: sudo apt-get install -y $missing (or set UPDRAFT_DATABASE_URL / UPDRAFT_REDIS_URL to use services you already have)"
  command -v apt-get >/dev/null || die "missing packages ($missing) and no apt-get: install them yourself"
  say "installing $missing from Debian packages (one time)"
  # The packages' install scripts may create and start a system-wide server
  # (PostgreSQL's default cluster on 5432, Redis on 6379). We never use them,
  # and on a machine without an init system starting them may fail and make
  # apt-get report an error: only our binaries being there matters.
  # $LOCK_FD is closed so that those daemons do not inherit (and hold) our lock.
  # shellcheck disable=SC2086 # $missing is a list of package names
  if ! {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq -y \
        --no-install-recommends install $missing
  } >"$log" 2>&1 {LOCK_FD}>&-; then
    [[ -z $(missing_packages) ]] || die_with_log "apt-get could not install $missing" "$log"
    say "apt-get reported a problem (see $log), but the binaries we need are installed; going on"
  fi
}

# ---------------------------------------------------------------- PostgreSQL

# PostgreSQL refuses to run as root, so root runs it as the postgres OS user.
as_pg_user() {
  if is_root; then
    # cd /: the caller's directory may be one that postgres cannot enter.
    (cd / && runuser -u "$PG_OS_USER_WHEN_ROOT" -- "$@")
  else
    "$@"
  fi
}

# Pick the server binaries: those of the cluster's own major version if it
# exists (a newer major cannot open it), else the newest installed.
select_pg_bin() {
  local version
  version=$(first_line "$PG_DATA/PG_VERSION")
  if [[ -n $version ]]; then
    PG_BIN=/usr/lib/postgresql/$version/bin
    [[ -x $PG_BIN/pg_ctl ]] ||
      die "the cluster in $PG_DATA was made by PostgreSQL $version, which is not installed; install postgresql-$version, or delete $PG_DIR to start afresh"
  else
    PG_BIN=$(newest_pg_bin) || die "no PostgreSQL server found under /usr/lib/postgresql; install the Debian package postgresql"
  fi
}

# Pid of our running postmaster, from its postmaster.pid.
pg_pid() {
  local pid
  pid=$(first_line "$PG_DATA/postmaster.pid")
  owns_process "$pid" postgres "$PG_DATA" || return 1
  printf '%s\n' "$pid"
}

# Port recorded by the running postmaster (4th line of postmaster.pid).
pg_running_port() { sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null; }

pg_accepting() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -t 3
}

# psql on our server over TCP; -X skips the caller's ~/.psqlrc.
pg_sql() { # DBNAME SQL
  "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
    -d "host=127.0.0.1 port=$PG_PORT user=$PG_SUPERUSER dbname=$1 sslmode=disable connect_timeout=5" -c "$2"
}

ensure_database() {
  local exists
  exists=$(pg_sql postgres "select 1 from pg_database where datname = '$PG_DATABASE'") ||
    die_with_log "cannot query our postgresql on port $PG_PORT" "$PG_LOG"
  [[ $exists == 1 ]] && return 0
  pg_sql postgres "create database $PG_DATABASE" >/dev/null ||
    die_with_log "cannot create database $PG_DATABASE" "$PG_LOG"
}

# The socket path must fit in sun_path (107 bytes) or postgres will not start.
check_socket_path() {
  local socket=$PG_RUN/.s.PGSQL.$PG_PORT
  ((${#socket} <= 107)) ||
    die "UPDRAFT_HOME is too long for a unix socket path ($socket is ${#socket} bytes, the limit is 107); choose a shorter UPDRAFT_HOME"
}

# Name the first directory on the way to UPDRAFT_HOME that postgres cannot enter.
die_unreachable_by_pg_user() {
  local path="" part parts
  IFS=/ read -ra parts <<<"${PG_DIR#/}"
  for part in "${parts[@]}"; do
    path+=/$part
    if ! as_pg_user test -x "$path"; then
      die "PostgreSQL runs as the '$PG_OS_USER_WHEN_ROOT' OS user (it refuses to run as root), who cannot enter $path; use an UPDRAFT_HOME it can reach (e.g. under /tmp or /srv), or allow it: chmod o+x $path"
    fi
  done
  die "the '$PG_OS_USER_WHEN_ROOT' OS user cannot write to $PG_DIR"
}

prepare_pg_dirs() {
  (umask 022 && mkdir -p -- "$PG_RUN")
  local owner
  owner=$(stat -c %U -- "$PG_DIR")
  if is_root; then
    # Freshly made by root: hand it to postgres. Anyone else's: leave it alone.
    if [[ $owner == root ]]; then
      chown -R "$PG_OS_USER_WHEN_ROOT:$PG_OS_USER_WHEN_ROOT" -- "$PG_DIR"
    elif [[ $owner != "$PG_OS_USER_WHEN_ROOT" ]]; then
      die "$PG_DIR belongs to $owner; run this script as $owner, or use another UPDRAFT_HOME"
    fi
    as_pg_user test -x "$PG_DIR" -a -w "$PG_DIR" 2>/dev/null || die_unreachable_by_pg_user
  elif [[ $owner != "$(id -un)" ]]; then
    die "$PG_DIR belongs to $owner (made by running this script as root?); run it as root, or use another UPDRAFT_HOME"
  fi
}

init_pg_cluster() {
  local log=$PG_DIR/initdb.log
  say "creating the postgresql cluster in $PG_DATA (one time)"
  # Trust authentication: no passwords for local-socket or TCP connections.
  # Acceptable only because the server listens on 127.0.0.1 and a socket in
  # UPDRAFT_HOME; any user of this machine can connect, so keep it a dev box.
  as_pg_user "$PG_BIN/initdb" -D "$PG_DATA" --username="$PG_SUPERUSER" --auth=trust \
    --encoding=UTF8 --no-locale >"$log" 2>&1 || die_with_log "initdb failed" "$log"
  # Our settings live in updraft.conf, rewritten on every start (see below).
  printf "\n# Added by scripts/services.sh\ninclude_if_exists = 'updraft.conf'\n" |
    as_pg_user tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

# Rewritten on every cold start, so a changed port or a moved UPDRAFT_HOME
# takes effect. fsync and synchronous_commit keep their durable defaults.
write_pg_conf() {
  local run_dir=${PG_RUN//\'/\'\'}
  as_pg_user tee "$PG_DATA/updraft.conf" >/dev/null <<EOF
# Written by scripts/services.sh on every start: edit that script, not this file.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$run_dir'
max_connections = 300
shared_buffers = 256MB
EOF
}

# After a crash or a reboot postmaster.pid (and the socket's lock file) may
# remain. postgres deals with a lock file whose pid is gone, but refuses to
# start while that pid exists: reused by an unrelated process after a reboot,
# or a zombie that a container's init has not reaped yet. We only get here
# when our postmaster is not running and nothing listens on our port, so such
# files are stale and go. First, though, backends orphaned by a killed
# postmaster must exit: they still use its shared memory, and postgres's
# check for that relies on the old postmaster.pid.
clear_stale_postmaster() {
  local pidfile=$PG_DATA/postmaster.pid socket_lock=$PG_RUN/.s.PGSQL.$PG_PORT.lock pid
  wait_for 15 no_orphan_backends ||
    die "old postgres processes of $PG_DATA are still running (pids $(orphan_backends | xargs)); stop them first"
  pid=$(first_line "$pidfile")
  if [[ -n $pid && -e /proc/$pid ]] && ! owns_process "$pid" postgres "$PG_DATA"; then
    rm -f -- "$pidfile"
  fi
  # The socket lock only says "some postmaster": keep it if that one is alive.
  pid=$(first_line "$socket_lock")
  if [[ -n $pid && -e /proc/$pid ]] && ! live_process "$pid" postgres; then
    rm -f -- "$socket_lock"
  fi
}

orphan_backends() {
  local pid
  for pid in $(pgrep -x postgres 2>/dev/null); do
    owns_process "$pid" postgres "$PG_DATA" && echo "$pid"
  done
  return 0
}
no_orphan_backends() { [[ -z $(orphan_backends) ]]; }

start_pg() {
  if ! manage_pg; then
    say "postgresql: using UPDRAFT_DATABASE_URL $(redact_url "$EXTERNAL_PG_URL") (not started here)"
    return 0
  fi
  select_pg_bin
  local pid port out
  if pid=$(pg_pid); then
    port=$(pg_running_port)
    [[ $port == "$PG_PORT" ]] ||
      die "our postgresql ($PG_DATA) already runs on port $port, not $PG_PORT; run '$SELF stop' first to change the port"
    # Running: possibly still in crash recovery, so allow it a while.
    wait_for 60 pg_accepting || die_with_log "our postgresql (pid $pid) runs but does not accept connections" "$PG_LOG"
  else
    port_in_use "$PG_PORT" &&
      die "port $PG_PORT is taken by another process; set UPDRAFT_PG_PORT to a free port or UPDRAFT_DATABASE_URL to use your own PostgreSQL"
    check_socket_path
    prepare_pg_dirs
    [[ -f $PG_DATA/PG_VERSION ]] || init_pg_cluster
    write_pg_conf
    clear_stale_postmaster
    # -w: return once the server accepts connections. The lock fd is closed
    # so that the postmaster does not inherit it.
    out=$(as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 120 -s start 2>&1 {LOCK_FD}>&-) ||
      die_with_log "postgresql did not start: ${out:-see the log}" "$PG_LOG"
  fi
  ensure_database
  say "postgresql ready at $OUR_PG_URL"
}

stop_pg() {
  if ! manage_pg; then
    say "postgresql: external (UPDRAFT_DATABASE_URL), not stopped here"
    return 0
  fi
  local pid out
  if ! pid=$(pg_pid); then
    say "postgresql already stopped"
    return 0
  fi
  select_pg_bin
  # fast: roll back open transactions and disconnect clients, then a clean
  # shutdown checkpoint (no crash recovery on the next start).
  out=$(as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 120 -s stop 2>&1) ||
    die_with_log "postgresql (pid $pid) did not stop: $out" "$PG_LOG"
  say "postgresql stopped"
}

status_pg() {
  if ! manage_pg; then
    local bin state=unreachable
    bin=$(newest_pg_bin 2>/dev/null || true)
    if [[ -z $bin ]]; then
      state="not checked (no pg_isready here)"
    elif "$bin/pg_isready" -q -d "$EXTERNAL_PG_URL" -t 3; then
      state=running
    fi
    say "postgresql external (UPDRAFT_DATABASE_URL): $state at $(redact_url "$EXTERNAL_PG_URL")"
    [[ $state == running ]]
    return
  fi
  if pg_pid >/dev/null; then
    say "postgresql running at postgres://$PG_SUPERUSER@127.0.0.1:$(pg_running_port)/$PG_DATABASE"
  elif port_in_use "$PG_PORT"; then
    say "postgresql stopped; port $PG_PORT is taken by another process ($OUR_PG_URL)"
    return 1
  else
    say "postgresql stopped ($OUR_PG_URL)"
    return 1
  fi
}

# ---------------------------------------------------------------- Redis

# Pid of our running redis-server, from its pid file.
redis_pid() {
  local pid
  pid=$(first_line "$REDIS_PIDFILE")
  owns_process "$pid" redis-server "$REDIS_DIR" || return 1
  printf '%s\n' "$pid"
}

redis_pong() { [[ $("$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
redis_ready() { redis_pid >/dev/null && redis_pong; }

start_redis() {
  if ! manage_redis; then
    say "redis: using UPDRAFT_REDIS_URL $(redact_url "$EXTERNAL_REDIS_URL") (not started here)"
    return 0
  fi
  local pid out
  if pid=$(redis_pid); then
    redis_pong || die_with_log "our redis (pid $pid) runs but does not answer on port $REDIS_PORT; if you changed UPDRAFT_REDIS_PORT, run '$SELF stop' first" "$REDIS_LOG"
  else
    port_in_use "$REDIS_PORT" &&
      die "port $REDIS_PORT is taken by another process; set UPDRAFT_REDIS_PORT to a free port or UPDRAFT_REDIS_URL to use your own Redis"
    (umask 022 && mkdir -p -- "$REDIS_DIR")
    [[ -w $REDIS_DIR ]] || die "$REDIS_DIR is not writable by $(id -un); run as the user that made it, or use another UPDRAFT_HOME"
    rm -f -- "$REDIS_PIDFILE" # its process is gone (checked above)
    # appendonly: every write goes to the AOF (fsync every second), which is
    # the persistence; RDB snapshots are off. noeviction: BullMQ's queues must
    # never be evicted silently. protected-mode and a 127.0.0.1 bind keep it
    # private to this machine. The lock fd is closed so the daemon does not
    # inherit it.
    out=$("$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
      --daemonize yes --dir "$REDIS_DIR" --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" \
      --appendonly yes --maxmemory-policy noeviction --save "" 2>&1 {LOCK_FD}>&-) ||
      die_with_log "redis-server did not start: $out" "$REDIS_LOG"
    wait_for 10 redis_ready || die_with_log "redis did not answer PING within 10 s" "$REDIS_LOG"
  fi
  say "redis ready at $OUR_REDIS_URL"
}

stop_redis() {
  if ! manage_redis; then
    say "redis: external (UPDRAFT_REDIS_URL), not stopped here"
    return 0
  fi
  local pid
  if ! pid=$(redis_pid); then
    say "redis already stopped"
    return 0
  fi
  # SHUTDOWN flushes the AOF; SIGTERM does the same if the port changed
  # since start and redis-cli cannot reach it.
  "$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  wait_for 30 redis_gone "$pid" || die_with_log "redis (pid $pid) did not stop within 30 s" "$REDIS_LOG"
  say "redis stopped"
}
redis_gone() { ! owns_process "$1" redis-server "$REDIS_DIR"; }

status_redis() {
  if ! manage_redis; then
    local state=unreachable
    if [[ ! -x $REDIS_CLI ]]; then
      state="not checked (no redis-cli here)"
    elif [[ $(timeout 3 "$REDIS_CLI" -u "$EXTERNAL_REDIS_URL" ping 2>/dev/null) == PONG ]]; then
      state=running
    fi
    say "redis external (UPDRAFT_REDIS_URL): $state at $(redact_url "$EXTERNAL_REDIS_URL")"
    [[ $state == running ]]
    return
  fi
  if redis_pid >/dev/null; then
    say "redis running at $OUR_REDIS_URL"
  elif port_in_use "$REDIS_PORT"; then
    say "redis stopped; port $REDIS_PORT is taken by another process ($OUR_REDIS_URL)"
    return 1
  else
    say "redis stopped ($OUR_REDIS_URL)"
    return 1
  fi
}

# ---------------------------------------------------------------- commands

cmd_start() {
  take_lock
  ensure_packages
  start_pg
  start_redis
  if with_kafka; then kafka_sh start; fi
  if with_temporal; then temporal_sh start; fi
}

cmd_stop() {
  if with_temporal; then temporal_sh stop; fi
  if with_kafka; then kafka_sh stop; fi
  if [[ ! -d $UPDRAFT_HOME ]]; then
    manage_pg && say "postgresql already stopped"
    manage_redis && say "redis already stopped"
    return 0
  fi
  take_lock
  stop_redis
  stop_pg
}

cmd_status() {
  local rc=0
  status_pg || rc=3
  status_redis || rc=3
  if with_kafka; then kafka_sh status || rc=3; fi
  if with_temporal; then temporal_sh status || rc=3; fi
  return "$rc"
}

cmd_env() {
  printf 'export UPDRAFT_DATABASE_URL=%q\n' "${EXTERNAL_PG_URL:-$OUR_PG_URL}"
  printf 'export UPDRAFT_REDIS_URL=%q\n' "${EXTERNAL_REDIS_URL:-$OUR_REDIS_URL}"
  if with_kafka; then kafka_sh env; fi
  if with_temporal; then temporal_sh env; fi
}

main() {
  # Flags after the command, in any order.
  local cmd=${1:-} flag
  (($# > 0)) && shift
  for flag in "$@"; do
    case $flag in
      --with-kafka) export UPDRAFT_WITH_KAFKA=1 ;;
      --with-temporal) export UPDRAFT_WITH_TEMPORAL=1 ;;
      *) usage >&2; exit 1 ;;
    esac
  done
  set -- ${cmd:+"$cmd"}
  if (($# != 1)); then
    usage >&2
    exit 1
  fi
  case $1 in
    -h | --help | help) usage; exit 0 ;;
    start | stop | status | env) ;;
    *) printf 'updraft: unknown command %s\n' "$1" >&2; usage >&2; exit 1 ;;
  esac
  load_settings
  "cmd_$1"
}

main "$@"
