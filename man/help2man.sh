#!/bin/sh
# help2man.sh HELP2MAN PIPEFAN COMMAND NAME INCLUDE OUT - write the man page
# of `pipefan` (COMMAND "-") or of `pipefan COMMAND` (titled
# pipefan-COMMAND) from the built binary's --help and --version output
# (help2man), plus the sections in the INCLUDE file.
#
# help2man runs a small wrapper named pipefan-COMMAND, which passes the
# binary's output through with changes of form only: --version gives its
# first line, with the program name (help2man titles the page with it)
# and the version but not the build's features; and an empty
# line after each line under "examples:" (help2man would join them into
# one paragraph).
set -eu
help2man=$1 pipefan=$2 cmd=$3 name=$4 include=$5 out=$6
case $pipefan in /*) ;; *) pipefan=$(pwd)/$pipefan ;; esac
# a sanitizer build's binary must not fail the page on a leak report
ASAN_OPTIONS=detect_leaks=0
# the same page whatever the terminal or locale of the build
COLUMNS=80 LC_ALL=C
export ASAN_OPTIONS COLUMNS LC_ALL
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$cmd" = - ]; then
    prog=pipefan sub=
else
    prog=pipefan-$cmd sub=$cmd
fi
cat >"$tmp/$prog" <<WRAP
#!/bin/sh
if [ "\$1" = --version ]; then
    "$pipefan" --version | sed -n '1s/^pipefan \\([^ ]*\\).*/$prog \\1/p'
else
    "$pipefan" $sub --help | awk '
        /^examples:/ { ex = 1; print; next }
        /^[^ ]/ { ex = 0 }
        ex && /^  / { print; print ""; next }
        { print }'
fi
WRAP
chmod +x "$tmp/$prog"
"$help2man" --no-info --name="$name" --include="$include" \
    --output="$out" "$tmp/$prog"
