#!/usr/bin/env bash
# Runs Updraft's own Apache Kafka for stream ingestion: one KRaft node that is both
# broker and controller, on loopback only. No Docker and no Kafka distribution: the
# jars come from Maven (scripts/kafka/pom.xml) and run with the machine's Java 17.
#
#   bash scripts/kafka.sh start    fetch the jars if missing, format once, start, wait until ready
#   bash scripts/kafka.sh stop     stop it cleanly (no error when already stopped)
#   bash scripts/kafka.sh status   one line; exit 0 if it runs, 3 if not
#   bash scripts/kafka.sh env      print `export UPDRAFT_KAFKA_BROKERS=...`
#
# Environment (all optional):
#   UPDRAFT_HOME                     data, logs and pid file (default ./.updraft)
#   UPDRAFT_KAFKA_PORT               PLAINTEXT listener for clients (default 19092)
#   UPDRAFT_KAFKA_CONTROLLER_PORT    KRaft controller listener (default 19093)
#
# Layout under UPDRAFT_HOME/kafka:
#   libs/ (jars)  data/ (log dirs + KRaft metadata)  server.properties
#   log4j.properties  server.log (+ server.log.1, the previous run's)  kafka.pid  .kafka.lock
set -euo pipefail

readonly SELF="bash scripts/kafka.sh"
readonly REPO=$(cd "$(dirname "$0")/.." && pwd)
readonly NODE_ID=1
readonly START_TIMEOUT=120

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  printf 'usage: %s start|stop|status|env\nenvironment: %s\n' "$SELF" \
    "UPDRAFT_HOME (./.updraft) UPDRAFT_KAFKA_PORT (19092) UPDRAFT_KAFKA_CONTROLLER_PORT (19093)"
}

load_settings() {
  # Absolute and resolved, so it compares equal to the JVM's /proc/PID/cwd.
  UPDRAFT_HOME=$(realpath -m -- "${UPDRAFT_HOME:-./.updraft}")
  PORT=${UPDRAFT_KAFKA_PORT:-19092}
  CONTROLLER_PORT=${UPDRAFT_KAFKA_CONTROLLER_PORT:-19093}
  check_port_number UPDRAFT_KAFKA_PORT "$PORT"
  check_port_number UPDRAFT_KAFKA_CONTROLLER_PORT "$CONTROLLER_PORT"
  PORT=$((10#$PORT)) CONTROLLER_PORT=$((10#$CONTROLLER_PORT))
  ((PORT != CONTROLLER_PORT)) || die "UPDRAFT_KAFKA_PORT and UPDRAFT_KAFKA_CONTROLLER_PORT must differ"
  KAFKA_DIR=$UPDRAFT_HOME/kafka BROKERS="127.0.0.1:$PORT"
  LIBS=$KAFKA_DIR/libs DATA=$KAFKA_DIR/data LOG=$KAFKA_DIR/server.log PIDFILE=$KAFKA_DIR/kafka.pid
}


# Our JVM: a live `java` process whose cwd is KAFKA_DIR (start cds there), so a
# recycled pid after a crash or reboot is never mistaken for our broker.
kafka_pid() {
  local pid comm="" stat=""
  pid=$(first_line "$PIDFILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  { read -r comm <"/proc/$pid/comm" && read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ $comm == java && ${stat:0:1} != Z ]] || return 1
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$KAFKA_DIR" ]] || return 1
  printf '%s\n' "$pid"
}

# Our own lock file, not services.sh's: services.sh calls us while holding its lock.
take_lock() {
  (umask 022 && mkdir -p -- "$KAFKA_DIR") || die "cannot create $KAFKA_DIR"
  [[ -w $KAFKA_DIR ]] || die "$KAFKA_DIR is not writable by $(id -un); use the user that made it or another UPDRAFT_HOME"
  exec 8>>"$KAFKA_DIR/.kafka.lock"
  flock -w 300 8 || die "another '$SELF' has held $KAFKA_DIR/.kafka.lock for 5 minutes; giving up"
}

# ---------------------------------------------------------------- install

# The jar set is complete once kafka_2.13 and the logging backend are there;
# a second run is a glob, no Maven.
have_jars() { compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null && compgen -G "$LIBS/slf4j-reload4j-*.jar" >/dev/null; }

ensure_jars() {
  have_jars && return 0
  command -v mvn >/dev/null || die "mvn is missing: install Maven (Debian: sudo apt-get install -y maven) to fetch Kafka's jars"
  say "kafka: fetching the broker jars with Maven into $LIBS (one time, about 50 MB)"
  local log=$KAFKA_DIR/maven.log
  # Into a temporary directory first, so an interrupted download never looks complete.
  rm -rf -- "$LIBS.partial"
  # Maven's own output goes to the log; a progress line every 10 s counts the
  # files it has downloaded so far (plugins too, on a machine without a cache).
  mvn -B -Dstyle.color=never -f "$REPO/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.libs.dir="$LIBS.partial" >"$log" 2>&1 8>&- &
  local mvn_pid=$! rc=0 ticks=0
  while kill -0 "$mvn_pid" 2>/dev/null; do
    sleep 1
    ((++ticks % 10)) || say "kafka: still fetching ($(grep -c '^Downloaded from' "$log" || true) files downloaded, ${ticks}s)"
  done
  wait "$mvn_pid" || rc=$?
  ((rc == 0)) || die_with_log "Maven could not fetch Kafka's jars (exit $rc)" "$log"
  rm -rf -- "$LIBS" && mv -- "$LIBS.partial" "$LIBS"
  have_jars || die "Maven finished but $LIBS lacks the broker jars; see $log"
  say "kafka: $(find "$LIBS" -name '*.jar' | wc -l) jars in $LIBS"
}

# Rewritten on every cold start so changed ports take effect. Replication
# factor 1 everywhere: there is one node. Few partitions for the internal
# topics: the first consumer group then starts in well under a second.
write_config() {
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Written by scripts/kafka.sh on every start: edit that script, not this file.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$NODE_ID@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
# Topics are created explicitly (tests, operators' dead-letter topics), so a
# consumer subscribing early never creates one with the wrong partition count.
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
log.retention.hours=168
EOF
  # Everything to stdout, which start redirects into server.log; the chatty
  # per-request and state-change loggers only at WARN.
  cat >"$KAFKA_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
}

# A small heap: the tests' topics are small and this machine is shared.
java_opts() {
  JAVA_OPTS=(-Xmx512m -Xms128m -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -cp "$LIBS/*")
}
java_run() { java_opts; java "${JAVA_OPTS[@]}" "$@"; } # MAIN-CLASS ARGS...

# Format the storage once, with a fresh cluster id; meta.properties marks it done.
format_storage() {
  [[ -f $DATA/meta.properties ]] && return 0
  local id out
  say "kafka: formatting $DATA (one time)"
  id=$(java_run kafka.tools.StorageTool random-uuid 2>>"$LOG" | tail -n 1) || die_with_log "cannot generate a cluster id" "$LOG"
  out=$(java_run kafka.tools.StorageTool format -t "$id" -c "$KAFKA_DIR/server.properties" 2>&1) ||
    die "kafka storage format failed: $out"
}

# Ready means a real client gets metadata (kafkajs's admin lists the topics) and
# a group coordinator answers: the first offset fetch creates __consumer_offsets,
# which otherwise fails a fresh broker's first consumer group with NOT_COORDINATOR.
# Before npm packages are installed, the broker's own "started" log line counts.
broker_answers() {
  if [[ -f $REPO/node_modules/kafkajs/package.json ]]; then
    (cd "$REPO" && UPDRAFT_READY_BROKERS=$BROKERS timeout 10 node --input-type=module -e '
      import { Kafka, logLevel } from "kafkajs";
      const kafka = new Kafka({ brokers: [process.env.UPDRAFT_READY_BROKERS], logLevel: logLevel.NOTHING,
        connectionTimeout: 1000, retry: { retries: 0 } });
      const admin = kafka.admin();
      try { await admin.connect(); await admin.listTopics(); await admin.fetchOffsets({ groupId: "updraft-ready-check" });
        process.exit(0); } catch { process.exit(1); }
    ' >/dev/null 2>&1)
  else
    grep -q 'Kafka Server started' "$LOG" 2>/dev/null
  fi
}
# 2 when the process we launched is gone; 1 while it is not ready (or still
# between fork and exec, when it is not yet `java`).
running_and_answers() {
  kill -0 "$(first_line "$PIDFILE")" 2>/dev/null || return 2
  kafka_pid >/dev/null && broker_answers
}

# ---------------------------------------------------------------- commands

cmd_start() {
  take_lock
  local pid
  if pid=$(kafka_pid); then
    wait_for 30 broker_answers ||
      die_with_log "our kafka (pid $pid) runs but does not answer on $BROKERS; if you changed UPDRAFT_KAFKA_PORT, run '$SELF stop' first" "$LOG"
    say "kafka ready at $BROKERS"
    return 0
  fi
  command -v java >/dev/null || die "java is missing: install Java 17 (Debian: sudo apt-get install -y openjdk-17-jre-headless)"
  ensure_jars
  for p in "$PORT" "$CONTROLLER_PORT"; do
    port_in_use "$p" && die "port $p is taken by another process; set UPDRAFT_KAFKA_PORT / UPDRAFT_KAFKA_CONTROLLER_PORT to free ports"
  done
  (umask 022 && mkdir -p -- "$DATA")
  write_config
  # The previous run's log is kept as server.log.1 (why did it stop?); a fresh
  # log lets the ready-check's fallback trust its "started" line.
  [[ -f $LOG ]] && mv -f -- "$LOG" "$LOG.1"
  : >"$LOG"
  format_storage
  rm -f -- "$PIDFILE"
  say "kafka: starting on $BROKERS (controller 127.0.0.1:$CONTROLLER_PORT), log $LOG"
  # setsid + nohup: the broker outlives this script and the terminal; its
  # cwd is KAFKA_DIR (see kafka_pid); the lock fd is not inherited.
  java_opts
  (cd "$KAFKA_DIR" && exec setsid nohup java "${JAVA_OPTS[@]}" kafka.Kafka "$KAFKA_DIR/server.properties" >>"$LOG" 2>&1 </dev/null 8>&-) &
  echo $! >"$PIDFILE"
  local rc=0 deadline=$((SECONDS + START_TIMEOUT))
  until running_and_answers; do
    rc=$?
    ((rc == 2)) && die_with_log "kafka exited during start-up; see $LOG" "$LOG"
    ((SECONDS < deadline)) || die_with_log "kafka did not answer on $BROKERS within ${START_TIMEOUT}s; see $LOG" "$LOG"
    sleep 0.5
  done
  say "kafka ready at $BROKERS"
}

kafka_gone() { ! kafka_pid >/dev/null; }
cmd_stop() {
  [[ -d $KAFKA_DIR ]] || { say "kafka already stopped"; return 0; }
  take_lock
  local pid
  if ! pid=$(kafka_pid); then
    say "kafka already stopped"
    return 0
  fi
  # SIGTERM runs Kafka's shutdown hook: a controlled shutdown that flushes the
  # logs, so the next start needs no log recovery. SIGKILL only as a last resort.
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for 60 kafka_gone; then
    say "kafka (pid $pid) did not stop within 60 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 kafka_gone || die_with_log "kafka (pid $pid) did not stop" "$LOG"
  fi
  rm -f -- "$PIDFILE"
  say "kafka stopped"
}

cmd_status() {
  if kafka_pid >/dev/null; then
    say "kafka running at $BROKERS"
  elif port_in_use "$PORT"; then
    say "kafka stopped; port $PORT is taken by another process ($BROKERS)"
    return 3
  else
    say "kafka stopped ($BROKERS)"
    return 3
  fi
}

cmd_env() { printf 'export UPDRAFT_KAFKA_BROKERS=%q\n' "$BROKERS"; }

main() {
  case ${1:-}:$# in
    -h:1 | --help:1 | help:1) usage; exit 0 ;;
    start:1 | stop:1 | status:1 | env:1) ;;
    *) usage >&2; exit 1 ;;
  esac
  load_settings
  "cmd_$1"
}

main "$@"
