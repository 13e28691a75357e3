#!/bin/bash
# Pull + unpack of a 5-layer, ~200 MB image from a local registry (issue "Images and the app
# level"), side by side in one hyperfine run:
#   kapsel pull (fresh store each run: blobs verified, layers unpacked once each)
#   vs skopeo copy docker://… oci:DIR  +  umoci unpack (fresh dirs each run).
# The image: FROM busybox + 5 RUN steps writing 40 MB of random data each (built with kapsel
# build, pushed with kapsel push) to Debian's docker-registry on 127.0.0.1.
# Usage (as root): bench/pull.sh [RUNS]         (target: kapsel/(skopeo+umoci) <= 0.8)
source "$(dirname "$0")/lib.sh"
runs=${1:-5}
work=$(mktemp -d /tmp/kapsel-bench-pull-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
    kill "$reg" 2>/dev/null || true
    "$kapsel" --root "$work/build" network rm -f kapsel0 >/dev/null 2>&1 || true
    umount -R "$work/build" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cat > "$work/registry.yml" <<YAML
version: 0.1
storage: { filesystem: { rootdirectory: $work/registry } }
http: { addr: 127.0.0.1:$port }
log: { level: error }
YAML
docker-registry serve "$work/registry.yml" >/dev/null 2>&1 & reg=$!
mkdir -p "$work/ctx"
{ echo "FROM busybox"; for i in 1 2 3 4 5; do echo "RUN head -c 41943040 /dev/urandom > /blob$i"; done; } > "$work/ctx/Containerfile"
ref="127.0.0.1:$port/bench/big:1"
"$kapsel" --root "$work/build" build -t "$ref" "$work/ctx" >/dev/null
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
"$kapsel" --root "$work/build" push --tls-verify=false "$ref" >/dev/null

hyperfine --runs "$runs" --warmup 1 --export-json "$results/pull.json" \
    --prepare "rm -rf $work/k $work/oci $work/bundle" \
    -n kapsel "$kapsel --root $work/k pull --tls-verify=false $ref" \
    -n skopeo+umoci "skopeo copy -q --src-tls-verify=false docker://$ref oci:$work/oci:big && umoci unpack --image $work/oci:big $work/bundle" >/dev/null
echo "pull + unpack of a 5-layer image ($(du -sh "$work/registry" | cut -f1) in the registry), $runs runs (median ms):"
for n in kapsel skopeo+umoci; do printf '  %-14s %8.0f\n' "$n" "$(median "$n" "$results/pull.json")"; done
echo "  ratio kapsel/(skopeo+umoci): $(ratio kapsel skopeo+umoci "$results/pull.json")   (target <= 0.8)"
