# lib-mpi.sh - shared by the tests of pipefan logs under mpirun: the
# launcher, and a skip when this build has no mpi feature.
#   . "$(dirname "$0")/lib-mpi.sh" "$@"   (args: PIPEFAN GENLOG HAVE_MPI)

. "$(dirname "$0")/../logs/lib.sh" "$1" "$2"
# absolute: the tests work in $TMP
PIPEFAN=$(readlink -f "$PIPEFAN")
GENLOG=$(readlink -f "$GENLOG")

# skip_all WHY: the whole script is one TAP skip.
skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}
[ "${3:-}" = yes ] || skip_all "built without the mpi feature (meson -Dmpi=enabled, libopenmpi-dev)"
command -v mpirun >/dev/null 2>&1 || skip_all "no mpirun (openmpi-bin)"

# Under the ASan build: Open MPI does not free all it allocated at
# MPI_Finalize, which LeakSanitizer would report in every rank; pipefan's
# own leaks are checked by the rest of the suite, without MPI.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"

# Open MPI keeps its session directory under TMPDIR: one per test run.
export TMPDIR=$TMP
mkdir -p "$TMP/ompi"
export OMPI_MCA_orte_tmpdir_base=$TMP/ompi

# mpi NP ARGS...: pipefan ARGS as NP ranks on this machine (mpirun's own
# options from MPIRUN_OPTS).  As root
# mpirun wants --allow-run-as-root; --oversubscribe lets 4 ranks share 2
# cores.  The ranks talk over TCP (btl self,tcp), the transport between
# hosts, not through Open MPI's /dev/shm segments: the fault test looks
# for segments left behind.
mpi() {
    local np=$1
    shift
    # shellcheck disable=SC2086 # MPIRUN_OPTS is words
    mpirun --allow-run-as-root --oversubscribe --mca btl self,tcp \
        ${MPIRUN_OPTS:-} -np "$np" "$PIPEFAN" "$@"
}
