#!/bin/bash
# mpi-fault.sh - faults under mpirun (docs/RELIABILITY.md, "Across
# hosts"):
#  - kill -9 of a whole rank mid-run: the job ends within 5 s (bound
#    generous for a loaded machine: Open MPI notices at once), exits
#    non-zero, names the lost rank, and leaves no pipefan or orted
#    process and no /dev/shm segment behind;
#  - kill -9 of a parse worker inside a rank: without --retries the job
#    fails with that rank named; with --retries the worker is restarted
#    there, and the report is exact.
# Rank 1 reads a FIFO (--inputs local: its loc/r1/access.log) that this
# script feeds, so the run is at a known point when a kill comes, without
# relying on how fast the machine is.
. "$(dirname "$0")/lib-mpi.sh" "$@"

cd "$TMP" || exit 1
mkdir -p loc/r0 loc/r1 feed
"$GENLOG" --size 2M --seed 5 -o loc/r0/access.log
"$GENLOG" --size 4M --seed 6 --bad 0.002 -o feed/r1.log
split -n 2 -d feed/r1.log feed/part.   # two halves, cut anywhere

# rank_pid MPIRUN-PID RANK: the pid of that rank's process (on one
# machine mpirun starts the ranks itself).
rank_pid() {
    local pid mpirun
    mpirun=$(children_of "$1" mpirun) # $1 is the subshell of `mpi ... &`
    for pid in $(children_of "${mpirun:-$1}"); do
        tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" |
            grep -qx "OMPI_COMM_WORLD_RANK=$2" || continue
        echo "$pid"
        return 0
    done
    return 1
}
# children_of PID [COMM-PREFIX] (as tests/logs/chaos.sh)
children_of() {
    local want=$1 prefix=${2:-} f stat comm rest
    for f in /proc/[0-9]*/stat; do
        read -r stat 2>/dev/null <"$f" || continue
        comm=${stat#*(}
        comm=${comm%)*}
        case $comm in "$prefix"*) ;; *) continue ;; esac
        rest=${stat##*) }
        rest=${rest#* }
        [ "${rest%% *}" = "$want" ] && echo "${f//[^0-9]/}"
    done
}
# wait_for SECS CMD...: poll CMD every 0.1 s until it succeeds; false
# after SECS seconds.
wait_for() {
    local n=$(($1 * 10))
    shift
    while [ $n -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}
# leftovers: pipefan processes (this build's binary) and orted daemons.
leftovers() {
    local f pid exe me
    me=$(readlink -f "$PIPEFAN")
    for f in /proc/[0-9]*/exe; do
        pid=${f//[^0-9]/}
        exe=$(readlink "$f" 2>/dev/null) || continue
        [ "$exe" = "$me" ] && echo "pipefan:$pid"
        case $exe in */orted) echo "orted:$pid" ;; esac
    done
}
shm_list() { ls /dev/shm 2>/dev/null | sort; }

# ---- 1. the loss of a whole rank -----------------------------------------
rm -f loc/r1/access.log && mkfifo loc/r1/access.log
shm_before=$(shm_list)
mpi 2 logs --json -j1 --inputs local 'loc/r%r/access.log' >kill.out 2>kill.err &
MPI_PID=$!
watch "$MPI_PID" 60
exec 3<>loc/r1/access.log          # rank 1 reads this, never to its end
cat feed/part.00 >&3
r1=
wait_for 30 eval 'r1=$(rank_pid $MPI_PID 1)'
# its parse worker is up: the rank is mid-run
wait_for 30 eval '[ -n "$(children_of "$r1" pf:parse/)" ]'
start=$(date +%s%N)
kill -9 "$r1"
wait "$MPI_PID"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
unwatch
exec 3>&-
# (mpirun exits 137 as its killed rank did; the watchdog's kill would
# come only after 60 s, which the next check refuses)
tap $([ -n "$r1" ] && [ $rc -ne 0 ] && echo 0 || echo 1) \
    "kill -9 of rank 1 (pid ${r1:-?}): the job ends non-zero (exit $rc)" \
    "$(head -c 800 kill.err)"
tap $([ $ms -le 5000 ] && echo 0 || echo 1) "... within 5 s (${ms} ms)"
tap $(grep -q "rank 1 " kill.err && echo 0 || echo 1) \
    "... and the lost rank is named" "$(head -c 800 kill.err)"
tap $([ ! -s kill.out ] && echo 0 || echo 1) "... with no report on stdout"
left=
wait_for 5 eval '[ -z "$(leftovers)" ]' || left=$(leftovers)
tap $([ -z "$left" ] && echo 0 || echo 1) "... no pipefan or orted process left" "$left"
shm_after=$(shm_list)
new=$(comm -13 <(echo "$shm_before") <(echo "$shm_after"))
tap $([ -z "$new" ] && echo 0 || echo 1) "... no /dev/shm segment left" "$new"

# ---- 2. a parse worker of rank 1 crashes, no --retries: the job fails ----
rm -f loc/r1/access.log && mkfifo loc/r1/access.log
mpi 2 logs --json -j1 --inputs local 'loc/r%r/access.log' >nore.out 2>nore.err &
MPI_PID=$!
watch "$MPI_PID" 120
exec 3<>loc/r1/access.log
cat feed/part.00 >&3
r1=
wait_for 30 eval 'r1=$(rank_pid $MPI_PID 1)'
w=
wait_for 30 eval 'w=$(children_of "$r1" pf:parse/)'
[ -n "$w" ] && kill -9 $w
exec 3>&-
wait "$MPI_PID"
rc=$?
unwatch
tap $([ -n "$w" ] && [ $rc -eq 1 ] && [ ! -s nore.out ] &&
    grep -q "rank 1 on .*: the run failed: a worker process died" nore.err && echo 0 || echo 1) \
    "a parse worker of rank 1 killed without --retries: rank 1 named, no report, exit 1 (exit $rc)" \
    "$(head -c 800 nore.err)"

# ---- 3. a parse worker of rank 1 crashes, --retries restarts it -------------
rm -f loc/r1/access.log && mkfifo loc/r1/access.log
mpi 2 logs --json -j1 --retries 3 --inputs local 'loc/r%r/access.log' \
    >retry.out 2>retry.err &
MPI_PID=$!
watch "$MPI_PID" 120
exec 3<>loc/r1/access.log
cat feed/part.00 >&3
r1=
wait_for 30 eval 'r1=$(rank_pid $MPI_PID 1)'
w=
wait_for 30 eval 'w=$(children_of "$r1" pf:parse/)'
sleep 0.5                          # the first half is being counted
[ -n "$w" ] && kill -9 $w
cat feed/part.01 >&3
exec 3>&-                          # end of rank 1's input
wait "$MPI_PID"
rc=$?
unwatch
# the reference: the same bytes as plain files, without MPI
rm -f loc/r1/access.log && cp feed/r1.log loc/r1/access.log
bounded 120 "$PIPEFAN" logs --json -j2 loc/r0/access.log loc/r1/access.log \
    >ref.out 2>ref.err
json_sans_files retry.out retry.cmp
json_sans_files ref.out ref.cmp
tap $([ -n "$w" ] && [ $rc -eq 3 ] && echo 0 || echo 1) \
    "a parse worker of rank 1 killed (pid ${w:-?}): the job still ends as usual (exit $rc)" \
    "$(head -c 800 retry.err)"
tap $(grep -q "worker restart" retry.err && echo 0 || echo 1) \
    "... rank 0 reports the restart" "$(head -c 800 retry.err)"
tap $(cmp -s retry.cmp ref.cmp && echo 0 || echo 1) \
    "... and the report is exact (as one process over the same bytes)" \
    "$(diff retry.cmp ref.cmp | head -10)"

done_testing
