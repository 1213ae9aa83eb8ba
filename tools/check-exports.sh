#!/bin/sh
# check-exports.sh LIB.so - TAP test: the shared library exports only the
# public pf_ API (STYLE.md habit 2: hidden visibility, PF_EXTERN).
set -u
lib=${1:?usage: check-exports.sh LIB.so}
echo "TAP version 13"
echo "1..2"
if ! syms=$(nm -D --defined-only "$lib" 2>&1); then
    echo "not ok 1 - nm -D $lib"
    echo "$syms" | sed 's/^/# /'
    echo "not ok 2 - only pf_ symbols are exported # SKIP no symbol list"
    exit 1
fi
# Text, data and bss symbols; ignore linker-made ones (_init, _fini, ...).
names=$(printf '%s\n' "$syms" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
    grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' || true)
if printf '%s\n' "$names" | grep -q '^pf_'; then
    echo "ok 1 - $lib exports pf_ symbols"
else
    echo "not ok 1 - $lib exports pf_ symbols"
    echo "# none found"
fi
bad=$(printf '%s\n' "$names" | grep -v -E '^(pf_|$)' || true)
if [ -z "$bad" ]; then
    echo "ok 2 - only pf_ symbols are exported"
    exit 0
fi
echo "not ok 2 - only pf_ symbols are exported"
printf '%s\n' "$bad" | sed 's/^/# not in the API: /'
exit 1
