#!/bin/sh
# same-in-serial.sh PROGRAM [ARGS...] - TAP: PROGRAM prints the same with
# PIPEFAN_SERIAL=1 (every stage in one process) as with worker processes.
# Serial mode must not change the result of a program written the
# documented way (per-worker state in pf_worker_set_data, not globals).
set -u
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "1..1"
if ! PIPEFAN_SERIAL=0 "$@" >"$tmp/procs" 2>"$tmp/err1"; then
    echo "not ok 1 - $1 failed with worker processes"; cat "$tmp/err1" >&2
    exit 1
fi
if ! PIPEFAN_SERIAL=1 "$@" >"$tmp/serial" 2>"$tmp/err2"; then
    echo "not ok 1 - $1 failed in serial mode"; cat "$tmp/err2" >&2
    exit 1
fi
if [ ! -s "$tmp/procs" ]; then
    echo "not ok 1 - $1 printed nothing"
    exit 1
fi
if cmp -s "$tmp/procs" "$tmp/serial"; then
    echo "ok 1 - $(basename "$1") prints the same in serial mode"
else
    echo "not ok 1 - $(basename "$1") prints differently in serial mode"
    diff "$tmp/procs" "$tmp/serial" | head -20 | sed 's/^/# /'
    exit 1
fi
