#!/usr/bin/env bash
# check-sizes.sh [ROOT] - the size rules of docs/ARCHITECTURE.md as a test:
# no .c file in src/, logs/ or cli/ over 700 lines and no function over
# 120 lines (a function: from a line at column 0 that opens its body, "{",
# to the next "}" at column 0, the clang-format layout of the tree).
# Prints TAP, one case per rule, naming every offender.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 1
files=$(ls src/*.c logs/*.c cli/*.c)

big=$(wc -l $files | awk '$2 != "total" && $1 > 700 {print $2 " (" $1 " lines)"}')
long=$(awk '
    FNR == 1 { start = 0 }
    /^\{/ { start = FNR; name = prev }
    /^\}/ && start { n = FNR - start - 1
                     if (n > 120) printf "%s:%d %s (%d lines)\n", FILENAME, start, name, n
                     start = 0 }
    { if ($0 ~ /^[A-Za-z_]/) prev = $0 }
' $files)

echo "1..2"
if [ -z "$big" ]; then
    echo "ok 1 - no .c file in src/, logs/, cli/ over 700 lines"
else
    echo "not ok 1 - .c files over 700 lines"
    echo "$big" | sed 's/^/# /'
fi
if [ -z "$long" ]; then
    echo "ok 2 - no function over 120 lines"
else
    echo "not ok 2 - functions over 120 lines"
    echo "$long" | sed 's/^/# /'
fi
[ -z "$big$long" ]
