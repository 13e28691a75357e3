# Shared helpers for the benchmark scripts (sourced). Needs root, hyperfine and jq
# (scripts/install-deps.sh installs them).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kapsel="$repo/.build/bin/kapsel"
results="$repo/bench/results"
mkdir -p "$results"
"$repo/scripts/install-deps.sh"
"$repo/kapsel" version >/dev/null   # builds the binary if needed

# median NAME FILE: the median (ms) of one command in a hyperfine JSON export.
median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$2"; }

# ratio A B FILE: median(A) / median(B), 2 decimals.
ratio() { jq -r --arg a "$1" --arg b "$2" '
    ([.results[] | select(.command == $a) | .median][0]) / ([.results[] | select(.command == $b) | .median][0])
    | . * 100 | round / 100' "$3"; }
