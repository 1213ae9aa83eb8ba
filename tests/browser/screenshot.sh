#!/bin/sh
# screenshot.sh PIPEFAN GENLOG OUT.png - the picture of the --html page in
# docs/ (docs/HTML.md): the report of a generated log, taken by chromium
# headless.  Run by `ninja -C build html-screenshot` (writes
# docs/report.png in the source tree).
set -eu
pipefan=$1 genlog=$2 out=$3
chromium=$(command -v chromium || command -v chromium-browser) || {
    echo "screenshot.sh: chromium is not installed" >&2
    exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pipefan-shot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$genlog" --lines 30000 --seed 5 -o "$tmp/access.log"
"$pipefan" logs --top 8 --html "$tmp/report.html" "$tmp/access.log"
"$chromium" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1280,1400 --screenshot="$tmp/shot.png" \
    "file://$tmp/report.html" >/dev/null 2>&1
mv "$tmp/shot.png" "$out"
echo "screenshot.sh: wrote $out"
