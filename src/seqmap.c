/*
 * seqmap.c - SEQ frames: where a record stands in its producer's output
 * stream (seqmap.h).
 */
#include "seqmap.h"

#include <stdlib.h>

#include "ring.h"

void pf__seq_put(pf_ctx *ctx, int d, void *frame)
{
    /* A restarted worker's count of records out was read back from its
     * live stats, which may include output that was rolled back. */
    uint64_t g = ctx->restarts > 0 ? 0 : ctx->rout + 1;
    memcpy(frame, &g, sizeof g);
    pf__rw_done(&ctx->out[d]);
    ctx->snext[d] = g != 0 ? g : PF__SEQ_TOLD;
}

int pf__seq_setup(pf_ctx *ctx)
{
    if (ctx->nout > 0 &&
        (ctx->snext = calloc((size_t)ctx->nout, sizeof *ctx->snext)) == NULL)
        return PF_ENOMEM;
    if (ctx->nin > 0 &&
        (ctx->sin = calloc((size_t)ctx->nin, sizeof *ctx->sin)) == NULL)
        return PF_ENOMEM;
    return 0;
}

uint64_t pf__seq_fail(pf_ctx *ctx)
{
    uint64_t g = ctx->in_cur >= 0 ? ctx->stream_cur : 0;
    atomic_store_explicit(&ctx->me->fail_stream, g, memory_order_relaxed);
    atomic_store_explicit(&ctx->me->fail_from, g != 0 ? ctx->in_cur : -1,
                          memory_order_relaxed);
    return g;
}
