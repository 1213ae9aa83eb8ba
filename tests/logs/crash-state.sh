#!/bin/bash
# crash-state.sh - a state save that fails or dies at each of its steps
# (docs/STATE.md "Crash safety"): with the failure shim (failshim.c,
# LD_PRELOAD, built for the tests only) making the temporary file's
# create, write, fsync, close, the rename over the state or the fsync of
# the directory fail, or killing the process just before or just after
# that step.  After each: the state is the old one, byte for byte (a
# failure before the rename) or a whole new one (after it), never a mix;
# no temporary file stays after the rerun; and the rerun, then a run after
# one more rotation, report exactly what one run over every line written
# so far reports (every line counted once).
#   args: PIPEFAN GENLOG FAILSHIM
. "$(dirname "$0")/lib.sh" "$@"
SHIM=${3:?usage: $0 PIPEFAN GENLOG FAILSHIM}
case $SHIM in /*) ;; *) SHIM=$PWD/$SHIM ;; esac
# the shim comes after a sanitizer's runtime in the load order
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

ALL=$TMP/all.log
"$GENLOG" --lines 3000 --seed 31 --bad 0.01 -o "$ALL"
D=$TMP/d

# lines A B: lines A..B of $ALL
lines() { sed -n "$1,$2p" "$ALL"; }

# run [ENV...]: a --state run over the rotating set, its JSON to
# $TMP/run.json; 0 when it succeeded (exit 0, or 3: bad lines were
# seen), else its exit status.
run() {
    local rc
    env "$@" "$PIPEFAN" logs -q --json --top 0 --state "$D/s.state" \
        "$D"/access.log* >"$TMP/run.json" 2>"$TMP/run.err"
    rc=$?
    [ "$rc" = 3 ] && rc=0
    return $rc
}

# same_as N: $TMP/run.json equals one run over the first N lines.
same_as() {
    head -n "$1" "$ALL" >"$TMP/so_far.log"
    "$PIPEFAN" logs -q --json --top 0 "$TMP/so_far.log" >"$TMP/one.json" 2>/dev/null
    json_sans_files "$TMP/run.json" "$TMP/a.json" lines
    json_sans_files "$TMP/one.json" "$TMP/b.json" lines
    cmp -s "$TMP/a.json" "$TMP/b.json" && return 0
    echo "differs from one run over $1 lines:"
    diff "$TMP/a.json" "$TMP/b.json" | head -20
    return 1
}

# readable: the state decodes (merge reads it whole, checksums and all).
readable() {
    "$PIPEFAN" logs merge -q --json "$D/s.state" >/dev/null 2>"$TMP/m.err"
    case $? in
    0 | 3) return 0 ;; # 3: the counts include bad lines
    *) cat "$TMP/m.err"; return 1 ;;
    esac
}

# one_case STEP ACTION
one_case() {
    local step=$1 act=$2 rc msg="" new=0
    rm -rf "$D"
    mkdir "$D"
    lines 1 1000 >"$D/access.log"
    run || msg="the first run failed: $(cat "$TMP/run.err")"
    cp "$D/s.state" "$TMP/old.state" 2>/dev/null
    # logrotate create, a late write to the rotated file, then new lines
    mv "$D/access.log" "$D/access.log.1"
    lines 1001 1400 >>"$D/access.log.1"
    lines 1401 2000 >"$D/access.log"
    run LD_PRELOAD="$SHIM" PF_FAILSHIM="$step:$act"
    rc=$?
    case $step:$act in
    rename:after | dirsync:*) new=1 ;; # the rename went through
    esac
    if [ -z "$msg" ] && [ "$new" = 0 ] && [ "$rc" = 0 ]; then
        msg="the run with $step:$act exited 0"
    fi
    if [ -z "$msg" ] && [ "$new" = 0 ] && ! cmp -s "$D/s.state" "$TMP/old.state"; then
        msg="the state is not the old one after $step:$act"
    fi
    if [ -z "$msg" ] && [ "$new" = 1 ] && [ "$act" != fail ] &&
        cmp -s "$D/s.state" "$TMP/old.state"; then
        msg="the state is still the old one after $step:$act"
    fi
    [ -z "$msg" ] && ! readable && msg="the state does not read after $step:$act"
    # the rerun counts what the state has not
    if [ -z "$msg" ]; then
        run || msg="the rerun failed: $(cat "$TMP/run.err")"
    fi
    [ -z "$msg" ] && ! same_as 2000 >"$TMP/why" && msg="rerun: $(cat "$TMP/why")"
    if [ -z "$msg" ] && ls -A "$D" | grep -q '\.tmp$'; then
        msg="a temporary file stayed: $(ls -A "$D")"
    fi
    # compress + delaycompress, more lines: still every line once
    gzip -n "$D/access.log.1"
    mv "$D/access.log.1.gz" "$D/access.log.2.gz"
    mv "$D/access.log" "$D/access.log.1"
    lines 2001 3000 >"$D/access.log"
    if [ -z "$msg" ]; then
        run || msg="the run after rotation failed: $(cat "$TMP/run.err")"
    fi
    [ -z "$msg" ] && ! same_as 3000 >"$TMP/why" && msg="after rotation: $(cat "$TMP/why")"
    tap "$([ -z "$msg" ] && echo 0 || echo 1)" \
        "state save, $step $act (exit $rc): old or new state, each line once after a rerun" "$msg"
}

for step in create write fsync close rename dirsync; do
    for act in fail die after; do
        one_case "$step" "$act"
    done
done

# the shim does act: without it the same sequence saves (exit 0)
rm -rf "$D"
mkdir "$D"
lines 1 1000 >"$D/access.log"
run PF_FAILSHIM=write:fail
tap $? "PF_FAILSHIM alone does nothing (the binary has no such hook)" "$(cat "$TMP/run.err")"
run LD_PRELOAD="$SHIM"
tap $? "the shim with no PF_FAILSHIM changes nothing" "$(cat "$TMP/run.err")"

done_testing
