#!/usr/bin/env python3
"""py_logs.py - the seeds' approach to many large Common Log Format files,
as the benchmark's Python baseline: a multiprocessing Pool of analyzers,
each reading its share of the input (whole files, or line-aligned byte
ranges of a large file), making a namedtuple per line with a regex,
parsing the date and the request, rejecting uninteresting paths, and
counting occurrences of each path; the parent merges the Counters.

    py_logs.py [-j N] FILE...
"""
import argparse
import collections
import datetime
import multiprocessing
import os
import re

LINE = re.compile(
    r'(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\S+)'
    r'(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?')
Access = collections.namedtuple("Access", "host ident user time request status bytes referer agent")
CHUNK = 64 << 20


def ranges(path):
    """Line-aligned (path, start, end) pieces of a file."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        start = 0
        while start < size:
            end = min(start + CHUNK, size)
            if end < size:
                f.seek(end)
                f.readline()
                end = f.tell()
            yield (path, start, end)
            start = end


def analyze(piece):
    path, start, end = piece
    counts = collections.Counter()
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start).decode("utf-8", "replace")
    for line in data.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        a = Access(**m.groupdict())
        datetime.datetime.strptime(a.time, "%d/%b/%Y:%H:%M:%S %z")
        parts = a.request.split(" ")
        if len(parts) < 2:
            continue
        target = parts[1]
        if target.endswith((".png", ".jpg", ".gif", ".ico", ".css", ".js")):
            continue  # uninteresting
        counts[target] += 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count())
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    pieces = [p for f in args.files for p in ranges(f)]
    total = collections.Counter()
    with multiprocessing.Pool(args.jobs) as pool:
        for c in pool.imap_unordered(analyze, pieces):
            total.update(c)
    for path, n in total.most_common(10):
        print(n, path)


if __name__ == "__main__":
    main()
