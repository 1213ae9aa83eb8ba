#!/bin/sh
# rss.sh BUILDDIR - peak RSS of every process of a pipefan pipeline as the
# input grows from 1 GB to 10 GB: 64 KiB records through
# source -> 2 workers -> sink.
#
# Each worker reads its own VmHWM from /proc/self/status in its finish hook
# and the supervisor reads its own after pf_run (bench/throughput
# --report-rss); /usr/bin/time -v would only see the supervisor.  VmHWM
# counts the shared ring pages a process touched, so it is the honest
# per-process peak.  Prints a Markdown table; the last column is the
# 10 GB figure over the 1 GB one (flat = 1.00).
#
# Environment: RSS_SMALL_GB (1) and RSS_LARGE_GB (10) change the sizes;
# RSS_OUT=FILE also keeps the raw JSON lines.
set -eu

build=${1:-build}
tp="$build/bench/throughput"
[ -x "$tp" ] || { echo "rss.sh: $tp not built (run make)" >&2; exit 1; }
small=${RSS_SMALL_GB:-1}
large=${RSS_LARGE_GB:-10}
size=65536

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

for gb in "$small" "$large"; do
    count=$((gb * 1000000000 / size))
    "$tp" --size "$size" --count "$count" --workers 2 --report-rss \
        >"$tmp/$gb.jsonl"
done
if [ -n "${RSS_OUT:-}" ]; then
    for gb in "$small" "$large"; do
        sed "s/^/{\"input_gb\":$gb,\"line\":/; s/\$/}/" "$tmp/$gb.jsonl"
    done >"$RSS_OUT"
fi

python3 - "$tmp/$small.jsonl" "$tmp/$large.jsonl" "$small" "$large" <<'EOF'
import json
import sys

def load(path):
    run, rss = None, {}
    for line in open(path):
        d = json.loads(line)
        if "rss" in d:
            rss[(d["rss"], d["worker"])] = d["vmhwm_kb"]
        else:
            run = d
    return run, rss

(r1, a), (r2, b) = load(sys.argv[1]), load(sys.argv[2])
g1, g2 = sys.argv[3], sys.argv[4]
order = {"source": 0, "work": 1, "sink": 2, "supervisor": 3}
names = {"source": "source", "work": "worker", "sink": "sink",
         "supervisor": "supervisor (pf_run caller)"}
print("| process | peak RSS, %s GB in | peak RSS, %s GB in | ratio |" % (g1, g2))
print("|---|---:|---:|---:|")
worst = 0.0
for key in sorted(set(a) | set(b), key=lambda k: (order.get(k[0], 9), k[1])):
    x, y = a.get(key, -1), b.get(key, -1)
    ratio = y / x if x > 0 else float("nan")
    worst = max(worst, ratio)
    label = names.get(key[0], key[0])
    if key[0] == "work":
        label += " %d" % key[1]
    print("| %s | %.1f MiB | %.1f MiB | %.2f |" % (label, x / 1024, y / 1024,
                                                   ratio))
print()
print("Runs: %s records of 64 KiB in %.2f s (%.2f GB/s) and %s records in "
      "%.2f s (%.2f GB/s); largest ratio %.2f." % (
          r1["count"], r1["elapsed_s"], r1["gb_per_s"],
          r2["count"], r2["elapsed_s"], r2["gb_per_s"], worst))
EOF
