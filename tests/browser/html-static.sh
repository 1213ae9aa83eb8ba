#!/bin/bash
# html-static.sh PIPEFAN GENLOG - pipefan logs --html without a browser:
# the page is well-formed, its CSP is strict and names the exact SHA-256
# of its stylesheet and script, the embedded JSON equals --json, hostile
# log strings are only text, the size does not grow with the input, and
# the file appears only when the report was written (never through a
# symlink).  TAP on stdout.
. "$(dirname "$0")/../logs/lib.sh" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
CHK="python3 $HERE/htmlcheck.py"

# page_ok NAME PAGE JSON: the structure, CSP and JSON checks of one page
page_ok() {
    check "$1: well-formed, no handler, style or src attribute" $CHK structure "$2"
    check "$1: strict CSP with the hashes of its style and script" $CHK csp "$2"
    check "$1: embedded JSON equals --json" $CHK json "$2" "$3"
}

"$GENLOG" --lines 20000 --seed 7 -o "$TMP/g1.log"
"$PIPEFAN" logs --html "$TMP/g1.html" "$TMP/g1.log"
tap $? "genlog log: --html FILE exits 0"
"$PIPEFAN" logs --json "$TMP/g1.log" >"$TMP/g1.json"
page_ok "genlog" "$TMP/g1.html" "$TMP/g1.json"
"$PIPEFAN" logs --html - "$TMP/g1.log" >"$TMP/g1-stdout.html"
check "--html - writes the same page on stdout" cmp "$TMP/g1.html" "$TMP/g1-stdout.html"

if need_file "$APACHE" "apache_logs page checks"; then
    "$PIPEFAN" logs --top 20 --html "$TMP/a.html" "$APACHE"
    tap $? "apache_logs: --html exits 0"
    "$PIPEFAN" logs --top 20 --json "$APACHE" >"$TMP/a.json"
    page_ok "apache_logs" "$TMP/a.html" "$TMP/a.json"
fi

DB=$REAL/geoip-test-mmdb/GeoLite2-Country-Test.mmdb
if need_file "$DB" "the page with countries"; then
    printf '81.2.69.160 - - [01/Mar/2024:00:00:01 +0000] "GET / HTTP/1.1" 200 5 "-" "-"\n2001:218::1 - - [01/Mar/2024:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"\n' >"$TMP/geo.log"
    "$PIPEFAN" logs --geoip-db "$DB" --html "$TMP/geo.html" "$TMP/geo.log"
    "$PIPEFAN" logs --geoip-db "$DB" --json "$TMP/geo.log" >"$TMP/geo.json"
    page_ok "countries" "$TMP/geo.html" "$TMP/geo.json"
    check "countries: a client's country is shown" grep -q '<td>JP</td>' "$TMP/geo.html"
fi

# logs merge STATE... writes the page too
"$PIPEFAN" logs --state "$TMP/g1.state" "$TMP/g1.log" >/dev/null
"$PIPEFAN" logs merge --html "$TMP/m.html" "$TMP/g1.state"
tap $? "logs merge --html FILE exits 0"
"$PIPEFAN" logs merge --json "$TMP/g1.state" >"$TMP/m.json"
check "logs merge: embedded JSON equals merge --json" $CHK json "$TMP/m.html" "$TMP/m.json"

# every panel, in the order of panels.h, and only those asked for
check "one section per panel, in order" python3 - "$TMP/g1.html" <<'PY'
import re, sys
got = re.findall(r'<section id="p-([a-z_]+)"', open(sys.argv[1]).read())
want = ["totals", "status", "methods", "protocols", "paths", "clients",
        "countries", "hours", "days", "referrers", "agents", "not_found",
        "vhosts", "bad", "files"]
sys.exit(0 if got == want else print(got) or 1)
PY
"$PIPEFAN" logs --panels paths,totals --html "$TMP/p.html" "$TMP/g1.log"
check "--panels: only those sections" python3 -c '
import re, sys
got = re.findall(r"<section id=\"p-([a-z_]+)\"", open(sys.argv[1]).read())
sys.exit(0 if got == ["totals", "paths"] else print(got) or 1)' "$TMP/p.html"

# hostile strings: text, never markup
python3 "$HERE/hostile-log.py" "$TMP/h.log"
expect_exit "hostile log: report written, exit 3 (bad lines)" 3 \
    "$PIPEFAN" logs --top 50 --html "$TMP/h.html" "$TMP/h.log"
"$PIPEFAN" logs --top 50 --json "$TMP/h.log" >"$TMP/h.json" 2>/dev/null
page_ok "hostile" "$TMP/h.html" "$TMP/h.json"
check "hostile: markup, scripts and javascript: URLs shown as text" \
    $CHK text "$TMP/h.html" \
    '/<script>window.__pwned=1</script>' \
    '/"><img src=x onerror=window.__pwned=3>' \
    "/'><svg onload=window.__pwned=4>" \
    'javascript:window.__pwned=6' \
    '<script>window.__pwned=11</script>' \
    '/ls\\u2028ps\\u2029end' \
    '/bad-utf8-\\xff\\xfe\\xc3(\\xed\\xa0\\x80' \
    '/rlo-\\u202efdp.exe' \
    '/&amp;&lt;script&gt;' \
    '<script>window.__pwned=13</script> not a log line' \
    '/esc\\x1b]52;c;eA==\\x07\\x1b[2J'
check "hostile: a 60 KiB agent is cut in its cell" python3 -c '
import sys
s = open(sys.argv[1], encoding="utf-8").read()
i = s.find("&lt;script&gt;window.__pwned=12")
cell = s[i:s.find("</td>", i)]
sys.exit(0 if 1000 < len(cell) < 1200 and cell.endswith("\u2026") else print(len(cell)) or 1)' "$TMP/h.html"

# the size: bounded by --top, not by the input
"$GENLOG" --lines 200000 --seed 7 -o "$TMP/g2.log"
"$PIPEFAN" logs --html "$TMP/g2.html" "$TMP/g2.log"
check "--top 10: the page of a 10x larger log is under 100 KB too" python3 -c '
import os, sys
a, b = (os.path.getsize(p) for p in sys.argv[1:3])
sys.exit(0 if a < 100000 and b < 100000 else print(a, b) or 1)' "$TMP/g1.html" "$TMP/g2.html"
"$PIPEFAN" logs --top 0 --html "$TMP/g0.html" "$TMP/g2.log"
check "--top 0: at most 1000 rows per table and per JSON list" python3 - "$TMP/g0.html" <<'PY'
import json, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
rows = [sec.count("<tr><td") for sec in s.split("<section ")[1:]]
d = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', s, re.S).group(1))
lists = [len(v) for v in d.values() if isinstance(v, list)]
big = max(rows) if rows else 0
sys.exit(0 if big == 1000 and max(lists) <= 1000 else print(rows, lists) or 1)
PY

# the output file: only when the report was written, never through a symlink
expect_exit "--html with --json: usage error" 2 \
    "$PIPEFAN" logs --json --html "$TMP/x.html" "$TMP/g1.log"
expect_exit "--html into a missing directory: exit 1" 1 \
    "$PIPEFAN" logs --html "$TMP/no/such/dir/x.html" "$TMP/g1.log"
check "... and says which" grep -q -- "--html .*no/such/dir/x.html: No such file" "$TMP/last.err"
expect_exit "--html DIR/: exit 1" 1 "$PIPEFAN" logs --html "$TMP/" "$TMP/g1.log"
expect_exit "diff --html: usage error" 2 "$PIPEFAN" logs diff --html "$TMP/d.html" a b
echo old >"$TMP/keep.html"
expect_exit "a failed run (missing input): exit 1" 1 \
    "$PIPEFAN" logs --html "$TMP/keep.html" "$TMP/missing.log"
check "... leaves the old file as it was" grep -qx old "$TMP/keep.html"
check "... and no temporary file" sh -c "! ls -A '$TMP' | grep -q '^\\.keep'"
echo secret >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/link.html"
"$PIPEFAN" logs --html "$TMP/link.html" "$TMP/g1.log"
check "a symlink at FILE is replaced, its target untouched" sh -c \
    "grep -qx secret '$TMP/victim' && [ ! -L '$TMP/link.html' ] && cmp -s '$TMP/link.html' '$TMP/g1.html'"
(P=$(cd "$(dirname "$PIPEFAN")" && pwd)/$(basename "$PIPEFAN") && cd "$TMP" && "$P" logs --html rel.html g1.log)
check "a FILE without a directory lands in the working directory" $CHK structure "$TMP/rel.html"

done_testing
