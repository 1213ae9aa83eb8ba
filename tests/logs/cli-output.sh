#!/bin/bash
# cli-output.sh - the three outputs escape what came from the logs (JSON,
# CSV per RFC 4180, terminal text), colour rules, panels and top-N, the
# filters end to end, and GeoIP countries from MaxMind's test database.
. "$(dirname "$0")/lib.sh" "$@"

E=$TMP/evil.log
{
    printf '1.2.3.4 - - [01/Mar/2024:00:00:01 +0000] "GET /q\\"uote\\\\back HTTP/1.1" 200 5 "-" "A,B \\"C\\""\n'
    printf '1.2.3.4 - - [01/Mar/2024:00:00:02 +0000] "GET /esc\033[31mred HTTP/1.1" 200 5 "-" "-"\n'
    printf '1.2.3.4 - - [01/Mar/2024:00:00:03 +0000] "GET /big5-\xa4\xa4\xa4\xe5 HTTP/1.1" 200 5 "-" "-"\n'
    printf '1.2.3.4 - - [01/Mar/2024:00:00:04 +0000] "GET /caf\xc3\xa9 HTTP/1.1" 404 5 "-" "-"\n'
    printf '1.2.3.4 - - [01/Mar/2024:00:00:05 +0000] "GET /c1-\xc2\x9b31m HTTP/1.1" 200 5 "-" "-"\n'
    printf '1.2.3.4 - - [01/Mar/2024:00:00:06 +0000] "GET /comma,path HTTP/1.1" 200 5 "-" "-"\n'
} >"$E"

"$PIPEFAN" logs --json --top 0 "$E" >"$TMP/e.json"
check "JSON with hostile strings is valid JSON and valid UTF-8" python3 -c '
import json, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")
json.loads(raw)
assert b"\x1b" not in raw' "$TMP/e.json"
check "JSON keeps quotes, backslashes and valid UTF-8" pyjson "$TMP/e.json" \
  "{p['path'] for p in d['paths']} >= {'/q\\\\\"uote\\\\\\\\back', '/caf\u00e9', '/comma,path'}"
check "JSON escapes control characters (a bad-line sample), invalid UTF-8 becomes U+FFFD" pyjson "$TMP/e.json" \
  "d['bad'] == {'binary': 1} and '/esc\x1b[31mred' in d['bad_samples'][0]['text'] and any(p['path'].startswith('/big5-\ufffd') for p in d['paths'])"
check "JSON raw bytes use \\u escapes" grep -q '\\u001b\[31mred' "$TMP/e.json"

"$PIPEFAN" logs --csv paths --top 0 "$E" >"$TMP/e.csv"
check "CSV parses back with RFC 4180 quoting" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[0] == ["path", "hits", "bytes", "clients"], rows[0]
paths = {r[0] for r in rows[1:]}
assert "/comma,path" in paths and "/q\\\"uote\\\\back" in paths, paths
assert all(len(r) == 4 for r in rows)' "$TMP/e.csv"
check "CSV rows end with CRLF" grep -q $'\r$' "$TMP/e.csv"
"$PIPEFAN" logs --csv agents "$E" >"$TMP/ua.csv"
check "CSV quotes a field with quotes and commas" grep -qF '"A,B \""C\"""' "$TMP/ua.csv"
mkdir -p "$TMP/csvdir"
expect_exit "--csv DIR/ writes every panel: exit 3 (one bad line)" 3 "$PIPEFAN" logs --csv "$TMP/csvdir/" "$E"
check "--csv DIR/ wrote one file per panel" test -s "$TMP/csvdir/paths.csv" -a -s "$TMP/csvdir/status.csv" -a -s "$TMP/csvdir/totals.csv"

"$PIPEFAN" logs --no-color --width 80 "$E" >"$TMP/e.txt"
check "text escapes ESC and C1 controls" python3 -c '
import sys
raw = open(sys.argv[1], "rb").read()
assert b"\x1b" not in raw and b"\xc2\x9b" not in raw
assert b"\\x1b" in raw or b"\\x" in raw' "$TMP/e.txt"
check "text lines fit --width 80" python3 -c '
import sys
for l in open(sys.argv[1], encoding="utf-8", errors="replace"):
    assert len(l.rstrip("\n")) <= 80, l' "$TMP/e.txt"
"$PIPEFAN" logs --color "$E" >"$TMP/c.txt"
check "--color colours" grep -q $'\033\[' "$TMP/c.txt"
NO_COLOR=1 script -qc "$PIPEFAN logs --no-progress $E" /dev/null >"$TMP/tty.txt" 2>&1 </dev/null
check "NO_COLOR on a TTY: no colour" bash -c "! grep -q \$'\033\\[1;36m' '$TMP/tty.txt'"
script -qc "$PIPEFAN logs --no-progress $E" /dev/null >"$TMP/tty2.txt" 2>&1 </dev/null
check "on a TTY: colour" grep -q $'\033\[1;36m' "$TMP/tty2.txt"

# panels, top, filters and a user format on the real apache_logs
# (../shared/realdata beside the tree)
if need_file "$APACHE" "9 checks of panels, filters and --format"; then
    # panels and top
    "$PIPEFAN" logs --json --panels totals,paths --top 2 "$APACHE" >"$TMP/p.json"
    check "--panels keeps only those panels" pyjson "$TMP/p.json" \
      "set(d) == {'pipefan', 'format', 'totals', 'paths'} and len(d['paths']) == 2"

    # filters end to end (apache_logs reference: 404 = 213, 5xx = 3)
    "$PIPEFAN" logs --json --status 404 "$APACHE" >"$TMP/f.json"
    check "--status 404" pyjson "$TMP/f.json" "d['totals']['requests'] == 213 and d['status'] == {'404': 213} and d['totals']['filtered'] == 9787"
    "$PIPEFAN" logs --json --status 5xx --status 416 "$APACHE" >"$TMP/f.json"
    check "--status 5xx --status 416" pyjson "$TMP/f.json" "d['status'] == {'500': 3, '416': 2}"
    "$PIPEFAN" logs --json --since 2015-05-19 --until 2015-05-19 "$APACHE" >"$TMP/f.json"
    check "--since/--until one day" pyjson "$TMP/f.json" \
      "d['totals']['first'].startswith('2015-05-19T00') and d['totals']['last'].startswith('2015-05-19T23') and [x['day'] for x in d['days']] == ['2015-05-19']"
    "$PIPEFAN" logs --json --client 66.249.73.135/32 "$APACHE" >"$TMP/f.json"
    check "--client CIDR" pyjson "$TMP/f.json" "d['totals']['requests'] == 482 and d['totals']['unique_clients'] == 1"
    "$PIPEFAN" logs --json --strip-query --top 0 "$APACHE" >"$TMP/f.json"
    check "--strip-query merges query strings" pyjson "$TMP/f.json" \
      "not any('?' in p['path'] for p in d['paths']) and sum(p['hits'] for p in d['paths']) == 10000"
    "$PIPEFAN" logs --json --exclude-static --top 0 "$APACHE" >"$TMP/f.json"
    check "--exclude-static drops assets" pyjson "$TMP/f.json" \
      "not any(p['path'].endswith(('.css', '.png', '.ico', '.js')) for p in d['paths']) and d['totals']['filtered'] > 0"
    "$PIPEFAN" logs --json --include '^/blog/' --exclude 'rss' --top 0 "$APACHE" >"$TMP/f.json"
    check "--include and --exclude regexes" pyjson "$TMP/f.json" \
      "all(p['path'].startswith('/blog/') and 'rss' not in p['path'] for p in d['paths']) and d['totals']['requests'] > 0"

    # user format given as a log_format string
    "$PIPEFAN" logs --json --format '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"' "$APACHE" >"$TMP/u.json"
    json_sans_files "$TMP/u.json" "$TMP/u1.json"
    "$PIPEFAN" logs --json "$APACHE" >"$TMP/a.json"
    json_sans_files "$TMP/a.json" "$TMP/a1.json"
    check "nginx log_format string = auto-detected combined" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
a.pop("format"); b.pop("format")
sys.exit(0 if a == b else 1)' "$TMP/u1.json" "$TMP/a1.json"
fi

# GeoIP with the MaxMind test database (fake, documented mappings)
DB=$REAL/geoip-test-mmdb/GeoLite2-Country-Test.mmdb
if need_file "$DB" "3 checks of --geoip-db"; then
    printf '81.2.69.160 - - [01/Mar/2024:00:00:01 +0000] "GET / HTTP/1.1" 200 5 "-" "-"\n81.2.69.160 - - [01/Mar/2024:00:00:02 +0000] "GET / HTTP/1.1" 200 5 "-" "-"\n2001:218::1 - - [01/Mar/2024:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "-"\n10.0.0.1 - - [01/Mar/2024:00:00:04 +0000] "GET / HTTP/1.1" 200 5 "-" "-"\n' >"$TMP/geo.log"
    "$PIPEFAN" logs --json --geoip-db "$DB" "$TMP/geo.log" >"$TMP/g.json"
    check "--geoip-db: client countries" pyjson "$TMP/g.json" \
      "{c['client']: c['country'] for c in d['clients']} == {'81.2.69.160': 'GB', '2001:218::1': 'JP', '10.0.0.1': None}"
    check "--geoip-db: countries panel" pyjson "$TMP/g.json" \
      "d['countries'] == [{'country': 'GB', 'hits': 2, 'bytes': 10, 'clients': 1}, {'country': None, 'hits': 1, 'bytes': 5, 'clients': 1}, {'country': 'JP', 'hits': 1, 'bytes': 5, 'clients': 1}]"
    expect_exit "--geoip-db with a missing file: exit 1" 1 "$PIPEFAN" logs --geoip-db "$TMP/nope.mmdb" "$TMP/geo.log"
fi

done_testing
