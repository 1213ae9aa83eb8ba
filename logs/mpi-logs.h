/* mpi-logs.h - pipefan logs as one rank of an Open MPI job
 * (docs/SCALE-OUT.md).  Compiled only with the mpi feature; only the CLI
 * links it, never libpipefan, and only the rank process calls MPI (the
 * parse workers and the sink it forks never do).
 *
 * Each rank runs the ordinary job (lg_logs_run) over its share of the
 * inputs; its sink hands the rank its aggregate as one wire partial
 * (docs/WIRE.md), which every rank but 0 sends to rank 0 in messages of
 * at most LG_MPI_CHUNK bytes; rank 0 merges them, in rank order, into
 * its own and renders the one report.  Errors of any rank reach rank 0,
 * which says them, naming the rank and its host, and gives the exit code
 * every rank then exits with.
 */
#ifndef LOGS_MPI_LOGS_H
#define LOGS_MPI_LOGS_H

#include <stddef.h>

#include "job.h"

/* The largest MPI message of an aggregate's bytes. */
#define LG_MPI_CHUNK (4u << 20)

/* 1 when an MPI launcher (mpirun, or srun with PMIx) started this
 * process, else 0. */
int lg_mpi_launched(void);

/* MPI_Init; then run cfg over files as this rank's part (local: the
 * paths as on this host, %r and %h in them replaced by the rank and the
 * host name).  *rank is set to this process's rank.  On rank 0 res is
 * the whole job's; on the others their own (their report went to rank
 * 0).  Returns as lg_logs_run.  Call lg_mpi_logs_end after, whatever it
 * returned. */
int lg_mpi_logs_run(const lg_config *cfg, int local, char *const *files,
                    int nfiles, lg_result *res, int *rank, char *err,
                    size_t errlen);

/* After MPI_Finalize, the code this process exits with: rank 0's code
 * (code) on rank 0, 0 on the others, which have sent their outcome to
 * rank 0: mpirun then exits with rank 0's code. */
int lg_mpi_logs_end(int code);

#endif
