#!/bin/bash
# flood.sh [BUILD] [N] [BITS] - hash flooding (issue 19) side by side:
# bench/flood crafts N paths whose hashes share BITS low bits under a key
# it knows (the attacker's best case: a key pipefan logs never lets out)
# and N ordinary ones, times a table taking each set, then this script
# times `pipefan logs -j1 --json` on the attack log and the control log,
# alternating, five runs each, and prints the medians and their ratio.
# The target is the attack within 3x the control.
set -eu
BUILD=${1:-build}
N=${2:-8000}
BITS=${3:-16}
D=$(mktemp -d "${TMPDIR:-/tmp}/pipefan-flood.XXXXXX")
trap 'rm -rf "$D"' EXIT
"$BUILD/bench/flood" "$N" "$BITS" "$D"
secs() { # secs LOG: wall seconds of one run
    local t0 t1
    t0=$(date +%s.%N)
    "$BUILD/cli/pipefan" logs -j1 --json --no-progress "$1" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
a=() c=()
for _ in 1 2 3 4 5; do
    a+=("$(secs "$D/attack.log")")
    c+=("$(secs "$D/control.log")")
done
med() { printf '%s\n' "$@" | sort -g | sed -n 3p; }
ma=$(med "${a[@]}") mc=$(med "${c[@]}")
printf 'pipefan logs -j1 --json, random key per run: attack %.3f s, control %.3f s: %.2fx\n' \
    "$ma" "$mc" "$(echo "$ma / $mc" | bc -l)"
