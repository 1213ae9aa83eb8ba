#!/bin/bash
# mpi-logs.sh - pipefan logs under mpirun -np 1, 2 and 4 writes the very
# report a run without MPI writes (JSON, text, CSV), for shared inputs
# (ranks split the files) and local ones (--inputs local, each rank its
# own directory through %r); rank 0 alone writes to stdout; a rank's
# error reaches rank 0 and the exit code (docs/SCALE-OUT.md).
. "$(dirname "$0")/lib-mpi.sh" "$@"

cd "$TMP" || exit 1
"$GENLOG" --size 3M --seed 1 --bad 0.01 -o a.log
"$GENLOG" --size 2M --seed 2 --model independent -o b.log
"$GENLOG" --size 1M --seed 3 -o c.log && gzip c.log
"$GENLOG" --size 1M --seed 4 --format w3c -o w.log
for r in 0 1 2 3; do
    mkdir -p "loc/r$r"
    "$GENLOG" --size 600K --seed "1$r" --bad 0.005 -o "loc/r$r/access.log"
done
"$GENLOG" --size 300K --seed 99 -o loc/r1/extra.log
gzip loc/r2/access.log
SHARED=(a.log b.log c.log.gz w.log)

# same NAME REF-ARGS -- MPI-NP MPI-ARGS: the two reports are the same
# bytes, and both runs exit 3 (the logs have bad lines).
same() {
    local name=$1 ref=() np rc1 rc2
    shift
    while [ "$1" != -- ]; do ref+=("$1"); shift; done
    shift
    np=$1
    shift
    bounded 120 "$PIPEFAN" logs "${ref[@]}" >ref.out 2>ref.err
    rc1=$?
    bounded 120 mpi "$np" logs "$@" >mpi.out 2>mpi.err
    rc2=$?
    if [ $rc1 -eq 3 ] && [ $rc2 -eq 3 ] && [ -s ref.out ] && cmp -s ref.out mpi.out; then
        tap 0 "$name"
    else
        tap 1 "$name" "exit $rc1 / $rc2; $(diff ref.out mpi.out | head -5); $(head -c 600 mpi.err)"
    fi
}

for np in 1 2 4; do
    dirs=()
    for r in $(seq 0 $((np - 1))); do dirs+=("loc/r$r"); done
    for out in --json --csv text; do
        o=()
        [ $out = text ] || o=($out)
        same "-np $np $out, shared inputs: the report of one process -j2" \
            "${o[@]}" -j2 "${SHARED[@]}" -- $np "${o[@]}" -j1 "${SHARED[@]}"
        same "-np $np $out, --inputs local 'loc/r%r': the report over ${dirs[*]}" \
            "${o[@]}" -j2 "${dirs[@]}" -- $np "${o[@]}" -j1 --inputs local 'loc/r%r'
    done
done

# one input, cut between the ranks mid-file at a line start
same "-np 4, one file cut in four: same report" --json --top 0 a.log -- 4 --json --top 0 -j1 a.log

# only rank 0 writes to stdout: --output-filename keeps each rank's own
MPIRUN_OPTS="--output-filename $TMP/per-rank" bounded 120 mpi 2 logs --json -j1 \
    "${SHARED[@]}" >/dev/null 2>&1
out0=$(find "$TMP/per-rank" -path '*rank.0/stdout' 2>/dev/null)
out1=$(find "$TMP/per-rank" -path '*rank.1/stdout' 2>/dev/null)
tap $([ -s "$out0" ] && [ ! -s "$out1" ] && echo 0 || echo 1) \
    "rank 0 writes the report, rank 1 nothing to stdout" \
    "rank 0: $(wc -c <"$out0" 2>&1); rank 1: $(wc -c <"$out1" 2>&1)"

# a rank with nothing to read: every rank stops, rank 0 names it, exit 1
rm -rf loc/r2
bounded 120 mpi 3 logs --json -j1 --inputs local 'loc/r%r' >err.out 2>err.err
rc=$?
tap $([ $rc -eq 1 ] && grep -q "rank 2 on .*: no readable input" err.err && [ ! -s err.out ] && echo 0 || echo 1) \
    "a rank with no readable input: no report, rank 2 named, exit 1" \
    "exit $rc; $(head -c 600 err.err)"

# --state is refused under mpirun (docs/SCALE-OUT.md), before any input
bounded 120 mpi 2 logs --json -j1 --state "$TMP/s.state" a.log >st.out 2>st.err
rc=$?
tap $([ $rc -eq 2 ] && grep -q -- "--state does not go with mpirun" st.err && [ ! -e "$TMP/s.state" ] && echo 0 || echo 1) \
    "--state under mpirun: refused, exit 2, no state written" "exit $rc; $(head -c 400 st.err)"

done_testing
