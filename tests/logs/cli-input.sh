#!/bin/bash
# cli-input.sh - hostile and broken input: truncated and corrupt compressed
# files (reported with the count so far, other files still count), binary
# garbage, NUL bytes, 1 MiB lines, unterminated quotes, a last line with no
# newline, empty files, directories and globs, --strict.
. "$(dirname "$0")/lib.sh" "$@"

D=$TMP/in
mkdir -p "$D"
"$GENLOG" --lines 20000 --seed 5 -o "$D/a.log"
"$GENLOG" --lines 10000 --seed 6 -o "$D/b.log"
gzip -c "$D/b.log" >"$TMP/b.log.gz"

# truncated gzip next to a good file
head -c 100000 "$TMP/b.log.gz" >"$TMP/trunc.gz"
expect_exit "truncated .gz: exit 3" 3 "$PIPEFAN" logs --json "$TMP/trunc.gz" "$D/a.log"
check "truncated .gz reported with the lines read so far, the other file counted" pyjson "$TMP/last.out" \
  "d['files'][0]['error'] is not None and 'truncated' in d['files'][0]['error'] and 0 < d['files'][0]['lines'] < 10000 and str(d['files'][0]['lines']) in d['files'][0]['error'] and d['files'][1]['requests'] == 20000 and d['totals']['file_errors'] == 1"
check "stderr says an input had errors" grep -q "1 input with errors" "$TMP/last.err"

# corrupt gzip: bytes flipped in the middle
python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(b) // 2, len(b) // 2 + 64):
    b[i] ^= 0x5a
open(sys.argv[2], "wb").write(b)' "$TMP/b.log.gz" "$TMP/corrupt.gz"
expect_exit "corrupt .gz: exit 3" 3 "$PIPEFAN" logs --json "$TMP/corrupt.gz" "$D/a.log"
check "corrupt .gz reported, the other file counted" pyjson "$TMP/last.out" \
  "d['files'][0]['error'] is not None and d['files'][0]['lines'] < 10000 and d['files'][1]['requests'] == 20000"

# multi-member gzip (cat a.gz b.gz) decodes as both
gzip -c "$D/a.log" >"$TMP/ab.gz"
cat "$TMP/b.log.gz" >>"$TMP/ab.gz"
expect_exit "concatenated gzip members: exit 0" 0 "$PIPEFAN" logs --json "$TMP/ab.gz"
check "concatenated gzip members: both counted" pyjson "$TMP/last.out" "d['totals']['requests'] == 30000"
PIPEFAN_GZIP=zlib "$PIPEFAN" logs --json "$TMP/ab.gz" >"$TMP/zlib.json"
check "zlib decoder gives the same JSON as ISA-L" cmp "$TMP/last.out" "$TMP/zlib.json"

# zstd: truncated
if command -v zstd >/dev/null; then
    zstd -q -c "$D/b.log" >"$TMP/b.zst"
    head -c 50000 "$TMP/b.zst" >"$TMP/trunc.zst"
    expect_exit "truncated .zst: exit 3" 3 "$PIPEFAN" logs --json "$TMP/trunc.zst" "$D/a.log"
    check "truncated .zst reported, the other file counted" pyjson "$TMP/last.out" \
      "'truncated' in d['files'][0]['error'] and d['files'][1]['requests'] == 20000"
    # --long=31 (a window of up to 2 GiB): decoded, from a file and a pipe.
    # Without meson's MALLOC_PERTURB_, which would make zstd and pipefan
    # write every byte of their 2 GiB windows (untouched pages otherwise)
    "$PIPEFAN" logs --json "$D/b.log" >"$TMP/b.json" 2>/dev/null
    json_sans_files "$TMP/b.json" "$TMP/b-sans.json"
    env -u MALLOC_PERTURB_ zstd -q -c --long=31 <"$D/b.log" >"$TMP/long.zst"
    expect_exit "zstd --long=31 file: exit 0" 0 env -u MALLOC_PERTURB_ "$PIPEFAN" logs --json "$TMP/long.zst"
    json_sans_files "$TMP/last.out" "$TMP/long-sans.json"
    check "zstd --long=31 file: the report of the plain file" cmp "$TMP/b-sans.json" "$TMP/long-sans.json"
    expect_exit "zstd --long=31 on stdin: exit 0" 0 bounded 60 env -u MALLOC_PERTURB_ "$PIPEFAN" logs --json <(cat "$TMP/long.zst")
    json_sans_files "$TMP/last.out" "$TMP/long-sans.json"
    check "zstd --long=31 on a pipe: the report of the plain file" cmp "$TMP/b-sans.json" "$TMP/long-sans.json"
fi
# pzstd starts its files with a skippable frame
if command -v pzstd >/dev/null; then
    pzstd -q -p 2 -c "$D/b.log" >"$TMP/b.pz.zst" 2>/dev/null
    expect_exit "pzstd file (skippable frame first): exit 0" 0 "$PIPEFAN" logs --json "$TMP/b.pz.zst"
    check "pzstd file: found to be zstd" pyjson "$TMP/last.out" "d['files'][0]['compression'] == 'zstd'"
    json_sans_files "$TMP/last.out" "$TMP/pz-sans.json"
    check "pzstd file: the report of the plain file" cmp "$TMP/b-sans.json" "$TMP/pz-sans.json"
    cat "$TMP/b.pz.zst" "$TMP/b.pz.zst" >"$TMP/b2.pz.zst"
    expect_exit "two pzstd files back to back: exit 0" 0 "$PIPEFAN" logs --json "$TMP/b2.pz.zst"
    check "two pzstd files back to back: both counted" pyjson "$TMP/last.out" "d['totals']['requests'] == 20000"
else
    tap 0 "# SKIP pzstd is not installed"
fi

# many compressed files spread over the workers: same result as plain
for i in 1 2 3 4 5 6; do "$GENLOG" --lines 3000 --seed $((20 + i)) | gzip -c >"$TMP/many$i.gz"; done
"$PIPEFAN" logs --json -j 3 "$TMP"/many*.gz >"$TMP/many.json"
zcat "$TMP"/many*.gz | "$PIPEFAN" logs --json -j 1 - >"$TMP/many-plain.json"
json_sans_files "$TMP/many.json" "$TMP/m1.json"
json_sans_files "$TMP/many-plain.json" "$TMP/m2.json"
check "six .gz files over 3 workers = the same data on stdin" cmp "$TMP/m1.json" "$TMP/m2.json"

# directory and glob
expect_exit "a directory: exit 0" 0 "$PIPEFAN" logs --json "$D"
check "a directory: its files counted" pyjson "$TMP/last.out" "d['totals']['requests'] == 30000 and len(d['files']) == 2"
expect_exit "a glob: exit 0" 0 "$PIPEFAN" logs --json "$D/*.log"
check "a glob: its files counted" pyjson "$TMP/last.out" "d['totals']['requests'] == 30000"

# hostile lines
H=$TMP/hostile.log
{
    head -n 100 "$D/a.log"
    head -c 3000 /dev/urandom | tr '\n' 'x'; echo
    printf '1.2.3.4 - - [01/Mar/2024:00:00:01 +0000] "GET /nul\0here HTTP/1.1" 200 5 "-" "-"\n'
    printf '1.2.3.4 - - [01/Mar/2024:00:00:01 +0000] "GET /long'; head -c 1048576 /dev/zero | tr '\0' 'a'; printf ' HTTP/1.1" 200 5 "-" "-"\n'
    printf '1.2.3.4 - - [01/Mar/2024:00:00:01 +0000] "GET /unterminated HTTP/1.1 200 5\n'
    printf '1.2.3.4 - - [01/Mar/2024:00:00:01 +0000] "GET /ua HTTP/1.1" 200 5 "-" "Mozilla/5.0 (unterminated\n'
    printf '\n# a comment\n'
    head -n 100 "$D/b.log"
    printf '1.2.3.4 - - [01/Mar/2024:00:00:01 +0000] "GET /last HTTP/1.1" 200 5 "-" "no newline"'
} >"$H"
for j in 1 2; do
    for cs in 4096 1M; do
        bounded 60 "$PIPEFAN" logs --json -j $j --chunk-size $cs "$H" >"$TMP/h.json" 2>"$TMP/h.err"
        rc=$?
        tap $((rc == 3 ? 0 : 1)) "hostile lines with -j $j --chunk-size $cs: no crash or stall, exit 3" "exit $rc $(head -c 300 "$TMP/h.err")"
    done
done
check "hostile lines classified: binary, too_long, request" pyjson "$TMP/h.json" \
  "d['bad'].get('binary', 0) >= 2 and d['bad'].get('too_long', 0) == 1 and d['totals']['ignored_lines'] == 2"
check "good lines around them all counted (salvaged UA, last line without newline)" pyjson "$TMP/h.json" \
  "d['totals']['requests'] >= 202"
"$PIPEFAN" logs --json --include '^/(last|ua)$' "$H" >"$TMP/hl.json" 2>/dev/null
check "the salvaged UA line and the last line without newline are both counted" \
  pyjson "$TMP/hl.json" "sorted(p['path'] for p in d['paths']) == ['/last', '/ua']"
check "every line accounted for" pyjson "$TMP/h.json" \
  "d['totals']['lines'] == d['totals']['requests'] + d['totals']['bad_lines'] + d['totals']['ignored_lines']"
check "the 1 MiB line's sample is cut short" pyjson "$TMP/h.json" \
  "all(len(s['text']) <= 160 for s in d['bad_samples'])"
"$PIPEFAN" logs --json - <"$H" >"$TMP/hs.json" 2>/dev/null
json_sans_files "$TMP/h.json" "$TMP/h1.json"
json_sans_files "$TMP/hs.json" "$TMP/h2.json"
check "hostile lines on stdin: same JSON as from the file" cmp "$TMP/h1.json" "$TMP/h2.json"

# empty file, file of only garbage
: >"$TMP/empty.log"
expect_exit "empty file: exit 0" 0 "$PIPEFAN" logs --json "$TMP/empty.log"
check "empty file: zero requests, null times" pyjson "$TMP/last.out" "d['totals']['requests'] == 0 and d['totals']['first'] is None"
head -c 200000 /dev/urandom >"$TMP/garbage.bin"
expect_exit "binary garbage file: exit 3" 3 bounded 60 "$PIPEFAN" logs --json "$TMP/garbage.bin"

# Streams (issue 19): every input that is not a regular file is read
# exactly once, as "-" is, and gives the report of the same bytes in a
# regular file.  Reference: a.log, then its report without file names.
"$PIPEFAN" logs --json "$D/a.log" >"$TMP/ref.json" 2>/dev/null
json_sans_files "$TMP/ref.json" "$TMP/ref-sans.json"
same_as_file() { # NAME JSON: the report equals the file's, names aside
    json_sans_files "$2" "$TMP/sans.json"
    check "$1" cmp "$TMP/ref-sans.json" "$TMP/sans.json"
}
expect_exit "<(cat a.log): exit 0" 0 bounded 60 "$PIPEFAN" logs --json <(cat "$D/a.log")
same_as_file "<(cat a.log): the report of a.log" "$TMP/last.out"
check "<(cat a.log): one input, every line" pyjson "$TMP/last.out" \
  "len(d['files']) == 1 and d['files'][0]['lines'] == 20000"
expect_exit "<(gzip -c a.log): exit 0" 0 bounded 60 "$PIPEFAN" logs --json <(gzip -c "$D/a.log")
same_as_file "<(gzip -c a.log): the report of a.log" "$TMP/last.out"
cat "$D/a.log" | "$PIPEFAN" logs --json /dev/stdin >"$TMP/devstdin.json" 2>"$TMP/devstdin.err"
tap $? "cat a.log | pipefan logs /dev/stdin: exit 0" "$(head -c 300 "$TMP/devstdin.err")"
same_as_file "cat a.log | pipefan logs /dev/stdin: the report of a.log" "$TMP/devstdin.json"
expect_exit "a.log and <(cat b.log) with -j 2: exit 0" 0 bounded 60 "$PIPEFAN" logs --json -j 2 "$D/a.log" <(cat "$D/b.log")
check "a.log and <(cat b.log): both counted" pyjson "$TMP/last.out" \
  "d['totals']['requests'] == 30000 and [f['lines'] for f in d['files']] == [20000, 10000]"

# a named FIFO: its writer may come before or after pipefan opens it
mkfifo "$TMP/fifo"
cat "$D/a.log" >"$TMP/fifo" &
expect_exit "a FIFO with a writer: exit 0" 0 bounded 60 "$PIPEFAN" logs --json "$TMP/fifo"
wait
same_as_file "a FIFO with a writer: the report of a.log" "$TMP/last.out"
{ sleep 1; cat "$D/a.log" >"$TMP/fifo"; } &
expect_exit "a FIFO whose writer comes late: exit 0" 0 bounded 60 "$PIPEFAN" logs --json "$TMP/fifo"
wait
same_as_file "a FIFO whose writer comes late: the report of a.log" "$TMP/last.out"
: >"$TMP/fifo" &
expect_exit "a FIFO closed without data: exit 0" 0 bounded 60 env PIPEFAN_LOG=warn "$PIPEFAN" logs --json "$TMP/fifo"
wait
check "a FIFO closed without data: said on stderr" grep -q "fifo: no data" "$TMP/last.err"
# no writer ever: SIGTERM ends the run (whenever it lands: before the
# handler is set it kills at once, after it the source stops waiting)
bounded 60 "$PIPEFAN" logs --json "$TMP/fifo" >/dev/null 2>&1 &
bpid=$!
for _ in $(seq 100); do
    sleep 0.1
    pkill -TERM -P "$bpid" -x pipefan 2>/dev/null && break
done
wait "$bpid"
rc=$?
tap $((rc == 143 ? 0 : 1)) "a FIFO without writer: SIGTERM ends the run (exit 143)" "exit $rc"

# sizes: one parser for logs and run (cli/opt.c); signs, junk and
# overflow are usage errors, as in pipefan run
for bad in -1 4BB 99999999999G ' 4M'; do
    expect_exit "--chunk-size '$bad': usage error (exit 2)" 2 "$PIPEFAN" logs --json --chunk-size "$bad" "$D/a.log"
done
expect_exit "--chunk-size 64KiB: accepted" 0 "$PIPEFAN" logs --json --chunk-size 64KiB "$D/a.log"

# Inputs that name nothing readable, named twice, or shrink (issue 19)
expect_exit "a missing file among good ones: exit 3" 3 "$PIPEFAN" logs --json "$TMP/gone.log" "$D/a.log"
check "a missing file: in files[] with its error, counted in file_errors" pyjson "$TMP/last.out" \
  "d['totals']['files'] == 2 and d['totals']['file_errors'] == 1 and d['files'][0]['path'].endswith('gone.log') and 'No such file' in d['files'][0]['error'] and d['files'][1]['requests'] == 20000"
ln -s "$D/a.log" "$TMP/a-link.log"
expect_exit "a file named twice and through a symlink: exit 0" 0 env PIPEFAN_LOG=warn "$PIPEFAN" logs --json "$D/a.log" "$TMP/a-link.log" "$D/a.log"
check "a file named twice and through a symlink: counted once" pyjson "$TMP/last.out" \
  "d['totals']['files'] == 1 and d['totals']['requests'] == 20000"
check "a file named twice: said on stderr" grep -q "a-link.log: the same file as .*a.log, counted once" "$TMP/last.err"
# A file truncated during the run: a FIFO listed first holds the run
# until its writer comes, and the writer comes only once pipefan has
# listed the inputs (opening the FIFO for writing waits for the reader),
# so the truncation lands after the listing, before the file is read.
cp "$D/a.log" "$TMP/shrinks.log"
: >"$TMP/empty-src.log"
rm -f "$TMP/fifo2"
mkfifo "$TMP/fifo2"
{ exec 3>"$TMP/fifo2"; truncate -s 100000 "$TMP/shrinks.log"; cat "$D/b.log" >&3; exec 3>&-; } &
expect_exit "a file truncated during the run: exit 3" 3 bounded 60 "$PIPEFAN" logs --json -j 2 "$TMP/fifo2" "$TMP/shrinks.log"
wait
check "a file truncated during the run: reported as its error, the part read counted" pyjson "$TMP/last.out" \
  "'shrank' in d['files'][1]['error'] and 0 < d['files'][1]['lines'] < 20000 and d['files'][0]['requests'] == 10000"

# --strict
expect_exit "--strict on a clean file: exit 0" 0 "$PIPEFAN" logs --strict --json "$D/a.log"
expect_exit "--strict stops at a bad line: exit 4" 4 "$PIPEFAN" logs --strict --json "$H"
# (a line past the first chunk is named by its byte offset: a worker
# does not know how many lines the chunks before its own hold)
check "--strict names the file and the line or its offset" \
    grep -qE "hostile.log:( byte )?[0-9]+: bad line" "$TMP/last.err"
# with one worker the bad line found first is the first of the file
# (with several, whichever worker meets one first stops the run)
expect_exit "--strict -j 1: exit 4" 4 "$PIPEFAN" logs --strict -j 1 --json "$H"
check "--strict -j 1 names the first bad line" grep -q "hostile.log:101: bad line" "$TMP/last.err"
check "--strict writes no report" test ! -s "$TMP/last.out"

done_testing
