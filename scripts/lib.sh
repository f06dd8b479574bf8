# Shell helpers shared by services.sh and kafka.sh (sourced, not run): messages, port
# checks, polling, and reading pid files.

say() { printf 'updraft: %s\n' "$*"; }
die() { printf 'updraft: %s\n' "$*" >&2; exit 1; }

# die_with_log MESSAGE LOGFILE: fail, showing the log's last lines, which
# nearly always say why a server did not start.
die_with_log() {
  printf 'updraft: %s\n' "$1" >&2
  if [[ -s $2 ]]; then
    printf 'updraft: last lines of %s:\n' "$2" >&2
    tail -n 15 -- "$2" | sed 's/^/updraft:   /' >&2
  fi
  exit 1
}

check_port_number() { # NAME VALUE
  [[ $2 =~ ^[0-9]+$ ]] && ((10#$2 >= 1 && 10#$2 <= 65535)) ||
    die "$1 must be a TCP port number (1-65535), not '$2'"
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
  local deadline=$((${EPOCHREALTIME/./} + $1 * 1000000))
  shift
  until "$@"; do
    ((${EPOCHREALTIME/./} < deadline)) || return 1
    sleep 0.1
  done
}

# True if something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

first_line() { local line=""; { read -r line <"$1"; } 2>/dev/null; printf '%s' "$line"; }
