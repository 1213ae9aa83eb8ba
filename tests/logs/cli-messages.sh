#!/bin/bash
# cli-messages.sh - what pipefan logs and pipefan run say to a user
# (issue 20 items 6 and 7, issue 19 item 10): plain "pipefan CMD: ..."
# lines without the runtime's timestamps and pids, usage errors for
# options that could only be mistakes, and one unreadable file of a
# directory skipped, not fatal.
. "$(dirname "$0")/lib.sh" "$@"
export PIPEFAN_LOG=warn
PIPEFAN=$(realpath "$PIPEFAN") # the cases run in a directory of their own

"$GENLOG" --lines 2000 --seed 3 -o "$TMP/a.log" >/dev/null
LOG=$TMP/a.log

# says NAME CODE PATTERN CMD...: CMD exits CODE and its stderr matches
# the extended regex PATTERN (- for any) and has no runtime log line in it.
says() {
    local name=$1 code=$2 pat=$3 rc
    shift 3
    (cd "$TMP/cwd" && "$@") >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc -ne "$code" ]; then
        tap 1 "$name" "exit $rc, wanted $code: $(head -5 "$TMP/err")"
    elif [ "$pat" != - ] && ! grep -Eq -- "$pat" "$TMP/err"; then
        tap 1 "$name" "stderr lacks /$pat/: $(head -5 "$TMP/err")"
    elif grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T| pid [0-9]+:' "$TMP/err"; then
        tap 1 "$name" "a runtime log line: $(head -5 "$TMP/err")"
    else
        tap 0 "$name"
    fi
}
mkdir "$TMP/cwd"

says "logs --frob: getopt names 'pipefan logs'" 2 \
    "^pipefan logs: unrecognized option '--frob'" "$PIPEFAN" logs --frob "$LOG"
says "run --frob: Try 'pipefan run --help'" 2 \
    "^Try 'pipefan run --help'" "$PIPEFAN" run --frob cat
check "run --frob: no 'see the options above'" \
    bash -c '! grep -q "options above" "$1"' - "$TMP/err"
says "--format nope lists the named formats" 2 \
    "--format nope: not a format name .*vhost_combined" \
    "$PIPEFAN" logs --format nope "$LOG"
for st in 6xx 999 600 0xx 200-600; do
    says "--status $st is refused" 2 "--status '$st'.*100-599" \
        "$PIPEFAN" logs --status "$st" "$LOG"
done
says "--status 5xx,404,100-599 is taken" 0 - \
    "$PIPEFAN" logs --json --status 5xx,404,100-599 "$LOG"
says "--since after --until is a usage error" 2 \
    "--since '2015-05-20' is not before --until" \
    "$PIPEFAN" logs --since 2015-05-20 --until 2015-05-18 "$LOG"
says "--since = --until (one day) is a window" 0 - \
    "$PIPEFAN" logs --json --since 2015-05-19 --until 2015-05-19 "$LOG"
says "--csv path: a typo for paths" 2 "did you mean 'paths'" \
    "$PIPEFAN" logs --csv path "$LOG"
check "--csv path: no ./path/ made" test ! -e "$TMP/cwd/path"
says "--csv out/: a new directory" 0 - "$PIPEFAN" logs --csv out/ "$LOG"
check "--csv out/: its files" test -s "$TMP/cwd/out/paths.csv"
says "--csv=DIR an existing directory" 0 - "$PIPEFAN" logs --csv=out "$LOG"
says "--csv in a missing directory: refused before reading" 1 \
    "^pipefan logs: --csv $TMP/none/x/: No such file" \
    "$PIPEFAN" logs --csv "$TMP/none/x/" "$LOG"
: >"$TMP/plainfile"
says "--csv under a file: refused" 1 "^pipefan logs: --csv .*: Not a directory" \
    "$PIPEFAN" logs --csv "$TMP/plainfile/" "$LOG"
says "a missing file: one plain line" 3 \
    "^pipefan logs: $TMP/none.log: No such file or directory\$" \
    "$PIPEFAN" logs "$TMP/none.log" "$LOG"
says "nothing readable: exit 1" 1 "^pipefan logs: no readable input" \
    "$PIPEFAN" logs "$TMP/none.log"

cp "$LOG" "$TMP/bad.log"
echo garbage >>"$TMP/bad.log"
says "--strict: its message, no -4002 lines" 4 "^pipefan logs: --strict: " \
    "$PIPEFAN" logs --strict "$TMP/bad.log"
check "--strict: nothing but its message" \
    bash -c '[ "$(wc -l <"$1")" -eq 1 ]' - "$TMP/err"
check "-v: the runtime's lines are back" \
    bash -c '"$1" logs -v --strict "$2" 2>&1 >/dev/null | grep -q " pid "' - \
    "$PIPEFAN" "$TMP/bad.log"

# one unreadable file in a directory and in a glob: skipped and named,
# exit 3 (as root, run as nobody, for whom mode 000 means something)
mkdir "$TMP/dir"
cp "$LOG" "$TMP/dir/a.log"
cp "$LOG" "$TMP/dir/b.log"
chmod 000 "$TMP/dir/b.log"
chmod 755 "$TMP" "$TMP/dir" "$TMP/cwd"
chmod 644 "$TMP/dir/a.log"
AS=()
if [ "$(id -u)" -eq 0 ]; then
    command -v setpriv >/dev/null &&
        AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
if [ "$(id -u)" -eq 0 ] && [ ${#AS[@]} -eq 0 ]; then
    tap 0 "unreadable file of a directory # SKIP root without setpriv"
else
    for arg in "$TMP/dir" "$TMP/dir/*.log"; do
        says "one unreadable file of '${arg#"$TMP"/}': skipped, exit 3" 3 \
            "^pipefan logs: $TMP/dir/b.log: Permission denied \(skipped\)" \
            "${AS[@]}" "$PIPEFAN" logs --json "$arg"
        check "  ... the other file counted" \
            bash -c 'grep -q "\"requests\": *2000" "$1"' - "$TMP/out"
    done
fi

echo "1..$T_N"
[ "$T_FAIL" -eq 0 ]
