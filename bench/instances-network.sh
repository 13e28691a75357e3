#!/bin/bash
# Network throughput between real Kapsel instances, side by side in one run (issue "Networks"):
#   host loopback iperf3  vs  instance -> instance on one Kapsel network (target >= 90%),
#   and a published port: Kapsel's userland forwarder (127.0.0.1) and DNAT (the network's
#   gateway address) vs Podman's published port on the same machine (crun, its CNI bridge).
# Both tools run the same image: busybox plus the host's iperf3 and the libraries it links
# (imported with `kapsel image import` and `podman import`).
# Traffic stays on loopback and the namespaces made here; everything is removed afterwards.
# Usage (as root): bench/instances-network.sh [SECONDS] [MTU]   (MTU: the bench network's; default Kapsel's 65520)
source "$(dirname "$0")/lib.sh"
secs=${1:-5}
mtu=${2:-}
if [ -z "${KAPSEL_BENCH_INNER:-}" ]; then
    exec env KAPSEL_BENCH_INNER=1 unshare -m --propagation private "$0" "$@"
fi
empty=$(mktemp /tmp/kapsel-bench-empty-XXXXXX)
mount --bind "$empty" /sys/fs/cgroup/unified/cgroup.controllers
work=$(mktemp -d /tmp/kapsel-bench-net-XXXXXX)
k=("$kapsel" --root "$work/kapsel")
podman=(podman --root "$work/podman" --runroot "$work/podman-run" --tmpdir "$work/podman-tmp" --cgroup-manager cgroupfs --events-backend file)
ulimits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
iperf=(localhost/iperf3:bench iperf3)
cleanup() {
    for n in srv pubf pubd; do "${k[@]}" rm -f $n >/dev/null 2>&1 || true; done
    "${podman[@]}" rm -f psrv >/dev/null 2>&1 || true
    "${k[@]}" network rm -f bench >/dev/null 2>&1 || true
    "${k[@]}" network rm -f kapsel0 >/dev/null 2>&1 || true
    kill "$lo" 2>/dev/null || true
    umount -R "$work/kapsel" 2>/dev/null || true
    umount /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || true
    rm -rf "$work" "$empty"
}
trap cleanup EXIT
gbps() { jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100'; }
retry() { for _ in $(seq 40); do "$@" 2>/dev/null && return 0; sleep 0.25; done; return 1; }

# The image: busybox's rootfs + iperf3 and its shared libraries.
"${k[@]}" run --rm --network none busybox true
img="$work/iperf3-rootfs"
cp -a "$work/kapsel/images/busybox/latest/rootfs" "$img"
for f in $(command -v iperf3) $(ldd "$(command -v iperf3)" | grep -o '/[^ ]*'); do
    mkdir -p "$img$(dirname "$f")"; cp -L "$f" "$img$f"
done
mkdir -p "$img/tmp" && chmod 1777 "$img/tmp"
tar -C "$img" -c . > "$work/iperf3.tar"
"${k[@]}" image import "$work/iperf3.tar" localhost/iperf3:bench >/dev/null
"${podman[@]}" import "$work/iperf3.tar" localhost/iperf3:bench >/dev/null

"${k[@]}" network create ${mtu:+--mtu $mtu} bench >/dev/null
"${k[@]}" run -d --name srv --network bench "${iperf[@]}" -s >/dev/null
"${k[@]}" run -d --name pubf -p 127.0.0.1:15201:5201 --network bench "${iperf[@]}" -s >/dev/null
"${k[@]}" run -d --name pubd -p 15202:5201 --network bench "${iperf[@]}" -s >/dev/null
srv=$("${k[@]}" inspect srv | jq -r '.[0].networks[0].ipAddress')
gw=$("${k[@]}" network inspect bench | jq -r '.[0].gateway')
iperf3 -s -p 15200 >/dev/null 2>&1 & lo=$!

loop=$(retry iperf3 -c 127.0.0.1 -p 15200 -t "$secs" -J | gbps)
bridge=$("${k[@]}" run --rm --network bench "${iperf[@]}" -c "$srv" -t "$secs" -J | gbps)
fwd=$(retry iperf3 -c 127.0.0.1 -p 15201 -t "$secs" -J | gbps)
dnat=$(retry iperf3 -c "$gw" -p 15202 -t "$secs" -J | gbps)

pod="not run"
if "${podman[@]}" run -d --name psrv $ulimits -p 127.0.0.1:25201:5201 localhost/iperf3:bench iperf3 -s >/dev/null 2>>"$results/instances-network-errors.log"; then
    pod=$(retry iperf3 -c 127.0.0.1 -p 25201 -t "$secs" -J | gbps) || pod="failed"
fi

jq -n --argjson s "$secs" --arg mtu "${mtu:-65520 (default)}" --arg lo "$loop" --arg br "$bridge" --arg f "$fwd" --arg d "$dnat" --arg p "$pod" \
    '{seconds: $s, mtu: $mtu, loopback_gbps: $lo, bridge_gbps: $br, forwarder_gbps: $f, dnat_gbps: $d, podman_published_gbps: $p}' \
    > "$results/instances-network.json"
echo "iperf3 ${secs}s, network MTU ${mtu:-65520 (Kapsel default)}, Gbit/s (receiver side), same run:"
echo "  host loopback:                        $loop"
echo "  instance -> instance, one network:    $bridge  = $(echo "scale=0; 100 * $bridge / $loop" | bc)% of loopback (target >= 90%)"
echo "  published 127.0.0.1 (DNAT):           $fwd"
echo "  published via gateway address (DNAT): $dnat"
echo "  podman published 127.0.0.1:           $pod"
