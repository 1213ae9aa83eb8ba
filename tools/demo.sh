#!/bin/bash
# demo.sh - make demo: generate a mixed sample set of access logs with the
# project's own generator (combined, common and vhost_combined formats,
# IPv4 and IPv6 clients, rotated .gz files, a few bad lines) in a temporary
# directory, then run `pipefan logs` on all of it.
#
#   tools/demo.sh [BUILD_DIR]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
P=$BUILD/cli/pipefan
G=$BUILD/tools/genlog
for b in "$P" "$G"; do
    [ -x "$b" ] || { echo "demo: $b is missing: run make first" >&2; exit 1; }
done
D=$(mktemp -d "${TMPDIR:-/tmp}/pipefan-demo.XXXXXX")
trap 'rm -rf "$D"' EXIT

echo "demo: generating sample logs in $D"
"$G" --lines 400000 --seed 1 --bad 0.0005 --start 1709856000 -o "$D/access.log"
"$G" --lines 300000 --seed 2 --start 1709596800 | gzip -c >"$D/access.log.1.gz"
"$G" --lines 300000 --seed 3 --start 1709337600 | gzip -c >"$D/access.log.2.gz"
"$G" --lines 150000 --seed 4 --format common --tz +0200 -o "$D/legacy-common.log"
"$G" --lines 150000 --seed 5 --format vhost_combined --ipv6 0.3 -o "$D/vhosts.log"
ls -l "$D"
echo
echo "demo: $P logs $D"
set +e
"$P" logs --top 8 --no-progress "$D"
rc=$?
echo
echo "demo: exit status $rc (3 = report written, some lines were bad: the generator mixed them in)"
echo "demo: the totals as JSON: $P logs --json --panels totals $D | python3 -m json.tool"
"$P" logs --json --no-progress --panels totals "$D" 2>/dev/null | python3 -m json.tool 2>/dev/null || true
[ $rc -eq 0 ] || [ $rc -eq 3 ]
