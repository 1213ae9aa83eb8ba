/* mpi-share.h - which inputs a rank of a scale-out job reads, and the
 * input lists ranks send rank 0 (docs/SCALE-OUT.md).  Plain C: the MPI
 * calls are mpi-logs.c's.
 *
 * Shared inputs (every host sees the same files): every rank expands the
 * same list and takes a share of it, computed from the list alone, so
 * the ranks agree without a message.  Plain files are one run of bytes
 * cut in `ranks` equal parts, each cut moved to the start of the next
 * line; a compressed file goes whole to the rank with the fewest
 * compressed bytes so far (largest first); streams (standard input,
 * FIFOs) and inputs that failed to open go to rank 0.
 *
 * Local inputs (--inputs local): each rank reads the paths as they are on
 * its own host; rank 0 joins every rank's list, in rank order, into the
 * report's list, and rank r's input i is the joined list's input
 * offset(r) + i.
 */
#ifndef LOGS_MPI_SHARE_H
#define LOGS_MPI_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "job.h"

/* What a share changed in job->in, to undo it before rank 0 renders. */
typedef struct lg_share_undo {
    size_t n;
    uint64_t *start, *size;
    int *skip;
} lg_share_undo;

/* Cut job->in to rank's share of ranks (shared inputs), saving what it
 * changes in undo (caller frees with lg_share_undo_free).  0 or
 * -ENOMEM. */
int lg_share_take(lg_job *job, int rank, int ranks, lg_share_undo *undo);
/* Put job->in back as it was before lg_share_take. */
void lg_share_restore(lg_job *job, const lg_share_undo *undo);
void lg_share_undo_free(lg_share_undo *undo);

/* Append job->in (paths, sizes, compression, errors, format slots) to out
 * as bytes.  0 or -ENOMEM. */
int lg_share_list_encode(const lg_job *job, lg_buf *out);
/* Append the list encoded in p[0..len) to in and its format slots to
 * (*fmt)[in->n...] (grown with realloc).  0, -ENOMEM or -EBADMSG. */
int lg_share_list_decode(const void *p, size_t len, lg_inputs *in,
                         uint8_t **fmt);

/* Replace every %r in arg with rank, %h with host and %% with %; a new
 * string (caller frees) or NULL when out of memory. */
char *lg_share_expand_arg(const char *arg, int rank, const char *host);

#endif
