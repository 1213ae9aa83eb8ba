#!/usr/bin/env bash
# check.sh - run the test suite of one or more meson build directories and
# count the individual test cases.
#
#   tools/check.sh [--valgrind] BUILDDIR... [-- MESON-TEST-ARGS...]
#
# For each BUILDDIR: `meson test` (its log on stdout), then every test
# executable's TAP output (from BUILDDIR/meson-logs/testlog.json) is parsed
# case by case.  A failing case is listed with its first diagnostic lines;
# an executable that failed without a failing case (crash, timeout, missing
# plan lines) counts as one failure.  A non-TAP test counts as one case.
# The last line is "N passed, N failed, N skipped" (summed over the build
# directories).  Exit status: 0 only when nothing failed and at least one
# test ran.
#
# Timeouts: RUNNER_TIMEOUT_SCALE (and meson's timeout multiplier) default to
# 1, 4 in a sanitizer build, 20 under --valgrind; meson's is also multiplied
# by the load per CPU at the start (1 to 8), and the runner counts a test's
# time at its share of a busy machine.  Sanitizer builds run with
# UBSAN_OPTIONS=halt_on_error=1 so undefined behaviour fails the test.
set -uo pipefail

usage() {
    echo "usage: $0 [--valgrind] BUILDDIR... [-- MESON-TEST-ARGS...]" >&2
    exit 2
}

valgrind=0
dirs=()
extra=()
while [ $# -gt 0 ]; do
    case $1 in
    --valgrind) valgrind=1 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) dirs+=("$1") ;;
    esac
    shift
done
[ ${#dirs[@]} -gt 0 ] || usage

# Print "PASSED FAILED SKIPPED" as the last line, failures before it.
count_cases() {
    python3 - "$1" <<'PY'
import json, re, sys

log = sys.argv[1]
case_re = re.compile(r'^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$')
directive_re = re.compile(r'\s#\s*(SKIP|TODO)\b\s*(.*)$', re.I)
plan_re = re.compile(r'^1\.\.(\d+)')
passed = failed = skipped = 0
failures = []

try:
    lines = open(log, encoding='utf-8', errors='replace').read().splitlines()
except OSError as e:
    print('cannot read %s: %s' % (log, e))
    lines = []

for raw in lines:
    if not raw.strip():
        continue
    try:
        t = json.loads(raw)
    except ValueError:
        continue
    name = t.get('name', '?')
    result = t.get('result', '?')
    out = (t.get('stdout') or '').splitlines()
    is_tap = any(case_re.match(l) or plan_re.match(l) for l in out)
    if not is_tap:
        if result in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif result == 'SKIP':
            skipped += 1
        else:
            failed += 1
            failures.append('%s: %s (exit %s)' % (name, result,
                                                  t.get('returncode')))
        continue
    plan = None
    seen = 0
    case_fails = 0
    bail = None
    for i, l in enumerate(out):
        m = plan_re.match(l)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        if l.startswith('Bail out!'):
            bail = l
            continue
        m = case_re.match(l)
        if not m:
            continue
        seen += 1
        ok = m.group(1) == 'ok'
        desc = m.group(3)
        d = directive_re.search(desc)
        if d:
            desc = desc[:d.start()]
            if d.group(1).upper() == 'SKIP' or not ok:
                skipped += 1
            else:
                passed += 1
            continue
        if ok:
            passed += 1
            continue
        failed += 1
        case_fails += 1
        diag = []
        for nxt in out[i + 1:]:
            if not nxt.startswith('#') or len(diag) == 3:
                break
            diag.append(nxt[1:].strip())
        failures.append('%s: %s%s' % (name, desc.strip(),
                                       ''.join('\n    ' + x for x in diag)))
    if plan is not None and seen < plan:
        failed += plan - seen
        case_fails += plan - seen
        failures.append('%s: %d of %d planned cases never ran (%s)'
                        % (name, plan - seen, plan, result))
    if bail is not None:
        failed += 1
        case_fails += 1
        failures.append('%s: %s' % (name, bail))
    if result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and case_fails == 0:
        failed += 1
        failures.append('%s: %s (exit %s) with no failing case'
                        % (name, result, t.get('returncode')))

for f in failures:
    print('FAIL ' + f)
print(passed, failed, skipped)
PY
}

# The value of a meson build option, read from the build directory.
build_option() {
    python3 - "$1" "$2" <<'PY'
import json, sys
try:
    opts = json.load(open(sys.argv[1] + '/meson-info/intro-buildoptions.json'))
except OSError:
    sys.exit(0)
for o in opts:
    if o.get('name') == sys.argv[2]:
        print(o.get('value'))
PY
}

total_p=0 total_f=0 total_s=0 status=0
for dir in "${dirs[@]}"; do
    if [ ! -f "$dir/build.ninja" ]; then
        echo "$0: $dir is not a configured meson build directory" >&2
        status=1
        total_f=$((total_f + 1))
        continue
    fi
    sanitize=$(build_option "$dir" b_sanitize)
    scale=1
    args=(--print-errorlogs --num-processes 2)
    if [ "$valgrind" = 1 ]; then
        scale=20
        sanitize=valgrind
        args+=(--wrapper "valgrind --quiet --error-exitcode=99 \
--leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
--track-fds=no --trace-children=yes \
--trace-children-skip=/usr/*,/bin/*,/sbin/*,/lib/*,*/python*,*/sh,*/bash")
    elif [ -n "$sanitize" ] && [ "$sanitize" != none ]; then
        scale=4
    else
        sanitize=
    fi
    scale=${RUNNER_TIMEOUT_SCALE:-$scale}
    # meson's per-executable timeouts also stretch with the load at the
    # start (load per CPU, rounded up, 1 to 8): a busy machine is slow,
    # not hung.  The runner weighs the load per test itself.
    lf=$(awk -v c="$(nproc)" '{ f = int($1 / c + 0.999); print (f < 1 ? 1 : (f > 8 ? 8 : f)) }' /proc/loadavg)
    args+=(--timeout-multiplier "$((${scale%.*} * lf))")

    echo "== meson test -C $dir (timeouts x$scale, meson's x$((${scale%.*} * lf))${sanitize:+, $sanitize}) =="
    # meson names the log testlog.json, or testlog-WRAPPER.json.
    rm -f "$dir"/meson-logs/testlog*.json
    RUNNER_TIMEOUT_SCALE=$scale \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
        meson test -C "$dir" "${args[@]}" ${extra[@]+"${extra[@]}"}
    rc=$?

    log=$(ls -t "$dir"/meson-logs/testlog*.json 2>/dev/null | head -n 1)
    counts=$(count_cases "${log:-$dir/meson-logs/testlog.json}")
    summary=$(printf '%s\n' "$counts" | tail -n 1)
    read -r p f s <<<"$summary"
    printf '%s\n' "$counts" | sed '$d'
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $dir: meson test exited with status $rc"
        f=1
    fi
    if [ $((p + f + s)) -eq 0 ]; then
        echo "FAIL $dir: no tests ran"
        f=1
    fi
    [ "$f" -eq 0 ] || status=1
    if [ ${#dirs[@]} -gt 1 ]; then
        echo "$dir: $p passed, $f failed, $s skipped"
    fi
    total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
done

echo "$total_p passed, $total_f failed, $total_s skipped"
exit $status
