/*
 * seqmap.h - where a record stands in its producer's output stream, for
 * failure reports (seqmap.c).
 *
 * A consumer knows a failing record as the k-th it read from one ring;
 * the user knows it as, say, the source's 3000th record.  Records reach a
 * ring in runs of consecutive producer indexes (a batch), so before a
 * record that does not follow the ring's previous one the producer writes
 * a SEQ frame into the ring: "the next record is my record number g".
 * The information travels with the data: a consumer, however far behind,
 * counts from the last SEQ it read.  Cost: 16 bytes per run (per batch
 * with round-robin dealing, up to per record with keys spread over many
 * workers).  Unknown (0) where a restart broke the numbering: a
 * restarted producer sends 0, a restarted consumer knows nothing until
 * the next SEQ.
 */
#ifndef PF_SEQMAP_H
#define PF_SEQMAP_H

#include <stdint.h>
#include <string.h>

#include "ctx.h"

#define PF__SEQ_TOLD UINT64_MAX /* snext: "unknown" was sent */

/* Whether the next record of this worker, sent to ring d, needs a SEQ
 * frame first: the consumer would number it otherwise. */
static inline int pf__seq_due(const pf_ctx *ctx, int d)
{
    return ctx->snext[d] != ctx->rout + 1 && ctx->snext[d] != PF__SEQ_TOLD;
}

/* A record was written to ring d. */
static inline void pf__seq_wrote(pf_ctx *ctx, int d)
{
    if (ctx->snext[d] != PF__SEQ_TOLD)
        ctx->snext[d]++;
}

/* Fill a reserved SEQ frame for ring d and make it count as written. */
void pf__seq_put(pf_ctx *ctx, int d, void *frame);

/* Give a worker's context its counters (after its rings are attached);
 * 0 or PF_ENOMEM. */
int pf__seq_setup(pf_ctx *ctx);

/* A consumer read a SEQ frame of 8 bytes at data from ring r. */
static inline void pf__seq_read(pf_ctx *ctx, int r, const void *data)
{
    memcpy(&ctx->sin[r], data, sizeof ctx->sin[r]);
}

/* A consumer takes the next record of ring r: remember its index (0
 * unknown) for a failure report. */
static inline void pf__seq_take(pf_ctx *ctx, int r)
{
    uint64_t g = ctx->sin[r];
    ctx->stream_cur = g;
    if (g != 0)
        ctx->sin[r] = g + 1;
}

/* The record in progress failed: note its index and producer in the
 * worker's control block (fail_stream, fail_from); returns the index. */
uint64_t pf__seq_fail(pf_ctx *ctx);

#endif
