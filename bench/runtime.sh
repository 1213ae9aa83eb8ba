#!/bin/sh
# runtime.sh BUILDDIR - libpipefan throughput against a plain pipe and
# Python's multiprocessing.Queue, side by side; then peak RSS (rss.sh) and
# callgrind instructions per record.  Prints a Markdown report and writes
# it into docs/BENCHMARKS.md between the "runtime results" markers.
#
# For each repetition, for each record size and shape, runs pipefan, then
# the pipe, then Python, in turn, so drift in the machine's load hits all
# three alike.  Tables give medians over the repetitions; ratios are the
# medians of the per-repetition ratios (each pair measured in one sitting).
#
# Environment:
#   REPS=N         repetitions (default 5)
#   QUICK=1        a tenth of the records, RSS at 1 and 2 GB (a smoke run;
#                  docs/BENCHMARKS.md is left alone)
#   NO_DOCS=1      print only, leave docs/BENCHMARKS.md alone
#   NO_CALLGRIND=1 / NO_RSS=1   skip those parts
#   PYTHON=...     the interpreter for mp_queue.py (default python3)
#   COMMIT=...     how to name the code measured (default: git HEAD of
#                  this tree, flagged when src/ or include/ are modified)
# Raw results stay in BUILDDIR/bench-results/.
set -eu

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
case $build in /*) ;; *) build="$PWD/$build" ;; esac
tp="$build/bench/throughput"
pb="$build/bench/pipe_baseline"
py=${PYTHON:-python3}
reps=${REPS:-5}
quick=${QUICK:-0}
for b in "$tp" "$pb"; do
    [ -x "$b" ] || { echo "runtime.sh: $b not built (run make)" >&2; exit 1; }
done

out="$build/bench-results"
mkdir -p "$out"
raw="$out/runtime.jsonl"
: >"$raw"

# Records per run, by size: pipefan and the pipe get ~0.3-2 s of work,
# Python (two orders of magnitude slower) about a second.  Rates, not
# times, are compared, so the counts need not match.
count_c() {
    case $1 in
    16 | 100) echo 20000000 ;;
    4096) echo 1000000 ;;
    65536) echo 50000 ;;
    esac
}
count_py() { # size workers
    case $1 in
    16 | 100) n=100000 ;;
    4096) n=50000 ;;
    65536) n=4000 ;;
    esac
    [ "$2" -gt 0 ] && n=$((n / 4))
    echo "$n"
}
scale() {
    if [ "$quick" = 1 ]; then echo $(($1 / 10)); else echo "$1"; fi
}

sizes="16 100 4096 65536"
shapes="0 1 2" # workers between source and sink; 0 = source -> sink

# The machine and the code measured.
commit=${COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [ -z "${COMMIT:-}" ] &&
    [ -n "$(git -C "$root" status --porcelain -- src include 2>/dev/null)" ]
then
    commit="$commit (src/ or include/ modified)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
machine="$(nproc) CPUs ($cpu), Linux $(uname -r), $(
    . /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), $(
    cc --version 2>/dev/null | head -n 1), $("$py" --version 2>&1)"

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "runtime.sh: $reps repetitions, sizes $sizes, shapes source-sink and" \
    "source-W-sink (W=1,2); load average $load0" >&2
r=1
while [ "$r" -le "$reps" ]; do
    for s in $sizes; do
        for w in $shapes; do
            n=$(scale "$(count_c "$s")")
            np=$(scale "$(count_py "$s" "$w")")
            tag="\"rep\":$r,"
            "$tp" --size "$s" --count "$n" --workers "$w" |
                sed "s/^{/{$tag/" >>"$raw"
            if [ "$w" = 0 ]; then
                "$pb" --size "$s" --count "$n" | sed "s/^{/{$tag/" >>"$raw"
            fi
            "$py" "$here/mp_queue.py" --size "$s" --count "$np" \
                --workers "$w" | sed "s/^{/{$tag/" >>"$raw"
        done
    done
    echo "runtime.sh: repetition $r of $reps done" >&2
    r=$((r + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- callgrind: instructions per record, 100 B source -> sink -----------
# Two runs (N and 2N records) of each program under callgrind with
# --trace-children=yes; the per-record figure is the difference of the two
# runs' instructions over N, so start-up and teardown cancel.  pipefan:
# the source and sink processes (the supervisor moves no records and is
# left out).  The pipe: writer and reader; its kernel copies are not user
# instructions and are not counted.  pipefan's "without spinning" figure
# leaves out idle() and wait_space() (inclusive): under valgrind the
# processes run at valgrind's pace, so how long they spin is an artefact.
cg_json="$out/callgrind.json"
echo '{}' >"$cg_json"
if [ "${NO_CALLGRIND:-0}" != 1 ] && command -v valgrind >/dev/null &&
    command -v callgrind_annotate >/dev/null; then
    echo "runtime.sh: callgrind" >&2
    cgdir="$out/callgrind"
    rm -rf "$cgdir"
    mkdir -p "$cgdir"
    cgn=$(scale 1000000)
    for n in "$cgn" $((2 * cgn)); do
        for prog in throughput pipe_baseline; do
            valgrind --tool=callgrind --trace-children=yes \
                --callgrind-out-file="$cgdir/$prog.$n.%p" \
                "$build/bench/$prog" --size 100 --count "$n" \
                >"$cgdir/$prog.$n.stdout" 2>"$cgdir/$prog.$n.log"
        done
    done
    "$py" - "$cgdir" "$cgn" >"$cg_json" <<'PYEOF'
import glob
import json
import os
import re
import subprocess
import sys

d, n = sys.argv[1], int(sys.argv[2])
WAIT = "idle|wait_space"

def one(path):
    """(total Ir, Ir inclusive in the wait functions) of one process."""
    txt = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                          "--threshold=100", "--auto=no", path],
                         capture_output=True, text=True).stdout
    total = wait = 0
    for line in txt.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        what = m.group(2) + " "
        if "PROGRAM TOTALS" in what:
            total = ir
        elif re.search(r"worker\.c:(%s)(\.[a-z0-9.]+)? " % WAIT, what):
            wait += ir
    return total, wait

def run(prog, k, skip_smallest):
    files = [f for f in glob.glob(os.path.join(d, "%s.%d.*" % (prog, k)))
             if re.search(r"\.\d+$", f)]
    procs = sorted((one(f) for f in files), key=lambda t: t[0])
    return procs[1:] if skip_smallest else procs

def per_record(prog, skip):
    a, b = run(prog, n, skip), run(prog, 2 * n, skip)
    total = (sum(t for t, _ in b) - sum(t for t, _ in a)) / n
    work = (sum(t - w for t, w in b) - sum(t - w for t, w in a)) / n
    each = [(y[0] - x[0]) / n for x, y in zip(a, b)]
    return total, work, each

t, w, e = per_record("throughput", True)
pt, _, pe = per_record("pipe_baseline", False)
print(json.dumps({"n": n, "ir_per_record": t, "ir_per_record_work": w,
                  "ir_per_record_processes": e, "pipe_ir_per_record": pt,
                  "pipe_ir_per_record_processes": pe}))
PYEOF
fi

# ---- peak RSS ------------------------------------------------------------
rss_md="$out/rss.md"
: >"$rss_md"
if [ "${NO_RSS:-0}" != 1 ]; then
    echo "runtime.sh: peak RSS" >&2
    if [ "$quick" = 1 ]; then
        RSS_SMALL_GB=1 RSS_LARGE_GB=2 "$here/rss.sh" "$build" >"$rss_md"
    else
        "$here/rss.sh" "$build" >"$rss_md"
    fi
fi

# ---- the report ----------------------------------------------------------
md="$out/runtime.md"
"$py" - "$raw" "$cg_json" "$rss_md" "$reps" "$load0" "$load1" \
    "$machine" "$commit" >"$md" <<'PYEOF'
import json
import statistics as st
import sys

raw, cgp, rssp, reps, load0, load1, machine, commit = sys.argv[1:9]
rows = [json.loads(l) for l in open(raw) if l.strip()]
cg = json.load(open(cgp))
rss = open(rssp).read().strip()

def key(d):
    return (d["size"], d["workers"])

def med(xs):
    xs = list(xs)
    return st.median(xs) if xs else float("nan")

def by(impl, k, field):
    return {d["rep"]: d[field] for d in rows
            if d["impl"] == impl and key(d) == k}

def ratio(a, b):
    return med(a[r] / b[r] for r in sorted(set(a) & set(b)) if b[r] > 0)

def human(x):
    if x != x:
        return "-"
    if x >= 1e6:
        return "%.1f M" % (x / 1e6)
    if x >= 1e3:
        return "%.1f k" % (x / 1e3)
    return "%.0f" % x

def num(fmt, x):
    return "-" if x != x else fmt % x

SIZES = {16: "16 B", 100: "100 B", 4096: "4 KiB", 65536: "64 KiB"}

def shape(w):
    return "source → sink" if w == 0 else "source → %d× pass → sink" % w

out = []
p = out.append
p("Machine: %s.  Code: commit %s.  Load average (1, 5, 15 min) %s before "
  "the runs, %s after: the machine is shared, so absolute rates move "
  "from run to run; the ratios, measured pairwise in one sitting, move "
  "much less." % (machine, commit, load0, load1))
p("")
p("Medians of %s repetitions.  Records/s and GB/s (10^9 bytes of record "
  "payload per second) are medians; *× pipe* and *× mp.Queue* are "
  "medians of the per-repetition ratios of records/s; *spread* is the "
  "fastest pipefan run over the slowest." % reps)
p("")
p("| record | shape | pipefan records/s | pipefan GB/s | spread | "
  "pipe records/s | pipe GB/s | mp.Queue records/s | × pipe | "
  "× mp.Queue |")
p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
summary = {}
for k in sorted({key(d) for d in rows}):
    pf = by("pipefan", k, "records_per_s")
    pg = by("pipefan", k, "gb_per_s")
    pp = by("pipe", k, "records_per_s")
    ppg = by("pipe", k, "gb_per_s")
    mq = by("mp_queue", k, "records_per_s")
    vals = list(pf.values())
    spread = max(vals) / min(vals) if vals else float("nan")
    r_pipe = ratio(pf, pp)
    r_mq = ratio(pf, mq)
    summary[k] = dict(rps=med(vals), gbps=med(pg.values()), r_pipe=r_pipe,
                      r_mq=r_mq, mq=med(mq.values()))
    p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        SIZES.get(k[0], "%d B" % k[0]), shape(k[1]), human(med(vals)),
        num("%.2f", med(pg.values())), num("%.2f", spread),
        human(med(pp.values())), num("%.2f", med(ppg.values())),
        human(med(mq.values())), num("%.2f", r_pipe), num("%.0f", r_mq)))
p("")

targets = []
s100 = summary.get((100, 0))
s64 = summary.get((65536, 0))
if s100:
    targets.append(("≥ 20 M records/s, 100 B records, source → sink",
                    "%s records/s" % human(s100["rps"]),
                    s100["rps"] >= 20e6))
    targets.append(("≥ 100× multiprocessing.Queue (100 B, source → sink)",
                    "%.0f× (mp.Queue: %s records/s)" % (
                        s100["r_mq"], human(s100["mq"])),
                    s100["r_mq"] >= 100))
if s64:
    targets.append(("≥ 2 GB/s, 64 KiB records, source → sink",
                    "%.2f GB/s" % s64["gbps"], s64["gbps"] >= 2))
if targets:
    p("| target | measured (median) | |")
    p("|---|---|---|")
    for name, val, ok in targets:
        p("| %s | %s | %s |" % (name, val, "met" if ok else "**missed**"))
    p("")
if cg:
    p("Instructions per record under callgrind, 100 B records source → "
      "sink (the difference between runs of %d and %d records, so "
      "start-up and teardown cancel):" % (cg["n"], 2 * cg["n"]))
    p("")
    p("| | instructions per record | by process |")
    p("|---|---:|---|")
    p("| pipefan: source + sink | %.0f | %s |" % (
        cg["ir_per_record"],
        " + ".join("%.0f" % x for x in cg["ir_per_record_processes"])))
    p("| pipefan, leaving out spinning in idle() and wait_space() | %.0f "
      "| |" % cg["ir_per_record_work"])
    p("| pipe: writer + reader, user space only | %.0f | %s |" % (
        cg["pipe_ir_per_record"],
        " + ".join("%.0f" % x for x in cg["pipe_ir_per_record_processes"])))
    p("")
if rss:
    p("Peak RSS (VmHWM from /proc/PID/status) of every process, 64 KiB "
      "records through source → 2× pass → sink:")
    p("")
    p(rss)
    p("")
print("\n".join(out).rstrip("\n"))
PYEOF

cat "$md"

# ---- docs ----------------------------------------------------------------
doc="$root/docs/BENCHMARKS.md"
if [ "$quick" != 1 ] && [ "${NO_DOCS:-0}" != 1 ] && [ -f "$doc" ] &&
    grep -q '^<!-- BEGIN runtime results' "$doc"; then
    "$py" - "$doc" "$md" <<'PYEOF'
import sys

doc, md = sys.argv[1], sys.argv[2]
text = open(doc).read()
begin = text.index("<!-- BEGIN runtime results")
begin = text.index("\n", begin) + 1
end = text.index("<!-- END runtime results")
text = text[:begin] + open(md).read().rstrip("\n") + "\n" + text[end:]
open(doc, "w").write(text)
PYEOF
    echo "runtime.sh: results written into $doc" >&2
fi
echo "runtime.sh: raw results in $raw" >&2
