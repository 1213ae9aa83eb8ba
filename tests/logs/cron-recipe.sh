#!/bin/bash
# cron-recipe.sh - the cron recipe of docs/STATE.md, run as written (the
# scripts are taken from the page, between its cron-recipe and cron-merge
# markers) over 20 simulated hours of two hosts: each hour appends a
# random number of lines (now and then ending in a partial line, finished
# the hour after) and runs the hourly script; every 6 hours the log set
# rotates as logrotate's daily + compress + delaycompress + rotate 3 does
# (the oldest file deleted).  After each hour the host's report equals one
# run over every whole line written so far; at the end the merge script's
# report equals one run over both hosts' lines.
. "$(dirname "$0")/lib.sh" "$@"
DOC=$ROOT/docs/STATE.md
export LC_ALL=C # cut partial lines by bytes

# block NAME: the shell script between NAME's markers in the page.
block() {
    sed -n "/<!-- $1:begin -->/,/<!-- $1:end -->/p" "$DOC" |
        sed -e '/<!--/d' -e '/^```/d'
}
if ! [ -r "$DOC" ] || [ -z "$(block cron-recipe)" ] || [ -z "$(block cron-merge)" ]; then
    tap 1 "docs/STATE.md holds the cron recipe" "no cron-recipe/cron-merge block in $DOC"
    done_testing
fi
block cron-recipe >"$TMP/pipefan-hourly"
block cron-merge >"$TMP/pipefan-merge"
chmod +x "$TMP/pipefan-hourly" "$TMP/pipefan-merge"

# `pipefan` on PATH is the one under test
BIN=$TMP/bin
mkdir -p "$BIN"
case $PIPEFAN in /*) P=$PIPEFAN ;; *) P=$PWD/$PIPEFAN ;; esac
ln -s "$P" "$BIN/pipefan"
export PATH=$BIN:$PATH

export STATES=$TMP/states OUT=$TMP/out
mkdir -p "$STATES" "$OUT"

# rotate DIR: logrotate daily, compress, delaycompress, rotate 3.
rotate() {
    local d=$1 i
    rm -f "$d/access.log.3.gz"
    for i in 2; do
        [ -e "$d/access.log.$i.gz" ] && mv "$d/access.log.$i.gz" "$d/access.log.$((i + 1)).gz"
    done
    if [ -e "$d/access.log.1" ]; then
        gzip -n "$d/access.log.1"
        mv "$d/access.log.1.gz" "$d/access.log.2.gz"
    fi
    mv "$d/access.log" "$d/access.log.1"
    : >"$d/access.log"
}

# same_as REPORT LOG: REPORT equals one run over LOG (apart from what
# names the inputs).
same_as() {
    "$PIPEFAN" logs -q --json "$2" >"$TMP/one.json" 2>/dev/null
    json_sans_files "$1" "$TMP/a.json" lines
    json_sans_files "$TMP/one.json" "$TMP/b.json" lines
    cmp -s "$TMP/a.json" "$TMP/b.json" && return 0
    diff "$TMP/a.json" "$TMP/b.json" | head -20
    return 1
}

RANDOM=21
for host in web1 web2; do
    seed=$([ "$host" = web1 ] && echo 41 || echo 42)
    "$GENLOG" --lines 9000 --seed "$seed" --bad 0.005 -o "$TMP/$host.all"
    mkdir -p "$TMP/$host"
    : >"$TMP/$host/access.log"
    : >"$TMP/$host.written" # every line appended so far
    at=1 msg="" partial=""
    for hour in $(seq 1 20); do
        cur=$TMP/$host/access.log
        if [ $((hour % 6)) = 0 ]; then
            rotate "$TMP/$host"
            cur=$TMP/$host/access.log.1 # the writer finishes its line there
        fi
        n=$((RANDOM % 500 + 1))
        # the rest of a partial line first, then whole lines
        if [ -n "$partial" ]; then
            printf '%s\n' "$partial" | tail -c +$((partial_cut + 1)) >>"$cur"
            printf '%s\n' "$partial" >>"$TMP/$host.written"
            partial=""
        fi
        sed -n "$at,$((at + n - 1))p" "$TMP/$host.all" >"$TMP/chunk"
        at=$((at + n))
        cat "$TMP/chunk" >>"$TMP/$host/access.log"
        cat "$TMP/chunk" >>"$TMP/$host.written"
        if [ $((RANDOM % 4)) = 0 ]; then # a writer mid-line at run time
            partial=$(sed -n "${at}p" "$TMP/$host.all")
            at=$((at + 1))
            partial_cut=$((${#partial} / 2))
            printf '%s' "${partial:0:$partial_cut}" >>"$TMP/$host/access.log"
        fi
        HOST=$host LOGS=$TMP/$host "$TMP/pipefan-hourly" 2>"$TMP/err"
        rc=$?
        if [ "$rc" != 0 ]; then
            msg="hour $hour: the hourly script exited $rc: $(cat "$TMP/err")"
            break
        fi
        if ! out=$(same_as "$OUT/$host.json" "$TMP/$host.written"); then
            msg="hour $hour: $out"
            break
        fi
    done
    tap "$([ -z "$msg" ] && echo 0 || echo 1)" \
        "$host: after each of 20 hourly runs of the recipe over a rotating set, the report equals one run over every line written" "$msg"
done

"$TMP/pipefan-merge" 2>"$TMP/err"
rc=$?
cat "$TMP/web1.written" "$TMP/web2.written" >"$TMP/both.log"
if [ "$rc" != 0 ]; then
    tap 1 "the merge script exits 0" "exit $rc: $(cat "$TMP/err")"
else
    out=$(same_as "$OUT/all-hosts.json" "$TMP/both.log")
    tap $? "the merge script's report equals one run over both hosts' lines" "$out"
fi
check "no temporary file is left beside the states" \
    sh -c "! ls -A '$STATES' | grep -v '\\.state\$'"

done_testing
