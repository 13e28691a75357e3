#!/bin/sh
# Every Debian package Kapsel's build, tests and benchmarks use, installed non-interactively
# (as root). Packages already present are left alone, so a second run costs ~1 s. Recommended
# packages are installed too (podman needs some of them, as on a normal Debian install).
set -e
packages="
  clang gcc zlib1g-dev
  busybox-static debootstrap util-linux iproute2 uidmap
  runc crun podman containerd skopeo umoci docker-registry
  nftables iperf3 hyperfine jq attr
  oci-image-tool
  docker.io time bc dbus
"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root, or with sudo)" >&2
    exit 1
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q $missing >/dev/null
