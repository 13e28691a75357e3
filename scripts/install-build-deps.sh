#!/bin/sh
# Debian packages needed to build Kapsel (NativeAOT links with clang; zlib for the runtime;
# cc for the spawn trampoline). Installs only what is missing; needs root for that.
set -e
missing=""
command -v clang >/dev/null 2>&1 || missing="$missing clang"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
[ -e /usr/include/zlib.h ] || missing="$missing zlib1g-dev"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "kapsel: missing build packages:$missing (run as root, or with sudo, to install them)" >&2
    exit 125
fi
echo "kapsel: installing build packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    apt-get install -y -q --no-install-recommends $missing >/dev/null
}
