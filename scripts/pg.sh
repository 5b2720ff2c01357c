#!/bin/sh
# Throwaway PostgreSQL cluster for tests and benchmarks.
#   sh scripts/pg.sh start [DIR]   installs PostgreSQL from Debian if absent (as root), creates a cluster
#                                  in DIR (default: a new temp dir) on a free 127.0.0.1 port, and prints
#                                  its connection URL on the last line of stdout (the dir on the line before).
#   sh scripts/pg.sh stop DIR      stops that cluster and removes DIR.
# Each start uses its own directory and port, so several test runs can use it at the same time.
set -e
cmd="${1:-}"

find_bin() {
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

# Runs a command as the postgres user when we are root (initdb refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    bin="$(find_bin || true)"
    if [ -z "$bin" ]; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "apilens pg.sh: installing postgresql from Debian" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq postgresql >/dev/null
        bin="$(find_bin)"
      else
        echo "apilens pg.sh: PostgreSQL is not installed; install it (apt-get install postgresql) or set APILENS_TEST_DATABASE_URL" >&2
        exit 1
      fi
    fi
    dir="${2:-}"
    if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/apilens-pg.XXXXXX)"; else mkdir -p "$dir"; fi
    chmod 700 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
      || as_pg "$bin/initdb" -D "$dir" -A trust -U postgres --no-sync -E UTF8 >"$dir.initdb.log" 2>&1 \
      || { cat "$dir.initdb.log" >&2; exit 1; }
    tries=0
    while :; do
      port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
      # fsync off: a test cluster is thrown away, durability of the collector is tested above it.
      if as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>&1; then
        break
      fi
      tries=$((tries + 1))
      if [ "$tries" -ge 5 ]; then
        echo "apilens pg.sh: PostgreSQL did not start:" >&2
        cat "$dir/server.log" >&2 2>/dev/null || true
        exit 1
      fi
    done
    rm -f "$dir.initdb.log"
    echo "$dir"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir="${2:?usage: sh scripts/pg.sh stop DIR}"
    bin="$(find_bin)"
    as_pg "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: sh scripts/pg.sh start [DIR] | stop DIR" >&2
    exit 2
    ;;
esac
