#!/usr/bin/env bash
# install.sh BUILDDIR SRCDIR - install into a scratch DESTDIR, then use
# what was installed as a user would, each step with a clean environment
# (env -i PATH=/usr/bin:/bin): the pipefan binary starts from there (its
# $ORIGIN-relative RPATH finds the library wherever the tree is), every man
# page renders with `man -l`, the bash completion completes, the docs are
# there, the README's C example builds with the prefix's pkg-config and
# runs, and so do outside.c and the static library.  Prints TAP.
set -u
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
check() { # check NAME COMMAND...
    n=$((n + 1))
    if out=$("${@:2}" 2>&1); then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"
        printf '%s\n' "$out" | sed 's/^/# /' | head -n 20
        failed=1
    fi
}
clean() { env -i PATH=/usr/bin:/bin "$@"; }
echo "1..15"
check "meson install into DESTDIR" \
    env DESTDIR="$tmp" meson install -C "$build" --no-rebuild --quiet
pc=$(find "$tmp" -name pipefan.pc | head -n 1)
libdir=$(dirname "$(find "$tmp" -name 'libpipefan.so' | head -n 1)")
bin=$(find "$tmp" -path '*/bin/pipefan' | head -n 1)
share=$(dirname "$(dirname "$libdir")")/share
check "pipefan.pc, pipefan.h, libpipefan.so and libpipefan.a installed" \
    test -n "$pc" -a -n "$(find "$tmp" -name pipefan.h)" \
         -a -n "$(find "$tmp" -name libpipefan.a)" -a -d "$libdir"
check "the installed pipefan starts (no LD_LIBRARY_PATH) and says its version" \
    sh -c "env -i PATH=/usr/bin:/bin '$bin' --version | grep -q '^pipefan [0-9]'"
check "and runs a pipeline: pipefan run -j 2 'wc -l'" \
    sh -c "seq 1000 | env -i PATH=/usr/bin:/bin '$bin' run -j 2 'wc -l' | awk '{n += \$1} END {exit n != 1000}'"
# man -l on each page: it renders, groff warns of nothing, it has a NAME
man_ok() {
    local page=$1 err
    [ -f "$page" ] || { echo "missing: $page"; return 1; }
    err=$(clean LC_ALL=C MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$tmp/page.txt")
    [ -z "$err" ] || { echo "$err"; return 1; }
    grep -q '^NAME' "$tmp/page.txt" || { head "$tmp/page.txt"; return 1; }
}
if command -v help2man >/dev/null; then
    for page in man1/pipefan.1 man1/pipefan-logs.1 man1/pipefan-run.1; do
        check "man -l share/man/$page" man_ok "$share/man/$page"
    done
else
    for page in man1/pipefan.1 man1/pipefan-logs.1 man1/pipefan-run.1; do
        n=$((n + 1))
        echo "ok $n # SKIP man -l share/man/$page: help2man not installed (Debian package help2man)"
    done
fi
check "man -l share/man/man3/libpipefan.3" man_ok "$share/man/man3/libpipefan.3"
check "the docs are installed in share/doc/pipefan" \
    test -s "$share/doc/pipefan/README.md" -a -s "$share/doc/pipefan/JSON.md" \
         -a -s "$share/doc/pipefan/RUN.md"
comp=$share/bash-completion/completions/pipefan
check "the bash completion completes commands, options and panels" \
    clean bash -c ". '$comp'
        COMP_WORDS=(pipefan l); COMP_CWORD=1; _pipefan
        [ \"\${COMPREPLY[*]}\" = logs ] || { echo \"command: \${COMPREPLY[*]}\"; exit 1; }
        COMP_WORDS=(pipefan logs --stri); COMP_CWORD=2; _pipefan
        [ \"\$(printf '%s\\n' \"\${COMPREPLY[@]}\" | sort | tr '\\n' ' ')\" = '--strict --strip-query ' ] || { echo \"option: \${COMPREPLY[*]}\"; exit 1; }
        COMP_WORDS=(pipefan logs --panels paths,not); COMP_CWORD=3; _pipefan
        [ \"\${COMPREPLY[*]}\" = paths,not_found ] || { echo \"panel: \${COMPREPLY[*]}\"; exit 1; }"

# The README's example, built as the README says: the prefix's pkg-config
# (PKG_CONFIG_PATH=<prefix>/lib/<multiarch>/pkgconfig) and an rpath to its
# libdir; here the prefix sits under DESTDIR, hence the sysroot (which
# pkgconf adds to --variable=libdir too).
sed -n '/^```c$/,/^```$/p' "$src/README.md" | sed '1d;$d' >"$tmp/prog.c"
export PKG_CONFIG_PATH=$(dirname "${pc:-/nonexistent}")
export PKG_CONFIG_SYSROOT_DIR=$tmp
check "the README's example builds against the installed prefix" \
    clean PKG_CONFIG_PATH="$PKG_CONFIG_PATH" PKG_CONFIG_SYSROOT_DIR="$tmp" sh -c \
    "cd '$tmp' && cc -o prog prog.c \$(pkg-config --cflags --libs pipefan) -Wl,-rpath,\$(pkg-config --variable=libdir pipefan)"
check "and runs: the sum of the squares of 1..1000000" \
    sh -c "test \"\$(env -i PATH=/usr/bin:/bin '$tmp/prog')\" = 333333833333500000"
check "an outside program builds with pkg-config" \
    sh -c "cc -std=c11 -Wall -Werror -o '$tmp/outside' '$src/tests/integration/outside.c' \$(pkg-config --cflags --libs pipefan)"
check "it runs a 4-worker pipeline correctly" \
    sh -c "test \"\$(LD_LIBRARY_PATH='$libdir' '$tmp/outside')\" = 'ok 100000 10000100000'"
check "the static library links too" \
    sh -c "cc -std=c11 -o '$tmp/outside-static' '$src/tests/integration/outside.c' \$(pkg-config --cflags pipefan) '$libdir/libpipefan.a' && test \"\$('$tmp/outside-static')\" = 'ok 100000 10000100000'"
exit $failed
