/*
 * txn.c - commit records (the protocol is in txn.h): making a commit
 * current and applying it, and a successor's roll-forward of its dead
 * predecessor's last commit.
 */
#include "txn.h"

#include "ctx.h"
#include "transport.h"

/* Make a commit current, then apply it: output heads, then the input
 * tail.  With boundary, a record whose call is in progress is left out:
 * the input tail stops before it and each ring's head before its output.
 * A full commit (not mid-record) also ends an unsafe window. */
void pf__txn_commit(pf_ctx *ctx, int boundary)
{
    int mid = boundary && ctx->mid_record;
    struct pf__txn *t = ctx->tx.slot[(ctx->tx.seq + 1) & 1];
    t->in_ring = ctx->in_cur;
    t->in_pos = ctx->in_cur < 0 ? 0
                : mid           ? ctx->rec_pos
                                : pf__rr_pos(&ctx->in[ctx->in_cur]);
    t->emitted = ctx->emitted;
    t->cur = (uint32_t)(mid ? ctx->rec_cur : ctx->cur);
    t->turn = (uint32_t)ctx->turn;
    t->nout = (uint32_t)ctx->nout;
    for (int d = 0; d < ctx->nout; d++) {
        uint64_t pub = pf__rw_published(&ctx->out[d]);
        uint64_t h = mid && ctx->rec_epoch[d] == ctx->epoch
                         ? ctx->rec_start[d]
                         : pf__rw_written(&ctx->out[d]);
        t->out_pos[d] = h > pub ? h : pub;
    }
    atomic_store_explicit(&ctx->me->txn_seq, ++ctx->tx.seq,
                          memory_order_release);
    for (int d = 0; d < ctx->nout; d++)
        if (pf__rw_publish_to(&ctx->out[d], t->out_pos[d]))
            pf__wake(&ctx->out_peer[d]->in_sleep, &ctx->out_peer[d]->in_seq);
    if (ctx->in_cur >= 0 && pf__rr_commit_to(&ctx->in[ctx->in_cur], t->in_pos))
        pf__wake(&ctx->in_peer[ctx->in_cur]->out_sleep,
                 &ctx->in_peer[ctx->in_cur]->out_seq);
    if (!mid)
        atomic_store_explicit(&ctx->me->unsafe, 0, memory_order_relaxed);
}

/* Commit a whole input batch with its outputs (transactional mode). */
void pf__commit_batch(pf_ctx *ctx)
{
    pf__txn_commit(ctx, 0);
    for (int i = 0; i < ctx->ndirty; i++)
        ctx->is_dirty[ctx->dirty[i]] = 0;
    ctx->ndirty = 0;
    ctx->pend_since = 0;
}

/* Finish the apply step of the current commit of a dead predecessor:
 * heads and tail only move forward, so doing it twice is harmless. */
void pf__txn_roll_forward(pf_pipeline *p, struct pf__run *run, int s, int w)
{
    struct pf__wctl *me = &run->wctl[run->first[s] + w];
    int nout = s + 1 < p->nstages ? p->stages[s + 1]->workers : 0;
    struct pf__txn *t = pf__txn_current(run->base, me, nout);
    if (t == NULL)
        return;
    for (int d = 0; d < nout; d++)
        pf__ring_roll_forward(pf__edge_ring(run, s, w, d), t->out_pos[d], 0);
    if (t->in_ring >= 0 && s > 0)
        pf__ring_roll_forward(pf__edge_ring(run, s - 1, t->in_ring, w), 0,
                              t->in_pos);
}
