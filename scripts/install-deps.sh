#!/bin/sh
# Every Debian package Kapsel's build, tests and benchmarks use, installed non-interactively
# (as root). Packages already present are left alone, so a second run costs ~1 s.
set -e
packages="
  clang gcc zlib1g-dev
  busybox-static debootstrap util-linux iproute2 uidmap
  runc crun podman containerd skopeo umoci docker-registry
  nftables iperf3 hyperfine jq
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
apt-get install -y -q --no-install-recommends $missing >/dev/null
# Images tests: oci-image-tool validates every blob of an exported layout.
images_packages="oci-image-tool"
images_missing=""
for p in $images_packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || images_missing="$images_missing $p"
done
if [ -n "$images_missing" ]; then
    if [ "$(id -u)" != 0 ]; then echo "install-deps: missing packages:$images_missing (run as root)" >&2; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $images_missing >/dev/null
fi
