#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite, from Debian's own packages.
#
#   eval "$(.ci/postgres.sh)"          # start (or reuse) it; sets GRIDALERT_TEST_DATABASE_URL
#   export GRIDALERT_TEST_DATABASE_URL
#   .ci/postgres.sh stop               # stop it and delete its data directory
#
# Installs the `postgresql` package when no /usr/lib/postgresql/<version>/bin/{initdb,pg_ctl}
# exists (needs root and the Debian mirrors), creates a fresh cluster in a directory of its own,
# listens on 127.0.0.1 only (port 55432, or the next free one), with a random password for user
# postgres. Prints exactly one line on stdout:
#   GRIDALERT_TEST_DATABASE_URL=postgresql+psycopg://postgres:<password>@127.0.0.1:<port>/postgres
# Everything else goes to stderr. Re-runnable: a server it started earlier and still running is
# reused; a dead one is replaced by a fresh cluster.
#
# Environment: GRIDALERT_PG_DIR (default /tmp/gridalert-ci-postgres; must be reachable by user
# postgres), GRIDALERT_PG_PORT (first port to try, default 55432), GRIDALERT_PG_TIMEOUT_S (60).
set -euo pipefail

exec 3>&1 1>&2  # fd 3 is the caller's stdout: only the result line goes there

BASE=${GRIDALERT_PG_DIR:-/tmp/gridalert-ci-postgres}
FIRST_PORT=${GRIDALERT_PG_PORT:-55432}
TIMEOUT_S=${GRIDALERT_PG_TIMEOUT_S:-60}
DATA="$BASE/data"
SOCKETS="$BASE/sockets"
LOG="$BASE/server.log"
MARK="$BASE/.gridalert-ci-postgres"  # only a directory carrying this mark is ever deleted
URL_FILE="$BASE/url"  # root-only: holds the password of a server still running

log() { echo "postgres.sh: $*"; }
die() { log "error: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as the server's owner: postgres refuses to run as root.
as_owner() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The newest Debian PostgreSQL binaries; never whatever `initdb` happens to be first on PATH.
find_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/pg_isready" ] && echo "$dir"
    done 2>/dev/null | sort -V | tail -n 1  # highest version (the glob sorts 10 before 9)
}

install_postgresql() {
    is_root || die "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and this is not a Debian system (no apt-get)"
    # Only our own cluster is wanted: stop the package from creating and starting `main` on 5432.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/gridalert-ci.conf
    fi
    log "installing PostgreSQL from the Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends postgresql
}

port_in_use() {
    (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local port
    for port in $(seq "$FIRST_PORT" $((FIRST_PORT + 100))); do
        port_in_use "$port" || { echo "$port"; return 0; }
    done
    die "no free port in $FIRST_PORT..$((FIRST_PORT + 100))"
}

server_running() {
    [ -f "$DATA/postmaster.pid" ] && as_owner "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

stop_server() {
    if [ -d "$DATA" ] && server_running; then
        log "stopping the server in $DATA"
        # Tolerant: a server that died leaves a pid file behind and may not answer.
        as_owner "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 20 stop || log "warning: pg_ctl stop failed; going on"
    fi
}

stored_port() {
    local url
    url=$(cat "$URL_FILE")
    url=${url##*:}
    echo "${url%%/*}"
}

# A server this script started earlier, still alive and answering on its port.
reusable() {
    [ -f "$URL_FILE" ] && server_running && "$BINDIR/pg_isready" -q -t 3 -h 127.0.0.1 -p "$(stored_port)" -d postgres
}

wait_ready() {
    local port=$1 deadline=$((SECONDS + TIMEOUT_S))
    until "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 30 "$LOG" || true
            die "PostgreSQL not ready on 127.0.0.1:$port after ${TIMEOUT_S}s (log: $LOG)"
        fi
        sleep 0.2
    done
}

remove_base() {
    if [ -d "$BASE" ] && [ -n "$(ls -A "$BASE")" ] && [ ! -e "$MARK" ]; then
        die "$BASE exists and was not made by this script; not deleting it (set GRIDALERT_PG_DIR)"
    fi
    rm -rf "$BASE"
}

start_fresh() {
    local port password pwfile options
    remove_base
    mkdir -p "$DATA" "$SOCKETS"
    touch "$MARK"
    if is_root; then
        id -u postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        chown -R postgres: "$BASE"
    fi
    chmod 700 "$DATA"
    password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    pwfile="$BASE/pwfile"
    (umask 077; printf '%s\n' "$password" > "$pwfile")
    if is_root; then chown postgres: "$pwfile"; fi

    log "initialising a cluster in $DATA with $BINDIR/initdb"
    as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" --auth-local=peer \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"

    port=$(free_port)
    log "starting PostgreSQL on 127.0.0.1:$port (log: $LOG)"
    # Throwaway test data: durability settings off for speed.
    options="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$SOCKETS"
    options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if ! as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t "$TIMEOUT_S" -o "$options" start 3>&-; then
        tail -n 30 "$LOG" || true
        die "pg_ctl could not start the server"
    fi
    wait_ready "$port"
    (umask 077; printf 'postgresql+psycopg://postgres:%s@127.0.0.1:%s/postgres\n' "$password" "$port" > "$URL_FILE")
}

main() {
    BINDIR=$(find_bindir)
    if [ "${1:-start}" = stop ]; then
        if [ -n "$BINDIR" ]; then stop_server; fi
        remove_base
        log "stopped"
        return 0
    fi
    [ "${1:-start}" = start ] || die "usage: $0 [start|stop]"

    if [ -z "$BINDIR" ]; then
        install_postgresql
        BINDIR=$(find_bindir)
        [ -n "$BINDIR" ] || die "installed postgresql but found no /usr/lib/postgresql/<version>/bin/initdb"
    fi
    log "using $BINDIR ($("$BINDIR/postgres" --version))"

    if reusable; then
        log "reusing the server already running in $DATA on port $(stored_port)"
    else
        stop_server  # one that died or half started in an earlier run
        start_fresh
    fi
    echo "GRIDALERT_TEST_DATABASE_URL=$(cat "$URL_FILE")" >&3
}

main "$@"
