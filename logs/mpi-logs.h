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

/* The caller's exit code of a run that returned rc (lg_logs_run's
 * result) with res; it says what went wrong on stderr. */
typedef int (*lg_exit_code_fn)(int rc, const lg_result *res, void *arg);

/* Run cfg over files as this process's rank of the job: MPI_Init, the
 * run (local: the paths as on this host, %r and %h in them replaced by
 * the rank and the host name), then on rank 0 exit_code(rc, res, arg)
 * with the whole job's result, MPI_Finalize.  Returns the code to exit
 * with: rank 0's exit_code, 0 on the other ranks (their outcome went to
 * rank 0, and mpirun exits with rank 0's code). */
int lg_mpi_logs_main(const lg_config *cfg, int local, char *const *files,
                     int nfiles, lg_exit_code_fn exit_code, void *arg,
                     char *err, size_t errlen);

#endif
