#!/bin/bash
# Crash loop, as root (or with sudo): SIGKILL a kapsel command at a random moment — the CLI alone
# (its children live on) or its whole process group — then run Kapsel's own recovery (ps -a,
# rm -f, network prune) and count the iterations that left anything behind: an instance cgroup,
# a mount under the root, a veth, a process of the instance, a record or instance directory.
#   scripts/crash.sh [ITERATIONS] [SEED]       (default 100 iterations; seed printed to rerun)
# Operations, in turn: run --rm, run -d, start, stop, rm -f. Its own root, link prefix "tcr"
# and nft table, removed at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
./kapsel version >/dev/null || exit 1
K="$PWD/.build/bin/kapsel"
N=${1:-100}
SEED=${2:-$RANDOM}
RANDOM=$SEED
export KAPSEL_LINK_PREFIX=tcr KAPSEL_NFT_TABLE=kapsel_tcr
R=$(mktemp -d /tmp/kapsel-crash-XXXX)
MARK="sleep 31.7"   # the instance's command: a unique marker to look for among host processes
k() { "$K" --root "$R" "$@"; }
k run --rm busybox true >/dev/null || exit 1   # image and network ready before the loop

# Run "$@" and SIGKILL it after $1 seconds: mode 0 kills the CLI only, mode 1 its process group.
kill_after() {
  local delay=$1 mode=$2; shift 2
  setsid "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$delay"
  if [ "$mode" = 1 ]; then kill -9 -- "-$pid" 2>/dev/null; else kill -9 "$pid" 2>/dev/null; fi
  wait "$pid" 2>/dev/null
}

leaks=0
ops=(run-rm run-d start stop rm)
for i in $(seq 1 "$N"); do
  op=${ops[$((i % 5))]}
  mode=$((RANDOM % 2))
  delay=$(printf '0.%03d' $((5 + RANDOM % 150)))
  case $op in
    run-rm) kill_after "$delay" "$mode" "$K" --root "$R" run --rm --name one busybox $MARK ;;
    run-d)  kill_after "$delay" "$mode" "$K" --root "$R" run -d --name one busybox $MARK ;;
    start)  k run -d --name one busybox $MARK >/dev/null 2>&1; k stop -t 0 one >/dev/null 2>&1
            kill_after "$delay" "$mode" "$K" --root "$R" start one ;;
    stop)   k run -d --name one busybox $MARK >/dev/null 2>&1
            kill_after "$delay" "$mode" "$K" --root "$R" stop -t 1 one ;;
    rm)     k run -d --name one busybox $MARK >/dev/null 2>&1
            kill_after "$delay" "$mode" "$K" --root "$R" rm -f one ;;
  esac
  # Recovery: what a user types next.
  k ps -a >/dev/null 2>&1
  k rm -f one >/dev/null 2>&1
  for id in $(k ps -a -q 2>/dev/null); do k rm -f "$id" >/dev/null 2>&1; done
  k network prune >/dev/null 2>&1
  cg=0
  for c in /sys/fs/cgroup/kapsel/*/ /sys/fs/cgroup/*/kapsel/*/; do
    [ -d "$c" ] || continue
    case $c in */monitors/) continue ;; esac
    cg=$((cg + 1))
  done
  procs=$(pgrep -f "$MARK" | wc -l)
  mnt=$(grep -c "$R/" /proc/self/mountinfo)
  veth=$(ip -o link | grep -c ": tcrv")
  recs=$(k ps -a -q 2>/dev/null | wc -l)
  dirs=$(find "$R/instances" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  if [ "$cg$procs$mnt$veth$recs$dirs" != "000000" ]; then
    leaks=$((leaks + 1))
    echo "iteration $i: $op killed after ${delay}s ($([ "$mode" = 1 ] && echo group || echo CLI)): cgroups=$cg processes=$procs mounts=$mnt veths=$veth records=$recs dirs=$dirs"
    pkill -9 -f "$MARK"
    for c in /sys/fs/cgroup/kapsel/*/ /sys/fs/cgroup/*/kapsel/*/; do case $c in */monitors/) ;; *) rmdir "$c" 2>/dev/null ;; esac; done
  fi
done
echo "crash loop (seed $SEED): $leaks leaks / $N iterations"
for id in $(k ps -a -q 2>/dev/null); do k rm -f "$id" >/dev/null 2>&1; done
k network rm -f kapsel0 >/dev/null 2>&1
k network prune >/dev/null 2>&1
nft delete table inet kapsel_tcr 2>/dev/null
umount -R -l "$R" 2>/dev/null
rm -rf "$R"
[ "$leaks" = 0 ]
