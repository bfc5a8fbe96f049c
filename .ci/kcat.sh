#!/usr/bin/env bash
# kcat, a librdkafka client from Debian's packages, for tests/e2e/test_kcat.py.
#
#   export "$(bash .ci/kcat.sh)"   # sets GRIDALERT_TEST_KCAT=/usr/bin/kcat
#
# Uses a kcat already on PATH; otherwise installs the `kcat` package (needs root and the Debian
# mirrors). Prints exactly one line on stdout: GRIDALERT_TEST_KCAT=<path>. The rest goes to stderr.
set -euo pipefail

exec 3>&1 1>&2

log() { echo "kcat.sh: $*"; }
die() { log "error: $*"; exit 1; }

if ! command -v kcat >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "kcat is not installed and installing it needs root (apt-get install kcat)"
    command -v apt-get >/dev/null || die "kcat is not installed and this is not a Debian system (no apt-get)"
    log "installing kcat from the Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends kcat
fi
path=$(command -v kcat) || die "installed kcat but found none on PATH"
log "using $path ($("$path" -V 2>&1 | head -1))"
echo "GRIDALERT_TEST_KCAT=$path" >&3
