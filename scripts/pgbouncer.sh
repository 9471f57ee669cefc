#!/usr/bin/env bash
# Start or stop a throwaway PgBouncer (transaction pooling) in front of PostgreSQL, for CI's production
# smoke test and the bench's PgBouncer scenario. Installs Debian's `pgbouncer` when it is missing.
#
#   scripts/pgbouncer.sh start DIR PORT [UPSTREAM_HOST] [UPSTREAM_PORT]
#   scripts/pgbouncer.sh stop DIR
#
# `start` writes DIR/pgbouncer.ini and DIR/userlist.txt, starts pgbouncer in the background (pidfile
# DIR/pgbouncer.pid, log DIR/pgbouncer.log) on 127.0.0.1:PORT, forwarding every database name
# (`* = host=.. port=..`) to UPSTREAM (default 127.0.0.1:5432) as the same user, and returns once it
# accepts connections. Clients authenticate as the current OS user with `auth_type = trust`, which
# only suits a loopback test setup whose upstream also trusts that user; production settings are in
# DEPLOYMENT.md ("Scaling out"). The admin console is `psql -h 127.0.0.1 -p PORT -d pgbouncer`.
#
# PgBouncer refuses to run as root ("PgBouncer should not run as root"): started by root, it is told to
# switch to PGBOUNCER_RUN_AS (default `postgres`, which the PostgreSQL package creates) once it has
# read its configuration. It would then be unable to open a log or pidfile inside DIR (e.g. a
# `mktemp -d` directory, mode 700), so this script does not let pgbouncer daemonize itself: it starts
# it in the background with its stderr (the log) appended to DIR/pgbouncer.log and writes the pidfile.
#
# Tunables (environment): PGBOUNCER_POOL_SIZE (server connections per database/user pair, default 20),
# PGBOUNCER_MAX_CLIENTS (default 400).
set -euo pipefail

usage() {
  echo "usage: $0 start DIR PORT [UPSTREAM_HOST] [UPSTREAM_PORT] | $0 stop DIR" >&2
  exit 2
}

ensure_pgbouncer() {
  if command -v pgbouncer >/dev/null 2>&1 || [[ -x /usr/sbin/pgbouncer ]]; then return 0; fi
  echo "pgbouncer is missing; installing it from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
  command -v pgbouncer >/dev/null 2>&1 || [[ -x /usr/sbin/pgbouncer ]] || {
    echo "ERROR: could not install pgbouncer" >&2
    return 1
  }
}

pgbouncer_bin() { command -v pgbouncer 2>/dev/null || echo /usr/sbin/pgbouncer; }

start() {
  local dir="$1" port="$2" upstream_host="${3:-127.0.0.1}" upstream_port="${4:-5432}"
  local user run_as=()
  user="$(id -un)"
  ensure_pgbouncer
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [[ -f "$dir/pgbouncer.pid" ]] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
    echo "ERROR: a pgbouncer already runs from $dir (pid $(cat "$dir/pgbouncer.pid"))" >&2
    return 1
  fi
  # Trust auth still needs the user listed; the password field is unused.
  printf '"%s" ""\n' "$user" >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$upstream_host port=$upstream_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
; No Unix socket: several instances (and PostgreSQL itself) may share the machine.
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = $user
stats_users = $user
pool_mode = transaction
default_pool_size = ${PGBOUNCER_POOL_SIZE:-20}
max_client_conn = ${PGBOUNCER_MAX_CLIENTS:-400}
EOF
  if [[ "$(id -u)" == "0" ]]; then run_as=(-u "${PGBOUNCER_RUN_AS:-postgres}"); fi
  "$(pgbouncer_bin)" "${run_as[@]}" "$dir/pgbouncer.ini" </dev/null >>"$dir/pgbouncer.log" 2>&1 &
  echo "$!" >"$dir/pgbouncer.pid"
  for _ in $(seq 1 50); do
    if ! kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then break; fi
    if psql -h 127.0.0.1 -p "$port" -U "$user" -d pgbouncer -Atqc 'SHOW VERSION' >/dev/null 2>&1; then
      echo "pgbouncer listening on 127.0.0.1:$port (transaction pooling) -> $upstream_host:$upstream_port, pid $(cat "$dir/pgbouncer.pid")"
      return 0
    fi
    sleep 0.2
  done
  echo "ERROR: pgbouncer did not accept connections on 127.0.0.1:$port; its log:" >&2
  cat "$dir/pgbouncer.log" >&2 2>/dev/null || true
  return 1
}

stop() {
  local dir="$1" pid
  [[ -f "$dir/pgbouncer.pid" ]] || return 0
  pid="$(cat "$dir/pgbouncer.pid")"
  # SIGTERM is PgBouncer's immediate shutdown; clients of a test instance need no grace period.
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$dir/pgbouncer.pid"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pgbouncer.pid"
}

case "${1:-}" in
  start) [[ $# -ge 3 && $# -le 5 ]] || usage; start "$2" "$3" "${4:-}" "${5:-}" ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  *) usage ;;
esac
