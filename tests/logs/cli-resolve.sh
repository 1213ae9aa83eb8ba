#!/bin/bash
# cli-resolve.sh - pipefan logs --resolve against DNS servers started here
# on loopback, never the internet (issue 24): dnsmasq answers PTR records
# of a generated zone and forwards one sub-zone to a stub that never
# answers (the time-outs); dns-stub.py answers every PTR itself, counts
# the queries it gets (the cache check) and, asked to, answers names full
# of terminal control bytes (the escaping check).  No timing asserts:
# only a generous bound on a run whose queries all time out.
# Usage: cli-resolve.sh PIPEFAN GENLOG
. "$(dirname "$0")/lib.sh" "$@"

STUB=$(dirname "$0")/dns-stub.py
DNSMASQ=$(PATH=$PATH:/usr/sbin:/sbin command -v dnsmasq)
if ! "$PIPEFAN" --version | grep -q "rdns=c-ares"; then
    echo "1..0 # SKIP this pipefan was built without c-ares (libc-ares-dev)"
    exit 0
fi
if [ -z "$DNSMASQ" ]; then
    echo "1..0 # SKIP dnsmasq is not installed (Debian: dnsmasq-base)"
    exit 0
fi

PIDS=
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
# the servers die with this script even when it is killed outright
DIE=
setpriv --pdeathsig KILL true 2>/dev/null && DIE="setpriv --pdeathsig KILL"

# start_stub NAME ARGS...: dns-stub.py in the background; its port in
# $STUB_PORT, its query log $TMP/NAME.count.
start_stub() {
    local name=$1 i
    shift
    : >"$TMP/$name.count"
    $DIE python3 "$STUB" --port-file "$TMP/$name.port" \
        --count-file "$TMP/$name.count" "$@" &
    PIDS="$PIDS $!"
    for i in $(seq 100); do
        [ -s "$TMP/$name.port" ] && break
        sleep 0.1
    done
    STUB_PORT=$(cat "$TMP/$name.port")
}

# free_port: a UDP+TCP port free on 127.0.0.1 just now.
free_port() {
    python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
print(p)'
}

# dns_ready PORT: true once something answers a PTR query on PORT.
dns_ready() {
    python3 - "$1" <<'PY'
import socket, struct, sys, time
q = struct.pack(">HHHHHH", 7, 0x100, 1, 0, 0, 0) + \
    b"\x011\x010\x011\x0210\x07in-addr\x04arpa\x00" + struct.pack(">HH", 12, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(50):
    try:
        s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
        s.recvfrom(4096)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# The zone: 10.1.0.1-3 have A and PTR (host-record: forward-confirmed),
# 10.1.0.4-6 and 2001:db8::5 a PTR only, 10.1.0.7 nothing (NXDOMAIN);
# 10.9.0.0/16 is forwarded to a server that never answers.
start_stub drop --mode drop
DROP_PORT=$STUB_PORT
{
    echo "no-resolv"
    echo "no-hosts"
    echo "local-ttl=3600"
    echo "local=/1.10.in-addr.arpa/"
    echo "local=/example.test/"
    echo "server=/9.10.in-addr.arpa/127.0.0.1#$DROP_PORT"
    for i in 1 2 3; do echo "host-record=both$i.example.test,10.1.0.$i"; done
    echo "ptr-record=5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa,six.example.test"
    for i in 4 5 6; do
        echo "ptr-record=$i.0.1.10.in-addr.arpa,ptr$i.example.test"
    done
} >"$TMP/dnsmasq.conf"
for attempt in 1 2 3; do
    PORT=$(free_port)
    $DIE "$DNSMASQ" --keep-in-foreground --conf-file="$TMP/dnsmasq.conf" \
        --port="$PORT" --bind-interfaces --listen-address=127.0.0.1 \
        --pid-file= --user="$(id -un)" --log-facility="$TMP/dnsmasq.log" \
        2>>"$TMP/dnsmasq.err" &
    DNSMASQ_PID=$!
    PIDS="$PIDS $DNSMASQ_PID"
    dns_ready "$PORT" && break
    kill "$DNSMASQ_PID" 2>/dev/null
    PORT=
done
if [ -z "$PORT" ]; then
    echo "1..0 # SKIP dnsmasq did not start: $(head -c 300 "$TMP/dnsmasq.err")"
    exit 0
fi
SRV=127.0.0.1:$PORT

line() { # CLIENT HITS: HITS log lines of CLIENT
    local i
    for i in $(seq "$2"); do
        echo "$1 - - [10/Oct/2020:13:55:36 +0000] \"GET /p$i HTTP/1.1\" 200 100 \"-\" \"t\""
    done
}
{
    line 10.1.0.1 9; line 10.1.0.2 8; line 10.1.0.3 7; line 10.1.0.4 6
    line 10.1.0.5 5; line 10.1.0.6 4; line 10.1.0.7 3; line 10.9.0.1 2
    line 10.9.0.2 2; line 2001:db8::5 1; line client.example.org 1
} >"$TMP/zone.log"
R="$PIPEFAN logs --panels clients --top 0 --resolve --resolve-server $SRV"

# 1. names for the answered PTRs, null for the rest
bounded 120 $R --resolve-timeout 1 --json "$TMP/zone.log" >"$TMP/a.json"
tap $? "--resolve runs against the local server"
check "answered PTRs named (IPv4, IPv6), NXDOMAIN / time-outs / non-addresses null" \
    pyjson "$TMP/a.json" '{c["client"]: c["host"] for c in d["clients"]} == {
        "10.1.0.1": "both1.example.test", "10.1.0.2": "both2.example.test",
        "10.1.0.3": "both3.example.test", "10.1.0.4": "ptr4.example.test",
        "10.1.0.5": "ptr5.example.test", "10.1.0.6": "ptr6.example.test",
        "10.1.0.7": None, "10.9.0.1": None, "10.9.0.2": None,
        "2001:db8::5": "six.example.test",
        "client.example.org": None}'
check "the time-outs reached the silent server" \
    test "$(wc -l <"$TMP/drop.count")" -ge 2

# 2. the same names in the text and CSV outputs
bounded 120 $R --resolve-timeout 1 --width 100 "$TMP/zone.log" >"$TMP/a.txt"
check "text: a host column" grep -q "client *host" "$TMP/a.txt"
check "text: a name beside its address" \
    grep -Eq "10\.1\.0\.4 +ptr4\.example\.test$" "$TMP/a.txt"
check "text: unresolved shown as -" grep -Eq "10\.9\.0\.1 +-$" "$TMP/a.txt"
bounded 120 $R --resolve-timeout 1 --csv clients "$TMP/zone.log" \
    >"$TMP/a.csv"
check "csv: a host column" grep -q "^client,hits,bytes,country,host" "$TMP/a.csv"
check "csv: a name" grep -q $'^10.1.0.5,5,500,,ptr5.example.test\r$' "$TMP/a.csv"
check "csv: unresolved an empty cell" grep -q $'^10.9.0.2,2,200,,\r$' "$TMP/a.csv"

# 3. --resolve-confirm: only the names whose A record leads back
bounded 120 $R --resolve-timeout 1 --resolve-confirm --json "$TMP/zone.log" \
    >"$TMP/c.json"
check "--resolve-confirm keeps forward-confirmed names only" \
    pyjson "$TMP/c.json" '[c["host"] for c in d["clients"]][:7] == [
        "both1.example.test", "both2.example.test", "both3.example.test",
        None, None, None, None]'

# 4. a bounded total: 12 addresses that time out, one worker, 5 s each
{ for i in $(seq 12); do line "10.9.1.$i" 1; done; } >"$TMP/slow.log"
start=$(date +%s)
PIPEFAN_LOG=warn bounded 120 $R --resolve-jobs 1 --resolve-timeout 5 --resolve-total 2 \
    --json "$TMP/slow.log" >"$TMP/slow.json" 2>"$TMP/slow.err"
rc=$? elapsed=$(($(date +%s) - start))
tap $rc "--resolve-total: the run ends"
check "--resolve-total: far sooner than 12 x 5 s (took ${elapsed} s)" \
    test "$elapsed" -lt 40
check "--resolve-total: every address unresolved" \
    pyjson "$TMP/slow.json" 'all(c["host"] is None for c in d["clients"])'
check "--resolve-total: the addresses not asked are said" \
    grep -q "out of time" "$TMP/slow.err"

# 5. the cache: a second run asks nothing
{ for i in 1 2 4 5; do line "10.1.0.$i" "$i"; done; } >"$TMP/cached.log"
C="$PIPEFAN logs --panels clients --resolve --json --resolve-cache $TMP/rdns.cache"
bounded 120 $C --resolve-server "$SRV" "$TMP/cached.log" >"$TMP/k1.json"
tap $? "--resolve-cache: first run"
check "--resolve-cache: the file holds the answers" \
    grep -q "^10.1.0.4	[0-9]*	name	-	ptr4.example.test$" "$TMP/rdns.cache"
start_stub count # answers every PTR, but with other names
bounded 120 $C --resolve-server "127.0.0.1:$STUB_PORT" "$TMP/cached.log" \
    >"$TMP/k2.json"
tap $? "--resolve-cache: second run"
check "--resolve-cache: the second run sent no query" \
    test ! -s "$TMP/count.count"
check "--resolve-cache: the same names, from the cache" cmp "$TMP/k1.json" "$TMP/k2.json"
# a damaged file: bad lines are skipped, the good ones still used
printf '10.1.0.1\tnot-a-time\tname\t-\tx\n\001\002\377garbage\n10.1.0.2\t99' \
    >>"$TMP/rdns.cache"
sed -i '/^10.1.0.5\t/d' "$TMP/rdns.cache"
PIPEFAN_LOG=warn bounded 120 $C --resolve-server "127.0.0.1:$STUB_PORT" \
    "$TMP/cached.log" >"$TMP/k3.json" 2>"$TMP/k3.err"
tap $? "--resolve-cache: a damaged file does not fail the run"
check "--resolve-cache: only the lost entry was asked again" \
    test "$(wc -l <"$TMP/count.count")" -eq 1
check "--resolve-cache: the damage is said" grep -q "skipped" "$TMP/k3.err"
check "--resolve-cache: the lost entry answered afresh" \
    pyjson "$TMP/k3.json" '[c["host"] for c in d["clients"]] == [
        "host-10-1-0-5.stub.test",
        "ptr4.example.test", "both2.example.test", "both1.example.test"]'
check "--resolve-cache: saved again, whole" \
    sh -c "! grep -q garbage '$TMP/rdns.cache' && head -1 '$TMP/rdns.cache' | grep -q '^# pipefan resolve cache 1$'"

# 6. hostile PTR names are escaped in every output
start_stub hostile --hostile
H="$PIPEFAN logs --panels clients --resolve --resolve-server 127.0.0.1:$STUB_PORT"
bounded 120 $H "$TMP/cached.log" >"$TMP/h.txt"
check "hostile: text has no raw control byte" \
    sh -c "! LC_ALL=C grep -q \"\$(printf '[\\033\\007]')\" '$TMP/h.txt'"
check "hostile: text shows the bytes escaped" \
    grep -qF '\x1b[31mevil\x07\u202eX\x00Y.host-10-1-0-5.stub.test' "$TMP/h.txt"
bounded 120 $H --json "$TMP/cached.log" >"$TMP/h.json"
check "hostile: JSON keeps the name, escaped" \
    pyjson "$TMP/h.json" 'd["clients"][0]["host"] == "\x1b[31mevil\x07\u202eX\x00Y.host-10-1-0-5.stub.test" and b"\x1b" not in raw'
bounded 120 $H --csv clients "$TMP/cached.log" >"$TMP/h.csv"
check "hostile: CSV has no raw control byte" \
    sh -c "! LC_ALL=C grep -q \"\$(printf '[\\033\\007]')\" '$TMP/h.csv' && grep -qF 'x1b' '$TMP/h.csv'"

# 7. the options
expect_exit "--resolve-jobs without --resolve is a usage error" 2 \
    "$PIPEFAN" logs --resolve-jobs 4 "$TMP/zone.log"
expect_exit "a bad --resolve-server is a usage error" 2 \
    "$PIPEFAN" logs --resolve --resolve-server 1.2.3:53 "$TMP/zone.log"
expect_exit "a bad --resolve is a usage error" 2 \
    "$PIPEFAN" logs --resolve=some "$TMP/zone.log"
bounded 120 "$PIPEFAN" logs --panels clients --json "$TMP/zone.log" \
    >"$TMP/plain.json"
check "without --resolve: no host field" \
    pyjson "$TMP/plain.json" 'all("host" not in c for c in d["clients"])'

done_testing
