# lib.sh - shared by the shell tests of pipefan logs: TAP output, temp
# directory, JSON queries (python3), paths to the binaries.
#   . "$(dirname "$0")/lib.sh" "$@"      (args: PIPEFAN GENLOG)

PIPEFAN=${1:?usage: $0 PIPEFAN GENLOG}
GENLOG=${2:?usage: $0 PIPEFAN GENLOG}
ROOT=${PIPEFAN_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
REAL=$ROOT/../shared/realdata
APACHE=$REAL/elastic-apache_logs/apache_logs
export PIPEFAN_LOG=${PIPEFAN_LOG:-error}
unset PIPEFAN_SERIAL NO_COLOR

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipefan-logs-test.XXXXXX")
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT

# watch PID SECS: SIGKILL PID after SECS seconds unless unwatch comes
# first.  The watchdog is one subshell waiting in the read builtin on a
# FIFO no one writes, so one kill stops it.  (Not timeout(1): under make
# check-valgrind a system binary runs natively, and so would pipefan
# beneath it.)
mkfifo "$TMP/never"
watch() {
    { read -r -t "$2" <>"$TMP/never"; kill -9 "$1"; } </dev/null >/dev/null 2>&1 &
    WD_PID=$!
}
unwatch() {
    kill "$WD_PID" 2>/dev/null
    wait "$WD_PID" 2>/dev/null
}

# bounded SECS CMD...: run CMD (stdin from $IN, default /dev/null), killed
# after SECS seconds times RUNNER_TIMEOUT_SCALE (its whole part); its exit
# status (137 when killed).
bounded() {
    local secs=$1 scale=${RUNNER_TIMEOUT_SCALE:-1} pid rc
    shift
    scale=${scale%.*}
    "$@" <"${IN:-/dev/null}" &
    pid=$!
    watch "$pid" "$((secs * ${scale:-1}))"
    wait "$pid"
    rc=$?
    unwatch
    return $rc
}

T_N=0
T_FAIL=0

# ok COND-EXIT-STATUS NAME [DIAGNOSTIC]: one TAP line.
tap() {
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $T_N - $2"
    else
        T_FAIL=$((T_FAIL + 1))
        echo "not ok $T_N - $2"
        [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
    fi
}

# check NAME CMD...: run CMD, pass when it exits 0; its output is the
# diagnostic on failure.
check() {
    local name=$1 out rc
    shift
    out=$("$@" 2>&1)
    rc=$?
    tap $rc "$name" "$out"
}

# expect_exit NAME CODE CMD...: pass when CMD exits with CODE.
expect_exit() {
    local name=$1 want=$2 rc
    shift 2
    "$@" >"$TMP/last.out" 2>"$TMP/last.err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then
        tap 0 "$name"
    else
        tap 1 "$name" "exit $rc, wanted $want; stderr: $(head -c 600 "$TMP/last.err")"
    fi
}

# need_file FILE WHAT: true when FILE is readable; otherwise print one
# TAP line "ok N # SKIP WHAT: FILE not found (...)" and be false.  For the
# checks that read the real data in ../shared/realdata, which a clone
# standing alone does not have:
#   if need_file "$APACHE" "12 checks of the filters"; then ...; fi
need_file() {
    [ -r "$1" ] && return 0
    T_N=$((T_N + 1))
    echo "ok $T_N # SKIP $2: $1 not found (the real data in ../shared beside the tree)"
    return 1
}

# pyjson FILE EXPR: evaluate a python expression with d = the JSON in FILE;
# exits 0 when it is true, prints it otherwise.
pyjson() {
    python3 - "$1" "$2" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
try:
    d = json.loads(raw)
except ValueError as e:
    print("not JSON (%s): %r" % (e, raw[:200]))
    sys.exit(1)
ok = eval(sys.argv[2])
if not ok:
    print("false:", sys.argv[2])
sys.exit(0 if ok else 1)
PY
}

# json_sans_files IN OUT [lines]: the JSON without what names the inputs
# (the "files" panel, totals.files, the file of each bad-line sample), for
# comparing runs over different copies of the same data; with "lines",
# without the samples' line numbers too (files given one after the other
# on stdin number their lines on from the first).
json_sans_files() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d.pop("files", None)
d.get("totals", {}).pop("files", None)
for s in d.get("bad_samples", []):
    s.pop("file", None)
    if sys.argv[3] == "lines":
        s.pop("line", None)
json.dump(d, open(sys.argv[2], "w"), indent=1, sort_keys=True)
' "$1" "$2" "${3:-}"
}

done_testing() {
    echo "1..$T_N"
    echo "# $((T_N - T_FAIL)) passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}
