#!/bin/bash
# cli-real.sh - pipefan logs on the real logs in ../shared/realdata: the
# reference values of SOURCES.md, identical JSON for every copy (gzip, zstd,
# stdin), every worker count and chunk size, every fixture analysed with
# its bad lines classified, and the exit codes.
. "$(dirname "$0")/lib.sh" "$@"

if [ ! -r "$APACHE" ]; then
    echo "1..0 # SKIP $APACHE is not available"
    exit 0
fi

J=$TMP/apache.json
"$PIPEFAN" logs --json --top 20 "$APACHE" >"$J"
tap $? "apache_logs analysed, exit 0"

check "totals equal SOURCES.md" pyjson "$J" \
  'd["totals"]["requests"] == 10000 and d["totals"]["unique_clients"] == 1753 and d["totals"]["bytes"] == 2747282740 and d["totals"]["bad_lines"] == 0 and d["totals"]["unique_paths"] == 1498'
check "status counts equal SOURCES.md" pyjson "$J" \
  'd["status"] == {"200": 9126, "304": 445, "404": 213, "301": 164, "206": 45, "500": 3, "416": 2, "403": 2}'
check "top paths equal SOURCES.md" pyjson "$J" \
  '[(p["path"], p["hits"]) for p in d["paths"][:5]] == [("/favicon.ico", 807), ("/style2.css", 546), ("/reset.css", 538), ("/images/jordan-80.png", 533), ("/images/web/2009/banner.png", 516)]'
check "top clients equal SOURCES.md" pyjson "$J" \
  '[(c["client"], c["hits"]) for c in d["clients"][:3]] == [("66.249.73.135", 482), ("46.105.14.53", 364), ("130.237.218.86", 357)]'
check "methods equal SOURCES.md" pyjson "$J" \
  '{m["method"]: m["hits"] for m in d["methods"]} == {"GET": 9952, "HEAD": 42, "POST": 5, "OPTIONS": 1}'
check "busiest hours equal SOURCES.md" pyjson "$J" \
  'sorted(((h["hits"], h["hour"]) for h in d["hours"]), reverse=True)[:2] == [(136, "2015-05-19T19"), (134, "2015-05-19T14")]'
check "first and last times" pyjson "$J" \
  'd["totals"]["first"] == "2015-05-17T10:05:00+00:00" and d["totals"]["last"] == "2015-05-20T21:05:59+00:00"'
check "unique raw paths and UAs" pyjson "$J" \
  'd["totals"]["unique_paths"] == 1498'

# the same JSON from every copy of the data
json_sans_files "$J" "$TMP/ref.json"
"$PIPEFAN" logs --json --top 20 "$APACHE.gz" >"$TMP/gz.json"
json_sans_files "$TMP/gz.json" "$TMP/gz2.json"
check ".gz copy gives identical JSON" cmp "$TMP/ref.json" "$TMP/gz2.json"
check ".gz copy is reported as gzip" pyjson "$TMP/gz.json" 'd["files"][0]["compression"] == "gzip"'
if command -v zstd >/dev/null; then
    zstd -q -c "$APACHE" >"$TMP/apache.log.zst"
    "$PIPEFAN" logs --json --top 20 "$TMP/apache.log.zst" >"$TMP/zst.json"
    json_sans_files "$TMP/zst.json" "$TMP/zst2.json"
    check ".zst copy gives identical JSON" cmp "$TMP/ref.json" "$TMP/zst2.json"
fi
cp "$APACHE.gz" "$TMP/no-suffix"
"$PIPEFAN" logs --json --top 20 "$TMP/no-suffix" >"$TMP/ns.json"
json_sans_files "$TMP/ns.json" "$TMP/ns2.json"
check "gzip found by magic bytes, not by name" cmp "$TMP/ref.json" "$TMP/ns2.json"
"$PIPEFAN" logs --json --top 20 - <"$APACHE" >"$TMP/stdin.json"
json_sans_files "$TMP/stdin.json" "$TMP/stdin2.json"
check "stdin gives identical JSON" cmp "$TMP/ref.json" "$TMP/stdin2.json"
"$PIPEFAN" logs --json --top 20 - <"$APACHE.gz" >"$TMP/stdin-gz.json"
json_sans_files "$TMP/stdin-gz.json" "$TMP/stdin-gz2.json"
check "gzip on stdin gives identical JSON" cmp "$TMP/ref.json" "$TMP/stdin-gz2.json"

# identical JSON for any worker count and chunk size, processes or serial
for j in 1 2 8; do
    for cs in 4096 65536 1M; do
        "$PIPEFAN" logs --json --top 20 -j $j --chunk-size $cs "$APACHE" >"$TMP/j.json"
        check "identical JSON with -j $j --chunk-size $cs" cmp "$J" "$TMP/j.json"
    done
done
PIPEFAN_SERIAL=1 "$PIPEFAN" logs --json --top 20 --chunk-size 8192 "$APACHE" >"$TMP/serial.json"
check "identical JSON in serial mode" cmp "$J" "$TMP/serial.json"
"$PIPEFAN" logs --json --top 0 -j 3 --chunk-size 5000 "$APACHE" >"$TMP/all1.json"
"$PIPEFAN" logs --json --top 0 -j 1 "$APACHE" >"$TMP/all2.json"
check "identical full JSON (--top 0) with -j 3 and odd chunks" cmp "$TMP/all1.json" "$TMP/all2.json"
check "--top 0 lists every path" pyjson "$TMP/all1.json" 'len(d["paths"]) == 1498 and len(d["clients"]) == 1753'

# every fixture: analysed without a crash, every line accounted for
for f in "$REAL"/fixtures/*/*; do
    name=${f#"$REAL"/fixtures/}
    "$PIPEFAN" logs --json "$f" >"$TMP/fx.json" 2>"$TMP/fx.err"
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
        tap 1 "fixture $name analysed" "exit $rc: $(head -c 400 "$TMP/fx.err")"
        continue
    fi
    check "fixture $name: lines = requests + bad + ignored, bad classified" pyjson "$TMP/fx.json" \
      "(lambda t: t['lines'] == t['requests'] + t['bad_lines'] + t['ignored_lines'] + t['filtered'] and sum(d['bad'].values()) == t['bad_lines'] and all(k in ('empty','comment','error_log','binary','too_long','truncated','client','time','request','status','bytes','format') for k in d['bad']) and (t['bad_lines'] == 0) == ($rc == 0))(d['totals'])"
done
"$PIPEFAN" logs --json "$REAL"/fixtures/*/* >"$TMP/allfx.json" 2>/dev/null
check "all fixtures at once: bad-line samples name file and line" pyjson "$TMP/allfx.json" \
  'd["totals"]["bad_lines"] > 0 and all(s["line"] > 0 and s["file"].startswith("/") or "/" in s["file"] for s in d["bad_samples"])'
check "nginx error-log lines classified as error_log" pyjson "$TMP/allfx.json" \
  'd["bad"].get("error_log", 0) > 0'

# exit codes
expect_exit "no subcommand: exit 2" 2 "$PIPEFAN"
expect_exit "unknown subcommand: exit 2" 2 "$PIPEFAN" frobnicate
expect_exit "--version: exit 0" 0 "$PIPEFAN" --version
check "--version lists the features" grep -q "features: gzip=" "$TMP/last.out"
expect_exit "--help: exit 0" 0 "$PIPEFAN" logs --help
expect_exit "no input: exit 2" 2 "$PIPEFAN" logs
expect_exit "unknown option: exit 2" 2 "$PIPEFAN" logs --frob "$APACHE"
expect_exit "bad -j: exit 2" 2 "$PIPEFAN" logs -j 0 "$APACHE"
expect_exit "bad regex: exit 2" 2 "$PIPEFAN" logs --include '(' "$APACHE"
expect_exit "bad panel: exit 2" 2 "$PIPEFAN" logs --panels paths,nope "$APACHE"
expect_exit "missing only input: exit 1" 1 "$PIPEFAN" logs "$TMP/does-not-exist"
expect_exit "missing input among good ones: exit 3" 3 "$PIPEFAN" logs --json "$TMP/does-not-exist" "$APACHE"
check "... and the good one still counts" pyjson "$TMP/last.out" 'd["totals"]["requests"] == 10000'
expect_exit "clean input: exit 0" 0 "$PIPEFAN" logs "$APACHE"

done_testing
