#!/bin/bash
# cli-tty.sh - pipefan logs and pipefan run on a terminal (issue 20 item
# 5): the progress line is erased before the report or the output starts,
# so it starts on a clean line; pipefan logs draws a last 100 % frame; no
# frame says "0 B/s".  The terminal is a pseudo-terminal (python3's pty);
# the input is held open until a frame was drawn, so a frame is always on
# the screen when the output comes, however fast the machine.
. "$(dirname "$0")/lib.sh" "$@"

command -v python3 >/dev/null || { echo "1..0 # SKIP no python3"; exit 0; }

# ontty OUT CMD...: run CMD with stdout and stderr on a pseudo-terminal and
# its stdin a pipe; once the terminal shows a frame (ESC [ K), write
# the file $FEED (if set) to the pipe and close it; everything the
# terminal got goes to OUT.
ontty() {
    local out=$1
    shift
    python3 - "$out" "$@" <<'PY'
import os, pty, select, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
ff = os.environ.get("FEED", "")
feed = open(ff, "rb").read() if ff else b""
master, slave = pty.openpty()
# INFILE/OUTFILE: stdin from a file (nothing is fed), stdout to a file
inf, outf = os.environ.get("INFILE", ""), os.environ.get("OUTFILE", "")
p = subprocess.Popen(cmd, stdin=open(inf, "rb") if inf else subprocess.PIPE,
                     stdout=open(outf, "wb") if outf else slave, stderr=slave,
                     close_fds=True)
os.close(slave)
fed = bool(inf)
got, deadline = b"", time.monotonic() + 120
while time.monotonic() < deadline:
    if not fed and b"\x1b[K" in got:
        p.stdin.write(feed)
        p.stdin.close()
        fed = True
    r, _, _ = select.select([master], [], [], 0.05)
    if r:
        try:
            d = os.read(master, 65536)
        except OSError:
            d = b""
        if not d:
            break
        got += d
    elif p.poll() is not None and fed:
        break
if not fed and p.stdin:
    p.stdin.close()
p.wait()
open(out, "wb").write(got)
sys.exit(p.returncode)
PY
}

# clean_start OUT TEXT: TEXT, the first bytes of the report or output,
# follows an erase (ESC [ K), not the rest of a frame; no frame after it.
clean_start() {
    python3 - "$@" <<'PY'
import sys
got, text = open(sys.argv[1], "rb").read(), sys.argv[2].encode()
i = got.find(text)
if i < 0:
    sys.exit("%r not found in %r" % (text, got[:400]))
if not got[:i].endswith(b"\r\x1b[K"):
    sys.exit("the output starts after %r" % got[max(0, i - 80):i + 20])
if b"\x1b[K" in got[i:].replace(b"\r\n", b""):
    sys.exit("a frame after the output started: %r" % got[i:i + 200])
if b" 0 B/s" in got:
    sys.exit("a frame says 0 B/s")
PY
}

# a plain log the run reads, and the same on a pipe held open
"$GENLOG" --lines 20000 --seed 5 -o "$TMP/a.log" >/dev/null
export FEED=$TMP/a.log

FEED="" ontty "$TMP/plain.tty" "$PIPEFAN" logs --no-color --panels totals "$TMP/a.log"
tap $? "logs on a terminal: exit 0" "$(head -c 300 "$TMP/plain.tty")"
check "logs: the report starts on a clean line" \
    clean_start "$TMP/plain.tty" "pipefan logs"
check "logs: a plain file's bar reaches 100 %" \
    grep -aq '\] 100%' "$TMP/plain.tty"

ontty "$TMP/json.tty" "$PIPEFAN" logs --progress --json --panels totals -
tap $? "logs --json of a pipe on a terminal: exit 0" \
    "$(head -c 300 "$TMP/json.tty")"
check "logs --json: the JSON starts on a clean line" \
    clean_start "$TMP/json.tty" "{"
check "logs: a pipe's line has no percentage" \
    python3 -c 'import sys; sys.exit(b"%" in open(sys.argv[1], "rb").read())' \
    "$TMP/json.tty"

gzip -c "$TMP/a.log" >"$TMP/a.log.gz"
FEED='' ontty "$TMP/gz.tty" "$PIPEFAN" logs --panels totals "$TMP/a.log.gz"
tap $? "logs of a .gz on a terminal: exit 0" "$(head -c 300 "$TMP/gz.tty")"
check "logs: a compressed file's line has no percentage (issue 19 item 12)" \
    python3 -c 'import sys; sys.exit(b"%" in open(sys.argv[1], "rb").read())' \
    "$TMP/gz.tty"

printf 'first line\nsecond\n' >"$TMP/two"
FEED=$TMP/two ontty "$TMP/run.tty" "$PIPEFAN" run --progress cat
tap $? "run on a terminal: exit 0" "$(head -c 300 "$TMP/run.tty")"
check "run: the output starts on a clean line" \
    clean_start "$TMP/run.tty" "first line"

# stdin a file of known size, stdout a file: the bar has a percentage and
# its last frame, 100 %, stays on stderr on a line of its own
INFILE=$TMP/a.log OUTFILE=$TMP/wc.out ontty "$TMP/wc.tty" \
    "$PIPEFAN" run --progress -j 2 'wc -l'
tap $? "run < file > file with a bar: exit 0" "$(head -c 300 "$TMP/wc.tty")"
check "run: the output is right" \
    test "$(awk '{n += $1} END {print n}' "$TMP/wc.out")" -eq 20000
check "run: a file's bar reaches 100 % and ends its line" \
    grep -aq ' 100% .*out [0-9.]* [KMG]*i*B'$'\r''*$' "$TMP/wc.tty"

echo "1..$T_N"
[ "$T_FAIL" -eq 0 ]
