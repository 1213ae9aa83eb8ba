#!/usr/bin/env bash
# fuzz.sh [BUILDDIR] [SECONDS] - build the fuzz targets with clang and
# libFuzzer in BUILDDIR (default build-fuzz) and run each for SECONDS
# (default 60; five targets, so 5 minutes by default), starting from the
# seed inputs (the real-data fixtures only when ../shared is beside the
# tree: they are seeds, not needed); a corpus is kept in
# BUILDDIR/corpus-<target>.  Prints one TAP line per target and a last
# line "fuzz: N passed, N failed"; exits non-zero on any finding.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz}
secs=${2:-60}
if ! command -v clang >/dev/null; then
    echo "fuzz: clang not found"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi
if [ ! -f "$dir/build.ninja" ]; then
    CC=clang meson setup "$dir" --buildtype=debugoptimized >/dev/null || exit 1
fi
ninja -C "$dir" tests/fuzz/fuzz-parse tests/fuzz/fuzz-format \
    tests/fuzz/fuzz-time tests/fuzz/fuzz-wire tests/fuzz/fuzz-state >/dev/null ||
    { echo "fuzz: build failed"; echo "fuzz: 0 passed, 1 failed"; exit 1; }

seeds=()
for d in ../shared/realdata/fixtures/* ../shared/realdata/elastic-apache_logs; do
    [ -d "$d" ] && seeds+=("$d")
done
passed=0 failed=0 n=0
echo "1..5"
for t in fuzz-parse fuzz-format fuzz-time fuzz-wire fuzz-state; do
    n=$((n + 1))
    corpus=$dir/corpus-$t
    mkdir -p "$corpus"
    extra=()
    [ "$t" = fuzz-parse ] && extra=(tests/fuzz/corpus-parse)
    [ "$t" = fuzz-format ] && extra=(tests/fuzz/corpus-format)
    [ "$t" = fuzz-time ] && extra=(tests/fuzz/corpus-time)
    [ "$t" = fuzz-wire ] && extra=(tests/fuzz/corpus-wire)
    [ "$t" = fuzz-state ] && extra=(tests/fuzz/corpus-state)
    # the real logs seed the line parsers only: the time parser and the
    # wire and state decoders have their own seeds
    real=()
    case $t in fuzz-parse | fuzz-format) real=(${seeds[@]+"${seeds[@]}"}) ;; esac
    log=$dir/$t.log
    if "$dir/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$dir/$t-" \
        "$corpus" "${extra[@]}" ${real[@]+"${real[@]}"} >"$log" 2>&1; then
        runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -n 1 | tr -dc 0-9)
        echo "ok $n - $t ran ${secs}s with no finding (${runs:-?} runs)"
        passed=$((passed + 1))
    else
        echo "not ok $n - $t: a finding, see $log and $dir/$t-*"
        tail -n 30 "$log" | sed 's/^/# /'
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
