#!/bin/bash
# cli-layout.sh - the text report's layout (issue 20 item 8): the Files
# panel keeps the end of long file names and fits the width, --width is
# honoured there, wide characters count two columns, --stats uses the
# report's KiB/MiB units.  TAP on stdout.
. "$(dirname "$0")/lib.sh" "$@"

D=$TMP/var/log/nginx/archive/2026
mkdir -p "$D"
"$GENLOG" --lines 400 --seed 20 -o "$D/access.log.1" >/dev/null
"$GENLOG" --lines 300 --seed 21 -o "$D/access.log.2" >/dev/null
gzip -k "$D/access.log.1"

# widest line of a text report, in characters (UTF-8 decoded)
widest() { python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")))' "$1"; }

files_panel() { # WIDTH OUT
    "$PIPEFAN" logs --no-color --panels files --width "$1" \
        "$D/access.log.1.gz" "$D/access.log.2" >"$2"
}

for w in 80 60; do
    files_panel $w "$TMP/f$w.txt"
    n=$(widest "$TMP/f$w.txt")
    tap $([ "$n" -le $w ] && echo 0 || echo 1) \
        "--width $w: the Files panel's widest line is $n columns" "$(cat "$TMP/f$w.txt")"
    tap $(grep -q '/access\.log\.1\.gz$' "$TMP/f$w.txt" &&
        grep -q '/access\.log\.2$' "$TMP/f$w.txt" && echo 0 || echo 1) \
        "--width $w: the file names' ends are kept" "$(cat "$TMP/f$w.txt")"
done

# a path of wide characters: cut by columns, two each
W=$TMP/$(printf '\344\270\255%.0s' $(seq 1 30))
mkdir -p "$W"
cp "$D/access.log.2" "$W/x.log"
"$PIPEFAN" logs --no-color --panels files --width 60 "$W/x.log" \
    "$D/access.log.2" >"$TMP/wide.txt"
python3 - "$TMP/wide.txt" <<'PY'
import sys, unicodedata
bad = 0
for line in open(sys.argv[1], encoding="utf-8"):
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in line.rstrip("\n"))
    if cols > 60:
        print("%d columns: %s" % (cols, line.rstrip()))
        bad = 1
sys.exit(bad)
PY
tap $? "wide characters count two columns in the Files panel" "$(cat "$TMP/wide.txt")"

"$PIPEFAN" logs --stats --json "$D/access.log.2" >/dev/null 2>"$TMP/stats.err"
tap $(grep -Eq ' (KiB|MiB|B) ' "$TMP/stats.err" && ! grep -Eq '[0-9](kB|MB)' "$TMP/stats.err" &&
    echo 0 || echo 1) "--stats sizes in KiB/MiB like the report" "$(cat "$TMP/stats.err")"
# --stats: peak memory summed over the processes and the sink's keys; the
# paths and clients it names are the report's unique counts
"$PIPEFAN" logs --stats --json -j2 "$D/access.log.2" >"$TMP/stats.json" 2>"$TMP/stats.err"
want=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print("paths %d, clients %d," % (t["unique_paths"], t["unique_clients"]))' "$TMP/stats.json")
tap $(grep -Eq '^peak memory: [0-9.]+ MiB, the sum of the peak RSS \(VmHWM\) of [4-9] processes' "$TMP/stats.err" &&
    grep -q '^  parse  x[12] ' "$TMP/stats.err" && grep -q "^distinct keys (the sink's tables): $want" "$TMP/stats.err" &&
    echo 0 || echo 1) "--stats: peak memory of every process, distinct keys per table" "$(cat "$TMP/stats.err")"

done_testing
