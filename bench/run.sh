#!/bin/sh
# run.sh BUILDDIR - run every benchmark against the programs in BUILDDIR
# (`make bench` calls it after building): bench/runtime.sh (libpipefan
# against a pipe and Python's multiprocessing.Queue, peak RSS, callgrind),
# then bench/logs.sh, bench/run-cmd.sh and bench/run-latency.sh when they exist.  Each writes its
# results into docs/BENCHMARKS.md and prints them.  Last, the lookup example
# (an I/O-bound stage) with 1 and 12 workers: it fails below a 6x speed-up.  A failing benchmark is
# reported and the others still run; the exit status is 1 if any failed.
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for name in runtime logs run-cmd run-latency; do
    script="$here/$name.sh"
    [ -f "$script" ] || continue
    echo "== bench/$name.sh $build" >&2
    rc=0
    if [ -x "$script" ]; then
        "$script" "$build" || rc=$?
    else
        sh "$script" "$build" || rc=$?
    fi
    if [ "$rc" != 0 ]; then
        echo "run.sh: bench/$name.sh failed (exit $rc)" >&2
        status=1
    fi
done
lookup="$build/examples/lookup"
if [ -x "$lookup" ]; then
    echo "== examples/lookup 240 6" >&2
    "$lookup" 240 6 || {
        echo "run.sh: 12 lookup workers were not 6x faster than 1" >&2
        status=1
    }
fi
exit "$status"
