#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the office tests, living entirely in one folder.
#   postgres.sh start DIR   initdb (trust on 127.0.0.1 only), start, create kitchentable_test;
#                           prints the database URL on stdout
#   postgres.sh url DIR     prints the URL of the cluster in DIR again
#   postgres.sh stop DIR    stops it (the folder stays; remove it yourself)
# Trust authentication is safe only because the server listens on 127.0.0.1 and a socket in
# DIR; never point this at a folder on a shared machine's public path. fsync is off: the data
# is thrown away. initdb refuses to run as root, so as root the cluster belongs to the
# `postgres` user (created if missing) and DIR is handed to it.
set -euo pipefail

DATABASE="kitchentable_test"
SUPERUSER="postgres"

usage() { echo "usage: $0 start|stop|url DIR" >&2; exit 2; }
[ "$#" -eq 2 ] || usage
action="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"

find_bindir() {
    local candidate
    # Debian keeps the server binaries per major version, off PATH; take the newest.
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        [ -x "$candidate/initdb" ] && { echo "$candidate"; return 0; }
    done
    if command -v pg_config >/dev/null 2>&1; then
        candidate="$(pg_config --bindir)"
        [ -x "$candidate/initdb" ] && { echo "$candidate"; return 0; }
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"; return 0
    fi
    echo "PostgreSQL's server programs (initdb, pg_ctl) were not found; on Debian: apt-get install postgresql" >&2
    return 1
}

# As root, run the server's programs as an unprivileged owner.
owner=""
if [ "$(id -u)" = "0" ]; then
    owner="postgres"
    if ! id -u "$owner" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
    fi
fi
as_owner() { if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi; }

url_of() { echo "postgresql://$SUPERUSER@127.0.0.1:$(cat "$dir/port")/$DATABASE"; }

free_port() {
    local port
    for _ in $(seq 50); do
        # Below the kernel's ephemeral range (32768 and up): a client connection made
        # elsewhere can never take the port while the server is down for a restart.
        port=$(( 20000 + RANDOM % 12000 ))
        # Nothing answering on the port: take it (pg_ctl fails cleanly if we lose a race).
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    echo "No free TCP port found for PostgreSQL." >&2
    return 1
}

start() {
    local bindir port
    bindir="$(find_bindir)"
    if [ -f "$dir/data/postmaster.pid" ]; then
        echo "A PostgreSQL cluster is already running in $dir." >&2
        return 1
    fi
    [ -n "$owner" ] && chown "$owner" "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" --pgdata="$dir/data" --username="$SUPERUSER" \
            --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; return 1; }
    fi
    for _ in 1 2 3; do
        port="$(free_port)"
        echo "$port" >"$dir/port"
        if as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
            --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
            as_owner "$bindir/createdb" --host=127.0.0.1 --port="$port" \
                --username="$SUPERUSER" "$DATABASE"
            url_of
            return 0
        fi
    done
    echo "PostgreSQL did not start; its log is $dir/server.log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    return 1
}

stop() {
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_owner "$(find_bindir)/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >/dev/null
}

case "$action" in
    start) start ;;
    stop) stop ;;
    url) [ -f "$dir/port" ] || { echo "No cluster in $dir." >&2; exit 1; }; url_of ;;
    *) usage ;;
esac
