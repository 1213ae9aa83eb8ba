/*
 * worker.c - the life of a worker process: read framed records from the
 * input rings, call the stage function, batch its output into the output
 * rings, then run the finish hook and close the outputs.
 *
 * Invariants:
 *  - an input ring's tail is committed only after the records read from
 *    it were processed and every output they produced was published;
 *  - a worker sleeps only after publishing all its pending output, so a
 *    pipeline never stalls on data held back in a half-full batch;
 *  - sleep and wake use the eventcount pattern: the sleeper sets its
 *    *_sleep flag, fences, re-checks, then futex-waits on a sequence word;
 *    the waker changes the ring, fences, and bumps the word if the flag is
 *    set.  Both fences are seq_cst, so one of the two always sees the
 *    other's write.
 */
#include "ctx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clock.h"
#include "futex.h"
#include "log.h"
#include "txn.h"

#define SPIN_TRIES 256
#define MIN_BATCH 64 /* bytes: the smallest adaptive batch */
#define STUCK_NS                                                               \
    (2u * 1000 * 1000) /* a consumer this long without a                       \
                          commit is inside slow records */
#define SLEEP_NS (100u * 1000 * 1000)

/* ---- stats and failure --------------------------------------------------- */

static void push_stats(pf_ctx *ctx)
{
    struct pf__wctl *me = ctx->me;
    atomic_store_explicit(&me->records_in, ctx->rin, memory_order_relaxed);
    atomic_store_explicit(&me->bytes_in, ctx->bin, memory_order_relaxed);
    atomic_store_explicit(&me->records_out, ctx->rout, memory_order_relaxed);
    atomic_store_explicit(&me->bytes_out, ctx->bout, memory_order_relaxed);
    atomic_store_explicit(&me->ns_wait_in, ctx->wait_in, memory_order_relaxed);
    atomic_store_explicit(&me->ns_wait_out, ctx->wait_out,
                          memory_order_relaxed);
}

/* Leave the worker after a failure the supervisor will report. */
static _Noreturn void worker_fail(pf_ctx *ctx, int err)
{
    push_stats(ctx);
    atomic_store(&ctx->me->error, err);
    atomic_store(&ctx->me->t_end, pf__now_ns());
    atomic_store(&ctx->me->state, PF__W_FAILED);
    fflush(NULL);
    _exit(PF_ESTAGE == err ? 70 : 71);
}

static int stop_level(const pf_ctx *ctx)
{
    return (int)atomic_load_explicit(&ctx->run->hdr->stop,
                                     memory_order_relaxed);
}

/* ---- output side ----------------------------------------------------------
 */

/* Bump a worker's sequence word if it sleeps on it.  The waker claims
 * the sleep flag, so one sleep costs at most one futex_wake however many
 * batches are published before the sleeper runs again. */
static inline void wake(_Atomic uint32_t *sleep_flag, _Atomic uint32_t *seq)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(sleep_flag, memory_order_relaxed) &&
        atomic_exchange_explicit(sleep_flag, 0, memory_order_relaxed)) {
        atomic_fetch_add_explicit(seq, 1, memory_order_release);
        pf__futex_wake(seq);
    }
}

/* Store ring d's head (outside a commit) and wake its consumer. */
static void store_head(pf_ctx *ctx, int d)
{
    if (pf__rw_publish(&ctx->out[d]))
        wake(&ctx->out_peer[d]->in_sleep, &ctx->out_peer[d]->in_seq);
}

/* Make a commit current, then apply it: output heads, then the input
 * tail.  With boundary, a record whose call is in progress is left out:
 * the input tail stops before it and each ring's head before its output.
 * A full commit (not mid-record) also ends an unsafe window. */
static void txn_commit(pf_ctx *ctx, int boundary)
{
    int mid = boundary && ctx->mid_record;
    struct pf__txn *t = ctx->slot[(ctx->txn_seq + 1) & 1];
    t->in_ring = ctx->in_cur;
    t->in_tail = ctx->in_cur < 0 ? 0
                 : mid           ? ctx->rec_pos
                                 : ctx->in[ctx->in_cur].rpos;
    t->emitted = ctx->emitted;
    t->cur = (uint32_t)ctx->cur;
    t->turn = (uint32_t)ctx->turn;
    t->nout = (uint32_t)ctx->nout;
    for (int d = 0; d < ctx->nout; d++) {
        uint64_t h = mid && ctx->rec_epoch[d] == ctx->epoch ? ctx->rec_start[d]
                                                            : ctx->out[d].wpos;
        t->head[d] = h > ctx->out[d].pub ? h : ctx->out[d].pub;
    }
    atomic_store_explicit(&ctx->me->txn_seq, ++ctx->txn_seq,
                          memory_order_release);
    for (int d = 0; d < ctx->nout; d++) {
        pf__rw *w = &ctx->out[d];
        if (t->head[d] > w->pub) {
            atomic_store_explicit(&w->r->head, t->head[d],
                                  memory_order_release);
            w->pub = t->head[d];
            wake(&ctx->out_peer[d]->in_sleep, &ctx->out_peer[d]->in_seq);
        }
    }
    if (ctx->in_cur >= 0) {
        pf__rr *rd = &ctx->in[ctx->in_cur];
        if (t->in_tail > rd->commit) {
            rd->commit = t->in_tail;
            atomic_store_explicit(&rd->r->tail, t->in_tail,
                                  memory_order_release);
            wake(&ctx->in_peer[ctx->in_cur]->out_sleep,
                 &ctx->in_peer[ctx->in_cur]->out_seq);
        }
    }
    if (!mid)
        atomic_store_explicit(&ctx->me->unsafe, 0, memory_order_relaxed);
}

/* Publish in transactional mode: commit up to the last record boundary,
 * when this stage may commit mid-batch (a batch hook's state forbids it). */
static void txn_publish(pf_ctx *ctx)
{
    if (ctx->in_cur >= 0 && !ctx->mid_ok)
        return; /* inside a batch whose hook has not run */
    txn_commit(ctx, 1);
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
static void publish_all(pf_ctx *ctx)
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
        ctx->rec_start[d] = ctx->out[d].wpos;
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

/* Block until ring d has room for len bytes: publish what is pending,
 * spin briefly, then sleep until a consumer commits. */
static void wait_space(pf_ctx *ctx, int d, size_t len)
{
    publish_all(ctx);
    if (ctx->txn && ctx->out[d].wpos != ctx->out[d].pub) {
        /* Unpublished output the consumer cannot see holds the space:
         * once it has taken everything committed, publish past the
         * commit rather than wait forever. */
        pf__rw *w = &ctx->out[d];
        while (!ring_fits(ctx, d, len) && w->tail < w->pub)
            pf__cpu_relax();
        if (!ring_fits(ctx, d, len))
            unsafe_publish(ctx, d);
    }
    if (ctx->track)
        atomic_store_explicit(&ctx->me->in_call, 0, memory_order_relaxed);
    uint64_t t0 = pf__now_ns();
    for (int i = 0; i < SPIN_TRIES; i++) {
        if (ring_fits(ctx, d, len))
            goto done;
        pf__cpu_relax();
    }
    for (;;) {
        struct pf__wctl *me = ctx->me;
        uint32_t seq = atomic_load(&me->out_seq);
        atomic_store(&me->out_sleep, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (ring_fits(ctx, d, len))
            break;
        push_stats(ctx);
        pf__futex_wait(&me->out_seq, seq, SLEEP_NS);
        atomic_store(&me->out_sleep, 0);
        if (ring_fits(ctx, d, len))
            break;
    }
    atomic_store(&ctx->me->out_sleep, 0);
done:
    ctx->wait_out += pf__now_ns() - t0;
    if (ctx->track)
        atomic_store_explicit(&ctx->me->in_call, 1, memory_order_relaxed);
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
        w->tail = atomic_load_explicit(&w->r->tail, memory_order_acquire);
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
    w->tail = atomic_load_explicit(&w->r->tail, memory_order_acquire);
    if (w->tail >= ctx->bstart[d]) {
        if (ctx->blim[d] < ctx->run->batch_bytes)
            ctx->blim[d] *= 2;
        ctx->tmoved[d] = 0;
    } else if (w->tail != ctx->tseen[d] || ctx->tmoved[d] == 0) {
        ctx->tmoved[d] = pf__coarse_ns();
    } else if (ctx->blim[d] > MIN_BATCH &&
               pf__coarse_ns() - ctx->tmoved[d] > STUCK_NS) {
        ctx->blim[d] /= 2;
    }
    ctx->tseen[d] = w->tail;
}

/* End the batch in ring d: MARK it when dealing, publish, pick the next
 * ring for unkeyed records. */
static void end_batch(pf_ctx *ctx, int d)
{
    if (ctx->deal) {
        if (!ctx->deal_open)
            return;
        reserve_wait(ctx, d, 0, PF__F_MARK);
        pf__rw_done(&ctx->out[d]);
        ctx->deal_open = 0;
    }
    adapt_batch(ctx, d);
    publish_ring(ctx, d);
    ctx->bstart[d] = ctx->out[d].wpos;
    if (d != ctx->cur)
        return;
    if (ctx->dist == PF_DIST_LEAST_LOADED && !ctx->deal)
        ctx->cur = least_loaded(ctx);
    else
        ctx->cur = (ctx->cur + 1) % ctx->nout;
}

/* Publish everything; when dealing, also close the open batch. */
static void flush_all(pf_ctx *ctx)
{
    if (ctx->nout == 0)
        return;
    if (ctx->deal && ctx->deal_open)
        end_batch(ctx, ctx->cur);
    publish_all(ctx);
    push_stats(ctx);
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

/* After a write to ring d: end a full batch, honour the flush deadline. */
static inline void wrote(pf_ctx *ctx, int d, size_t len)
{
    ctx->rout++;
    ctx->bout += len;
    if (ctx->source_rec) /* complete: later commits include it */
        source_done(ctx);
    pf__rw_done(&ctx->out[d]);
    mark_dirty(ctx, d);
    if (ctx->deal)
        ctx->deal_open = 1;
    if (ctx->out[d].wpos - ctx->bstart[d] >= ctx->blim[d])
        end_batch(ctx, d);
    else if (atomic_load_explicit(&ctx->out_peer[d]->in_sleep,
                                  memory_order_relaxed))
        publish_ring(ctx, d); /* an idle consumer gains nothing by waiting */
    else if (pf__coarse_ns() - ctx->pend_since >= ctx->run->flush_ns)
        flush_all(ctx);
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
    if (ctx->txn && w->pub != w->wpos)
        txn_publish(ctx);
    int safe = !ctx->txn || w->pub == w->wpos;
    size_t off = 0;
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
    ctx->rout++;
    ctx->bout += len;
    if (ctx->source_rec)
        source_done(ctx);
    if (ctx->deal)
        ctx->deal_open = 1;
    end_batch(ctx, d);
}

/* Write one record to ring d; an unkeyed record may move to another ring
 * when d is full (never when dealing: order depends on the turn). */
static int put_record(pf_ctx *ctx, int d, const void *rec, size_t len,
                      int may_switch)
{
    if (len > ctx->frag_max) {
        put_large(ctx, d, rec, len);
        return 0;
    }
    for (;;) {
        note_write(ctx, d);
        void *dst = pf__rw_reserve(&ctx->out[d], len, 0);
        if (dst != NULL) {
            memcpy(dst, rec, len);
            wrote(ctx, d, len);
            return 0;
        }
        if (may_switch && ctx->nout > 1) {
            int e = -1;
            for (int k = 1; k < ctx->nout && e < 0; k++) {
                int c = (d + k) % ctx->nout;
                if (ring_fits(ctx, c, len))
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
    if (ctx->st->index == 0 && stop_level(ctx) != PF__RUN)
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

/* An ordered stage passes each input MARK on, after that batch's output. */
static void put_mark(pf_ctx *ctx)
{
    if (ctx->nout == 0)
        return;
    reserve_wait(ctx, 0, 0, PF__F_MARK);
    pf__rw_done(&ctx->out[0]);
    mark_dirty(ctx, 0);
    publish_all(ctx);
}

/* ---- input side -----------------------------------------------------------
 */

/* Release input ring r up to what was read and wake its producer. */
static void commit_ring(pf_ctx *ctx, int r)
{
    if (pf__rr_commit(&ctx->in[r]))
        wake(&ctx->in_peer[r]->out_sleep, &ctx->in_peer[r]->out_seq);
}

/* Whether ring r has something to read or has just ended. */
static int ring_live(pf_ctx *ctx, int r)
{
    pf__rr *rd = &ctx->in[r];
    return pf__rr_ready(rd) ||
           atomic_load_explicit(&rd->r->closed, memory_order_acquire);
}

/* Whether any watched input ring (all when only < 0) is live. */
static int input_live(pf_ctx *ctx, int only, const unsigned char *done)
{
    if (only >= 0)
        return ring_live(ctx, only);
    for (int r = 0; r < ctx->nin; r++)
        if (!done[r] && ring_live(ctx, r))
            return 1;
    return 0;
}

/* Take complete, unpublished frames of the watched rings; 1 if any. */
static int input_take(pf_ctx *ctx, int only, const unsigned char *done)
{
    if (only >= 0)
        return pf__rr_take_done(&ctx->in[only]);
    int any = 0;
    for (int r = 0; r < ctx->nin; r++)
        if (!done[r])
            any |= pf__rr_take_done(&ctx->in[r]);
    return any;
}

/* Wait for input: publish our output first, spin, then sleep. */
static void idle(pf_ctx *ctx, int only, const unsigned char *done)
{
    flush_all(ctx);
    uint64_t t0 = pf__now_ns();
    for (int i = 0; i < SPIN_TRIES; i++) {
        if (input_live(ctx, only, done))
            goto done;
        pf__cpu_relax();
    }
    /* Before sleeping, announce it, then look again - including at
     * frames a producer wrote but has not published: it publishes at
     * once from now on, and what it wrote before is taken here.  The
     * second look, a moment later, covers a producer store still in
     * flight when the first was made. */
    struct pf__wctl *me = ctx->me;
    uint32_t seq = atomic_load(&me->in_seq);
    atomic_store(&me->in_sleep, 1);
    atomic_thread_fence(memory_order_seq_cst);
    for (int look = 0; look < 2; look++) {
        if (input_live(ctx, only, done) ||
            (!ctx->txn && input_take(ctx, only, done)))
            goto awake;
        for (int i = 0; i < SPIN_TRIES; i++)
            pf__cpu_relax();
    }
    pf__futex_wait(&me->in_seq, seq, SLEEP_NS);
awake:
    atomic_store(&me->in_sleep, 0);
done:
    ctx->wait_in += pf__now_ns() - t0;
}

/* Call the stage function on one record; a failure ends the worker. */
static inline void call(pf_ctx *ctx, const void *rec, size_t len)
{
    ctx->rin++;
    ctx->bin += len;
    ctx->epoch++;
    ctx->mid_record = 1;
    if (ctx->track) {
        struct pf__wctl *me = ctx->me;
        atomic_store_explicit(&me->cur_ring, ctx->in_cur, memory_order_relaxed);
        atomic_store_explicit(&me->cur_pos, ctx->rec_pos, memory_order_relaxed);
        atomic_fetch_add_explicit(&me->beats, 1, memory_order_relaxed);
        atomic_store_explicit(&me->in_call, 1, memory_order_relaxed);
    }
    int rc = ctx->st->rec_fn(ctx, rec, len, ctx->st->arg);
    if (ctx->track)
        atomic_store_explicit(&ctx->me->in_call, 0, memory_order_relaxed);
    ctx->mid_record = 0;
    if (rc != 0) {
        pf_log(ctx, PF_LOG_ERROR,
               "stage function returned %d on input record %llu", rc,
               (unsigned long long)ctx->rin);
        worker_fail(ctx, PF_ESTAGE);
    }
}

/* Publish a partial batch whose deadline passed (between records). */
static inline void check_deadline(pf_ctx *ctx)
{
    if (ctx->pend_since != 0 &&
        pf__coarse_ns() - ctx->pend_since >= ctx->run->flush_ns)
        flush_all(ctx);
}

/* Reassemble a fragmented record starting at frame *f of ring r, then
 * process it.  Fragments are committed as they are copied: the record may
 * be larger than the ring. */
static void take_large(pf_ctx *ctx, int r, pf__frame f)
{
    pf__rr *rd = &ctx->in[r];
    size_t size = 0;
    uint64_t start = rd->rpos;
    publish_all(ctx);
    /* The record is in progress from its first fragment: commits made
     * while waiting for the rest stop before it, and the fragments,
     * released as they are copied, cannot be read again - a crash before
     * the next full commit cannot be replayed. */
    ctx->rec_pos = start;
    ctx->epoch++;
    ctx->mid_record = 1;
    if (ctx->txn)
        atomic_store_explicit(&ctx->me->unsafe, 1, memory_order_relaxed);
    commit_ring(ctx, r);
    for (;;) {
        if (f.flags & PF__F_FIRST)
            size = 0; /* a restarted producer sends the record again */
        if (size + f.len > ctx->run->max_record) {
            pf_log(ctx, PF_LOG_ERROR, "fragmented record exceeds %zu bytes",
                   ctx->run->max_record);
            worker_fail(ctx, PF_E2BIG);
        }
        if (size + f.len > ctx->big_cap) {
            size_t cap = ctx->big_cap ? ctx->big_cap : 65536;
            while (cap < size + f.len)
                cap *= 2;
            unsigned char *b = realloc(ctx->big, cap);
            if (b == NULL) {
                pf_log(ctx, PF_LOG_ERROR,
                       "out of memory for a %zu byte "
                       "record",
                       size + f.len);
                worker_fail(ctx, PF_ENOMEM);
            }
            ctx->big = b;
            ctx->big_cap = cap;
        }
        memcpy(ctx->big + size, f.data, f.len);
        size += f.len;
        int last = (f.flags & PF__F_LAST) != 0;
        pf__rr_next(rd, &f);
        commit_ring(ctx, r);
        if (last)
            break;
        while (!pf__rr_peek(rd, &f)) {
            if (pf__rr_finished(rd)) {
                pf_log(ctx, PF_LOG_ERROR, "input ended inside a record");
                worker_fail(ctx, PF_EIO);
            }
            idle(ctx, r, NULL);
        }
        if (!(f.flags & PF__F_FRAG)) {
            /* Only a producer that died and then did not send the same
             * record again (a stage that is not deterministic) gets here. */
            pf_log(ctx, PF_LOG_WARN,
                   "dropping a record abandoned by a "
                   "restarted producer");
            return;
        }
    }
    ctx->rec_pos = start;
    call(ctx, ctx->big, size);
}

/* Process up to a batch of frames from ring r; returns how many.  With
 * at_mark, stops after a MARK and sets *marked. */
/* Whether the record at the read position of ring r is the poison record
 * the supervisor told this worker to skip (it is in the dead-letter file
 * already). */
static int is_poison(pf_ctx *ctx, int r)
{
    struct pf__wctl *me = ctx->me;
    if (atomic_load_explicit(&me->skip_ring, memory_order_relaxed) != r ||
        atomic_load_explicit(&me->skip_pos, memory_order_relaxed) !=
            ctx->in[r].rpos)
        return 0;
    atomic_store_explicit(&me->skip_ring, -1, memory_order_relaxed);
    return 1;
}

static void run_hook(pf_ctx *ctx, pf_hook_fn fn, const char *what);

static int consume(pf_ctx *ctx, int r, int at_mark, int *marked)
{
    pf__rr *rd = &ctx->in[r];
    uint64_t start = rd->rpos;
    uint64_t budget = ctx->run->batch_bytes;
    pf__frame f;
    int n = 0;
    *marked = 0;
    ctx->in_cur = r;
    while (rd->rpos - start < budget && pf__rr_peek(rd, &f)) {
        n++;
        ctx->rec_pos = rd->rpos;
        if (ctx->track && is_poison(ctx, r)) {
            pf__rr_next(rd, &f);
            continue;
        }
        if (f.flags & PF__F_MARK) {
            pf__rr_next(rd, &f);
            if (ctx->mark_follow)
                put_mark(ctx);
            if (at_mark) {
                /* The turn moves before the commit that consumes the
                 * MARK, so a restarted collector resumes at the right
                 * ring. */
                *marked = 1;
                ctx->turn = (ctx->turn + 1) % ctx->nin;
                break;
            }
        } else if (f.flags & PF__F_FRAG) {
            take_large(ctx, r, f);
            start = rd->rpos;
        } else {
            call(ctx, f.data, f.len);
            pf__rr_next(rd, &f);
            check_deadline(ctx);
        }
    }
    if (n > 0) {
        run_hook(ctx, ctx->st->batch, "batch");
        if (ctx->txn) {
            txn_commit(ctx, 0);
            for (int i = 0; i < ctx->ndirty; i++)
                ctx->is_dirty[ctx->dirty[i]] = 0;
            ctx->ndirty = 0;
            ctx->pend_since = 0;
        } else {
            publish_all(ctx);
            commit_ring(ctx, r);
        }
    }
    ctx->in_cur = -1;
    return n;
}

/* Read every input ring until all are closed and drained. */
static void run_input(pf_ctx *ctx)
{
    unsigned char *done = calloc((size_t)ctx->nin, 1);
    if (done == NULL) {
        pf_log(ctx, PF_LOG_ERROR, "out of memory");
        worker_fail(ctx, PF_ENOMEM);
    }
    int ndone = 0, start = 0, drain = !ctx->collect;
    int marked;
    while (ndone < ctx->nin) {
        if (!drain) {
            /* Collect: take whole batches from the rings in turn, the
             * order in which the previous stage was dealt them. */
            if (consume(ctx, ctx->turn, 1, &marked) > 0) {
                continue;
            } else if (pf__rr_finished(&ctx->in[ctx->turn])) {
                drain = 1; /* no batch left: only finish-hook output */
            } else {
                idle(ctx, ctx->turn, NULL);
            }
            continue;
        }
        int progressed = 0;
        for (int k = 0; k < ctx->nin; k++) {
            int r = (start + k) % ctx->nin;
            if (done[r])
                continue;
            if (consume(ctx, r, 0, &marked) > 0)
                progressed = 1;
            else if (pf__rr_finished(&ctx->in[r])) {
                done[r] = 1;
                ndone++;
            }
        }
        start = (start + 1) % ctx->nin;
        if (!progressed && ndone < ctx->nin)
            idle(ctx, -1, done);
    }
    free(done);
}

/* ---- worker lifecycle -----------------------------------------------------
 */

/* Build the worker's view of its rings; 0 or PF_ENOMEM. */
static int ctx_setup(pf_ctx *ctx, pf_pipeline *p, struct pf__run *run, int s,
                     int w)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->p = p;
    ctx->st = p->stages[s];
    ctx->widx = w;
    ctx->run = run;
    ctx->me = &run->wctl[run->first[s] + w];
    ctx->frag_max = pf__ring_frag_max(run->ring_bytes);
    ctx->dist = ctx->st->dist;
    ctx->in_cur = -1;
    ctx->txn = run->txn;
    ctx->track = run->track;
    /* Without a batch hook every record boundary is a consistent point. */
    ctx->mid_ok = ctx->st->batch == NULL;
    if (s > 0) {
        int U = p->stages[s - 1]->workers, D = ctx->st->workers;
        ctx->nin = U;
        ctx->in = calloc((size_t)U, sizeof *ctx->in);
        ctx->in_peer = calloc((size_t)U, sizeof *ctx->in_peer);
        if (ctx->in == NULL || ctx->in_peer == NULL)
            return PF_ENOMEM;
        for (int u = 0; u < U; u++) {
            struct pf__ring *r =
                &run->rings[run->ring_first[s - 1] + u * D + w];
            pf__rr_attach(&ctx->in[u], r, run->base);
            ctx->in_peer[u] = &run->wctl[run->first[s - 1] + u];
        }
        ctx->collect = p->stages[s - 1]->ordered;
    }
    if (s + 1 < p->nstages) {
        int D = p->stages[s + 1]->workers;
        ctx->nout = D;
        ctx->out = calloc((size_t)D, sizeof *ctx->out);
        ctx->out_peer = calloc((size_t)D, sizeof *ctx->out_peer);
        ctx->dirty = calloc((size_t)D, sizeof *ctx->dirty);
        ctx->is_dirty = calloc((size_t)D, 1);
        ctx->bstart = calloc((size_t)D, sizeof *ctx->bstart);
        ctx->blim = calloc((size_t)D, sizeof *ctx->blim);
        ctx->tseen = calloc((size_t)D, sizeof *ctx->tseen);
        ctx->tmoved = calloc((size_t)D, sizeof *ctx->tmoved);
        ctx->rec_epoch = calloc((size_t)D, sizeof *ctx->rec_epoch);
        ctx->rec_start = calloc((size_t)D, sizeof *ctx->rec_start);
        if (!ctx->out || !ctx->out_peer || !ctx->dirty || !ctx->is_dirty ||
            !ctx->bstart || !ctx->blim || !ctx->tseen || !ctx->tmoved ||
            !ctx->rec_epoch || !ctx->rec_start)
            return PF_ENOMEM;
        for (int d = 0; d < D; d++) {
            struct pf__ring *r = &run->rings[run->ring_first[s] + w * D + d];
            pf__rw_attach(&ctx->out[d], r, run->base);
            ctx->out_peer[d] = &run->wctl[run->first[s + 1] + d];
            ctx->bstart[d] = ctx->tseen[d] = ctx->out[d].wpos;
            ctx->blim[d] = MIN_BATCH;
        }
        ctx->deal = p->stages[s + 1]->ordered;
        /* Start workers at different rings so they spread at once. */
        ctx->cur = ctx->deal ? 0 : w % D;
    }
    ctx->mark_follow = ctx->st->ordered && !ctx->deal;
    if (ctx->txn) {
        ctx->slot[0] = pf__txn_slot(run->base, ctx->me, ctx->nout, 0);
        ctx->slot[1] = pf__txn_slot(run->base, ctx->me, ctx->nout, 1);
        ctx->txn_seq = atomic_load(&ctx->me->txn_seq);
        struct pf__txn *t = pf__txn_current(run->base, ctx->me, ctx->nout);
        if (t != NULL) { /* a successor: resume where the last commit was */
            if (s == 0)  /* a source runs again from its first record */
                ctx->resume = t->emitted;
            if (ctx->nout > 0)
                ctx->cur = (int)(t->cur % (uint32_t)ctx->nout);
            if (ctx->nin > 0)
                ctx->turn = (int)(t->turn % (uint32_t)ctx->nin);
        }
    }
    return 0;
}

/* Finish the apply step of the current commit of a dead predecessor:
 * heads and tail only move forward, so doing it twice is harmless. */
static void txn_roll_forward(pf_pipeline *p, struct pf__run *run, int s, int w)
{
    struct pf__wctl *me = &run->wctl[run->first[s] + w];
    int nout = s + 1 < p->nstages ? p->stages[s + 1]->workers : 0;
    struct pf__txn *t = pf__txn_current(run->base, me, nout);
    if (t == NULL)
        return;
    for (int d = 0; d < nout; d++) {
        struct pf__ring *r = &run->rings[run->ring_first[s] + w * nout + d];
        if (atomic_load(&r->head) < t->head[d])
            atomic_store(&r->head, t->head[d]);
    }
    if (t->in_ring >= 0 && s > 0) {
        int D = p->stages[s]->workers;
        struct pf__ring *r =
            &run->rings[run->ring_first[s - 1] + t->in_ring * D + w];
        if (atomic_load(&r->tail) < t->in_tail)
            atomic_store(&r->tail, t->in_tail);
    }
}

/* Run a hook; a failure ends the worker. */
static void run_hook(pf_ctx *ctx, pf_hook_fn fn, const char *what)
{
    if (fn == NULL)
        return;
    int rc = fn(ctx, ctx->st->arg);
    if (rc != 0) {
        pf_log(ctx, PF_LOG_ERROR, "%s hook returned %d", what, rc);
        worker_fail(ctx, PF_ESTAGE);
    }
}

_Noreturn void pf__worker_main(pf_pipeline *p, struct pf__run *run, int s,
                               int w, int restart)
{
    pf_ctx ctx;
    pf__log_set_ident(p->stages[s]->name, w);
    char title[16];
    snprintf(title, sizeof title, "pf:%s/%d", p->stages[s]->name, w);
    prctl(PR_SET_NAME, title, 0, 0, 0);

    struct pf__wctl *me = &run->wctl[run->first[s] + w];
    if (!restart)
        atomic_store(&me->t_start, pf__now_ns());
    atomic_store(&me->state, PF__W_STARTING);
    if (restart && run->txn)
        txn_roll_forward(p, run, s, w);
    if (ctx_setup(&ctx, p, run, s, w) != 0) {
        pf_log(NULL, PF_LOG_ERROR, "out of memory setting up the worker");
        ctx.me = me;
        worker_fail(&ctx, PF_ENOMEM);
    }
    ctx.restarts = restart ? (int)atomic_load(&me->restarts) : 0;
    if (restart) {
        /* Resume the counters where the predecessor left them. */
        ctx.rin = atomic_load(&me->records_in);
        ctx.bin = atomic_load(&me->bytes_in);
        ctx.rout = atomic_load(&me->records_out);
        ctx.bout = atomic_load(&me->bytes_out);
        ctx.wait_in = atomic_load(&me->ns_wait_in);
        ctx.wait_out = atomic_load(&me->ns_wait_out);
        for (int d = 0; d < ctx.nout; d++) {
            if (atomic_load(&ctx.out[d].r->closed)) {
                /* The predecessor had finished and was closing. */
                for (int e = 0; e < ctx.nout; e++)
                    pf__rw_close(&ctx.out[e]);
                atomic_store(&me->state, PF__W_DONE);
                _exit(0);
            }
        }
    }
    run_hook(&ctx, ctx.st->init, "init");
    atomic_store(&me->state, PF__W_RUNNING);

    if (s == 0) {
        if (ctx.track)
            atomic_store(&me->in_call, 1);
        int rc = ctx.st->src_fn(&ctx, ctx.st->arg);
        if (ctx.track)
            atomic_store(&me->in_call, 0);
        if (rc != 0 && !(rc == PF_ECANCELED && stop_level(&ctx) != PF__RUN)) {
            pf_log(&ctx, PF_LOG_ERROR, "source function returned %d", rc);
            worker_fail(&ctx, PF_ESTAGE);
        }
    } else {
        run_input(&ctx);
    }

    atomic_store(&me->state, PF__W_FINISHING);
    run_hook(&ctx, ctx.st->finish, "finish");
    flush_all(&ctx);
    for (int d = 0; d < ctx.nout; d++) {
        pf__rw_close(&ctx.out[d]);
        atomic_fetch_add(&ctx.out_peer[d]->in_seq, 1);
        pf__futex_wake(&ctx.out_peer[d]->in_seq);
    }
    push_stats(&ctx);
    atomic_store(&me->t_end, pf__now_ns());
    atomic_store(&me->state, PF__W_DONE);
    fflush(NULL);
    _exit(0);
}

/* ---- accessors ------------------------------------------------------------
 */

int pf_worker_index(const pf_ctx *ctx)
{
    return ctx != NULL ? ctx->widx : PF_EINVAL;
}

int pf_worker_count(const pf_ctx *ctx)
{
    return ctx != NULL ? (ctx->serial ? 1 : ctx->st->workers) : PF_EINVAL;
}

const char *pf_stage_name(const pf_ctx *ctx)
{
    return ctx != NULL ? ctx->st->name : "";
}

int pf_next_workers(const pf_ctx *ctx)
{
    if (ctx == NULL)
        return PF_EINVAL;
    if (ctx->serial)
        return ctx->next != NULL ? 1 : 0;
    return ctx->nout;
}

int pf_worker_restarts(const pf_ctx *ctx)
{
    return ctx != NULL ? ctx->restarts : PF_EINVAL;
}

int pf_stopping(const pf_ctx *ctx)
{
    if (ctx == NULL || ctx->serial)
        return 0;
    return stop_level(ctx) != PF__RUN;
}
