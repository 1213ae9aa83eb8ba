#!/bin/bash
# cli-readme.sh - the README's commands run as written (issue 20).  Every
# `$ command` line of the README's fenced blocks is extracted and run in a
# scratch directory that holds what the command names (logs/*.gz, a
# ./whois-lookup script, big.log, host and day states, the nginx logs; the
# one absolute path, /var/log/nginx/, is moved under the scratch directory);
# where the README shows the output, the output must be that, byte for
# byte.  A command whose files are not here fails, so a new README command
# cannot go unchecked: give it its fixture.  `make demo` runs as tools/demo.sh
# (what the Makefile target runs after building); `make check` is this
# suite; the install commands and the C example are run by
# tests/integration/install.sh.
. "$(dirname "$0")/lib.sh" "$@"

README=$ROOT/README.md
BIN=$(cd "$(dirname "$PIPEFAN")" && pwd)
SB=$TMP/sb
mkdir -p "$SB/repo" "$SB/bin" "$SB/repo/logs" "$SB/var/log/nginx"
ln -s "$BIN/$(basename "$PIPEFAN")" "$SB/bin/pipefan"
[ -d "$ROOT/../shared" ] && ln -s "$ROOT/../shared" "$SB/shared"

# The fixtures, small: what the commands read.
"$GENLOG" --lines 20000 --seed 11 -o "$SB/repo/big.log"
for i in 1 2 3; do
    "$GENLOG" --lines 3000 --seed $((20 + i)) | gzip -c >"$SB/repo/logs/web$i.gz"
done
printf '#!/bin/sh\n# a stand-in lookup: the client of each line\nexec cut -d" " -f1\n' \
    >"$SB/repo/whois-lookup"
chmod +x "$SB/repo/whois-lookup"
NGINX=$SB/var/log/nginx
"$GENLOG" --lines 4000 --seed 31 -o "$NGINX/access.log"
"$GENLOG" --lines 4000 --seed 32 -o "$NGINX/access.log.1"
"$GENLOG" --lines 4000 --seed 33 | gzip -c >"$NGINX/access.log.2.gz"
for s in host1:41 host2:42 monday:43 tuesday:44; do
    "$GENLOG" --lines 2000 --seed "${s#*:}" -o "$TMP/${s%:*}.log"
    "$PIPEFAN" logs --state "$SB/repo/${s%:*}.state" "$TMP/${s%:*}.log" >/dev/null 2>&1 ||
        echo "# fixture ${s%:*}.state: pipefan logs --state failed"
done

# extract: one "CMD<TAB>OUTFILE" line per `$ ` command; the lines after a
# command up to the next command or the fence are its expected output.
python3 - "$README" "$TMP/cmds" <<'EOF' >"$TMP/list"
import sys, os
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out_dir = sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
inside, plain, cmds, cur = False, False, [], None
for line in lines:
    if line.startswith("```"):
        inside = not inside
        plain = inside and line.strip() == "```"
        cur = None
        continue
    if not plain:
        continue
    if line.startswith("$ "):
        cur = [line[2:], []]
        cmds.append(cur)
    elif cur:
        cur[1].append(line)
for i, (cmd, expect) in enumerate(cmds):
    path = os.path.join(out_dir, "expect%d" % i)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(e + "\n" for e in expect))
    print("%s\t%s" % (cmd, path))
EOF

# The checks a command's effect gets besides its exit status.
after() { # after CMD: 0 when what CMD made is right
    case $1 in
    *"'wc -l' < big.log"*)
        [ "$(cat "$TMP/out")" = "$(wc -l <"$SB/repo/big.log")" ] ;;
    *"'gzip -c' < big.log > big.log.gz"*)
        gzip -dc "$SB/repo/big.log.gz" | cmp -s - "$SB/repo/big.log" ;;
    *"'./whois-lookup'"*)
        [ "$(awk '{n += $1} END {print n}' "$TMP/out")" -eq 9000 ] ;;
    *"--state web.state"*)
        [ -s "$SB/repo/web.state" ] ;;
    *" merge --json host1.state host2.state"*)
        pyjson "$TMP/out" "d['totals']['requests'] == 4000" ;;
    *) true ;;
    esac
}

count=0
while IFS=$'\t' read -r cmd expect; do
    count=$((count + 1))
    run=${cmd//\/var\/log\/nginx\//$NGINX/}
    if [[ $run == *../shared/* ]] && [ ! -d "$SB/shared" ]; then
        T_N=$((T_N + 1))
        echo "ok $T_N # SKIP README: $cmd: needs ../shared beside the tree"
        continue
    fi
    (cd "$SB/repo" && PATH=$SB/bin:$PATH COLUMNS=80 bash -c "$run") \
        >"$TMP/out" 2>"$TMP/err" </dev/null
    rc=$?
    why=
    if [ $rc -ne 0 ]; then
        why="exit $rc: $(head -c 600 "$TMP/err")"
    elif [ -s "$expect" ] && ! diff "$expect" "$TMP/out" >"$TMP/diff"; then
        why="output differs from the README:
$(head -n 30 "$TMP/diff")"
    elif ! after "$cmd"; then
        why="its result is wrong: $(head -c 300 "$TMP/out")"
    fi
    [ -z "$why" ]
    tap $? "README: $cmd" "$why"
done <"$TMP/list"

check "the README has the commands this script knows (7 or more)" test "$count" -ge 7
check "make demo (tools/demo.sh after the build) runs and exits 0 or 3" \
    "$ROOT/tools/demo.sh" "$BIN/.."

echo "1..$T_N"
[ "$T_FAIL" -eq 0 ]
