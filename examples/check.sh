#!/bin/sh
# check.sh NAME EXE - run an example as the test suite does: once with
# worker processes and once with PIPEFAN_SERIAL=1; both must succeed and
# print the same thing.  "analyze" first gets 12 generated log files,
# and its total is checked against a count made by awk.
set -u
name=$1 exe=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
set --
if [ "$name" = analyze ]; then
    for f in 01 02 03 04 05 06 07 08 09 10 11 12; do
        awk -v f="$f" 'BEGIN {
            split("200 200 200 304 404 500 200 301", st, " ")
            for (i = 0; i < 1000 + f * 37; i++)
                printf "192.0.2.%d - - [01/Jun/2012:22:17:%02d -0400] \"GET /p/%d HTTP/1.1\" %s %d \"-\" \"ua\"\n",
                    i % 250, i % 60, i % 17, st[i % 8 + 1], (i * f) % 5000
        }' >"$tmp/access-$f.log"
        set -- "$@" "$tmp/access-$f.log"
    done
fi
echo "1..3"
if "$exe" "$@" >"$tmp/procs" 2>"$tmp/err"; then
    echo "ok 1 - $name runs with worker processes"
else
    echo "not ok 1 - $name runs with worker processes"; sed 's/^/# /' "$tmp/err" "$tmp/procs"
fi
if PIPEFAN_SERIAL=1 "$exe" "$@" >"$tmp/serial" 2>"$tmp/err"; then
    echo "ok 2 - $name runs with PIPEFAN_SERIAL=1"
else
    echo "not ok 2 - $name runs with PIPEFAN_SERIAL=1"; sed 's/^/# /' "$tmp/err" "$tmp/serial"
fi
sed "s|$tmp/||" "$tmp/procs" | sed 's/^/# /'
expect=
if [ "$name" = analyze ]; then
    # counted again by awk: field 9 is the status, 10 the bytes
    expect=$(cat "$tmp"/access-*.log | awk '{ n++; b += $10
        if ($9 ~ /^4/) c4++; if ($9 ~ /^5/) c5++ }
        END { printf "total: %d requests, %d 4xx, %d 5xx, %d bytes", n, c4, c5, b }')
fi
if [ -s "$tmp/procs" ] && cmp -s "$tmp/procs" "$tmp/serial" &&
    { [ -z "$expect" ] || grep -q "^$expect" "$tmp/procs"; }; then
    echo "ok 3 - $name prints the same in both modes${expect:+ ($expect)}"
else
    echo "not ok 3 - $name prints the same in both modes${expect:+ ($expect)}"
    diff "$tmp/procs" "$tmp/serial" | sed 's/^/# /'
fi
