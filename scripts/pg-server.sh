#!/usr/bin/env bash
# A throw-away PostgreSQL server for tests and benchmarks (Debian's `postgresql` package).
#
#   scripts/pg-server.sh start DIR [PORT]   initdb into DIR/data, start on 127.0.0.1 (PORT, or a
#                                           free one), print the port; waits until it accepts
#                                           connections (pg_ctl -w), never a guessed time
#   scripts/pg-server.sh stop DIR           stop it (immediate) and remove DIR
#
# PostgreSQL refuses to run as root: as root (CI), DIR is given to the `postgres` user and the
# server runs as that user. The superuser role is `tapelib`, trusted on loopback only; TLS is
# on with a self-signed certificate for `localhost` (DIR/server.crt) so that the TLS modes of
# a catalog URL can be tested. fsync is off: a test server's data is thrown away.
set -euo pipefail

command=${1:?usage: pg-server.sh start|stop DIR [PORT]}
dir=${2:?usage: pg-server.sh start|stop DIR [PORT]}
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$bindir/pg_ctl" ] || { echo "pg-server.sh: PostgreSQL's server programs are not installed (make deps)" >&2; exit 2; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A failed start leaves nothing behind: a server pg_ctl gave up waiting for is stopped, and
# DIR removed.
fail() {
    cat "$1" >&2 2>/dev/null || true
    [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    exit 1
}

case "$command" in
start)
    port=${3:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U tapelib --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || fail "$dir/initdb.log"
    # The role `tapelib_password` (created by the tests that need it) must give a password
    # (SCRAM), so that a catalog URL's password sources are tested against the server itself.
    sed -i '0,/^host/s//host    all             tapelib_password 127.0.0.1\/32           scram-sha-256\nhost/' "$dir/data/pg_hba.conf"
    as_owner openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost -keyout "$dir/server.key" -out "$dir/server.crt" 2>/dev/null
    chmod 600 "$dir/server.key"
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 start -o \
        "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200 -c ssl=on \
         -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" >/dev/null \
        || fail "$dir/server.log"
    echo "$port"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg-server.sh start|stop DIR [PORT]" >&2; exit 2
    ;;
esac
