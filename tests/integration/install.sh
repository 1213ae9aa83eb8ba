#!/usr/bin/env bash
# install.sh BUILDDIR SRCDIR - install into a scratch DESTDIR, build
# outside.c with `pkg-config --cflags --libs pipefan` against it, run it.
# Prints TAP.
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
echo "1..5"
check "meson install into DESTDIR" \
    env DESTDIR="$tmp" meson install -C "$build" --no-rebuild --quiet
pc=$(find "$tmp" -name pipefan.pc | head -n 1)
libdir=$(dirname "$(find "$tmp" -name 'libpipefan.so' | head -n 1)")
check "pipefan.pc, pipefan.h, libpipefan.so and libpipefan.a installed" \
    test -n "$pc" -a -n "$(find "$tmp" -name pipefan.h)" \
         -a -n "$(find "$tmp" -name libpipefan.a)" -a -d "$libdir"
export PKG_CONFIG_PATH=$(dirname "${pc:-/nonexistent}")
export PKG_CONFIG_SYSROOT_DIR=$tmp
check "an outside program builds with pkg-config" \
    sh -c "cc -std=c11 -Wall -Werror -o '$tmp/outside' '$src/tests/integration/outside.c' \$(pkg-config --cflags --libs pipefan)"
check "it runs a 4-worker pipeline correctly" \
    sh -c "test \"\$(LD_LIBRARY_PATH='$libdir' '$tmp/outside')\" = 'ok 100000 10000100000'"
check "the static library links too" \
    sh -c "cc -std=c11 -o '$tmp/outside-static' '$src/tests/integration/outside.c' \$(pkg-config --cflags pipefan) '$libdir/libpipefan.a' && test \"\$('$tmp/outside-static')\" = 'ok 100000 10000100000'"
exit $failed
