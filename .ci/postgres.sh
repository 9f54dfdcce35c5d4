#!/usr/bin/env bash
# Start a PostgreSQL server on loopback for the history store's tests, best effort: install Debian's postgresql when
# missing, create a throwaway cluster owned by the postgres user, and print the DSN on stdout (nothing on failure).
set -u
log=/tmp/trailwatch-postgres.log
{
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  fi
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  dir=/tmp/trailwatch-pg
  [ -d "$dir/data" ] && su postgres -s /bin/sh -c "$bin/pg_ctl -D $dir/data stop -m immediate"
  rm -rf "$dir" && mkdir -p "$dir" && chown postgres "$dir"
  su postgres -s /bin/sh -c "$bin/initdb -D $dir/data -U postgres --auth=trust" &&
  su postgres -s /bin/sh -c "$bin/pg_ctl -D $dir/data -l $dir/log -o '-p 55432 -k $dir -c listen_addresses=127.0.0.1' -w start" &&
  su postgres -s /bin/sh -c "$bin/createdb -h 127.0.0.1 -p 55432 -U postgres trailwatch"
} >"$log" 2>&1 && echo "postgres://postgres@127.0.0.1:55432/trailwatch?sslmode=disable"
exit 0
