#!/bin/bash
# cli-crosscheck.sh - every panel of pipefan logs on generated logs equals
# an independent computation with awk (and only awk: no code shared with
# pipefan).  Each side prints "panel<TAB>key<TAB>hits<TAB>bytes" lines;
# the sorted lists must be identical.
. "$(dirname "$0")/lib.sh" "$@"

LOG=$TMP/gen.log
"$GENLOG" --lines 60000 --seed 7 --ipv6 0.2 --tz +0200 -o "$LOG"
tap $? "genlog wrote a combined log"

# awk: split on the quotes of the combined format:
#   $1 = 'client - user [time] '  $2 = request  $3 = ' status bytes '
#   $4 = referrer  $6 = user agent
LC_ALL=C awk -F'"' '
{
    split($1, a, " ");  client = a[1]; t = a[4]
    split($3, b, " ");  status = b[1]; bytes = (b[2] == "-") ? 0 : b[2]
    n = split($2, r, " "); method = r[1]; path = r[2]; proto = r[3]
    # [01/Mar/2024:02:00:01 -> 2024-03-01T02 (as logged)
    mon = index("JanFebMarAprMayJunJulAugSepOctNovDec", substr(t, 5, 3))
    mon = (mon + 2) / 3
    day = sprintf("%s-%02d-%s", substr(t, 9, 4), mon, substr(t, 2, 2))
    hour = day "T" substr(t, 14, 2)
    req++; tb += bytes
    H["status\t" status] += 1;     B["status\t" status] += bytes
    H["client\t" client] += 1;     B["client\t" client] += bytes
    H["path\t" path] += 1;         B["path\t" path] += bytes
    H["method\t" method] += 1;     B["method\t" method] += bytes
    H["protocol\t" proto] += 1;    B["protocol\t" proto] += bytes
    H["hour\t" hour] += 1;         B["hour\t" hour] += bytes
    H["day\t" day] += 1;           B["day\t" day] += bytes
    if ($4 != "-") { H["referrer\t" $4] += 1; B["referrer\t" $4] += bytes }
    if ($6 != "-") { H["agent\t" $6] += 1;    B["agent\t" $6] += bytes }
    if (status == 404) { H["404\t" path] += 1; B["404\t" path] += bytes }
    if (!((path, client) in PC)) { PC[path, client] = 1; UC[path]++ }
    if (!(client in C)) { C[client] = 1; nc++ }
}
END {
    for (k in H) printf "%s\t%d\t%d\n", k, H[k], B[k]
    for (p in UC) printf "clients-of\t%s\t%d\t0\n", p, UC[p]
    printf "totals\trequests\t%d\t%d\n", req, tb
    printf "totals\tunique_clients\t%d\t0\n", nc
}' "$LOG" | LC_ALL=C sort >"$TMP/awk.txt"

"$PIPEFAN" logs --json --top 0 -j 2 --chunk-size 64K "$LOG" >"$TMP/pf.json"
tap $? "pipefan logs analysed it"
python3 - "$TMP/pf.json" <<'PY' | LC_ALL=C sort >"$TMP/pf.txt"
import json, sys
d = json.load(open(sys.argv[1]))
def rows(panel, key, name):
    for e in d[key]:
        print("%s\t%s\t%d\t%d" % (panel, e[name], e["hits"], e["bytes"]))
for code, hits in d["status"].items():
    pass
rows("client", "clients", "client")
rows("path", "paths", "path")
rows("method", "methods", "method")
rows("protocol", "protocols", "protocol")
rows("hour", "hours", "hour")
rows("day", "days", "day")
rows("referrer", "referrers", "referrer")
rows("agent", "agents", "agent")
rows("404", "not_found", "path")
for p in d["paths"]:
    print("clients-of\t%s\t%d\t0" % (p["path"], p["clients"]))
print("totals\trequests\t%d\t%d" % (d["totals"]["requests"], d["totals"]["bytes"]))
print("totals\tunique_clients\t%d\t0" % d["totals"]["unique_clients"])
PY
# status bytes come from the CSV panel (the JSON status object holds hits)
"$PIPEFAN" logs --csv status --top 0 "$LOG" | tail -n +2 | tr -d '\r' |
    awk -F, '{printf "status\t%s\t%s\t%s\n", $1, $2, $3}' | LC_ALL=C sort >>"$TMP/pf.txt"
LC_ALL=C sort -o "$TMP/pf.txt" "$TMP/pf.txt"

for panel in totals status client path clients-of method protocol hour day referrer agent 404; do
    grep -P "^\Q$panel\E\t" "$TMP/awk.txt" >"$TMP/a.$panel"
    grep -P "^\Q$panel\E\t" "$TMP/pf.txt" >"$TMP/p.$panel"
    if [ -s "$TMP/a.$panel" ] && cmp -s "$TMP/a.$panel" "$TMP/p.$panel"; then
        tap 0 "panel $panel equals awk ($(wc -l <"$TMP/a.$panel") rows)"
    else
        tap 1 "panel $panel equals awk" "$(diff "$TMP/a.$panel" "$TMP/p.$panel" | head -8)"
    fi
done

# the top-N of a ranked panel is the head of the full ranking
"$PIPEFAN" logs --json --top 5 "$LOG" >"$TMP/top5.json"
check "--top 5 is the head of the full ranking" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(0 if a["paths"][:5] == b["paths"] and len(b["paths"]) == 5 else 1)' "$TMP/pf.json" "$TMP/top5.json"

# common format: the panels it has
"$GENLOG" --lines 20000 --seed 3 --format common -o "$TMP/common.log"
LC_ALL=C awk '{ b = ($10 == "-") ? 0 : $10; H[$9]++; B[$9] += b; P[$7]++ }
    END { for (k in H) printf "status\t%s\t%d\t%d\n", k, H[k], B[k];
          for (k in P) printf "path\t%s\t%d\n", k, P[k] }' "$TMP/common.log" |
    LC_ALL=C sort >"$TMP/ca.txt"
"$PIPEFAN" logs --json --top 0 "$TMP/common.log" >"$TMP/c.json"
python3 - "$TMP/c.json" "$TMP/common.log" <<'PY' | LC_ALL=C sort >"$TMP/cp.txt"
import json, sys, csv
d = json.load(open(sys.argv[1]))
for p in d["paths"]:
    print("path\t%s\t%d" % (p["path"], p["hits"]))
PY
"$PIPEFAN" logs --csv status "$TMP/common.log" | tail -n +2 | tr -d '\r' |
    awk -F, '{printf "status\t%s\t%s\t%s\n", $1, $2, $3}' >>"$TMP/cp.txt"
LC_ALL=C sort -o "$TMP/cp.txt" "$TMP/cp.txt"
check "common format: status and paths equal awk" diff "$TMP/ca.txt" "$TMP/cp.txt"
check "common format detected" pyjson "$TMP/c.json" 'd["format"] == "common" and d["totals"]["requests"] == 20000'

# bad lines mixed in: requests = the good lines, bad = the injected ones
"$GENLOG" --lines 30000 --seed 11 --bad 0.01 --report -o "$TMP/bad.log" 2>"$TMP/report"
good=$(sed 's/.*good=\([0-9]*\).*/\1/' "$TMP/report")
bad=$(sed 's/.*bad=\([0-9]*\).*/\1/' "$TMP/report")
"$PIPEFAN" logs --json -j 2 --chunk-size 16K "$TMP/bad.log" >"$TMP/bad.json"
check "with injected bad lines: requests = $good, bad = $bad" pyjson "$TMP/bad.json" \
  "d['totals']['requests'] == $good and d['totals']['bad_lines'] + d['totals']['ignored_lines'] == $bad"
check "bad-line samples carry the right line numbers" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
lines = open(sys.argv[2], "rb").read().split(b"\n")
ok = all(lines[s["line"] - 1].startswith(s["text"][:8].encode("utf-8", "replace")) or s["reason"] == "binary"
         for s in d["bad_samples"])
ok = ok and len(d["bad_samples"]) > 0 and all(s["line"] > 1 for s in d["bad_samples"])
sys.exit(0 if ok else 1)' "$TMP/bad.json" "$TMP/bad.log"
"$PIPEFAN" logs --json -j 1 "$TMP/bad.log" >"$TMP/bad1.json"
check "bad-line samples identical for -j 1 and -j 2 with small chunks" cmp "$TMP/bad.json" "$TMP/bad1.json"

done_testing
