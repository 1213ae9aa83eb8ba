#!/bin/bash
# bench/logs.sh - pipefan logs against what users would run instead, side by
# side in one run, on a generated combined log (page cache warm) and its
# gzip copy: pipefan logs -j1/-j2 (every panel, and the paths panel alone),
# GoAccess (JSON output), the awk|sort|uniq pipeline (one panel only) and
# the seeds' Python Pool of analyzers.  Medians of several runs, MB/s and
# ratios; peak RSS at SIZE and BIG.  The fast commands run in interleaved
# rounds (bench/interleave.py: each round runs each once), so a drifting
# machine slows them alike; the slow ones (GoAccess, Python, whose ratios
# are tens) run with hyperfine.  Results:
# $OUT/results.md (docs/BENCHMARKS-logs.md keeps a copy).
#
#   bench/logs.sh [BUILD_DIR]       (env: SIZE=1G RUNS=5 SLOW_RUNS=2
#                                    BIG=4G BENCH_DIR=/tmp/pipefan-bench)
#   bench/logs.sh sweep [BUILD_DIR] three populations side by side, from
#                                   the site model to 2 M clients x 500 k
#                                   paths (bench/logs-sweep.sh)
#
# The log is tools/genlog's default site model (a fixed population of
# 60,000 clients and 20,000 paths, each client with its own interest set),
# so the BIG log has the distinct keys of the SIZE one: peak RSS must not
# grow with it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = sweep ]; then
    shift
    exec "$HERE/logs-sweep.sh" "$@"
fi
BUILD=${1:-$HERE/../build}
P=$BUILD/cli/pipefan
G=$BUILD/tools/genlog
SIZE=${SIZE:-1G}
BIG=${BIG:-4G}
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-2}
OUT=${BENCH_DIR:-/tmp/pipefan-bench}
mkdir -p "$OUT"
LOG=$OUT/site-$SIZE.log
for tool in hyperfine goaccess python3 gzip; do
    command -v $tool >/dev/null || { echo "bench/logs.sh: needs $tool" >&2; exit 1; }
done

[ -s "$LOG" ] || "$G" --size "$SIZE" --seed 1 -o "$LOG"
[ -s "$LOG.gz" ] || gzip -6 -c "$LOG" >"$LOG.gz"
BYTES=$(stat -c %s "$LOG")
cat "$LOG" "$LOG.gz" >/dev/null # warm the page cache
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

export PIPEFAN_LOG=error
PF="$P logs --json --no-progress"
ILV="python3 $HERE/interleave.py"
# On a 2-CPU machine the -j2 workers are bound one to each CPU.  The
# rounds also time -j1 with the whole run bound to each CPU (taskset, from
# util-linux): when the host runs one vCPU slower than the other, -j2
# cannot be twice -j1, and the results say what sharing -j1's work between
# the two CPUs at their measured speeds would take.
PERCPU=()
mapfile -t CPUS < <(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0)), sep="\n")')
if [ "${#CPUS[@]}" = 2 ] && command -v taskset >/dev/null; then
    for c in "${CPUS[@]}"; do
        PERCPU+=(-n "pipefan logs -j1 on CPU $c" "taskset -c $c $PF -j1 $LOG >/dev/null")
    done
fi
$ILV --warmup 1 --runs "$RUNS" --export-json "$OUT/plain.json" \
    -n "pipefan logs -j1" "$PF -j1 $LOG >/dev/null" \
    ${PERCPU[@]+"${PERCPU[@]}"} \
    -n "pipefan logs -j2" "$PF -j2 $LOG >/dev/null" \
    -n "pipefan logs -j2 --panels paths" "$PF -j2 --panels paths $LOG >/dev/null" \
    -n "awk|sort|uniq -c (paths only)" "LC_ALL=C awk '{print \$7}' $LOG | LC_ALL=C sort | uniq -c | sort -rn >/dev/null"
hyperfine --style basic --runs "$SLOW_RUNS" --export-json "$OUT/plain-slow.json" \
    -n "python Pool of analyzers -j2" "python3 $HERE/py_logs.py -j 2 $LOG >/dev/null" \
    -n "goaccess --log-format=COMBINED (JSON)" "goaccess $LOG --log-format=COMBINED --no-global-config -o $OUT/goaccess.json >/dev/null 2>&1"
$ILV --warmup 1 --runs "$RUNS" --export-json "$OUT/gzip.json" \
    -n "pipefan logs -j1 (.gz)" "$PF -j1 $LOG.gz >/dev/null" \
    -n "pipefan logs -j2 (.gz)" "$PF -j2 $LOG.gz >/dev/null" \
    -n "zcat >/dev/null" "zcat $LOG.gz >/dev/null"
hyperfine --style basic --runs "$SLOW_RUNS" --export-json "$OUT/gzip-slow.json" \
    -n "zcat | goaccess (.gz)" "zcat $LOG.gz | goaccess - --log-format=COMBINED --no-global-config -o $OUT/goaccess-gz.json >/dev/null 2>&1"

# peak RSS (the largest process of the run) at SIZE and BIG, median of 3
rss() {
    for _ in 1 2 3; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done |
        sort -n | sed -n 2p
}
BIGLOG=$OUT/site-$BIG.log
[ -s "$BIGLOG" ] || "$G" --size "$BIG" --seed 2 -o "$BIGLOG"
RSS1=$(rss $PF -j2 "$LOG")
cat "$BIGLOG" >/dev/null
RSS4=$(rss $PF -j2 "$BIGLOG")
T4=$( { /usr/bin/time -f %e $PF -j2 "$BIGLOG" >/dev/null; } 2>&1 | tail -1)
BIGBYTES=$(stat -c %s "$BIGLOG")
DISTINCT=$(for f in "$LOG" "$BIGLOG"; do
    $PF -j2 --top 0 --panels totals,paths "$f" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%d/%d/%d" % (d["totals"]["unique_clients"], d["totals"]["unique_paths"],
                    sum(p["clients"] for p in d["paths"])))'
done | paste -sd' ')
rm -f "$BIGLOG"
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$OUT" "$BYTES" "$RSS1" "$RSS4" "$SIZE" "$BIG" "$T4" "$BIGBYTES" "$DISTINCT" "$LOAD0" "$LOAD1" <<'PY' | tee "$OUT/results.md"
import json, sys, os, statistics
out, nbytes, rss1, rss4, size, big, t4, bigbytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], float(sys.argv[7]), int(sys.argv[8])
distinct, load0, load1 = sys.argv[9].split(), sys.argv[10], sys.argv[11]
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
print(f"Load average (1, 5, 15 min) before: {load0}; after: {load1}.")
table(plain, "pipefan logs -j2", "Plain input")
table(gz, "pipefan logs -j2 (.gz)", "gzip input")
m = {r["command"]: r["median"] for r in plain + gz}
print("\n### Ratios (medians)\n")
t = {r["command"]: r.get("times", []) for r in plain + gz}
paired = sorted(a / b for a, b in zip(t["pipefan logs -j1"], t["pipefan logs -j2"]))
print(f"- 2 workers vs 1: {m['pipefan logs -j1'] / m['pipefan logs -j2']:.2f}x (plain), {m['pipefan logs -j1 (.gz)'] / m['pipefan logs -j2 (.gz)']:.2f}x (gzip, one file: one worker decodes it)")
if paired:
    print(f"- 2 workers vs 1, round by round (each round's -j1 time over its -j2 time, which cancels a drift slower than a round): median {statistics.median(paired):.2f}x, from {paired[0]:.2f}x to {paired[-1]:.2f}x over {len(paired)} rounds")
cpu = sorted(c for c in t if c.startswith("pipefan logs -j1 on CPU"))
if len(cpu) == 2:
    # both CPUs each counting at their own -j1 speed, with no overhead
    best = 1 / sum(1 / m[c] for c in cpu)
    rounds = sorted(y * sum(1 / x for x in xs)
                    for *xs, y in zip(*(t[c] for c in cpu), t["pipefan logs -j2"]))
    print(f"- the host's two CPUs, -j1 bound to each (the whole run on that CPU, its sink too): "
          f"{m[cpu[0]]:.2f} s and {m[cpu[1]]:.2f} s (the slower takes {max(m[c] for c in cpu) / min(m[c] for c in cpu):.2f}x as long); "
          f"sharing -j1's work between them at those speeds takes {best:.3f} s, {m['pipefan logs -j1'] / best:.2f}x faster than -j1; "
          f"-j2 took {m['pipefan logs -j2'] / best * 100:.0f} % of that time (round by round: median {statistics.median(rounds) * 100:.0f} %, from {rounds[0] * 100:.0f} to {rounds[-1] * 100:.0f} %)")
    f = min(cpu, key=lambda c: m[c])
    fast = sorted(a / b for a, b in zip(t[f], t["pipefan logs -j2"]))
    print(f"- 2 workers vs 1 worker bound to the faster CPU, {f[-5:]} (its sink and split share that CPU, a few % of a -j1 run): "
          f"{m[f] / m['pipefan logs -j2']:.2f}x; round by round: median {statistics.median(fast):.2f}x, "
          f"from {fast[0]:.2f}x to {fast[-1]:.2f}x")
print(f"- vs GoAccess: {m['goaccess --log-format=COMBINED (JSON)'] / m['pipefan logs -j2']:.1f}x; vs Python Pool: {m['python Pool of analyzers -j2'] / m['pipefan logs -j2']:.1f}x")
print(f"- vs awk|sort|uniq: {m['awk|sort|uniq -c (paths only)'] / m['pipefan logs -j2']:.1f}x (every panel), {m['awk|sort|uniq -c (paths only)'] / m['pipefan logs -j2 --panels paths']:.1f}x (--panels paths)")
print(f"- gzip, one worker vs zcat: {m['zcat >/dev/null'] / m['pipefan logs -j1 (.gz)']:.2f}x zcat's speed")
print(f"\n### Peak RSS (largest process, pipefan logs -j2, median of 3)\n")
print("| input | bytes | distinct clients / paths / (path, client) pairs | peak RSS |\n|---|---:|---|---:|")
print(f"| {size} | {nbytes / 1e9:.2f} GB | {distinct[0]} | {rss1 / 1024:.0f} MiB |")
print(f"| {big} | {bigbytes / 1e9:.2f} GB | {distinct[1]} | {rss4 / 1024:.0f} MiB ({t4:.1f} s) |")
PY
