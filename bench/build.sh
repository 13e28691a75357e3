#!/bin/bash
# `kapsel build` vs `podman build` (buildah inside, runtime crun) on one small multi-step
# Containerfile (FROM busybox, RUN/COPY/ENV/WORKDIR/CMD), side by side in one hyperfine run:
#   cold   = --no-cache (every RUN in a container, every layer written; the base image present)
#   cached = a rebuild where every step hits the layer cache
# Both start from the same busybox rootfs: Kapsel's built-in image, and that rootfs imported
# into Podman's private storage. Podman: crun, cgroupfs, file events, private root/runroot,
# explicit ulimits, --network none (Kapsel's RUN has its own netns with only lo). crun 1.8
# refuses this host's hybrid cgroups (HOST.md): everything runs in a private mount namespace
# with an empty file over /sys/fs/cgroup/unified/cgroup.controllers.
# Usage (as root): bench/build.sh [RUNS]       (target: cached kapsel/podman <= 0.5)
source "$(dirname "$0")/lib.sh"
runs=${1:-10}
if [ -z "${KAPSEL_BENCH_INNER:-}" ]; then
    exec env KAPSEL_BENCH_INNER=1 unshare -m --propagation private "$0" "$@"
fi
empty=$(mktemp /tmp/kapsel-bench-empty-XXXXXX)
mount --bind "$empty" /sys/fs/cgroup/unified/cgroup.controllers
work=$(mktemp -d /tmp/kapsel-bench-build-XXXXXX)
cleanup() {
    podman_ system reset --force >/dev/null 2>&1 || true
    umount -R "$work" 2>/dev/null || true
    umount /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || true
    rm -rf "$work" "$empty"
}
trap cleanup EXIT
: > "$results/build-errors.log"

podman_() {
    podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" \
        --runtime crun --cgroup-manager cgroupfs --events-backend file --storage-driver overlay "$@"
}
kroot="$work/kapsel"
k() { "$kapsel" --root "$kroot" "$@"; }

# Context: a few small files and a directory tree.
ctx="$work/ctx"
mkdir -p "$ctx/dir/sub"
echo "a file" > "$ctx/a.txt"
for i in $(seq 1 20); do head -c 4096 /dev/urandom | base64 > "$ctx/dir/sub/f$i.txt"; done
cat > "$work/steps" <<'STEPS'
RUN echo one > /one && mkdir -p /data
COPY a.txt /a.txt
RUN cat /a.txt /one > /b.txt
COPY dir/ /data/
ENV APP=/data MODE=bench
WORKDIR /data
RUN ls -R > /listing && wc -l /listing
CMD ["cat", "/listing"]
STEPS
{ echo "FROM busybox"; cat "$work/steps"; } > "$ctx/Containerfile.kapsel"
{ echo "FROM localhost/kbusybox"; cat "$work/steps"; } > "$ctx/Containerfile.podman"

# The same busybox rootfs for both: Kapsel's built-in image, imported into Podman.
k image pull busybox >/dev/null
tar -C "$kroot/images/busybox/latest/rootfs" -cf "$work/busybox.tar" .
podman_ import "$work/busybox.tar" localhost/kbusybox >/dev/null 2>>"$results/build-errors.log"

kb="$kapsel --root $kroot build -q -f $ctx/Containerfile.kapsel -t bench:1"
pb="podman --root $work/podman/root --runroot $work/podman/run --tmpdir $work/podman/tmp --runtime crun --cgroup-manager cgroupfs --events-backend file --storage-driver overlay build -q --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -f $ctx/Containerfile.podman -t bench:1"
# Each must work (and fill its cache) before it is timed.
$kb "$ctx" >/dev/null 2>>"$results/build-errors.log" || { echo "kapsel build failed (see $results/build-errors.log)" >&2; exit 1; }
$pb "$ctx" >/dev/null 2>>"$results/build-errors.log" || { echo "podman build failed (see $results/build-errors.log)" >&2; exit 1; }
[ "$(k run --rm bench:1 | tail -1)" = "$(podman_ run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 bench:1 | tail -1)" ] \
    || echo "warning: the two images print different listings" >&2

hyperfine -N --warmup 1 --runs "$runs" --export-json "$results/build-cold.json" \
    -n kapsel-cold "$kb --no-cache $ctx" -n podman-cold "$pb --no-cache $ctx" >/dev/null 2>>"$results/build-errors.log"
hyperfine -N --warmup 2 --runs "$((runs * 3))" --export-json "$results/build-cached.json" \
    -n kapsel-cached "$kb $ctx" -n podman-cached "$pb $ctx" >/dev/null 2>>"$results/build-errors.log"

echo "date: $(date -u +%Y-%m-%d), load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %12s\n' build "median ms"
for n in kapsel-cold podman-cold; do printf '%-16s %12.1f\n' $n "$(median $n "$results/build-cold.json")"; done
for n in kapsel-cached podman-cached; do printf '%-16s %12.1f\n' $n "$(median $n "$results/build-cached.json")"; done
echo "ratio cold   kapsel/podman: $(ratio kapsel-cold podman-cold "$results/build-cold.json")"
echo "ratio cached kapsel/podman: $(ratio kapsel-cached podman-cached "$results/build-cached.json")  (target <= 0.5)"
