#!/bin/bash
# OCI runtime conformance: runs the opencontainers/runtime-tools validation suite against
# runc and kapsel-runc (or the runtimes given) and prints a per-test table with totals.
#
# Usage (root): scripts/conformance.sh SUITE_DIR [RUNTIME...]
#   SUITE_DIR holds the already-built suite: `runtimetest`, one `<name>.t` binary per
#   validation/<name>/<name>.go, and `rootfs-amd64.tar.gz` (a busybox rootfs the tests unpack
#   into every bundle). RUNTIME defaults to `runc` and this tree's .build/bin/kapsel-runc.
#   Environment: TEST_TIMEOUT (seconds per test binary, default 120), TESTS (space-separated
#   subset of test names), KEEP_LOGS=1 (keep per-test TAP logs, printed at the end).
#
# How the suite is built (nothing here downloads anything): the Go sources of
# opencontainers/runtime-tools — validation/**, validation/util, cmd/runtimetest — laid out
# in a GOPATH next to Debian's library part of runtime-tools (golang-github-opencontainers-
# runtime-tools-dev, 0.9.0+git20220423) and the other golang-*-dev packages, built with Debian's
# golang-go in GOPATH mode (GO111MODULE=off, GOPROXY=off; runtimetest with CGO_ENABLED=0).
# github.com/mndrix/tap-go is not packaged, so a small local TAP producer with the same API
# stands in for it. The suite's code is never part of this repository.
#
# Counting: every top-level TAP line counts, "ok" (including "# SKIP") as a pass, "not ok" as
# a failure unless marked "# TODO". Several lifecycle tests (hooks, prestart, poststop...) make
# no TAP assertion and report problems only as YAML diagnostics with an "error" key: those are
# counted in the "errs" column (for tests with TAP assertions such keys are often the
# expected error of a negative case, so they are not counted there). A test file passes (last
# line) as under a TAP harness: exit status 0, no failed assertion and no error diagnostic.
# Both totals matter: a test that runs runtimetest inside the container and then fails on
# purpose (process_capabilities_fail expects create to fail) still prints ~300 "ok" lines. A test binary that exits non-zero or times out is flagged.
#
# Each runtime runs through a small wrapper adding a private --root, so the suite's containers
# never mix with others and leftovers can be removed afterwards.
set -u

suite=${1:?usage: scripts/conformance.sh SUITE_DIR [RUNTIME...]}
shift
suite=$(cd "$suite" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then set -- runc "$here/.build/bin/kapsel-runc"; fi
timeout_s=${TEST_TIMEOUT:-120}

[ -x "$suite/runtimetest" ] || { echo "no runtimetest in $suite" >&2; exit 2; }
[ -f "$suite/rootfs-amd64.tar.gz" ] || { echo "no rootfs-amd64.tar.gz in $suite" >&2; exit 2; }

if [ -n "${TESTS:-}" ]; then
    tests=$TESTS
else
    tests=$(cd "$suite" && ls ./*.t | sed 's#^\./##; s#\.t$##' | sort)
fi

work=$(mktemp -d /tmp/kapsel-conformance.XXXXXX)
declare -A pass fail errs status

# The cgroup paths the suite's cgroup tests use (runtime-tools' cgroups.AbsCgroupPath and
# RelCgroupPath, and the pids cgroup delete_only_create_resources makes itself).
cleanup_cgroups() {
    for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
        [ -d "$h" ] || continue
        for p in cgrouptest testdir/cgrouptest/container testdir/cgrouptest testdir; do
            [ -d "$h/$p" ] && rmdir "$h/$p" 2>/dev/null
        done
    done
    return 0
}

# Bundles the tests leave behind (they unpack into $TMPDIR/ocitest*; a test that stops early
# keeps its bundle), with any mounts still under them: runc, for a container without a mount
# namespace, mounts into the host's namespace and leaves those mounts at delete.
suite_tmp=${TMPDIR:-/tmp}
cleanup_bundles() {   # bundles that existed before the test, one per line
    local before=$1 dir
    for dir in "$suite_tmp"/ocitest*; do
        [ -d "$dir" ] || continue
        grep -qxF "$dir" <<<"$before" && continue
        mounts_under() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo; }
        mounts_under "$dir" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        # Never recurse into a mount that is still there (it may be a bind of a host directory).
        if [ -z "$(mounts_under "$dir")" ]; then rm -rf --one-file-system "$dir"; else echo "left mounted: $dir" >&2; fi
    done
}

cleanup_runtime() {   # wrapper root
    local rt=$1 root=$2 id
    [ -d "$root" ] || return 0
    for id in $("$rt" --root "$root" list -q 2>/dev/null); do
        "$rt" --root "$root" delete --force "$id" >/dev/null 2>&1
    done
}

i=0
for rt in "$@"; do
    i=$((i + 1))
    rtpath=$(command -v "$rt") && rtpath=$(realpath "$rtpath") || { echo "runtime not found: $rt" >&2; exit 2; }
    root="$work/root$i"
    wrapper="$work/runtime$i"
    printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$rtpath" "$root" > "$wrapper"
    chmod +x "$wrapper"
    for t in $tests; do
        log="$work/$i-$t.log"
        bundles_before=$(ls -d "$suite_tmp"/ocitest* 2>/dev/null)
        ( cd "$suite" && RUNTIME="$wrapper" timeout -k 5 "$timeout_s" "./$t.t" ) >"$log" 2>&1
        rc=$?
        pass[$i,$t]=$(grep -cE '^ok( |$)' "$log")
        fail[$i,$t]=$(grep -E '^not ok( |$)' "$log" | grep -vc '# TODO')
        errs[$i,$t]=$(grep -cE '^ +"?error"?: ' "$log")
        case $rc in
            0) status[$i,$t]="" ;;
            124|137) status[$i,$t]="timeout" ;;
            *) status[$i,$t]="exit $rc" ;;
        esac
        cleanup_runtime "$rtpath" "$root"
        cleanup_bundles "$bundles_before"
        cleanup_cgroups
    done
done

# Table: one column group per runtime (ok/total, errs, exit status).
printf '%-34s' test
for rt in "$@"; do printf ' | %-28s' "$(basename "$rt")"; done
printf '\n'
declare -A tp tt te tf
for t in $tests; do
    printf '%-34s' "$t"
    i=0
    for rt in "$@"; do
        i=$((i + 1))
        p=${pass[$i,$t]} f=${fail[$i,$t]} e=${errs[$i,$t]}
        cell="$p/$((p + f))"
        # Diagnostics count only for tests without TAP assertions (elsewhere an "error"
        # key is often the expected failure of a negative case).
        [ $((p + f)) -gt 0 ] && e=0
        [ "$e" -gt 0 ] && cell="$cell errs:$e"
        [ -n "${status[$i,$t]}" ] && cell="$cell (${status[$i,$t]})"
        printf ' | %-28s' "$cell"
        tp[$i]=$(( ${tp[$i]:-0} + p )); tt[$i]=$(( ${tt[$i]:-0} + p + f )); te[$i]=$(( ${te[$i]:-0} + e ))
        # A test file passes as under prove: exit 0, no failed assertion (nor error diagnostic).
        [ -z "${status[$i,$t]}" ] && [ "$f" -eq 0 ] && [ "$e" -eq 0 ] && tf[$i]=$(( ${tf[$i]:-0} + 1 ))
    done
    printf '\n'
done
printf '%-34s' 'TOTAL assertions ok/total'
i=0
for rt in "$@"; do
    i=$((i + 1))
    printf ' | %-28s' "${tp[$i]}/${tt[$i]} errs:${te[$i]}"
done
printf '\n%-34s' 'TOTAL test files passed'
i=0
ntests=$(echo $tests | wc -w)
for rt in "$@"; do
    i=$((i + 1))
    printf ' | %-28s' "${tf[$i]:-0}/$ntests"
done
printf '\n'

if [ "${KEEP_LOGS:-0}" = 1 ]; then
    echo "logs: $work"
else
    rm -rf "$work"
fi
