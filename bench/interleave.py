#!/usr/bin/env python3
"""interleave.py - time shell commands in interleaved rounds.

    interleave.py [--runs N] [--warmup N] --export-json FILE \
                  -n NAME CMD [-n NAME CMD ...]

hyperfine runs all repetitions of one command, then all of the next.  On a
shared machine whose speed drifts over minutes, that puts each command in
a different period, and a ratio of two medians measures the drift as much
as the programs.  Here every round runs each command once, starting with a
different one each round, so every command sees the same periods.

Wall time of each run (the command runs under sh -c, stdout and stderr
kept).  A command that exits non-zero stops the benchmark.  The JSON is
hyperfine's shape: {"results": [{"command", "median", "mean", "stddev",
"min", "max", "times"}]}, times in seconds.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def run(cmd):
    t = time.perf_counter()
    rc = subprocess.run(cmd, shell=True).returncode
    dt = time.perf_counter() - t
    if rc != 0:
        sys.exit(f"interleave.py: exit status {rc}: {cmd}")
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--export-json", required=True)
    ap.add_argument("-n", nargs=2, action="append", metavar=("NAME", "CMD"),
                    required=True, dest="cmds")
    a = ap.parse_args()
    if a.runs < 1 or a.warmup < 0:
        ap.error("--runs must be at least 1, --warmup at least 0")
    names = [n for n, _ in a.cmds]
    times = {n: [] for n in names}
    for r in range(a.warmup + a.runs):
        k = r % len(a.cmds)
        for name, cmd in a.cmds[k:] + a.cmds[:k]:
            dt = run(cmd)
            if r >= a.warmup:
                times[name].append(dt)
        print(f"interleave.py: round {r + 1} of {a.warmup + a.runs}"
              f"{' (warm-up)' if r < a.warmup else ''}", file=sys.stderr)
    results = []
    for name in names:
        t = times[name]
        results.append({
            "command": name,
            "median": statistics.median(t),
            "mean": statistics.mean(t),
            "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
            "min": min(t),
            "max": max(t),
            "times": t,
        })
        print(f"  {name}: median {results[-1]['median']:.3f} s "
              f"(min {min(t):.3f}, max {max(t):.3f})", file=sys.stderr)
    with open(a.export_json, "w") as f:
        json.dump({"results": results}, f, indent=1)


if __name__ == "__main__":
    main()
