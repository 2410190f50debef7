#!/usr/bin/env bash
# A throwaway PostgreSQL server for the alert-store tests: `postgres.sh start DIR [PORT]` makes a cluster in DIR (on
# loopback only, fsync off: nothing here outlives the test run; a free port when none is given) and prints the
# admin URL; `postgres.sh stop DIR` stops it and removes DIR. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
set -euo pipefail
action=${1:?usage: postgres.sh start DIR [PORT] | stop DIR}
dir=${2:?usage: postgres.sh start DIR [PORT] | stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: no PostgreSQL server (install Debian's postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $action in
  start)
    port=${3:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    # Only an empty folder, or one this script made before: never anything else.
    if [ -n "$(ls -A "$dir" 2>/dev/null)" ] && [ ! -f "$dir/data/PG_VERSION" ]; then
      echo "postgres.sh: $dir is not empty" >&2; exit 1
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "postgres.sh: unknown action $action" >&2; exit 1 ;;
esac
