#!/bin/bash
# Chroot level and bare spawn path against their plain peers, side by side in one hyperfine run
# each (issue "Foundation"):
#   kapsel run --level chroot --rm busybox -- /bin/true    vs  chroot DIR /bin/true
#   kapsel debug spawn DIR /bin/true (namespaces+pivot_root) vs  unshare --fork --pid --mount --uts --ipc --net --mount-proc chroot DIR /bin/true
# Usage (as root): bench/chroot.sh [RUNS]
source "$(dirname "$0")/lib.sh"
runs=${1:-300}
root=$(mktemp -d /tmp/kapsel-bench-XXXXXX)
trap 'rm -rf "$root"' EXIT
"$kapsel" --root "$root" image pull busybox >/dev/null
rootfs="$root/images/busybox/latest/rootfs"

hyperfine -N --warmup 20 --runs "$runs" --export-json "$results/chroot.json" \
    -n kapsel-chroot "$kapsel --root $root run --level chroot --rm busybox -- /bin/true" \
    -n chroot "chroot $rootfs /bin/true" >/dev/null 2>&1
hyperfine -N --warmup 20 --runs "$runs" --export-json "$results/spawn.json" \
    -n kapsel-spawn "$kapsel debug spawn $rootfs /bin/true" \
    -n unshare-chroot "unshare --fork --pid --mount --uts --ipc --net --mount-proc chroot $rootfs /bin/true" >/dev/null 2>&1

printf '%-16s %10s\n' command "median ms"
for n in kapsel-chroot chroot; do printf '%-16s %10.2f\n' "$n" "$(median $n "$results/chroot.json")"; done
for n in kapsel-spawn unshare-chroot; do printf '%-16s %10.2f\n' "$n" "$(median $n "$results/spawn.json")"; done
echo "ratio kapsel-chroot / chroot:         $(ratio kapsel-chroot chroot "$results/chroot.json")  (target <= 2.0)"
echo "ratio kapsel-spawn / unshare-chroot:  $(ratio kapsel-spawn unshare-chroot "$results/spawn.json")  (target <= 1.5)"
