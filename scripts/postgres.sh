#!/usr/bin/env bash
# A private PostgreSQL server for Facteur's tests and benchmarks: Debian's binaries, a cluster
# of its own in DIR, listening on 127.0.0.1 only, with trust authentication for the role
# "facteur" (loopback, throwaway data).
#
#   scripts/postgres.sh start DIR PORT   creates the cluster once, starts it, waits until it
#                                        accepts connections, prints its URL
#   scripts/postgres.sh stop  DIR        fast stop
#
# The cluster is tuned for tests (fsync off): never point it at data you want to keep.
# As root, the server runs as the system user "postgres" (PostgreSQL refuses to run as root);
# DIR is handed to that user. Prefer a short DIR: the Unix socket lives there too.
set -euo pipefail

usage() { sed -n '2,12p' "$0" >&2; exit 2; }

bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
        return
    fi
    echo "postgres.sh: the PostgreSQL server is not installed (Debian package postgresql)" >&2
    exit 1
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cmd="${1:-}"
case "$cmd" in
start)
    [ $# -eq 3 ] || usage
    dir="$2"
    port="$3"
    bin="$(bindir)"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || { echo "postgres.sh: no system user postgres (install the postgresql package)" >&2; exit 1; }
        chown postgres: "$dir"
        chmod 700 "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U facteur --auth=trust --encoding=UTF8 --no-locale \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c fsync=off"
    opts="$opts -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB"
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 -o "$opts" start >"$dir/pg_ctl.log" 2>&1; then
        cat "$dir/pg_ctl.log" "$dir/postgres.log" >&2 2>/dev/null || true
        exit 1
    fi
    echo "postgres://facteur@127.0.0.1:$port/postgres"
    ;;
stop)
    [ $# -eq 2 ] || usage
    dir="$2"
    bin="$(bindir)"
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    usage
    ;;
esac
