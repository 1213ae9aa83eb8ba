#!/bin/sh
# readme.sh SRCDIR LIBDIR - the README's first example, cut out of the
# README, must build with -Wall -Wextra -Werror (no "(void)arg" lines
# needed) and print the sum of the squares of 1..1000000 in main, both
# with worker processes and with PIPEFAN_SERIAL=1.
set -u
src=$1 lib=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "1..3"
sed -n '/^```c$/,/^```$/p' "$src/README.md" | sed '1d;$d' | sed '/^```/,$d' >"$tmp/prog.c"
if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$src/include" -o "$tmp/prog" \
    "$tmp/prog.c" -L"$lib" -lpipefan -Wl,-rpath,"$lib" 2>"$tmp/err"; then
    echo "ok 1 - the README example builds quietly under -Wall -Wextra"
else
    echo "not ok 1 - the README example builds quietly under -Wall -Wextra"
    sed 's/^/# /' "$tmp/err"
    exit 0
fi
for serial in 0 1; do
    out=$(PIPEFAN_SERIAL=$serial "$tmp/prog" 2>"$tmp/err")
    if [ "$out" = 333333833333500000 ]; then
        echo "ok $((serial + 2)) - main gets the sink's sum (PIPEFAN_SERIAL=$serial)"
    else
        echo "not ok $((serial + 2)) - main gets the sink's sum (PIPEFAN_SERIAL=$serial): '$out'"
        sed 's/^/# /' "$tmp/err"
    fi
done
