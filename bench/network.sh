#!/bin/bash
# Network throughput with iperf3, side by side in one run (issue "Networks"):
#   instance → instance over one Kapsel bridge (two network namespaces, veth + bridge + nft rules)
#   vs host loopback (iperf3 on 127.0.0.1), target >= 90%;
#   plus a published port through the userland forwarder (127.0.0.1:PORT) and through DNAT
#   (the bridge's address), for comparison with docker-proxy / Podman on the same machine.
# The topology is built by Kapsel.Network itself (its xunit bench, Category=Bench); traffic stays
# on loopback and the test's own namespaces. Everything it makes is removed afterwards.
# Usage (as root): bench/network.sh [SECONDS] [MTU]    e.g. bench/network.sh 10 65520
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
results="$repo/bench/results"
mkdir -p "$results"
"$repo/scripts/install-deps.sh"
out="$results/network.json"
rm -f "$out"
export KAPSEL_BENCH_OUT="$out" KAPSEL_BENCH_SECONDS="${1:-5}"
[ -n "${2:-}" ] && export KAPSEL_BENCH_MTU="$2"
dotnet test "$repo/tests/Kapsel.Network.Tests" --filter "Category=Bench" --logger "console;verbosity=normal" >/dev/null
jq -r '
  def g: . / 1e9 * 100 | round / 100;
  "iperf3 \(.seconds)s, network MTU \(.mtu), Gbit/s (receiver side)",
  "  host loopback:                 \(.loopback_bps | g)",
  "  bridge, netns -> netns:        \(.bridge_bps | g)   = \(.bridge_vs_loopback * 100 | round)% of loopback (target >= 90%)",
  "  published, forwarder 127.0.0.1: \(.published_forwarder_bps | g)",
  "  published, DNAT bridge address: \(.published_dnat_bps | g)"' "$out"
