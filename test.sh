#!/bin/bash
# Kapsel's test suite, as root (or with sudo): installs what the tests need, builds the kapsel
# binary (NativeAOT), then runs every xunit project. Ends with "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
./kapsel version >/dev/null
# Built-in images the integration tests share, made here (network to the apt mirror is setup,
# like apt-get) so the tests themselves never leave this machine.
./kapsel --root "$PWD/.build/test-images" setup --debian
mkdir -p .build
set +e
dotnet test Kapsel.slnx --logger "console;verbosity=normal" "$@" 2>&1 | tee .build/test.log
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run, summed over the test assemblies' summaries
# ("Total tests: N" followed by "Passed: N", "Failed: N", "Skipped: N").
awk '/^ *Passed: *[0-9]+ *$/ { p += $2 } /^ *Failed: *[0-9]+ *$/ { f += $2 } /^ *Skipped: *[0-9]+ *$/ { s += $2 }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' .build/test.log
exit "$status"
