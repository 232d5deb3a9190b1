#!/usr/bin/env bash
# A throwaway Open Zaak (the ZGW APIs: Zaken, Documenten, Catalogi) for the ZGW delivery
# tests, living in one folder, like postgres.sh.
#   openzaak.sh start DIR   unpack Open Zaak's source, a PostgreSQL+PostGIS cluster, Redis,
#                           migrate, configure (API client, catalogus, zaaktype: see
#                           openzaak_setup.py), serve on a free port on 127.0.0.1; prints
#                           the base URL on stdout. The client id is in DIR/client_id, its
#                           secret in DIR/secret (owner-only).
#   openzaak.sh url DIR     prints the base URL again
#   openzaak.sh kill DIR    SIGKILL to the web server (a crash, for the fault tests)
#   openzaak.sh web DIR     start the web server again on the same port, wait until it answers
#   openzaak.sh stop DIR    stops everything (the folder stays; remove it yourself)
#
# The source is a tarball in ../shared/vendor (next to the checkout), /work/shared/vendor, or
# the file KITCHENTABLE_OPENZAAK_TARBALL names. Its virtual environment (~3 minutes of pip)
# and its migrated empty database (~1 minute of migrate) are cached per tarball hash under
# KITCHENTABLE_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/kitchentable); a clean machine
# builds them once. Open Zaak wants Python 3.12 (KITCHENTABLE_OPENZAAK_PYTHON to choose one).
# Debian packages: postgresql-15-postgis-3 redis-server gdal-bin (run-tests installs them).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CLIENT_ID="kitchentable-test"
DATABASE="openzaak"

usage() { echo "usage: $0 start|stop|url|kill|web DIR" >&2; exit 2; }
[ "$#" -eq 2 ] || usage
action="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"

say() { echo "openzaak.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

find_tarball() {
    local candidate
    if [ -n "${KITCHENTABLE_OPENZAAK_TARBALL:-}" ]; then
        [ -f "$KITCHENTABLE_OPENZAAK_TARBALL" ] ||
            fail "KITCHENTABLE_OPENZAAK_TARBALL names $KITCHENTABLE_OPENZAAK_TARBALL, which is not a file."
        echo "$KITCHENTABLE_OPENZAAK_TARBALL"; return 0
    fi
    for folder in "$ROOT/../shared/vendor" /work/shared/vendor; do
        candidate="$(ls "$folder"/open-zaak-*.tar.gz 2>/dev/null | sort -V | tail -n 1 || true)"
        [ -n "$candidate" ] && { echo "$candidate"; return 0; }
    done
    fail "Open Zaak's source (open-zaak-*.tar.gz) is in neither $ROOT/../shared/vendor nor /work/shared/vendor; set KITCHENTABLE_OPENZAAK_TARBALL to its path."
}

find_python() {
    local candidates=() candidate
    [ -n "${KITCHENTABLE_OPENZAAK_PYTHON:-}" ] && candidates+=("$KITCHENTABLE_OPENZAAK_PYTHON")
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    while IFS= read -r found; do candidates+=("$found/bin/python3"); done < <(
        ls -d "$pyenv_root"/versions/3.12* 2>/dev/null | sort -rV)
    candidates+=(python3.12 python3)
    for candidate in "${candidates[@]}"; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
            command -v "$candidate"; return 0
        fi
    done
    fail "Open Zaak needs Python 3.12 and none was found; install it (pyenv install 3.12) or point KITCHENTABLE_OPENZAAK_PYTHON at one."
}

free_port() {
    local port
    for _ in $(seq 50); do
        # Below the kernel's ephemeral range (32768 and up): a client connection made
        # elsewhere can never take the port while the server is down for a restart.
        port=$(( 20000 + RANDOM % 12000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    fail "No free TCP port found."
}

# The cache: one folder per tarball hash holding the venv and a dump of the migrated database.
cache_for() {
    local tarball="$1" sha
    sha="$(sha256sum "$tarball" | cut -c1-16)"
    echo "${KITCHENTABLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kitchentable}/openzaak-$sha"
}

build_venv() {
    local cache="$1" tree="$2" python
    [ -f "$cache/venv/.complete" ] && return 0
    python="$(find_python)"
    say "building Open Zaak's virtual environment in $cache/venv with $python (once per source; ~3 minutes)"
    rm -rf "$cache/venv"
    "$python" -m venv "$cache/venv"
    # pip's own chatter (this machine's extra indexes) goes to the log; the failure shows.
    if ! "$cache/venv/bin/python" -m pip install --no-input -q -r "$tree/requirements/base.txt" \
        >"$cache/pip.log" 2>&1; then
        grep -v '^WARNING' "$cache/pip.log" | tail -n 20 >&2
        fail "installing Open Zaak's requirements failed (log: $cache/pip.log)."
    fi
    touch "$cache/venv/.complete"
}

# Everything Open Zaak's Django needs, in one file every process here sources.
write_env() {
    local pg_port="$1" redis_port="$2" web_port="$3"
    (umask 077 && : >"$dir/env")
    cat >"$dir/env" <<EOF
export DJANGO_SETTINGS_MODULE=openzaak.conf.production
export SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ALLOWED_HOSTS=127.0.0.1,localhost SITE_DOMAIN=127.0.0.1:$web_port IS_HTTPS=no
export DB_HOST=127.0.0.1 DB_PORT=$pg_port DB_NAME=$DATABASE DB_USER=postgres DB_PASSWORD=
export CACHE_DEFAULT=127.0.0.1:$redis_port/0 CACHE_AXES=127.0.0.1:$redis_port/0
export CELERY_BROKER_URL=redis://127.0.0.1:$redis_port/1 CELERY_RESULT_BACKEND=redis://127.0.0.1:$redis_port/1
export OTEL_SDK_DISABLED=true OTEL_SERVICE_NAME=openzaak-test NOTIFICATIONS_DISABLED=true
export LOG_STDOUT=true LOG_REQUESTS=false PYTHONDONTWRITEBYTECODE=1
# No nginx in front: Django serves document downloads itself.
export SENDFILE_BACKEND=django_sendfile.backends.simple
EOF
}

manage() {
    # shellcheck disable=SC1091
    (source "$dir/env" && cd "$dir/openzaak/src" && "$(cat "$dir/venv")/bin/python" manage.py "$@")
}

url_of() { echo "http://127.0.0.1:$(cat "$dir/web.port")"; }

web() {
    local port python log="$dir/web.log"
    port="$(cat "$dir/web.port")"
    python="$(cat "$dir/venv")/bin/python"
    port_free "$port"
    # Its own session, so `kill` and `stop` reach the master and all its workers.
    (
        # shellcheck disable=SC1091
        source "$dir/env"
        cd "$dir/openzaak/src"
        exec setsid "$(dirname "$python")/uwsgi" --http11-socket "127.0.0.1:$port" \
            --module openzaak.wsgi --master --processes 2 --threads 4 --need-app \
            --die-on-term --disable-logging --buffer-size 65535 --post-buffering 65536 \
            --pidfile "$dir/web.pid" >>"$log" 2>&1 </dev/null
    ) &
    for _ in $(seq 300); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "$(url_of)/zaken/api/v1/zaken" || true)" = "403" ]; then
            return 0
        fi
        sleep 0.2
    done
    tail -n 30 "$log" >&2 || true
    fail "Open Zaak's web server did not answer on port $port within 60 s (log: $log)."
}

kill_web() {
    local pid
    [ -f "$dir/web.pid" ] || return 0
    pid="$(cat "$dir/web.pid")"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    # Gone, or a zombie its parent has not reaped yet: either way it serves nothing.
    for _ in $(seq 50); do
        case "$(ps -o stat= -p "$pid" 2>/dev/null || true)" in ""|Z*) break ;; esac
        sleep 0.1
    done
    rm -f "$dir/web.pid"
    # A worker the kernel has not torn down yet may still hold the port for a moment; the
    # next start would fail to bind it ("Address already in use").
    port_free "$(cat "$dir/web.port")"
}

port_free() {
    local port="$1"
    for _ in $(seq 150); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "openzaak.sh: port $port is still taken after 15 s" >&2
}

start() {
    local tarball cache pg_url pg_port redis_port web_port python
    [ -f "$dir/web.port" ] && fail "An Open Zaak is already set up in $dir; stop it and use a new folder."
    command -v redis-server >/dev/null || fail "redis-server is missing; on Debian: apt-get install redis-server"
    command -v curl >/dev/null || fail "curl is missing; on Debian: apt-get install curl"
    tarball="$(find_tarball)"
    cache="$(cache_for "$tarball")"
    mkdir -p "$cache"
    mkdir -p "$dir/openzaak"
    tar xzf "$tarball" -C "$dir/openzaak"
    (
        # One builder at a time per cache; the others wait and find it ready.
        flock 9
        build_venv "$cache" "$dir/openzaak"
    ) 9>"$cache/.lock"
    echo "$cache/venv" >"$dir/venv"

    # The cluster belongs to `postgres` when run as root: it must be able to pass through
    # DIR (not list it; the secrets in it are owner-only files).
    chmod 711 "$dir"
    pg_url="$(bash "$HERE/postgres.sh" start "$dir/pg")"
    pg_port="$(cat "$dir/pg/port")"
    psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
    redis_port="$(free_port)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' \
        --appendonly no --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    echo "$redis_port" >"$dir/redis.port"
    web_port="$(free_port)"
    echo "$web_port" >"$dir/web.port"
    write_env "$pg_port" "$redis_port" "$web_port"

    psql_ -d "${pg_url##*/}" -c "CREATE DATABASE $DATABASE"
    local dump="$cache/migrated.dump"
    if [ -f "$dump" ]; then
        pg_restore -h 127.0.0.1 -p "$pg_port" -U postgres -d "$DATABASE" --no-owner \
            --exit-on-error "$dump" || fail "restoring the cached Open Zaak database failed; remove $dump."
    else
        psql_ -d "$DATABASE" -c "CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm;"
        say "migrating Open Zaak's database (once per source; ~1 minute)"
        manage migrate --no-input >"$dir/migrate.log" 2>&1 ||
            { tail -n 20 "$dir/migrate.log" >&2; fail "Open Zaak's migrate failed (log: $dir/migrate.log)."; }
        (
            flock 9
            pg_dump -h 127.0.0.1 -p "$pg_port" -U postgres -Fc -f "$dump.partial" "$DATABASE" &&
                mv "$dump.partial" "$dump"
        ) 9>"$cache/.lock"
    fi

    echo "$CLIENT_ID" >"$dir/client_id"
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/secret")
    OZ_CLIENT_ID="$CLIENT_ID" OZ_SECRET="$(cat "$dir/secret")" \
        manage shell <"$HERE/openzaak_setup.py" >"$dir/setup.log" 2>&1 ||
        { tail -n 20 "$dir/setup.log" >&2; fail "configuring Open Zaak failed (log: $dir/setup.log)."; }
    web
    url_of
}

stop() {
    kill_web
    if [ -f "$dir/redis.pid" ]; then
        kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
        rm -f "$dir/redis.pid"
    fi
    [ -d "$dir/pg" ] && bash "$HERE/postgres.sh" stop "$dir/pg"
    return 0
}

case "$action" in
    start) start ;;
    stop) stop ;;
    url) [ -f "$dir/web.port" ] || fail "No Open Zaak in $dir."; url_of ;;
    kill) kill_web ;;
    web) [ -f "$dir/web.port" ] || fail "No Open Zaak in $dir."; kill_web; web ;;
    *) usage ;;
esac
