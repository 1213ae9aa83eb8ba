#!/bin/bash
# bench/logs-sweep.sh - pipefan logs as distinct keys grow (issue 22): three
# populations side by side in one run, each a generated combined log of
# SIZE (page cache warm):
#   site   tools/genlog's site model (60 k clients, 20 k paths, interest sets)
#   200k   --model independent --clients 200000 --paths 40000
#   2M     --model independent --clients 2000000 --paths 500000
# For each: MB/s with -j1 and -j2 (medians of interleaved rounds: every
# round runs every command of every population once, so they share the
# machine's periods), the ratio of -j2 to the one-panel awk|sort|uniq -c
# pipeline and to GoAccess (JSON output, hyperfine), the peak memory of
# the whole process tree (pipefan logs --stats: the sum of every process's
# VmHWM; and /usr/bin/time's largest process), and that peak over the
# distinct (path, client) pairs.  With HUGE=1 (the default) a fourth log,
# uniform draws from 5 M clients and 5 M paths (--zipf 0, common format,
# HUGE_LINES lines), gives the peak memory at millions of distinct keys
# (not timed against the others).
#
#   bench/logs.sh sweep [BUILD_DIR]   (env: SIZE=300M RUNS=5 SLOW_RUNS=1
#       RSS_RUNS=3 HUGE=1 HUGE_LINES=8000000 BENCH_DIR=/tmp/pipefan-sweep)
#
# Results: $OUT/sweep.md.  The logs stay in $OUT (never in the tree).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
P=$BUILD/cli/pipefan
G=$BUILD/tools/genlog
SIZE=${SIZE:-300M}
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-1}
RSS_RUNS=${RSS_RUNS:-3}
HUGE=${HUGE:-1}
HUGE_LINES=${HUGE_LINES:-8000000}
OUT=${BENCH_DIR:-/tmp/pipefan-sweep}
mkdir -p "$OUT"
for tool in hyperfine goaccess python3; do
    command -v $tool >/dev/null || { echo "bench/logs.sh sweep: needs $tool" >&2; exit 1; }
done

NAMES=(site 200k 2M)
declare -A GENOPT=(
    [site]=""
    [200k]="--model independent --clients 200000 --paths 40000"
    [2M]="--model independent --clients 2000000 --paths 500000"
)
for n in "${NAMES[@]}"; do
    log=$OUT/$n-$SIZE.log
    # shellcheck disable=SC2086
    [ -s "$log" ] || "$G" --size "$SIZE" --seed 1 ${GENOPT[$n]} -o "$log"
    cat "$log" >/dev/null
done
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

export PIPEFAN_LOG=error
PF="$P logs --json --no-progress"
args=()
for n in "${NAMES[@]}"; do
    log=$OUT/$n-$SIZE.log
    args+=(-n "$n: pipefan logs -j1" "$PF -j1 $log >/dev/null"
        -n "$n: pipefan logs -j2" "$PF -j2 $log >/dev/null"
        -n "$n: awk|sort|uniq -c" "LC_ALL=C awk '{print \$7}' $log | LC_ALL=C sort | uniq -c | sort -rn >/dev/null")
done
python3 "$HERE/interleave.py" --warmup 1 --runs "$RUNS" --export-json "$OUT/sweep.json" "${args[@]}"
slow=()
for n in "${NAMES[@]}"; do
    slow+=(-n "$n: goaccess" "goaccess $OUT/$n-$SIZE.log --log-format=COMBINED --no-global-config -o $OUT/goaccess-$n.json >/dev/null 2>&1")
done
hyperfine --style basic --runs "$SLOW_RUNS" --export-json "$OUT/sweep-slow.json" "${slow[@]}"

# memory of one run: "SUM LARGEST" in KiB, the medians of RSS_RUNS runs
# (SUM from --stats, LARGEST from /usr/bin/time)
mem() { # LOG ARGS...
    local log=$1
    shift
    for _ in $(seq "$RSS_RUNS"); do
        /usr/bin/time -f 'maxrss %M' $PF -j2 --stats "$@" "$log" 2>&1 >/dev/null |
            awk '/^peak memory:/ { s = $3 * 1024 } /^maxrss/ { m = $2 } END { printf "%d %d\n", s, m }'
    done | sort -n | awk '{ s[NR] = $1; m[NR] = $2 } END { k = int((NR + 1) / 2); print s[k], m[k] }'
}
# distinct clients / paths / (path, client) pairs
distinct() {
    $PF -j2 --top 0 --panels totals,paths "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%d %d %d" % (d["totals"]["unique_clients"], d["totals"]["unique_paths"],
                    sum(p["clients"] for p in d["paths"])))'
}
: >"$OUT/sweep-mem.txt"
for n in "${NAMES[@]}"; do
    log=$OUT/$n-$SIZE.log
    echo "$n $(stat -c %s "$log") $(mem "$log") $(distinct "$log") -" >>"$OUT/sweep-mem.txt"
done
if [ "$HUGE" = 1 ]; then
    log=$OUT/5M-uniform.log
    [ -s "$log" ] || "$G" --lines "$HUGE_LINES" --seed 3 --format common --model independent \
        --clients 5000000 --paths 5000000 --zipf 0 -o "$log"
    cat "$log" >/dev/null
    t=$( { /usr/bin/time -f %e $PF -j2 "$log" >/dev/null; } 2>&1 | tail -1)
    echo "5M $(stat -c %s "$log") $(mem "$log") $(distinct "$log") $t" >>"$OUT/sweep-mem.txt"
fi
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$OUT" "$SIZE" "$LOAD0" "$LOAD1" "$($P --version | head -1)" <<'PY' | tee "$OUT/sweep.md"
import json, os, sys
out, size, load0, load1, ver = sys.argv[1:6]
res = {}
for f in ("sweep.json", "sweep-slow.json"):
    for r in json.load(open(os.path.join(out, f)))["results"]:
        res[r["command"]] = r
mem = {}
for line in open(os.path.join(out, "sweep-mem.txt")):
    n, b, s, m, dc, dp, pairs, t = line.split()
    mem[n] = dict(bytes=int(b), sum=int(s), max=int(m), clients=int(dc),
                  paths=int(dp), pairs=int(pairs), t=t)
print(f"{ver}; generated combined logs of {size} each, page cache warm; "
      f"medians; load average before {load0}, after {load1}.\n")
print("| population | distinct clients / paths / pairs | -j1 MB/s | -j2 MB/s | -j2 / -j1 "
      "| -j2 vs awk | -j2 vs GoAccess | peak RSS, tree (largest) | tree bytes per pair |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for n in ("site", "200k", "2M", "5M"):
    if n not in mem:
        continue
    m = mem[n]
    kib = m["sum"] / 1024
    row = [n, f"{m['clients']:,} / {m['paths']:,} / {m['pairs']:,}"]
    if f"{n}: pipefan logs -j1" in res:
        j1 = res[f"{n}: pipefan logs -j1"]["median"]
        j2 = res[f"{n}: pipefan logs -j2"]["median"]
        awk = res[f"{n}: awk|sort|uniq -c"]["median"]
        ga = res[f"{n}: goaccess"]["median"]
        row += [f"{m['bytes'] / j1 / 1e6:.0f}", f"{m['bytes'] / j2 / 1e6:.0f}",
                f"{j1 / j2:.2f}x", f"{awk / j2:.1f}x", f"{ga / j2:.0f}x"]
    else:
        row += [f"(-j2: {m['t']} s, {m['bytes'] / float(m['t']) / 1e6:.0f} MB/s)", "", "", "", ""]
    row += [f"{kib:.0f} MiB ({m['max'] / 1024:.0f} MiB)",
            f"{m['sum'] * 1024 / max(m['pairs'], 1):.0f}"]
    print("| " + " | ".join(row) + " |")
print()
for n in ("site", "200k", "2M"):
    rs = [res[k] for k in res if k.startswith(n + ":")]
    print(f"- {n}: " + "; ".join(f"{r['command'][len(n) + 2:]} {r['median']:.2f} s "
                                  f"({r['min']:.2f}-{r['max']:.2f})" for r in rs))
PY
