#!/bin/bash
# bench/mpi.sh - pipefan logs as an Open MPI job against one process, side
# by side in one run (docs/BENCHMARKS.md, "Scale-out"): on each log, one
# pipefan logs -j2 against mpirun -np 2 pipefan logs -j1 (two ranks of one
# parse worker each: the same two workers, plus the cost of MPI: mpirun's
# start, a second split and sink, the aggregate sent and merged) and
# mpirun -np 2 true (mpirun's own start and end).  Medians of RUNS rounds,
# interleaved (bench/interleave.py).  Then the bytes a rank sends rank 0:
# the aggregate of each rank (pipefan logs -v says it), per GB of its share
# of the log: the model's input for how many bytes cross the network.
#
#   bench/mpi.sh [BUILD_DIR]   (env: RUNS=5 LOGS="/work/bench-data/site-20M.log
#                               /work/bench-data/indep-20M.log"
#                               BENCH_DIR=/tmp/pipefan-bench-mpi)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$HERE/../build}" && pwd)
P=$BUILD/cli/pipefan
RUNS=${RUNS:-5}
LOGS=${LOGS:-/work/bench-data/site-20M.log /work/bench-data/indep-20M.log}
OUT=${BENCH_DIR:-/tmp/pipefan-bench-mpi}
mkdir -p "$OUT"
"$P" --version | grep -q "mpi=yes" || { echo "mpi.sh: $P has no mpi feature" >&2; exit 1; }
MPIRUN="mpirun --allow-run-as-root --oversubscribe --mca btl self,tcp"
# pipefan logs exits 3 on logs with bad lines: a finished run all the same
OK3='; r=$?; test $r = 0 -o $r = 3'

{
echo "# pipefan logs: one process -j2 against mpirun -np 2 (-j1 each)"
echo
echo "$(date -u +%F) at $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, $RUNS rounds, medians; page cache warm; --json to /dev/null"
echo
echo "| log | MB | one process -j2 | mpirun -np 2, -j1 each | ratio | mpirun -np 2 true |"
echo "|---|---|---|---|---|---|"
} >"$OUT/results.md"

for log in $LOGS; do
    [ -r "$log" ] || { echo "mpi.sh: $log not found" >&2; exit 1; }
    name=$(basename "$log")
    cat "$log" >/dev/null
    python3 "$HERE/interleave.py" --runs "$RUNS" --export-json "$OUT/$name.json" \
        -n one "$P logs --json --no-progress -j2 $log >/dev/null 2>&1 $OK3" \
        -n np2 "$MPIRUN -np 2 $P logs --json -j1 $log >/dev/null 2>&1 $OK3" \
        -n true "$MPIRUN -np 2 true >/dev/null 2>&1" >/dev/null
    python3 - "$OUT/$name.json" "$name" "$(stat -c %s "$log")" >>"$OUT/results.md" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
mb = int(sys.argv[3]) / 1e6
print(f"| {sys.argv[2]} | {mb:.1f} | {r['one']:.3f} s | {r['np2']:.3f} s | "
      f"{r['np2'] / r['one']:.2f} | {r['true']:.3f} s |")
PY
done

{
echo
echo "## Bytes a rank sends rank 0"
echo
echo "| log | ranks | share of the log per rank | aggregate per rank (bytes) | bytes per GB of log |"
echo "|---|---|---|---|---|"
} >>"$OUT/results.md"
for log in $LOGS; do
    size=$(stat -c %s "$log")
    for np in 1 2 4; do
        $MPIRUN -np $np "$P" logs --json -j1 -v "$log" 2>"$OUT/agg.err" >/dev/null || true
        python3 - "$OUT/agg.err" "$(basename "$log")" "$np" "$size" >>"$OUT/results.md" <<'PY'
import re, sys
sizes = [int(m.group(1)) for m in re.finditer(r"aggregate of (\d+) bytes", open(sys.argv[1]).read())]
np, size = int(sys.argv[3]), int(sys.argv[4])
if not sizes:
    print(f"| {sys.argv[2]} | {np} | - | (no -v line) | - |")
else:
    avg = sum(sizes) / len(sizes)
    share = size / np
    print(f"| {sys.argv[2]} | {np} | {share / 1e6:.1f} MB | {avg:,.0f} | {avg / share * 1e9 / 1e6:,.1f} MB |")
PY
    done
done
cat "$OUT/results.md"
