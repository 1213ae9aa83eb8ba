#!/bin/bash
# diff-live.sh - `pipefan logs diff OLD.state LOG...` (docs/STATE.md
# "Diff"): a state against live inputs gives exactly what the diff of the
# state against a state of the same inputs gives, text and JSON; the
# options of the live run must be the state's; a missing state, a missing
# input and a missing argument are refused; no temporary state is left.
. "$(dirname "$0")/lib.sh" "$@"

"$GENLOG" --lines 4000 --seed 51 -o "$TMP/all.log"
head -n 2000 "$TMP/all.log" >"$TMP/mon.log"
tail -n 2000 "$TMP/all.log" >"$TMP/tue.log"
"$PIPEFAN" logs -q --state "$TMP/mon.state" "$TMP/mon.log" >/dev/null
"$PIPEFAN" logs -q --state "$TMP/tue.state" "$TMP/tue.log" >/dev/null
export TMPDIR=$TMP/tmpdir
mkdir -p "$TMPDIR"

for fmt in text json; do
    opt=$([ $fmt = json ] && echo --json)
    "$PIPEFAN" logs diff $opt --top 5 "$TMP/mon.state" "$TMP/tue.state" >"$TMP/ss.$fmt"
    "$PIPEFAN" logs diff $opt --top 5 "$TMP/mon.state" "$TMP/tue.log" >"$TMP/sl.$fmt"
    rc=$?
    check "diff state LOG ($fmt, exit $rc) equals diff state state" cmp "$TMP/ss.$fmt" "$TMP/sl.$fmt"
done
check "the live diff names risers from the logs" grep -q '"risers"' "$TMP/sl.json"
# the live inputs may be several files and globs, compressed too
head -n 1000 "$TMP/tue.log" >"$TMP/tue.1"
tail -n 1000 "$TMP/tue.log" | gzip -n >"$TMP/tue.2.gz"
"$PIPEFAN" logs diff --json --top 5 "$TMP/mon.state" "$TMP/tue.1" "$TMP"/tue.2* >"$TMP/sl2.json"
json_sans_files "$TMP/sl2.json" "$TMP/x.json"
json_sans_files "$TMP/ss.json" "$TMP/y.json"
check "diff state LOG LOG.gz equals diff state state" cmp "$TMP/x.json" "$TMP/y.json"
expect_exit "other options for the live run are refused (exit 2)" 2 \
    "$PIPEFAN" logs diff --status 200 "$TMP/mon.state" "$TMP/tue.log"
check "the refusal names both option lists" grep -q "status=200" "$TMP/last.err"
expect_exit "a missing old state: exit 1" 1 "$PIPEFAN" logs diff "$TMP/none.state" "$TMP/tue.log"
expect_exit "a missing live input: exit 1" 1 "$PIPEFAN" logs diff "$TMP/mon.state" "$TMP/none.log"
expect_exit "diff with one argument is a usage error (exit 2)" 2 "$PIPEFAN" logs diff "$TMP/mon.state"
check "no temporary state is left in TMPDIR" sh -c "[ -z \"\$(ls -A '$TMPDIR')\" ]"
check "the old state is unchanged by a live diff" \
    sh -c "'$PIPEFAN' logs merge -q --json '$TMP/mon.state' | grep -q '\"requests\": 2000'"
done_testing
