#!/usr/bin/env bash
# Headless Chromium for the dashboard's browser test (tests/e2e/test_dashboard.py), from Debian's
# own packages.
#
#   export "$(bash .ci/chromium.sh)"   # sets GRIDALERT_TEST_CHROMIUM=/usr/bin/chromium
#
# Uses a Chromium already installed (chromium, then chromium-browser on PATH); otherwise installs
# the `chromium` package (needs root and the Debian mirrors). Prints exactly one line on stdout:
#   GRIDALERT_TEST_CHROMIUM=<path>
# Everything else goes to stderr. Checks that the browser starts (`--version`).
set -euo pipefail

exec 3>&1 1>&2  # fd 3 is the caller's stdout: only the result line goes there

log() { echo "chromium.sh: $*"; }
die() { log "error: $*"; exit 1; }

find_chromium() {
    local name
    for name in chromium chromium-browser; do
        command -v "$name" && return 0
    done
    return 1
}

install_chromium() {
    [ "$(id -u)" -eq 0 ] || die "Chromium is not installed and installing it needs root (apt-get install chromium)"
    command -v apt-get >/dev/null || die "Chromium is not installed and this is not a Debian system (no apt-get)"
    log "installing Chromium from the Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends chromium
}

path=$(find_chromium || true)
if [ -z "$path" ]; then
    install_chromium
    path=$(find_chromium) || die "installed chromium but found no chromium on PATH"
fi
log "using $path ($("$path" --headless=new --no-sandbox --version 2>/dev/null || echo 'version unknown'))"
echo "GRIDALERT_TEST_CHROMIUM=$path" >&3
