#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL cluster on loopback for the test suite.
#
#   eval "$(scripts/pg-test-cluster.sh start)"   # exports ITOPS_TEST_DATABASE_URL, ITOPS_TEST_PG_DIR, ITOPS_TEST_PG_RESTART
#   scripts/pg-test-cluster.sh stop "$ITOPS_TEST_PG_DIR"
#
# `start PREFIX` names the variables PREFIX_DATABASE_URL, PREFIX_PG_DIR and PREFIX_PG_RESTART instead:
# the fault test restarts a cluster of its own (ITOPS_TEST_FAULT_*) so that it never disturbs the others.
#
# Installs PostgreSQL with apt-get when it is missing. The cluster lives in a temporary directory,
# listens on 127.0.0.1 on a free port, trusts local connections (it holds nothing but test data), and
# runs without fsync (a crash of a test cluster loses nothing of value; PG_DURABLE=1 keeps PostgreSQL's
# durable defaults instead, for benchmarks that compare with SQLite `full`). PostgreSQL refuses to run as
# root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        echo "installing PostgreSQL with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql postgresql-client >&2
        dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    echo "$dir"
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "${1:-}" in
start)
    prefix=${2:-ITOPS_TEST}
    bin=$(pg_bin)
    dir=$(mktemp -d /tmp/itops-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U itops -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ -n "${PG_DURABLE:-}" ] && durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability -c max_connections=400" \
        start >/dev/null 2>&1 || { cat "$dir/server.log" >&2; exit 1; }
    runner=""
    [ "$(id -u)" = 0 ] && runner="runuser -u postgres -- "
    echo "export ${prefix}_DATABASE_URL='postgres://itops@127.0.0.1:$port/postgres?sslmode=disable'"
    echo "export ${prefix}_PG_DIR='$dir'"
    echo "export ${prefix}_PG_RESTART='${runner}$bin/pg_ctl -D $dir/data -w -t 60 -m fast -l $dir/server.log restart'"
    ;;
stop)
    dir=${2:?usage: stop DIR}
    bin=$(pg_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
