#!/bin/bash
# cli-formats.sh - the formats beyond the NCSA family end to end.  genlog
# writes the same requests as combined, W3C (its "#Fields:" layout
# switching every 50,000 lines) and nginx JSON; pipefan's reports on the
# three must agree panel by panel, with small chunks so that most W3C
# chunks start after the header they need, and from standard input.  The
# W3C and JSON totals are also recomputed independently (awk, python's
# json module).  Every matomo-formats fixture must parse with its format
# detected (skipped without ../shared).
. "$(dirname "$0")/lib.sh" "$@"

# W3C times are UTC: its combined twin is written in UTC too
N=120000
for f in combined w3c json; do
    "$GENLOG" --lines $N --seed 11 --tz +0100 --format $f -o "$TMP/g.$f"
    tap $? "genlog wrote $N lines as $f"
done
"$GENLOG" --lines $N --seed 11 --tz +0000 -o "$TMP/g.utc"
for f in combined utc w3c json; do
    "$PIPEFAN" logs --json --strip-query -j 2 --chunk-size 262144 "$TMP/g.$f" \
        >"$TMP/r.$f.json" 2>"$TMP/r.$f.err"
    tap $? "pipefan read the $f log" "$(head -c 600 "$TMP/r.$f.err")"
done
IN=$TMP/g.w3c bounded 300 "$PIPEFAN" logs --json --strip-query -j 2 - \
    >"$TMP/r.stdin.json" 2>"$TMP/r.stdin.err"
tap $? "pipefan read the W3C log from standard input"

# same PANELS in A and B (JSON reports)
same() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
bad = []
for k in ("requests", "bytes", "unique_clients", "unique_paths", "first",
          "last", "bad_lines"):
    if a["totals"][k] != b["totals"][k]:
        bad.append("totals.%s: %r != %r" % (k, a["totals"][k], b["totals"][k]))
for p in sys.argv[3].split(","):
    if a[p] != b[p]:
        bad.append("panel %s differs: %r... != %r..." % (p, str(a[p])[:200],
                                                          str(b[p])[:200]))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}
P="status,status_classes,methods,protocols,paths,clients,hours,days,not_found"
check "W3C report equals the combined one" same "$TMP/r.utc.json" "$TMP/r.w3c.json" $P
check "JSON report equals the combined one" same "$TMP/r.combined.json" "$TMP/r.json.json" "$P,referrers,agents"
check "W3C from stdin equals the combined one" same "$TMP/r.utc.json" "$TMP/r.stdin.json" $P
check "W3C detected" pyjson "$TMP/r.w3c.json" 'd["format"] == "w3c"'
check "nginx JSON detected" pyjson "$TMP/r.json.json" 'd["format"] == "nginx_json"'

# independent totals: awk reads the W3C columns by the header in effect
LC_ALL=C awk '
/^#Fields:/ { delete col; for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
/^#/ { next }
{ n++; b += $col["sc-bytes"]; s[$col["sc-status"]]++ }
END { printf "%d %.0f %d %d\n", n, b, s[200], s[404] }' "$TMP/g.w3c" >"$TMP/awk.w3c"
check "W3C totals equal awk's" pyjson "$TMP/r.w3c.json" \
    "open('$TMP/awk.w3c').read().split() == [str(d['totals']['requests']), str(d['totals']['bytes']), str(d['status'].get('200', 0)), str(d['status'].get('404', 0))]"
python3 - "$TMP/g.json" >"$TMP/py.json" <<'PY'
import json, sys
n = b = 0
st = {}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    n += 1
    b += int(o["body_bytes_sent"])
    st[str(o["status"])] = st.get(str(o["status"]), 0) + 1
print(json.dumps([n, b, st], sort_keys=True))
PY
check "JSON totals equal python's json module" pyjson "$TMP/r.json.json" \
    "json.load(open('$TMP/py.json')) == [d['totals']['requests'], d['totals']['bytes'], d['status']]"

# --json-fields: the same log read through an explicit mapping
"$PIPEFAN" logs --json --strip-query -j 2 --json-fields \
    'client=remote_addr,request=request,status=status,bytes=body_bytes_sent,time=time_iso8601,referer=http_referer,agent=http_user_agent,duration=request_time' \
    "$TMP/g.json" >"$TMP/r.map.json" 2>"$TMP/r.map.err"
tap $? "--json-fields read the JSON log" "$(head -c 600 "$TMP/r.map.err")"
check "--json-fields report equals the combined one" same "$TMP/r.combined.json" "$TMP/r.map.json" "$P,referrers,agents"
expect_exit "--json-fields without status is a usage error" 2 \
    "$PIPEFAN" logs --json-fields 'client=a' "$TMP/g.json"

# every matomo-formats fixture parses with its format detected
FX=$REAL/fixtures/matomo-formats
if [ -d "$FX" ]; then
    while read -r file fmt reqs; do
        "$PIPEFAN" logs --json "$FX/$file" >"$TMP/fx.json" 2>/dev/null
        check "$file: format $fmt, $reqs requests" pyjson "$TMP/fx.json" \
            "d['format'] == '$fmt' and d['totals']['requests'] == $reqs"
    done <<'EOF_FX'
alb.log alb 1
amazon_cloudfront_web.log w3c 1
caddy_json.log caddy 3
elb.log elb 1
gandi.log gandi 2
haproxy.log haproxy 1
icecast2.log combined 1
iis.log w3c 1
iis_custom.log w3c 3
incapsula_w3c.log w3c 1
netscaler.log w3c 1
nginx_json.log nginx_json 2
ovh.log combined 1
s3.log s3 1
splitted_date_and_time.log w3c 1
traefik_json.log traefik_json 1
EOF_FX
else
    echo "ok $((T_N + 1)) # SKIP $FX is not available (no ../shared beside the tree)"
    T_N=$((T_N + 1))
fi
done_testing
