#!/bin/bash
# The app level against Podman, side by side in one hyperfine run (issue "Images and the app level"):
#   kapsel run --rm busybox /bin/true   vs   podman run --rm (crun) of the same busybox rootfs
#   (podman import), each on its default network (kapsel0 / Podman's CNI bridge) and with
#   --network none; then the per-instance monitor's RSS vs conmon's for one detached instance.
# crun refuses this host's hybrid cgroups (HOST.md): everything runs in one private mount
# namespace with an empty file over /sys/fs/cgroup/unified/cgroup.controllers, so both see the
# same host. Docker is not compared: dockerd here runs with --bridge none --iptables=false only.
# Usage (as root): bench/app.sh [RUNS]          (target: kapsel/podman <= 0.25)
source "$(dirname "$0")/lib.sh"
runs=${1:-30}
if [ -z "${KAPSEL_BENCH_INNER:-}" ]; then
    exec env KAPSEL_BENCH_INNER=1 unshare -m --propagation private "$0" "$@"
fi
empty=$(mktemp /tmp/kapsel-bench-empty-XXXXXX)
mount --bind "$empty" /sys/fs/cgroup/unified/cgroup.controllers
work=$(mktemp -d /tmp/kapsel-bench-app-XXXXXX)
podman=(podman --root "$work/podman" --runroot "$work/podman-run" --tmpdir "$work/podman-tmp" --cgroup-manager cgroupfs --events-backend file)
ulimits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
k=("$kapsel" --root "$work/kapsel")
cleanup() {
    "${k[@]}" rm -f kdet >/dev/null 2>&1 || true
    "${podman[@]}" rm -f pdet >/dev/null 2>&1 || true
    "${k[@]}" network rm -f kapsel0 >/dev/null 2>&1 || true
    umount -R "$work/kapsel" 2>/dev/null || true
    umount /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || true
    rm -rf "$work" "$empty"
}
trap cleanup EXIT

"${k[@]}" run --rm busybox /bin/true   # builds the built-in image, creates kapsel0
rootfs="$work/kapsel/images/busybox/latest/rootfs"
tar -C "$rootfs" -c . | "${podman[@]}" import - localhost/busybox:bench >/dev/null
"${podman[@]}" run --rm $ulimits localhost/busybox:bench /bin/true

P="${podman[*]} run --rm $ulimits localhost/busybox:bench /bin/true"
K="${k[*]} run --rm busybox /bin/true"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$results/app.json" \
    -n kapsel "$K" -n podman "$P" \
    -n "kapsel --network none" "${K/run --rm/run --rm --network none}" \
    -n "podman --network none" "${P/run --rm/run --rm --network none}" >/dev/null

# One detached instance each: the RSS of what stays on the host per instance.
"${k[@]}" run -d --name kdet busybox sleep 600 >/dev/null
"${podman[@]}" run -d --name pdet $ulimits localhost/busybox:bench sleep 600 >/dev/null
sleep 1
kmon=$(ps -o ppid= -p "$("${k[@]}" inspect kdet | jq -r '.[0].pid')" | tr -d ' ')   # the monitor is the init's parent
krss=$(awk '/VmRSS/ {print $2}' /proc/"$kmon"/status); kanon=$(awk '/RssAnon/ {print $2}' /proc/"$kmon"/status)
cpid=$(pgrep -f "conmon.*$("${podman[@]}" inspect -f '{{.Id}}' pdet)" | head -1)
crss=$(awk '/VmRSS/ {print $2}' /proc/"$cpid"/status); canon=$(awk '/RssAnon/ {print $2}' /proc/"$cpid"/status)

echo "app level, $runs runs each (median ms):"
for n in kapsel podman "kapsel --network none" "podman --network none"; do printf '  %-24s %8.1f\n' "$n" "$(median "$n" "$results/app.json")"; done
echo "  ratio kapsel/podman (default networks): $(ratio kapsel podman "$results/app.json")   (target <= 0.25)"
echo "  ratio kapsel/podman (--network none):   $(ratio "kapsel --network none" "podman --network none" "$results/app.json")"
echo "monitor RSS: kapsel __monitor ${krss} kB (private/anonymous ${kanon} kB; the rest are pages of the kapsel binary, shared by all monitors), podman conmon ${crss} kB (anonymous ${canon} kB)"
