#!/bin/bash
# chaos.sh - pipefan logs survives parse workers killed with SIGKILL mid-run
# (issue 5): with --retries, every killed worker is restarted, replays the
# batch it had not committed, and the JSON is byte-identical to a run
# without crashes; without --retries, one kill fails the run with a clear
# error.  Every run is bounded by a watchdog, so a hang fails the test.
#
# Input: a 500 MB combined log from genlog (about 3 s to write on the
# 2-core CI VM; CHAOS_SIZE overrides it), given twice on the command line
# (as two copies: one file named twice is counted once) so that a run lasts long enough for ten kills 10-40 ms apart even on an
# idle machine.  Kill schedules come from three seeds (CHAOS_SEEDS).  The
# runs with kills use 2 MiB chunks, so that a restarted worker redoes its
# batch (two chunks) well within the 10 ms before the next kill can come:
# otherwise the same batch could be killed more than --retries times in a
# row and be quarantined as poison, which is right but not this test.  Under
# ASan a restart can still outlast 10 ms (seed 3 once quarantined a chunk at
# --retries 5), so the runs allow --retries 10 - as many as there are kills.  The
# reference run uses the default chunk size: the JSON must not depend on
# it.
#
# Under valgrind (make check-valgrind sets RUNNER_TIMEOUT_SCALE to 20) the
# same runs use a 64 MB log and 256 KiB chunks: every pipefan process runs
# under memcheck, as pipefan is started by this script (not by timeout(1),
# which valgrind would run natively, and its children with it).
. "$(dirname "$0")/lib.sh" "$@"

SCALE=${RUNNER_TIMEOUT_SCALE:-1}
SIZE=${CHAOS_SIZE:-500M}
CHUNK=2M
STALL=0.1 # far less than counting the whole log as one chunk takes
if [ "${SCALE%.*}" -ge 10 ]; then
    SIZE=${CHAOS_SIZE:-64M}
    CHUNK=256K
    STALL=2
fi
LIMIT=300 # seconds per run: far above a normal run, so only a hang hits it
[ "${SCALE%.*}" -lt 10 ] || LIMIT=900
SEEDS=${CHAOS_SEEDS:-"1 2 3"}
KILLS=10

LOG=$TMP/chaos.log
"$GENLOG" --size "$SIZE" --seed 5 --bad 0.0001 -o "$LOG"
tap $? "genlog wrote a $SIZE combined log"
# a second copy, not the same name twice: a file named twice is counted once
LOG2=$TMP/chaos2.log
cp "$LOG" "$LOG2"

# children_of PID [COMM-PREFIX]: pids of the children of PID (whose name
# starts with COMM-PREFIX), from /proc/*/stat: "pid (comm) state ppid ...".
children_of() {
    local want=$1 prefix=${2:-} f stat comm rest
    for f in /proc/[0-9]*/stat; do
        read -r stat 2>/dev/null <"$f" || continue
        comm=${stat#*(}
        comm=${comm%)*}
        case $comm in "$prefix"*) ;; *) continue ;; esac
        rest=${stat##*) }   # "state ppid ..."
        rest=${rest#* }
        [ "${rest%% *}" = "$want" ] && echo "${f//[^0-9]/}"
    done
}

# start OUT ERR ARGS...: run pipefan ARGS in the background (pid PF_PID),
# stdin from $IN (default /dev/null), stdout to OUT, stderr to ERR, killed
# after LIMIT seconds.  finish then waits for it and sets rc.
start() {
    local out=$1 err=$2
    shift 2
    "$PIPEFAN" "$@" <"${IN:-/dev/null}" >"$out" 2>"$err" &
    PF_PID=$!
    watch "$PF_PID" "$LIMIT"
}
finish() {
    wait "$PF_PID"
    rc=$?
    unwatch
}

# kill_loop N: SIGKILL a random pf:parse/* worker N times, 10-40 ms apart,
# while pipefan (pid $PF_PID) runs; prints how many kills were made.
kill_loop() {
    local n=0 pids victim
    while [ $n -lt "$1" ] && kill -0 "$PF_PID" 2>/dev/null; do
        sleep "0.0$((RANDOM % 4 + 1))"
        pids=($(children_of "$PF_PID" pf:parse/))
        [ ${#pids[@]} -gt 0 ] || continue
        echo "${pids[@]}" >>"$TMP/seen"
        victim=${pids[RANDOM % ${#pids[@]}]}
        kill -9 "$victim" 2>/dev/null && n=$((n + 1))
    done
    echo $n
}

# the reference: no crash
start "$TMP/ref.json" "$TMP/ref.err" logs --json --top 50 -j 2 "$LOG" "$LOG2"
finish
tap $((rc == 3 ? 0 : 1)) "crash-free reference run (exit 3: some bad lines)" "exit $rc: $(head -c 400 "$TMP/ref.err")"

for seed in $SEEDS; do
    RANDOM=$seed
    start "$TMP/chaos.json" "$TMP/chaos.err" \
        logs --json --top 50 --retries 10 -j 2 --chunk-size $CHUNK "$LOG" "$LOG2"
    kills=$(kill_loop $KILLS)
    finish
    tap $((rc == 3 ? 0 : 1)) "seed $seed: $kills kills, run finished (exit 3)" \
        "exit $rc: $(head -c 600 "$TMP/chaos.err")"
    tap $((kills == KILLS ? 0 : 1)) "seed $seed: $KILLS workers killed during the run" \
        "only $kills kills before the run ended"
    restarts=$(sed -n 's/.* \([0-9]*\) worker restarts\{0,1\} after crashes.*/\1/p' "$TMP/chaos.err")
    tap $(( ${restarts:-0} >= 1 ? 0 : 1 )) "seed $seed: killed workers were restarted (${restarts:-0})" \
        "$(head -c 600 "$TMP/chaos.err")"
    if cmp -s "$TMP/ref.json" "$TMP/chaos.json"; then
        tap 0 "seed $seed: JSON byte-identical to the crash-free run"
    else
        tap 1 "seed $seed: JSON byte-identical to the crash-free run" \
            "$(diff <(python3 -m json.tool "$TMP/ref.json") \
                    <(python3 -m json.tool "$TMP/chaos.json" 2>&1) | head -20)"
    fi
done

# without --retries: the first kill fails the run fast, with a clear error
start "$TMP/ff.json" "$TMP/ff.err" logs --json -j 2 "$LOG"
RANDOM=7
kills=$(kill_loop 1)
finish
tap $((kills == 1 && rc == 1 ? 0 : 1)) "--retries 0: a killed worker fails the run (exit 1)" \
    "kills $kills, exit $rc: $(head -c 600 "$TMP/ff.err")"
check "--retries 0: the error names the stage and the signal" \
    grep -Eq "parse.*(signal 9|SIGKILL|Killed)" "$TMP/ff.err"
check "--retries 0: the run failure is reported" \
    grep -q "pipefan logs: the run failed" "$TMP/ff.err"
check "--retries 0: no report on stdout" test ! -s "$TMP/ff.json"

# a stdin source cannot be replayed, but parse workers still can
mkfifo "$TMP/fifo"
cat "$LOG" "$LOG" >"$TMP/fifo" &
IN=$TMP/fifo start "$TMP/stdin.json" "$TMP/stdin.err" \
    logs --json --top 50 --retries 5 -j 2 -
RANDOM=11
kills=$(kill_loop 3)
finish
json_sans_files "$TMP/ref.json" "$TMP/r1.json" lines
json_sans_files "$TMP/stdin.json" "$TMP/r2.json" lines 2>/dev/null
tap $((rc == 3 ? 0 : 1)) "stdin with $kills kills: run finished (exit 3)" \
    "exit $rc: $(head -c 600 "$TMP/stdin.err")"
check "stdin with kills: same counts as the crash-free run" cmp "$TMP/r1.json" "$TMP/r2.json"

# a chunk that kills its worker every time is quarantined: the whole log
# as one chunk, which takes far longer than --stall-timeout to count, so
# its worker is killed as stalled on each try; the small other input is
# counted
other=$TMP/other.log
head -n 1000 "$LOG" >"$other"
: >"$TMP/dead"
start "$TMP/poison.json" "$TMP/poison.err" logs --json --retries 1 \
    --stall-timeout $STALL --dead-letter "$TMP/dead" -j 1 --chunk-size 1G "$LOG" "$other"
finish
tap $((rc == 5 ? 0 : 1)) "a chunk that stalled its worker twice with --retries 1: quarantined, exit 5" \
    "exit $rc: $(head -c 600 "$TMP/poison.err")"
check "the dead-letter file holds the chunk's descriptor" \
    grep -aq '^PFDL1 stage=parse .*reason="stalled.*bytes=40$' "$TMP/dead"
check "stderr names the chunk that was not counted" \
    grep -q "quarantined, not counted: $LOG bytes 0-" "$TMP/poison.err"
check "the report counts the other input only" pyjson "$TMP/poison.json" \
    "d['totals']['lines'] == 1000"
start "$TMP/pf.json" "$TMP/pf.err" logs --json --retries 1 --stall-timeout $STALL \
    --poison fail -j 1 --chunk-size 1G "$LOG" "$other"
finish
tap $((rc == 1 ? 0 : 1)) "the same with --poison fail: the run fails (exit 1)" \
    "exit $rc: $(head -c 600 "$TMP/pf.err")"

# no worker seen during the runs outlived them
left=0
for pid in $(cat "$TMP/seen" 2>/dev/null); do
    grep -q '(pf:' "/proc/$pid/stat" 2>/dev/null && left=$((left + 1))
done
tap $((left == 0 ? 0 : 1)) "no worker process left behind" "$left left"

done_testing
