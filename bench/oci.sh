#!/bin/bash
# The OCI runtime against crun and runc, side by side in one hyperfine run (issue 3):
#   kapsel-runc run  vs  crun run  vs  runc run   on one busybox bundle (/bin/true, seccomp on,
#   cgroups on: the default `kapsel-runc spec` config + memory and pids limits);
#   peak RSS of each runtime process (/usr/bin/time -f %M, median of 5);
#   50 concurrent and 200 sequential containers per runtime.
# crun 1.8 refuses this host's hybrid cgroup layout (HOST.md): everything runs inside one private
# mount namespace with an empty file over /sys/fs/cgroup/unified/cgroup.controllers, so all three
# runtimes see the same host.
# Usage (as root): bench/oci.sh [RUNS]     (targets: kapsel/crun <= 1.0, kapsel/runc <= 0.5, RSS < runc)
source "$(dirname "$0")/lib.sh"
runs=${1:-200}
if [ -z "${KAPSEL_BENCH_INNER:-}" ]; then
    exec env KAPSEL_BENCH_INNER=1 unshare -m --propagation private "$0" "$@"
fi
empty=$(mktemp /tmp/kapsel-bench-empty-XXXXXX)
mount --bind "$empty" /sys/fs/cgroup/unified/cgroup.controllers
: > "$results/oci-errors.log"
work=$(mktemp -d /tmp/kapsel-bench-oci-XXXXXX)
chmod 755 "$work"
cleanup() {
    for rt in kapsel crun runc; do
        for id in $(ls "$work/state-$rt" 2>/dev/null); do "$(rtbin $rt)" --root "$work/state-$rt" delete --force "$id" >/dev/null 2>&1 || true; done
    done
    umount /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || true
    rm -rf "$work" "$empty"
}
trap cleanup EXIT
runtime="$(dirname "$kapsel")/kapsel-runc"
rtbin() { case $1 in kapsel) echo "$runtime" ;; crun) command -v crun ;; runc) command -v runc ;; esac; }

# The bundle: busybox-static with applet links, default spec, /bin/true, limits so a cgroup is set up.
bundle="$work/bundle"
mkdir -p "$bundle/rootfs"/{bin,proc,sys,dev,tmp,etc,root}
cp /bin/busybox "$bundle/rootfs/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$bundle/rootfs/bin/$a"; done
"$runtime" spec --bundle "$bundle"
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]
    | .linux.resources.memory = {"limit": 134217728} | .linux.resources.pids = {"limit": 100}' \
    "$bundle/config.json" > "$bundle/config.json.new" && mv "$bundle/config.json.new" "$bundle/config.json"

run_cmd() { echo "$(rtbin "$1") --root $work/state-$1 run --bundle $bundle ${2:-c}"; }
for rt in kapsel crun runc; do   # each must work before it is timed
    out=$($(run_cmd $rt check) 2>&1) || { echo "$rt run failed: $out" >&2; exit 1; }
done

hyperfine -N --warmup 10 --runs "$runs" --export-json "$results/oci.json" \
    -n kapsel-runc "$(run_cmd kapsel)" -n crun "$(run_cmd crun)" -n runc "$(run_cmd runc)" >/dev/null 2>>"$results/oci-errors.log"

# 50 at once (xargs -P) and 200 one after the other, each container with its own id.
many() { # RT MODE
    local par=1 n=200
    [ "$2" = concurrent ] && { par=50; n=50; }
    echo "seq $n | xargs -P $par -I{} $(rtbin $1) --root $work/state-$1 run --bundle $bundle $2-{}"
}
hyperfine --warmup 1 --runs 3 --export-json "$results/oci-concurrent.json" \
    -n kapsel-runc "$(many kapsel concurrent)" -n crun "$(many crun concurrent)" -n runc "$(many runc concurrent)" >/dev/null 2>>"$results/oci-errors.log"
hyperfine --runs 2 --export-json "$results/oci-sequential.json" \
    -n kapsel-runc "$(many kapsel sequential)" -n crun "$(many crun sequential)" -n runc "$(many runc sequential)" >/dev/null 2>>"$results/oci-errors.log"

# Peak RSS (kB) of the runtime process that does the run (median of 5).
rss() {
    for i in 1 2 3 4 5; do /usr/bin/time -f %M $(run_cmd "$1" rss) 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 3p
}
declare -A peak
for rt in kapsel crun runc; do peak[$rt]=$(rss $rt); done

echo "date: $(date -u +%Y-%m-%d)"
printf '%-12s %12s %16s %16s %10s\n' runtime "median ms" "50 concurrent s" "200 sequential s" "peak RSS MB"
for rt in kapsel crun runc; do
    n=$rt; [ $rt = kapsel ] && n=kapsel-runc
    printf '%-12s %12.2f %16.2f %16.2f %10.1f\n' "$n" "$(median $n "$results/oci.json")" \
        "$(jq -r --arg n $n '.results[] | select(.command == $n) | .median' "$results/oci-concurrent.json")" \
        "$(jq -r --arg n $n '.results[] | select(.command == $n) | .median' "$results/oci-sequential.json")" \
        "$(echo "${peak[$rt]} / 1024" | bc -l)"
done
echo "ratio kapsel-runc / crun:  $(ratio kapsel-runc crun "$results/oci.json")  (target <= 1.0)"
echo "ratio kapsel-runc / runc:  $(ratio kapsel-runc runc "$results/oci.json")  (target <= 0.5)"
echo "peak RSS kapsel-runc / runc: $(echo "scale=2; ${peak[kapsel]} / ${peak[runc]}" | bc -l)  (target < 1)"
