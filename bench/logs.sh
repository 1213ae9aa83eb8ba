#!/bin/bash
# bench/logs.sh - pipefan logs against what users would run instead, side by
# side in one run, on a generated combined log (page cache warm) and its
# gzip copy: pipefan logs -j1/-j2, GoAccess (JSON output), the awk|sort|uniq
# pipeline (one panel only) and the seeds' Python Pool of analyzers.
# Medians of several runs (hyperfine), MB/s and ratios; peak RSS at 1 and
# 4 GB.  Results: $OUT/results.md (docs/BENCHMARKS-logs.md keeps a copy).
#
#   bench/logs.sh [BUILD_DIR]       (env: SIZE=1G RUNS=5 SLOW_RUNS=2
#                                    BIG=4G BENCH_DIR=/tmp/pipefan-bench)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
P=$BUILD/cli/pipefan
G=$BUILD/tools/genlog
SIZE=${SIZE:-1G}
BIG=${BIG:-4G}
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-2}
OUT=${BENCH_DIR:-/tmp/pipefan-bench}
mkdir -p "$OUT"
LOG=$OUT/access-$SIZE.log
for tool in hyperfine goaccess python3 gzip; do
    command -v $tool >/dev/null || { echo "bench/logs.sh: needs $tool" >&2; exit 1; }
done

[ -s "$LOG" ] || "$G" --size "$SIZE" --seed 1 -o "$LOG"
[ -s "$LOG.gz" ] || gzip -6 -c "$LOG" >"$LOG.gz"
BYTES=$(stat -c %s "$LOG")
cat "$LOG" "$LOG.gz" >/dev/null # warm the page cache

export PIPEFAN_LOG=error
PF="$P logs --json --no-progress"
hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$OUT/plain.json" \
    -n "pipefan logs -j1" "$PF -j1 $LOG >/dev/null" \
    -n "pipefan logs -j2" "$PF -j2 $LOG >/dev/null" \
    -n "awk|sort|uniq -c (paths only)" "LC_ALL=C awk '{print \$7}' $LOG | LC_ALL=C sort | uniq -c | sort -rn >/dev/null"
hyperfine --style basic --runs "$SLOW_RUNS" --export-json "$OUT/plain-slow.json" \
    -n "python Pool of analyzers -j2" "python3 $HERE/py_logs.py -j 2 $LOG >/dev/null" \
    -n "goaccess --log-format=COMBINED (JSON)" "goaccess $LOG --log-format=COMBINED --no-global-config -o $OUT/goaccess.json >/dev/null 2>&1"
hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$OUT/gzip.json" \
    -n "pipefan logs -j1 (.gz)" "$PF -j1 $LOG.gz >/dev/null" \
    -n "pipefan logs -j2 (.gz)" "$PF -j2 $LOG.gz >/dev/null" \
    -n "zcat >/dev/null" "zcat $LOG.gz >/dev/null"
hyperfine --style basic --runs "$SLOW_RUNS" --export-json "$OUT/gzip-slow.json" \
    -n "zcat | goaccess (.gz)" "zcat $LOG.gz | goaccess - --log-format=COMBINED --no-global-config -o $OUT/goaccess-gz.json >/dev/null 2>&1"

# peak RSS (the largest process of the run) at SIZE and BIG
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
BIGLOG=$OUT/access-$BIG.log
[ -s "$BIGLOG" ] || "$G" --size "$BIG" --seed 2 -o "$BIGLOG"
RSS1=$(rss $PF -j2 "$LOG")
RSS4=$(rss $PF -j2 "$BIGLOG")
cat "$BIGLOG" >/dev/null
T4=$( { /usr/bin/time -f %e $PF -j2 "$BIGLOG" >/dev/null; } 2>&1 | tail -1)
rm -f "$BIGLOG"

python3 - "$OUT" "$BYTES" "$RSS1" "$RSS4" "$SIZE" "$BIG" "$T4" <<'PY' | tee "$OUT/results.md"
import json, sys, os
out, nbytes, rss1, rss4, size, big, t4 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], float(sys.argv[7])
def load(name):
    p = os.path.join(out, name)
    return json.load(open(p))["results"] if os.path.exists(p) else []
plain = load("plain.json") + load("plain-slow.json")
gz = load("gzip.json") + load("gzip-slow.json")
def table(rows, ref_name, title):
    ref = next(r["median"] for r in rows if r["command"] == ref_name)
    print(f"\n### {title}\n")
    print("| command | median s | min s | max s | MB/s | pipefan -j2 is N x faster |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        mbs = nbytes / r["median"] / 1e6
        print(f"| {r['command']} | {r['median']:.2f} | {r['min']:.2f} | {r['max']:.2f} | {mbs:.0f} | {r['median'] / ref:.1f} |")
print(f"Input: generated combined log, {nbytes / 1e9:.2f} GB ({size}), page cache warm; MB/s of uncompressed bytes.")
table(plain, "pipefan logs -j2", "Plain input")
table(gz, "pipefan logs -j2 (.gz)", "gzip input")
m = {r["command"]: r["median"] for r in plain + gz}
print("\n### Ratios\n")
print(f"- 2 workers vs 1: {m['pipefan logs -j1'] / m['pipefan logs -j2']:.2f}x (plain), {m['pipefan logs -j1 (.gz)'] / m['pipefan logs -j2 (.gz)']:.2f}x (gzip)")
print(f"- vs GoAccess: {m['goaccess --log-format=COMBINED (JSON)'] / m['pipefan logs -j2']:.1f}x; vs awk|sort|uniq: {m['awk|sort|uniq -c (paths only)'] / m['pipefan logs -j2']:.1f}x; vs Python Pool: {m['python Pool of analyzers -j2'] / m['pipefan logs -j2']:.1f}x")
print(f"- gzip, per worker vs zcat: {m['zcat >/dev/null'] / m['pipefan logs -j1 (.gz)']:.2f}x zcat's speed with one worker")
print(f"\n### Peak RSS (largest process, pipefan logs -j2)\n")
print(f"| input | peak RSS |\n|---|---:|\n| {size} | {rss1 / 1024:.0f} MiB |\n| {big} | {rss4 / 1024:.0f} MiB ({t4:.1f} s) |")
PY
