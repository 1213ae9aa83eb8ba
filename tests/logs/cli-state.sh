#!/bin/bash
# cli-state.sh - `pipefan logs --state FILE` and `pipefan logs merge`
# (docs/STATE.md): many small runs over a log that grows and rotates
# (create, copytruncate, compress with delaycompress), appends of random
# sizes with a partial last line now and then, and after every run the
# report equals a one-shot analysis of every line written so far, every
# panel; merge of N hosts' states equals one run over all their logs; a
# state of other options, a corrupt state and a run that failed are
# handled as documented.
. "$(dirname "$0")/lib.sh" "$@"

ALL=$TMP/all.log
"$GENLOG" --lines 6000 --seed 21 --bad 0.01 -o "$ALL"
TOTAL=$(wc -l <"$ALL")

# compare_so_far NAME REPORT LINES: REPORT (JSON) equals a one-shot run
# over the first LINES lines of $ALL, apart from what names the inputs.
compare_so_far() {
    head -n "$3" "$ALL" >"$TMP/so_far.log"
    "$PIPEFAN" logs -q --json --top 0 "$TMP/so_far.log" >"$TMP/one.json" 2>/dev/null
    json_sans_files "$2" "$TMP/a.json" lines
    json_sans_files "$TMP/one.json" "$TMP/b.json" lines
    if cmp -s "$TMP/a.json" "$TMP/b.json"; then
        return 0
    fi
    echo "$1: differs after $3 lines"
    diff "$TMP/a.json" "$TMP/b.json" | head -20
    return 1
}

# rotate MODE DIR: rotate DIR/access.log as logrotate's MODE would.
rotate() {
    local d=$2 i
    case $1 in
    create)
        for i in 4 3 2 1; do
            [ -e "$d/access.log.$i" ] && mv "$d/access.log.$i" "$d/access.log.$((i + 1))"
        done
        mv "$d/access.log" "$d/access.log.1"
        : >"$d/access.log"
        ;;
    copytruncate)
        for i in 4 3 2 1; do
            [ -e "$d/access.log.$i" ] && mv "$d/access.log.$i" "$d/access.log.$((i + 1))"
        done
        cp "$d/access.log" "$d/access.log.1"
        truncate -s 0 "$d/access.log"
        ;;
    compress) # compress + delaycompress: .1 -> .2.gz, access.log -> .1
        for i in 4 3 2; do
            [ -e "$d/access.log.$i.gz" ] && mv "$d/access.log.$i.gz" "$d/access.log.$((i + 1)).gz"
        done
        if [ -e "$d/access.log.1" ]; then
            gzip -n "$d/access.log.1"
            mv "$d/access.log.1.gz" "$d/access.log.2.gz"
        fi
        mv "$d/access.log" "$d/access.log.1"
        : >"$d/access.log"
        ;;
    esac
}

# scenario MODE: appends and runs, rotating every other step.
scenario() {
    local mode=$1 d=$TMP/$1 w=0 partial=0 step n line fails=0
    mkdir -p "$d"
    : >"$d/access.log"
    RANDOM=7
    for step in 1 2 3 4 5 6 7 8 9 10; do
        n=$((RANDOM % 900 + 1))
        [ $((w + n)) -gt "$TOTAL" ] && n=$((TOTAL - w))
        if [ "$partial" = 1 ]; then # finish the half-written line
            line=$(sed -n "$((w + 1))p" "$ALL")
            printf '%s\n' "${line:20}" >>"$d/access.log"
            w=$((w + 1))
            n=$((n - 1))
            partial=0
        fi
        sed -n "$((w + 1)),$((w + n))p" "$ALL" >>"$d/access.log"
        w=$((w + n))
        if [ $((step % 3)) = 1 ] && [ "$w" -lt "$TOTAL" ]; then
            line=$(sed -n "$((w + 1))p" "$ALL") # a writer mid-line
            printf '%s' "${line:0:20}" >>"$d/access.log"
            partial=1
        fi
        if [ $((step % 2)) = 0 ] && [ "$partial" = 0 ]; then
            "$PIPEFAN" logs -q -j 2 --chunk-size 4096 --state "$d/state" \
                --json --top 0 "$d"/access.log* >/dev/null 2>&1
            rotate "$mode" "$d"
        fi
        "$PIPEFAN" logs -q -j 2 --chunk-size 4096 --state "$d/state" \
            --json --top 0 "$d"/access.log* >"$TMP/inc.json" 2>"$TMP/inc.err"
        compare_so_far "$mode step $step" "$TMP/inc.json" "$w" || fails=1
    done
    return $fails
}

for mode in create copytruncate compress; do
    check "logrotate $mode: after each of 10 runs the report equals one run over every line written" scenario "$mode"
done

# --- a growing log, and what the state remembers ----------------------------
G=$TMP/grow
mkdir -p "$G"
head -n 1000 "$ALL" >"$G/a.log"
"$PIPEFAN" logs -q --state "$G/s" --json "$G/a.log" >/dev/null 2>&1
cp "$G/s" "$G/s.before"
expect_exit "a second run over an unchanged log counts nothing new" 3 \
    "$PIPEFAN" logs -q --state "$G/s" --json --top 0 "$G/a.log"
check "... and reports the same totals" pyjson "$TMP/last.out" "d['totals']['lines'] == 1000"
head -n 500 "$ALL" >"$G/a.log"
PIPEFAN_LOG=warn "$PIPEFAN" logs --state "$G/s" --json "$G/a.log" >"$G/shrunk.json" 2>"$G/shrunk.err"
check "a log that shrank below what was counted is reported" grep -q "shrank below" "$G/shrunk.err"
check "... and not counted again" pyjson "$G/shrunk.json" "d['totals']['lines'] == 1000"
expect_exit "a state of other options is refused (exit 2)" 2 \
    "$PIPEFAN" logs --strip-query --state "$G/s" "$G/a.log"
check "... with a message naming both" grep -q "other options" "$TMP/last.err"
printf 'LGST\001\000\000\000\003\000\000\000garbage, not a state' >"$G/bad"
expect_exit "a corrupt state gives exit 1" 1 "$PIPEFAN" logs --state "$G/bad" "$G/a.log"
check "... naming the file and the reason" grep -q "$G/bad: header checksum" "$TMP/last.err"
head -c 100 "$G/s.before" >"$G/cut"
expect_exit "a truncated state gives exit 1" 1 "$PIPEFAN" logs --state "$G/cut" "$G/a.log"
check "... saying so" grep -q "$G/cut: truncated" "$TMP/last.err"
cp "$G/s.before" "$G/s2"
printf '1.2.3.4 - - [01/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"\nnot a log line\n' >"$G/strict.log"
expect_exit "--strict stopped: exit 4" 4 "$PIPEFAN" logs --strict --state "$G/s2" "$G/strict.log"
check "... and the state is left as it was" cmp "$G/s2" "$G/s.before"
check "... and no temporary file is left" test "$(ls -A "$G" | grep -c tmp)" = 0
expect_exit "a state that cannot be saved (no such directory): exit 1" 1 \
    "$PIPEFAN" logs --state "$G/no/such/dir/s" "$G/a.log"
check "... saying why" grep -q "saving the state: opening its directory" "$TMP/last.err"
expect_exit "standard input is counted" 3 env PIPEFAN_LOG=warn sh -c \
    '"$0" logs --state "$1" - <"$2"' "$PIPEFAN" "$G/s3" "$G/strict.log"
check "... with a warning that it cannot be recognised" grep -q "cannot be recognised" "$TMP/last.err"

# --- kill -9 of the whole run at random moments -------------------------------
# The run is killed (its process group: caller, workers, sink) after a
# random delay, then run again to the end: the state is never corrupt and
# the final report counts every line once.
killed_runs() {
    local k=$TMP/kill w=0 i rc
    mkdir -p "$k"
    : >"$k/access.log"
    RANDOM=11
    for i in 1 2 3 4 5 6 7 8; do
        sed -n "$((w + 1)),$((w + 700))p" "$ALL" >>"$k/access.log"
        w=$((w + 700))
        setsid "$PIPEFAN" logs -q -j 2 --chunk-size 4096 --state "$k/state" \
            --json "$k/access.log" >/dev/null 2>&1 &
        local pid=$!
        sleep "0.0$((RANDOM % 10))"
        kill -9 -- "-$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        "$PIPEFAN" logs -q -j 2 --state "$k/state" --json --top 0 \
            "$k/access.log" >"$k/r.json" 2>"$k/r.err"
        rc=$?
        if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
            echo "run $i after a kill: exit $rc: $(cat "$k/r.err")"
            return 1
        fi
        compare_so_far "killed run $i" "$k/r.json" "$w" || return 1
    done
    # a killed sink may still be dying during the next run; once it is
    # gone, a run removes what it left
    sleep 1
    "$PIPEFAN" logs -q --state "$k/state" "$k/access.log" >/dev/null 2>&1
    if ls -A "$k" | grep -q 'tmp$'; then
        echo "a temporary file was left: $(ls -A "$k")"
        return 1
    fi
}
check "kill -9 of the whole run at random moments, then a rerun: every line counted once" killed_runs

# --- merge ------------------------------------------------------------------
M=$TMP/merge
mkdir -p "$M"
for h in 0 1 2 3 4 5 6 7 8 9; do
    "$GENLOG" --lines 800 --seed "$((h + 100))" --bad 0.01 -o "$M/host$h.log"
    "$PIPEFAN" logs -q --state "$M/host$h.state" --json "$M/host$h.log" >/dev/null 2>&1
done
merge_equals() { # N: merge of the first N hosts' states equals one run over their logs
    local n=$1 s=() l=() h
    for ((h = 0; h < n; h++)); do
        s+=("$M/host$h.state")
        l+=("$M/host$h.log")
    done
    "$PIPEFAN" logs merge -q --json --top 0 "${s[@]}" >"$M/m.json" 2>/dev/null
    "$PIPEFAN" logs -q --json --top 0 "${l[@]}" >"$M/one.json" 2>/dev/null
    json_sans_files "$M/m.json" "$M/a.json"
    json_sans_files "$M/one.json" "$M/b.json"
    cmp "$M/a.json" "$M/b.json" && python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert [f["lines"] for f in a["files"]] == [f["lines"] for f in b["files"]]' "$M/m.json" "$M/one.json"
}
for n in 1 2 10; do
    check "merge of $n state(s) equals one run over their logs (JSON, every panel)" merge_equals "$n"
done
"$PIPEFAN" logs merge -q --state "$M/week.state" --json --top 0 "$M"/host*.state >"$M/w1.json" 2>/dev/null
"$PIPEFAN" logs merge -q --json --top 0 "$M/week.state" >"$M/w2.json" 2>/dev/null
check "merge --state OUT saves a state that reports the same" cmp "$M/w1.json" "$M/w2.json"
"$PIPEFAN" logs -q --strip-query --state "$M/sq.state" "$M/host0.log" >/dev/null 2>&1
expect_exit "merging states of different options is refused (exit 2)" 2 \
    "$PIPEFAN" logs merge "$M/host1.state" "$M/sq.state"
check "... with a clear message" grep -q "different options" "$TMP/last.err"
"$PIPEFAN" logs merge -q --json "$M/host0.state" "$M/host0.state" >/dev/null 2>"$M/twice.err"
check "an input in two merged states is reported" grep -q "counted in both states" "$M/twice.err"

# --- diff -------------------------------------------------------------------
D=$TMP/diff
mkdir -p "$D"
head -n 2000 "$ALL" >"$D/old.log"
{
    head -n 2000 "$ALL"
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        printf '10.9.9.9 - - [01/Mar/2024:09:00:%02d +0000] "GET /brand-new HTTP/1.1" 404 10 "-" "-"\n' "$i"
    done
} >"$D/new.log"
"$PIPEFAN" logs -q --state "$D/old.state" "$D/old.log" >/dev/null 2>&1
"$PIPEFAN" logs -q --state "$D/new.state" "$D/new.log" >/dev/null 2>&1
expect_exit "diff OLD NEW: exit 0" 0 "$PIPEFAN" logs diff --json "$D/old.state" "$D/new.state"
check "diff --json names the new path, client and 404 with their hits" pyjson "$TMP/last.out" \
    "d['paths']['new'][0]['key'] == '/brand-new' and d['paths']['new'][0]['new_hits'] == 20 and d['clients']['new'][0]['key'] == '10.9.9.9' and d['not_found']['new'][0]['key'] == '/brand-new' and d['totals']['requests'][1] == d['totals']['requests'][0] + 20"
check "diff --json: the 4xx class grew by 20" pyjson "$TMP/last.out" "d['status_classes']['4xx'][1] - d['status_classes']['4xx'][0] == 20"
"$PIPEFAN" logs diff "$D/old.state" "$D/new.state" >"$D/diff.txt"
check "diff as text lists the new path" grep -q "0 -> 20 .*/brand-new" "$D/diff.txt"
expect_exit "diff of states of different options is refused (exit 2)" 2 \
    "$PIPEFAN" logs diff "$D/old.state" "$M/sq.state"

# --- real logs --------------------------------------------------------------
if [ -f "$APACHE" ]; then
    R=$TMP/real
    mkdir -p "$R"
    n=$(wc -l <"$APACHE")
    head -n $((n / 3)) "$APACHE" >"$R/access.log"
    "$PIPEFAN" logs -q --state "$R/s" --json "$R/access.log" >/dev/null 2>&1
    mv "$R/access.log" "$R/access.log.1"
    sed -n "$((n / 3 + 1)),$((2 * n / 3))p" "$APACHE" >"$R/access.log"
    "$PIPEFAN" logs -q --state "$R/s" --json "$R/access.log" "$R/access.log.1" >/dev/null 2>&1
    gzip -n "$R/access.log.1"
    sed -n "$((2 * n / 3 + 1)),\$p" "$APACHE" >>"$R/access.log"
    "$PIPEFAN" logs -q --state "$R/s" --json --top 0 "$R/access.log" "$R/access.log.1.gz" >"$R/inc.json" 2>/dev/null
    "$PIPEFAN" logs -q --json --top 0 "$APACHE" >"$R/one.json" 2>/dev/null
    json_sans_files "$R/inc.json" "$R/a.json" lines
    json_sans_files "$R/one.json" "$R/b.json" lines
    check "real Apache log in three runs, rotated and compressed, equals one run" cmp "$R/a.json" "$R/b.json"
else
    echo "ok $((T_N + 1)) # SKIP ../shared/realdata not present"
    T_N=$((T_N + 1))
fi

done_testing
