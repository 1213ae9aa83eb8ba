#!/usr/bin/env bash
# daily.sh PIPEFAN - `pipefan run` as it is used every day (issue 26):
# a stdin file truncated mid-run stops the run with a clear error in every
# mode; sysfs and /proc files on stdin are read as streams; `--` ends the
# options; one SIGINT or SIGTERM stops a file-backed run in every mode;
# after SIGKILL of pipefan nothing of its session lives on.  Prints TAP.
#
# No assert depends on the machine's speed: waits are for events (a file
# a command creates), and the time limits are generous (LIMIT seconds,
# scaled by PIPEFAN_TIMEOUT_SCALE), only to turn a hang into a failure.
set -u
pf=$1
tmp=$(mktemp -d)
bgpids=()
cleanup() {
    for p in "${bgpids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
LIMIT=$((10 * ${PIPEFAN_TIMEOUT_SCALE:-1}))
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
    n=$((n + 1))
    echo "not ok $n - $1"
    shift
    printf '%s\n' "$@" | sed 's/^/# /' | head -n 20
    failed=1
}

# wait_for FILE: until it exists (1 when LIMIT passed first).
wait_for() {
    local i
    for ((i = 0; i < LIMIT * 100; i++)); do
        [ -e "$1" ] && return 0
        sleep 0.01
    done
    return 1
}

# ends_within PID SECONDS: 0 once PID is gone, 1 if it outlived SECONDS
# (then it is killed).
ends_within() {
    local i
    for ((i = 0; i < $2 * 100; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.01
    done
    kill -KILL "$1" 2>/dev/null
    return 1
}

# A file of about 15 MB (many ranges and blocks).
seq 1 2000000 >"$tmp/big"

modes=("-j 2" "-j 1" "-k -j 2" "--block 1M -j 2" "--retries 2 -j 2"
    "-k --block 1M --retries 1 -j 2")

# ---- 1. the stdin file shrinks during the run -----------------------------
for mode in "${modes[@]}"; do
    cp "$tmp/big" "$tmp/t.log"
    rm -f "$tmp/started"
    # shellcheck disable=SC2086
    "$pf" run $mode "touch '$tmp/started'; sleep 1; wc -l" \
        <"$tmp/t.log" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    bgpids+=("$pid")
    if ! wait_for "$tmp/started"; then
        notok "shrinking stdin ($mode): no command started" "$(cat "$tmp/err")"
        continue
    fi
    : >"$tmp/t.log" # logrotate's copytruncate
    if ! ends_within "$pid" "$LIMIT"; then
        notok "shrinking stdin ($mode): still running after $LIMIT s"
        continue
    fi
    wait "$pid"
    rc=$?
    if [ "$rc" = 1 ] && grep -q "standard input shrank" "$tmp/err"; then
        ok "shrinking stdin ($mode): ends, rc 1, says so"
    else
        notok "shrinking stdin ($mode): rc $rc" "$(cat "$tmp/err")"
    fi
done

# ---- 4. sysfs and /proc files are streams ---------------------------------
for f in /sys/devices/system/cpu/online /proc/version /proc/self/status; do
    if [ ! -r "$f" ]; then
        ok "$f on stdin # SKIP not readable here"
        continue
    fi
    for mode in "" "-k -j 2" "--block 1k -j 2"; do
        # shellcheck disable=SC2086
        timeout -s KILL "$LIMIT" "$pf" run $mode "cat" <"$f" >"$tmp/out" \
            2>"$tmp/err"
        rc=$?
        # /proc/self/status is the reader's own: compare the names only
        if [ "$f" = /proc/self/status ]; then
            want=$(grep -c . "$f")
            got=$(grep -c . "$tmp/out")
        else
            want=$(cat "$f")
            got=$(cat "$tmp/out")
        fi
        if [ "$rc" = 0 ] && [ -n "$got" ] && [ "$got" = "$want" ]; then
            ok "$f on stdin ($mode) is read whole"
        else
            notok "$f on stdin ($mode): rc $rc" "got: $got" "want: $want" \
                "$(cat "$tmp/err")"
        fi
    done
done

# ---- 3. -- ends the options ----------------------------------------------
got=$(echo x | timeout -s KILL "$LIMIT" "$pf" run -- cat 2>&1)
[ "$got" = x ] && ok "-- cat" || notok "-- cat" "$got"
got=$(printf 'a\nb\n' | timeout -s KILL "$LIMIT" "$pf" run -j 2 -- cat \
    'sort -r' 2>&1)
[ "$got" = "$(printf 'b\na')" ] && ok "-j 2 -- cat 'sort -r'" ||
    notok "-j 2 -- cat 'sort -r'" "$got"
# after --, "-k" is a command (that sh cannot run), not -k
got=$(echo x | timeout -s KILL "$LIMIT" "$pf" run -- cat -k 2>&1)
rc=$?
case "$got" in
*"command '-k'"*) ok "-- cat -k: -k is a command" ;;
*) notok "-- cat -k: -k is a command (rc $rc)" "$got" ;;
esac

# ---- 2. one SIGINT or SIGTERM stops a file-backed run --------------------
# About 120 MB; a command that takes 64 KiB each 50 ms (1.3 MB/s, sleeping)
# needs over 40 s for all of it, and a second or two for what its pipe
# holds.  The run must end on one signal, with 128+signal, short of the
# whole input, and leave nothing of its session behind.
seq 1 15000000 >"$tmp/huge"
total=15000000
slow="touch '$tmp/started'; exec perl -e 'while (read(STDIN, \$b, 65536)) \
{ print \$b; select(undef, undef, undef, 0.05) }'"
for case in "INT:${modes[0]}" "INT:${modes[1]}" "INT:${modes[2]}" \
    "INT:${modes[3]}" "INT:${modes[4]}" "INT:${modes[5]}" "TERM:${modes[0]}" \
    "TERM:${modes[5]}"; do
    sig=${case%%:*} mode=${case#*:}
    rm -f "$tmp/started"
    # shellcheck disable=SC2086
    setsid "$pf" run $mode "$slow" 'wc -l' <"$tmp/huge" >"$tmp/out" \
        2>"$tmp/err" &
    pid=$!
    bgpids+=("$pid")
    if ! wait_for "$tmp/started"; then
        notok "SIG$sig ($mode): no command started" "$(cat "$tmp/err")"
        continue
    fi
    sleep 0.5
    kill -"$sig" "$pid"
    if ! ends_within "$pid" "$LIMIT"; then
        notok "one SIG$sig ($mode): still running after $LIMIT s"
        continue
    fi
    wait "$pid"
    rc=$?
    want=$((128 + $(kill -l "$sig")))
    lines=$(awk '{ s += $1 } END { print s + 0 }' "$tmp/out")
    left=$(ps -s "$pid" -o pid= | wc -l)
    if [ "$rc" = "$want" ] && [ "$lines" -lt "$total" ] && [ "$left" = 0 ]; then
        ok "one SIG$sig ($mode): rc $rc, $lines of $total lines, none left"
    else
        notok "one SIG$sig ($mode): rc $rc (want $want), $lines of $total \
lines, $left processes left" "$(cat "$tmp/err")"
    fi
done

# ---- 8. a report that cannot be written fails the run --------------------
if [ -w /dev/full ]; then
    for opt in "--stats-json /dev/full" "--joblog /dev/full"; do
        # shellcheck disable=SC2086
        seq 1 1000 | timeout -s KILL "$LIMIT" "$pf" run $opt --block 1k \
            'wc -l' >"$tmp/out" 2>"$tmp/err"
        rc=$?
        if [ "$rc" = 1 ] && grep -q "No space left" "$tmp/err"; then
            ok "$opt on a full disk: rc 1, says so"
        else
            notok "$opt on a full disk: rc $rc" "$(cat "$tmp/err")"
        fi
    done
else
    ok "a full disk # SKIP no writable /dev/full"
fi

# ---- 8. a record over --max-record is named; --halt soon keeps output ----
# A record longer than --max-record in a command's output once hung the
# run (the worker waited for a command blocked on its full pipe) and then
# ended on "exited with status 141": the run must end, rc 1, and its last
# line name the limit and where the record was.
for mode in "" "-j 2 --block 1k" "-k -j 2" "--retries 1 -j 2"; do
    # shellcheck disable=SC2086
    seq 10 | timeout -s KILL "$LIMIT" "$pf" run --max-record 1k $mode \
        "cat; head -c 3000000 /dev/zero | tr '\\0' a" cat >/dev/null \
        2>"$tmp/err"
    rc=$?
    last=$(tail -n 1 "$tmp/err")
    case $rc:$last in
    "1:pipefan run: a record longer than --max-record (1024 bytes) in the output of stage 1 (1:cat)"*)
        ok "--max-record overflow in a command's output ($mode): rc 1, named" ;;
    *) notok "--max-record overflow ($mode): rc $rc" "$last" ;;
    esac
done
head -c 300000 /dev/zero | tr '\0' a | timeout -s KILL "$LIMIT" "$pf" run \
    --max-record 1k cat >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && tail -n 1 "$tmp/err" | grep -q \
    "longer than --max-record (1024 bytes) on standard input"; then
    ok "--max-record overflow on stdin: rc 1, named"
else
    notok "--max-record overflow on stdin: rc $rc" "$(tail -n 1 "$tmp/err")"
fi
# The greps that find nothing fail; with --halt soon the one that finds
# 999 still finishes and its output is written (--halt now may lose it).
seq 1000 >"$tmp/s1000"
for h in soon:1 never:3; do
    got=$(timeout -s KILL "$LIMIT" "$pf" run -j 4 --halt "${h%:*}" 'grep 999' \
        <"$tmp/s1000" 2>"$tmp/err")
    rc=$?
    if [ "$got" = 999 ] && [ "$rc" = "${h#*:}" ]; then
        ok "--halt ${h%:*}: -j 4 'grep 999' prints 999, rc $rc"
    else
        notok "--halt ${h%:*}: -j 4 'grep 999': '$got', rc $rc" "$(cat "$tmp/err")"
    fi
done

# ---- 7. --resume and --resume-failed from a joblog in parallel's format ---
# A block-mode run stopped half way (one SIGTERM or SIGINT: the running
# blocks finish, no new one starts) and resumed: the two outputs together
# are the clean run's output, byte for byte with -k; no block in the first
# joblog runs again; the joblog ends up with each block exactly once.
# Blocks after the sixth wait for a file the test makes only after the
# signal, so the first run cannot finish before it (no timing).
seq 1 120000 >"$tmp/rin" # about 800 KB: 12 blocks of 64k
sed 's/^/x/' "$tmp/rin" >"$tmp/rwant"
# seqs FILE: the Seq column of a joblog, header left out, one a line
seqs() { tail -n +2 "$1" | cut -f1; }
for case in "TERM:file:-k -j 2" "INT:pipe:-j 2" "TERM:pipe:-k -j 3" \
    "INT:file:--retries 1 -k -j 2"; do
    sig=${case%%:*} rest=${case#*:} src=${rest%%:*} mode=${rest#*:}
    rm -f "$tmp/half" "$tmp/go" "$tmp/ran" "$tmp/jl"
    cmd="echo \$PIPEFAN_BLOCK >>'$tmp/ran'; [ \$PIPEFAN_BLOCK != 6 ] || \
touch '$tmp/half'; [ \$PIPEFAN_BLOCK -le 6 ] || while [ ! -e '$tmp/go' ]; \
do sleep 0.02; done; sed 's/^/x/'"
    # shellcheck disable=SC2086
    if [ "$src" = file ]; then
        "$pf" run $mode --block 64k --joblog "$tmp/jl" "$cmd" <"$tmp/rin" \
            >"$tmp/out1" 2>"$tmp/err" &
    else
        # the rest of a pipe only once the run is stopped: its source has
        # not read all when the signal comes
        (head -n 80000 "$tmp/rin"; until [ -e "$tmp/go" ]; do sleep 0.02; \
            done; tail -n +80001 "$tmp/rin") | "$pf" run $mode --block 64k \
            --joblog "$tmp/jl" "$cmd" >"$tmp/out1" 2>"$tmp/err" &
    fi
    pid=$!
    bgpids+=("$pid")
    if ! wait_for "$tmp/half"; then
        notok "--resume ($sig, $src, $mode): block 6 never started" \
            "$(cat "$tmp/err")"
        continue
    fi
    kill -"$sig" "$pid"
    # the blocks waiting for go may end once the run is stopping (its
    # warning says so), not before: they must not take another block
    for ((i = 0; i < LIMIT * 100; i++)); do
        grep -q "stopping sources" "$tmp/err" && break
        sleep 0.01
    done
    touch "$tmp/go"
    if ! ends_within "$pid" "$LIMIT"; then
        notok "--resume ($sig, $src, $mode): still running after $LIMIT s"
        continue
    fi
    wait "$pid"
    rc1=$?
    seqs "$tmp/jl" | sort >"$tmp/done1"
    mv "$tmp/ran" "$tmp/ran1"
    # shellcheck disable=SC2086
    if [ "$src" = file ]; then
        timeout -s KILL "$LIMIT" "$pf" run $mode --block 64k --joblog \
            "$tmp/jl" --resume "$cmd" <"$tmp/rin" >"$tmp/out2" 2>>"$tmp/err"
    else
        cat "$tmp/rin" | timeout -s KILL "$LIMIT" "$pf" run $mode \
            --block 64k --joblog "$tmp/jl" --resume "$cmd" >"$tmp/out2" \
            2>>"$tmp/err"
    fi
    rc2=$?
    touch "$tmp/ran"
    again=$(sort "$tmp/ran" | comm -12 - "$tmp/done1" | wc -l)
    all=$(seqs "$tmp/jl" | sort -n | uniq | wc -l)
    lines=$(seqs "$tmp/jl" | wc -l)
    nblk=$(seqs "$tmp/jl" | sort -n | tail -n 1)
    case $mode in
    -k*) same=$(cat "$tmp/out1" "$tmp/out2" | cmp -s - "$tmp/rwant" && echo 1) ;;
    *) same=$(cat "$tmp/out1" "$tmp/out2" | sort | cmp -s - \
        <(sort "$tmp/rwant") && echo 1) ;;
    esac
    want_rc=$((128 + $(kill -l "$sig")))
    if [ "$rc1" = "$want_rc" ] && [ "$rc2" = 0 ] && [ "$same" = 1 ] &&
        [ "$again" = 0 ] && [ "$all" = "$lines" ] && [ "$all" = "$nblk" ] &&
        [ "$(wc -l <"$tmp/done1")" -ge 6 ] &&
        [ "$(wc -l <"$tmp/done1")" -lt "$nblk" ]; then
        ok "--resume after SIG$sig ($src, $mode): $(wc -l <"$tmp/done1") of \
$nblk blocks done first, the rest resumed, output whole"
    else
        notok "--resume after SIG$sig ($src, $mode): rc $rc1/$rc2 (want \
$want_rc/0), same output: ${same:-no}, run again: $again, joblog lines \
$lines, blocks $all of $nblk" "$(cat "$tmp/err")"
    fi
done

# --resume-failed: every fourth block fails until a file exists (--halt
# never goes on); resumed, only the failed blocks run again.
rm -f "$tmp/fixed" "$tmp/ran" "$tmp/jl"
cmd="echo \$PIPEFAN_BLOCK >>'$tmp/ran'; [ -e '$tmp/fixed' ] || \
[ \$((PIPEFAN_BLOCK % 4)) != 0 ] || exit 4; sed 's/^/x/'"
timeout -s KILL "$LIMIT" "$pf" run -j 2 --block 64k --halt never --joblog \
    "$tmp/jl" "$cmd" <"$tmp/rin" >"$tmp/out1" 2>"$tmp/err"
rc1=$?
bad=$(tail -n +2 "$tmp/jl" | awk -F'\t' '$7 != 0' | cut -f1 | sort -n)
touch "$tmp/fixed"
rm -f "$tmp/ran"
timeout -s KILL "$LIMIT" "$pf" run -j 2 --block 64k --halt never --joblog \
    "$tmp/jl" --resume-failed "$cmd" <"$tmp/rin" >"$tmp/out2" 2>>"$tmp/err"
rc2=$?
rerun=$(sort -n "$tmp/ran")
timeout -s KILL "$LIMIT" "$pf" run -j 2 --block 64k --joblog "$tmp/jl" \
    --resume-failed "$cmd" <"$tmp/rin" >"$tmp/out3" 2>>"$tmp/err"
rc3=$?
if [ "$rc1" = 3 ] && [ "$rc2" = 0 ] && [ "$rc3" = 0 ] && [ -n "$bad" ] &&
    [ "$rerun" = "$bad" ] && [ ! -s "$tmp/out3" ] &&
    cat "$tmp/out1" "$tmp/out2" | sort | cmp -s - <(sort "$tmp/rwant"); then
    ok "--resume-failed runs the failed blocks ($(echo $bad)) again, only them"
else
    notok "--resume-failed: rc $rc1/$rc2/$rc3 (want 3/0/0), failed: \
$(echo $bad), run again: $(echo $rerun)" "$(cat "$tmp/err")"
fi

# What --resume refuses: no joblog, a stream command, several commands, a
# file that is not a joblog in parallel's format.
for args in "--resume cat" "--resume --joblog $tmp/jl cat" \
    "--resume-failed --joblog $tmp/jl --block 1k cat cat"; do
    # shellcheck disable=SC2086
    echo x | timeout -s KILL "$LIMIT" "$pf" run $args >/dev/null 2>"$tmp/err"
    rc=$?
    if [ "$rc" = 2 ] && grep -q "need --joblog FILE and one command in block" \
        "$tmp/err"; then
        ok "usage error: $args"
    else
        notok "usage error: $args: rc $rc" "$(cat "$tmp/err")"
    fi
done
printf 'Stage\tBlock\n' >"$tmp/notgnu"
echo x | timeout -s KILL "$LIMIT" "$pf" run --resume --joblog "$tmp/notgnu" \
    --block 1k cat >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -q "not a joblog of GNU parallel's format" \
    "$tmp/err"; then
    ok "--resume refuses a joblog of another format"
else
    notok "--resume refuses a joblog of another format: rc $rc" \
        "$(cat "$tmp/err")"
fi
# GNU parallel's own joblog of the same blocks is read the same way.
if command -v parallel >/dev/null; then
    rm -f "$tmp/pjl" "$tmp/ran"
    head -n 30 "$tmp/rin" | parallel --pipe -N 10 --joblog "$tmp/pjl" \
        cat >/dev/null 2>&1
    head -n 30 "$tmp/rin" | timeout -s KILL "$LIMIT" "$pf" run --block 1 \
        --joblog "$tmp/pjl" --resume "echo \$PIPEFAN_BLOCK >>'$tmp/ran'" \
        >/dev/null 2>"$tmp/err"
    rc=$?
    # parallel ran 3 jobs; one-record blocks 4..30 are left to run
    first=$(sort -n "$tmp/ran" | head -n 1)
    if [ "$rc" = 0 ] && [ "$first" = 4 ] && [ "$(wc -l <"$tmp/ran")" = 27 ]; then
        ok "--resume reads GNU parallel's own joblog"
    else
        notok "--resume reads GNU parallel's own joblog: rc $rc, first \
block run $first" "$(cat "$tmp/err")"
    fi
else
    ok "--resume reads GNU parallel's own joblog # SKIP parallel not installed"
fi

# ---- 6. after SIGKILL of pipefan, nothing of its session lives on --------
# Commands that leave children behind a shell that is killed: a child the
# shell waits for, and a background subshell.  pipefan runs in a session
# of its own; once it is killed, every process of that session must end
# (zombies waiting for init to reap them have ended).  The background
# subshell of `(sleep 1000)& cat` once outlived the run: the dying worker
# closed cat's stdin, cat and its shell ended, and the guardian left before
# the worker's death signal reached it (fixed: the guardian waits for its
# group).  PIPEFAN_STRESS=N repeats each mode N times.
live() { ps -s "$1" -o stat= | grep -vc '^Z'; }
for ((round = 0; round < ${PIPEFAN_STRESS:-1}; round++)); do
for mode in "${modes[0]}" "${modes[2]}" "--block 1k -j 2" "${modes[4]}"; do
    rm -f "$tmp/started"
    # shellcheck disable=SC2086
    seq 1 10000 | setsid "$pf" run $mode \
        "sh -c 'touch \"$tmp/started\"; sleep 1000; :'" \
        "(sleep 1000)& cat" >/dev/null 2>"$tmp/err" &
    pid=$!
    bgpids+=("$pid")
    if ! wait_for "$tmp/started"; then
        notok "SIGKILL ($mode): no command started" "$(cat "$tmp/err")"
        continue
    fi
    # both kinds of grandchildren are there (counted, not timed)
    for ((i = 0; i < LIMIT * 100; i++)); do
        [ "$(ps -s "$pid" -o args= | grep -c '^sleep 1000')" -ge 2 ] && break
        sleep 0.01
    done
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    left=1
    for ((i = 0; i < LIMIT * 10; i++)); do
        left=$(live "$pid")
        [ "$left" = 0 ] && break
        sleep 0.1
    done
    if [ "$left" = 0 ]; then
        ok "SIGKILL of pipefan ($mode): no process of its session left"
    else
        notok "SIGKILL of pipefan ($mode): $left processes left" \
            "$(ps -s "$pid" -o pid=,ppid=,pgid=,stat=,args=)"
        ps -s "$pid" -o pid= | xargs -r kill -KILL
    fi
done
done

echo "1..$n"
exit $failed
