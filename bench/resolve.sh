#!/bin/bash
# bench/resolve.sh - the --resolve stage's fan-out (issue 24): 1 lookup
# worker against 32 (and 8, 64) when each PTR query takes DELAY ms to be
# answered, against tests/logs/dns-stub.py on loopback (it schedules each
# reply DELAY ms after the query, so concurrent queries wait together, as
# at a real server).  Each run looks up N distinct addresses once
# (--resolve all, no cache); the stage's own time is read from its -v
# line, the wall time of the whole run beside it.  Results:
# $OUT/resolve.md (docs/BENCHMARKS-logs.md keeps a copy).
#
#   bench/resolve.sh [BUILD_DIR]   (env: N=2000 DELAY=20 RUNS=3
#                                   JOBS="1 8 32 64" BENCH_DIR=/tmp/pipefan-bench)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
P=$BUILD/cli/pipefan
N=${N:-2000}
DELAY=${DELAY:-20}
RUNS=${RUNS:-3}
JOBS=${JOBS:-1 8 32 64}
OUT=${BENCH_DIR:-/tmp/pipefan-bench}/resolve
mkdir -p "$OUT"
"$P" --version | grep -q "rdns=c-ares" ||
    { echo "bench/resolve.sh: $P was built without c-ares" >&2; exit 1; }

rm -f "$OUT/port" "$OUT/count"
python3 "$HERE/../tests/logs/dns-stub.py" --port-file "$OUT/port" \
    --count-file "$OUT/count" --delay-ms "$DELAY" &
STUB=$!
trap 'kill $STUB 2>/dev/null; wait $STUB 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$OUT/port" ] && break; sleep 0.1; done
SRV=127.0.0.1:$(cat "$OUT/port")

# N distinct clients, one line each
python3 - "$N" >"$OUT/clients.log" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print('10.%d.%d.%d - - [10/Oct/2020:13:55:36 +0000] "GET / HTTP/1.1" '
          '200 100 "-" "b"' % (i >> 16 & 255, i >> 8 & 255, i & 255))
PY

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "| lookup workers | stage time (median of $RUNS) | wall time | queries per address | named | speed-up (stage) |"
    echo "|---:|---:|---:|---:|---:|---:|"
} >"$OUT/resolve.md"
base=
for j in $JOBS; do
    runs=$RUNS
    [ "$j" -eq 1 ] && runs=1 # N x DELAY each: one run is enough
    stage=() wall=()
    for _ in $(seq "$runs"); do
        : >"$OUT/count"
        t0=$(date +%s.%N)
        PIPEFAN_LOG=info "$P" logs --panels clients --top 0 --resolve all \
            --resolve-jobs "$j" --resolve-total 3600 --resolve-server "$SRV" \
            --json "$OUT/clients.log" >"$OUT/out.json" 2>"$OUT/err"
        t1=$(date +%s.%N)
        stage+=("$(sed -n 's/.*resolve: .*; \([0-9.]*\) s$/\1/p' "$OUT/err")")
        wall+=("$(echo "$t1 - $t0" | bc)")
    done
    med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    s=$(med "${stage[@]}") w=$(med "${wall[@]}")
    q=$(wc -l <"$OUT/count")
    named=$(grep -c '"host": "host-' "$OUT/out.json" || true)
    [ -z "$base" ] && base=$s
    printf '| %d | %.2f s | %.2f s | %s | %d of %d | %.1f× |\n' "$j" "$s" "$w" \
        "$(echo "scale=2; $q / $N" | bc)" "$named" "$N" \
        "$(echo "$base / $s" | bc -l)" >>"$OUT/resolve.md"
done
{
    echo
    echo "N=$N distinct addresses, each PTR answered after $DELAY ms;" \
        "load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
        "$(nproc) CPUs; $("$P" --version | tail -1)."
} >>"$OUT/resolve.md"
cat "$OUT/resolve.md"
