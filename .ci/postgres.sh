#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the history store's tests.
#   .ci/postgres.sh start DIR   installs Debian's postgresql when missing, creates a cluster in DIR (owned by the
#                               postgres user) on a free port, and prints the DSN on stdout (nothing on failure)
#   .ci/postgres.sh stop DIR    stops it
# Per-run directory and port, so that runs on one machine do not meet.
set -u
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
case "$cmd" in
stop)
  [ -n "$bin" ] && [ -d "$dir/data" ] && su postgres -s /bin/sh -c "$bin/pg_ctl -D $dir/data stop -m fast" >/dev/null 2>&1
  rm -rf "$dir"
  exit 0
  ;;
start)
  log="$dir.log"
  {
    if [ -z "$bin" ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
      bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    mkdir -p "$dir" && chown postgres "$dir" &&
    su postgres -s /bin/sh -c "$bin/initdb -D $dir/data -U postgres --auth=trust" || exit 1
    for try in 1 2 3 4 5; do
      port=$(( 20000 + RANDOM % 30000 ))
      if su postgres -s /bin/sh -c "$bin/pg_ctl -D $dir/data -l $dir/log -o '-p $port -k $dir -c listen_addresses=127.0.0.1' -w start"; then
        su postgres -s /bin/sh -c "$bin/createdb -h 127.0.0.1 -p $port -U postgres trailwatch" && echo "$port" > "$dir/port" && break
      fi
    done
  } >"$log" 2>&1
  [ -s "$dir/port" ] && echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/trailwatch?sslmode=disable"
  exit 0
  ;;
esac
echo "usage: $0 start|stop DIR" >&2
exit 2
