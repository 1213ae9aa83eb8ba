/*
 * emit.c - the output side of a worker: pf_emit and pf_emit_key, framing
 * records into the output rings, adaptive batches, routing (round-robin,
 * least-loaded, by key, dealt in turn to an ordered stage), publication,
 * and, with retries, the commit records that make a batch's outputs
 * visible together with the commit of its input (txn.h).
 */
#include "emit.h"

#include <string.h>

#include "clock.h"
#include "futex.h"
#include "seqmap.h"
#include "serial.h"
#include "transport.h"
#include "txn.h"
#include "worker.h"

#define STUCK_NS                                                               \
    (2u * 1000 * 1000) /* a consumer this long without a                       \
                          commit is inside slow records */

/* ---- batches and publication --------------------------------------------- */

/* Store ring d's head (outside a commit) and wake its consumer. */
static void store_head(pf_ctx *ctx, int d)
{
    if (pf__rw_publish(&ctx->out[d]))
        pf__wake(&ctx->out_peer[d]->in_sleep, &ctx->out_peer[d]->in_seq);
}

/* Publish in transactional mode: commit up to the last record boundary,
 * when this stage may commit mid-batch (a batch hook's state forbids it). */
static void txn_publish(pf_ctx *ctx)
{
    if (ctx->in_cur >= 0 && !ctx->tx.mid_ok)
        return; /* inside a batch whose hook has not run */
    pf__txn_commit(ctx, 1);
}

/* Publish ring d past the last commit: a record's output does not fit in
 * the ring otherwise.  A crash before the next full commit cannot be
 * replayed, and the supervisor fails the run instead of guessing. */
static void unsafe_publish(pf_ctx *ctx, int d)
{
    atomic_store_explicit(&ctx->me->unsafe, 1, memory_order_relaxed);
    store_head(ctx, d);
}

static void publish_ring(pf_ctx *ctx, int d)
{
    if (ctx->txn)
        txn_publish(ctx);
    else
        store_head(ctx, d);
}

/* Publish every written ring (no MARKs). */
void pf__publish_all(pf_ctx *ctx)
{
    if (ctx->txn) {
        txn_publish(ctx);
    } else {
        for (int i = 0; i < ctx->ndirty; i++)
            store_head(ctx, ctx->dirty[i]);
    }
    for (int i = 0; i < ctx->ndirty; i++)
        ctx->is_dirty[ctx->dirty[i]] = 0;
    ctx->ndirty = 0;
    ctx->pend_since = 0;
}

/* Before writing to ring d for the record in progress: remember where
 * its output begins, the boundary a commit may stop at. */
static inline void note_write(pf_ctx *ctx, int d)
{
    if (ctx->rec_epoch[d] != ctx->epoch) {
        ctx->rec_epoch[d] = ctx->epoch;
        ctx->rec_start[d] = pf__rw_written(&ctx->out[d]);
    }
}

static inline void mark_dirty(pf_ctx *ctx, int d)
{
    if (!ctx->is_dirty[d]) {
        ctx->is_dirty[d] = 1;
        ctx->dirty[ctx->ndirty++] = d;
    }
    if (ctx->pend_since == 0)
        ctx->pend_since = pf__coarse_ns();
}

/* Whether ring d has room for a frame of len bytes. */
static int ring_fits(pf_ctx *ctx, int d, size_t len)
{
    return pf__rw_fits(&ctx->out[d], len);
}

/* Whether waiting for space in ring d can end: the frame fits, or (with
 * commits) the consumer has taken everything committed while output it
 * cannot see yet holds the rest of the ring. */
static int space_or_stuck(pf_ctx *ctx, int d, size_t len)
{
    pf__rw *w = &ctx->out[d];
    if (ring_fits(ctx, d, len))
        return 1;
    return ctx->txn && pf__rw_written(w) != pf__rw_published(w) &&
           pf__rw_consumed(w) >= pf__rw_published(w);
}

/* Block until ready(ctx, d, len) holds: publish what is pending, spin
 * briefly, then sleep until a consumer commits (commits wake us). */
static void block_out(pf_ctx *ctx, int (*ready)(pf_ctx *, int, size_t), int d,
                      size_t len)
{
    pf__publish_all(ctx);
    uint32_t was_in_call = 0; /* waiting is not being stuck in user code */
    if (ctx->track)
        was_in_call = atomic_exchange_explicit(&ctx->me->in_call, 0,
                                               memory_order_relaxed);
    uint64_t t0 = pf__now_ns();
    atomic_store_explicit(&ctx->me->wait_out_since, t0, memory_order_relaxed);
    for (;;) {
        int ok = 0;
        for (int i = 0; i < PF__SPIN_TRIES && !ok; i++) {
            ok = ready(ctx, d, len);
            pf__cpu_relax();
        }
        if (ok)
            break;
        struct pf__wctl *me = ctx->me;
        uint32_t seq = atomic_load(&me->out_seq);
        atomic_store(&me->out_sleep, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (!ready(ctx, d, len)) {
            pf__push_stats(ctx);
            pf__futex_wait(&me->out_seq, seq, PF__SLEEP_NS);
        }
        atomic_store(&me->out_sleep, 0);
    }
    ctx->wait_out += pf__now_ns() - t0;
    atomic_store_explicit(&ctx->me->wait_out_since, 0, memory_order_release);
    atomic_store_explicit(&ctx->me->ns_wait_out, ctx->wait_out,
                          memory_order_release);
    if (ctx->track)
        atomic_store_explicit(&ctx->me->in_call, was_in_call,
                              memory_order_relaxed);
}

/* Block until ring d has room for len bytes.  With commits, if the only
 * thing in the way is this worker's own unpublished output, publish it
 * past the commit rather than wait forever. */
static void wait_space(pf_ctx *ctx, int d, size_t len)
{
    for (;;) {
        block_out(ctx, space_or_stuck, d, len);
        if (ring_fits(ctx, d, len))
            return;
        unsafe_publish(ctx, d);
    }
}

/* ---- the prefetch limit (pf_stage_prefetch) ---------------------------- */

/* Whether ring d may take one more record: the record written prefetch
 * records ago has been committed - or is not published yet, since the
 * consumer cannot commit what it cannot see and waiting would not end. */
static int slot_free(pf_ctx *ctx, int d)
{
    uint64_t lim = (uint64_t)ctx->prefetch;
    if (lim == 0 || ctx->slots[d].n < lim)
        return 1;
    const struct pf__slots *sl = &ctx->slots[d];
    uint64_t end = sl->end[(sl->n - lim) % PF_PREFETCH_MAX];
    pf__rw *w = &ctx->out[d];
    if (pf__rw_consumed(w) >= end || end > pf__rw_published(w))
        return 1;
    return pf__rw_refresh(w) >= end;
}

/* A whole record now ends at ring d's write position. */
static inline void note_record_end(pf_ctx *ctx, int d)
{
    if (ctx->prefetch > 0) {
        struct pf__slots *sl = &ctx->slots[d];
        sl->end[sl->n++ % PF_PREFETCH_MAX] = pf__rw_written(&ctx->out[d]);
    }
}

/* The first ring from d on with a free slot, or -1. */
static int find_slot(pf_ctx *ctx, int d)
{
    for (int k = 0; k < ctx->nout; k++) {
        int c = (d + k) % ctx->nout;
        if (slot_free(ctx, c))
            return c;
    }
    return -1;
}

static int slot_at(pf_ctx *ctx, int d, size_t len)
{
    (void)len;
    return slot_free(ctx, d);
}

static int slot_anywhere(pf_ctx *ctx, int d, size_t len)
{
    (void)len;
    return find_slot(ctx, d) >= 0;
}

/* Ring d has no free slot: the ring a new record goes to once one has -
 * d itself, or, when the record may go anywhere, the first ring with one. */
static int wait_slot(pf_ctx *ctx, int d, int anywhere)
{
    if (!anywhere) {
        block_out(ctx, slot_at, d, 0);
        return d;
    }
    int e;
    while ((e = find_slot(ctx, d)) < 0)
        block_out(ctx, slot_anywhere, d, 0);
    return e;
}

/* Reserve a frame in ring d, waiting as long as needed. */
static void *reserve_wait(pf_ctx *ctx, int d, size_t len, uint32_t flags)
{
    void *dst;
    note_write(ctx, d);
    while ((dst = pf__rw_reserve(&ctx->out[d], len, flags)) == NULL)
        wait_space(ctx, d, len);
    return dst;
}

/* The output ring with the fewest bytes in flight. */
static int least_loaded(pf_ctx *ctx)
{
    int best = ctx->cur;
    uint64_t best_used = UINT64_MAX;
    for (int k = 0; k < ctx->nout; k++) {
        int d = (ctx->cur + 1 + k) % ctx->nout;
        pf__rw *w = &ctx->out[d];
        pf__rw_refresh(w);
        uint64_t used = pf__rw_used(w);
        if (used < best_used) {
            best_used = used;
            best = d;
        }
    }
    return best;
}

/* Adapt ring d's batch size: double it while the consumer keeps up (it
 * had taken everything written before this batch began), halve it when
 * the consumer has committed nothing for STUCK_NS (it is inside slow
 * records), keep it otherwise.  A fast consumer then gets large batches,
 * so the ring's head is written rarely; a slow one (a 10 ms lookup) gets
 * a few records at a time, so the next stage's workers share them instead
 * of one worker queueing them all.  (Without the time test, a fast
 * consumer that commits once per pass looked stuck between two batches
 * and batches collapsed to one record.) */
static void adapt_batch(pf_ctx *ctx, int d)
{
    pf__rw *w = &ctx->out[d];
    uint64_t consumed = pf__rw_refresh(w);
    if (consumed >= ctx->bstart[d]) {
        if (ctx->blim[d] < ctx->run->batch_bytes)
            ctx->blim[d] *= 2;
        ctx->tmoved[d] = 0;
    } else if (consumed != ctx->tseen[d] || ctx->tmoved[d] == 0) {
        ctx->tmoved[d] = pf__coarse_ns();
    } else if (ctx->blim[d] > PF__MIN_BATCH &&
               pf__coarse_ns() - ctx->tmoved[d] > STUCK_NS) {
        ctx->blim[d] /= 2;
    }
    ctx->tseen[d] = consumed;
}

/* End the batch in ring d: MARK it when dealing, publish, pick the next
 * ring for unkeyed records.
 *
 * A dealer's turn moves with its MARK, before the commit that publishes
 * it: a successor resumes at the committed ring and deals its next batch
 * there.  Were the turn to move after the commit, that ring would get two
 * batches in a row and the collector would take them out of order.  (A
 * successor closes the batch it resumes in; if that batch is empty, the
 * collector takes it in its turn like any other.) */
static void end_batch(pf_ctx *ctx, int d)
{
    if (ctx->deal) {
        if (!ctx->deal_open)
            return;
        reserve_wait(ctx, d, 0, PF__F_MARK);
        pf__rw_done(&ctx->out[d]);
        ctx->deal_open = 0;
        ctx->cur = (d + 1) % ctx->nout; /* a dealer's d is always cur */
    }
    adapt_batch(ctx, d);
    publish_ring(ctx, d);
    ctx->bstart[d] = pf__rw_written(&ctx->out[d]);
    if (ctx->deal || d != ctx->cur)
        return;
    if (ctx->dist == PF_DIST_LEAST_LOADED)
        ctx->cur = least_loaded(ctx);
    else
        ctx->cur = (ctx->cur + 1) % ctx->nout;
}

/* Publish everything; when dealing, also close the open batch. */
void pf__flush_all(pf_ctx *ctx)
{
    if (ctx->nout == 0)
        return;
    if (ctx->deal && ctx->deal_open)
        end_batch(ctx, ctx->cur);
    pf__publish_all(ctx);
    pf__push_stats(ctx);
}

/* A source's heartbeat, and its position in its own output: where it
 * was when it died tells a crash that repeats from chance kills. */
static inline void source_beat(pf_ctx *ctx)
{
    atomic_store_explicit(&ctx->me->cur_pos, ctx->emitted,
                          memory_order_relaxed);
    atomic_fetch_add_explicit(&ctx->me->beats, 1, memory_order_relaxed);
}

/* A source's record is fully written: it counts as emitted, and the
 * commits that follow include it.  Until then a commit stops before it. */
static inline void source_done(pf_ctx *ctx)
{
    ctx->source_rec = 0;
    ctx->mid_record = 0;
    ctx->emitted++;
    if (ctx->track)
        source_beat(ctx);
}

/* Publish the output counters (live stats), before the record can be
 * published to the next stage: see pf__push_stats.  With a stall limit,
 * a record out is progress too: a hook or a call that keeps emitting is
 * not stuck (only this worker writes beats: no read-modify-write). */
static inline void count_out(pf_ctx *ctx)
{
    struct pf__wctl *me = ctx->me;
    atomic_store_explicit(&me->records_out, ctx->rout, memory_order_release);
    atomic_store_explicit(&me->bytes_out, ctx->bout, memory_order_release);
    if (ctx->track)
        atomic_store_explicit(
            &me->beats,
            atomic_load_explicit(&me->beats, memory_order_relaxed) + 1,
            memory_order_relaxed);
}

/* After a write to ring d: end a full batch, honour the flush deadline. */
static inline void wrote(pf_ctx *ctx, int d, size_t len)
{
    pf__seq_wrote(ctx, d);
    ctx->rout++;
    ctx->bout += len;
    count_out(ctx);
    if (ctx->source_rec) /* complete: later commits include it */
        source_done(ctx);
    pf__rw_done(&ctx->out[d]);
    note_record_end(ctx, d);
    mark_dirty(ctx, d);
    if (ctx->deal)
        ctx->deal_open = 1;
    if (pf__rw_written(&ctx->out[d]) - ctx->bstart[d] >= ctx->blim[d])
        end_batch(ctx, d);
    else if (atomic_load_explicit(&ctx->out_peer[d]->in_sleep,
                                  memory_order_relaxed))
        publish_ring(ctx, d); /* an idle consumer gains nothing by waiting */
    else if (pf__coarse_ns() - ctx->pend_since >= ctx->run->flush_ns)
        pf__flush_all(ctx);
}

/* Send a record too long for one frame as fragments, publishing each so
 * the consumer can drain the ring while the rest is written.
 *
 * With commits, fragments go out ahead of the commit, which is safe as
 * long as nothing uncommitted precedes them in the ring: a consumer never
 * completes the record before the last fragment, which only the commit
 * publishes, and if this worker dies first, its successor sends the
 * record again from a FIRST fragment.  Otherwise the worker is unsafe
 * until its next commit. */
static void put_large(pf_ctx *ctx, int d, const unsigned char *rec, size_t len)
{
    pf__rw *w = &ctx->out[d];
    if (ctx->txn && pf__rw_published(w) != pf__rw_written(w))
        txn_publish(ctx);
    int safe = !ctx->txn || pf__rw_published(w) == pf__rw_written(w);
    size_t off = 0;
    if (pf__seq_due(ctx, d))
        pf__seq_put(ctx, d, reserve_wait(ctx, d, 8, PF__F_SEQ));
    while (off < len) {
        size_t n = len - off < ctx->frag_max ? len - off : ctx->frag_max;
        uint32_t flags = off + n < len ? PF__F_MORE : PF__F_LAST;
        if (off == 0)
            flags |= PF__F_FIRST;
        void *dst = reserve_wait(ctx, d, n, flags);
        memcpy(dst, rec + off, n);
        pf__rw_done(w);
        off += n;
        mark_dirty(ctx, d);
        if (!ctx->txn)
            store_head(ctx, d);
        else if (off < len && safe)
            store_head(ctx, d);
        else if (off < len)
            unsafe_publish(ctx, d);
    }
    pf__seq_wrote(ctx, d);
    ctx->rout++;
    ctx->bout += len;
    count_out(ctx);
    if (ctx->source_rec)
        source_done(ctx);
    note_record_end(ctx, d);
    if (ctx->deal)
        ctx->deal_open = 1;
    end_batch(ctx, d);
}

/* Write one record to ring d; an unkeyed record may move to another ring
 * when d is full (never when dealing: order depends on the turn). */
static int put_record(pf_ctx *ctx, int d, const void *rec, size_t len,
                      int may_switch)
{
    if (ctx->prefetch > 0 && !slot_free(ctx, d)) {
        int e = wait_slot(ctx, d, may_switch && ctx->nout > 1);
        if (e != d) {
            publish_ring(ctx, d);
            ctx->cur = d = e;
        }
    }
    if (len > ctx->frag_max) {
        put_large(ctx, d, rec, len);
        return 0;
    }
    for (;;) {
        note_write(ctx, d);
        void *dst = NULL;
        void *seq = pf__seq_due(ctx, d)
                        ? pf__rw_reserve(&ctx->out[d], 8, PF__F_SEQ)
                        : &dst; /* not due: go on */
        if (seq != &dst && seq != NULL)
            pf__seq_put(ctx, d, seq);
        if (seq != NULL)
            dst = pf__rw_reserve(&ctx->out[d], len, 0);
        if (dst != NULL) {
            memcpy(dst, rec, len);
            wrote(ctx, d, len);
            return 0;
        }
        if (may_switch && ctx->nout > 1) {
            int e = -1;
            for (int k = 1; k < ctx->nout && e < 0; k++) {
                int c = (d + k) % ctx->nout;
                if (slot_free(ctx, c) && ring_fits(ctx, c, len))
                    e = c;
            }
            if (e >= 0) {
                publish_ring(ctx, d);
                ctx->cur = d = e;
                continue;
            }
        }
        wait_space(ctx, d, len);
    }
}

/* Check the common preconditions of pf_emit and pf_emit_key. */
static int emit_check(pf_ctx *ctx, size_t len)
{
    if (ctx->nout == 0)
        return PF_ESTATE;
    if (len > ctx->run->max_record)
        return PF_E2BIG;
    if (ctx->st->index == 0 && pf__stop_level(ctx) != PF__RUN)
        return PF_ECANCELED;
    return 0;
}

/* A restarted source drops the records its predecessor committed. */
static inline int resumed(pf_ctx *ctx)
{
    if (ctx->emitted >= ctx->resume)
        return 0;
    ctx->emitted++;
    if (ctx->track)
        source_beat(ctx);
    return 1;
}

/* Start a record: a source's record is "in progress" until written. */
static inline void begin_emit(pf_ctx *ctx)
{
    if (ctx->st->index == 0) {
        ctx->epoch++;
        ctx->source_rec = 1;
        ctx->mid_record = 1;
        ctx->rec_cur = ctx->cur;
    }
}

int pf_emit(pf_ctx *ctx, const void *rec, size_t len)
{
    if (ctx == NULL || (rec == NULL && len != 0))
        return PF_EINVAL;
    if (ctx->serial)
        return pf__serial_emit(ctx, rec, len);
    int err = emit_check(ctx, len);
    if (err != 0 || resumed(ctx))
        return err;
    begin_emit(ctx);
    return put_record(ctx, ctx->cur, rec, len, !ctx->deal);
}

/* 64-bit FNV-1a with a final avalanche, for key routing. */
static uint64_t key_hash(const unsigned char *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= k[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

int pf_emit_key(pf_ctx *ctx, const void *key, size_t klen, const void *rec,
                size_t len)
{
    if (ctx == NULL || (key == NULL && klen != 0) || (rec == NULL && len != 0))
        return PF_EINVAL;
    if (ctx->serial)
        return pf__serial_emit(ctx, rec, len);
    int err = emit_check(ctx, len);
    if (err != 0 || resumed(ctx))
        return err;
    /* An ordered next stage takes batches in turn: the key yields. */
    int d =
        ctx->deal ? ctx->cur : (int)(key_hash(key, klen) % (uint64_t)ctx->nout);
    begin_emit(ctx);
    return put_record(ctx, d, rec, len, 0);
}

/* An ordered stage passes each input MARK on, after that batch's output.
 * The caller has read past the input MARK, whose position is rec_pos.
 * The two MARKs are committed together: while this one waits for room,
 * the MARK is a record in progress, so a commit then stops before both -
 * a successor that had lost the output MARK would leave the collector
 * taking this queue's next batch as part of this one. */
void pf__put_mark(pf_ctx *ctx)
{
    if (ctx->nout == 0)
        return;
    ctx->epoch++;
    ctx->mid_record = 1;
    ctx->rec_cur = ctx->cur;
    reserve_wait(ctx, 0, 0, PF__F_MARK);
    pf__rw_done(&ctx->out[0]);
    ctx->mid_record = 0;
    mark_dirty(ctx, 0);
    pf__publish_all(ctx);
}
