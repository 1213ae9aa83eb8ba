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

#define SPIN_TRIES 256
#define MIN_BATCH 64 /* bytes: the smallest adaptive batch */
#define SLEEP_NS (100u * 1000 * 1000)

/* ---- stats and failure --------------------------------------------------- */

static void push_stats(pf_ctx *ctx)
{
    struct pf__wctl *me = ctx->me;
    atomic_store_explicit(&me->records_in, ctx->rin, memory_order_relaxed);
    atomic_store_explicit(&me->bytes_in, ctx->bin, memory_order_relaxed);
    atomic_store_explicit(&me->records_out, ctx->rout, memory_order_relaxed);
    atomic_store_explicit(&me->bytes_out, ctx->bout, memory_order_relaxed);
    atomic_store_explicit(&me->ns_wait_in, ctx->wait_in,
                          memory_order_relaxed);
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

/* ---- output side ---------------------------------------------------------- */

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

static void publish_ring(pf_ctx *ctx, int d)
{
    if (pf__rw_publish(&ctx->out[d]))
        wake(&ctx->out_peer[d]->in_sleep, &ctx->out_peer[d]->in_seq);
}

/* Publish every written ring (no MARKs). */
static void publish_all(pf_ctx *ctx)
{
    for (int i = 0; i < ctx->ndirty; i++) {
        int d = ctx->dirty[i];
        publish_ring(ctx, d);
        ctx->is_dirty[d] = 0;
    }
    ctx->ndirty = 0;
    ctx->pend_since = 0;
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
}

/* Reserve a frame in ring d, waiting as long as needed. */
static void *reserve_wait(pf_ctx *ctx, int d, size_t len, uint32_t flags)
{
    void *dst;
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
 * the consumer committed nothing since the last batch (it is stuck in
 * slow records), keep it otherwise.  A fast consumer then gets large
 * batches, so the ring's head is written rarely; a slow one (a 10 ms
 * lookup) gets a few records at a time, so the next stage's workers share
 * them instead of one worker queueing them all. */
static void adapt_batch(pf_ctx *ctx, int d)
{
    pf__rw *w = &ctx->out[d];
    w->tail = atomic_load_explicit(&w->r->tail, memory_order_acquire);
    if (w->tail >= ctx->bstart[d]) {
        if (ctx->blim[d] < ctx->run->batch_bytes)
            ctx->blim[d] *= 2;
    } else if (w->tail == ctx->tseen[d] && ctx->blim[d] > MIN_BATCH) {
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

/* After a write to ring d: end a full batch, honour the flush deadline. */
static inline void wrote(pf_ctx *ctx, int d, size_t len)
{
    ctx->rout++;
    ctx->bout += len;
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
 * the consumer can drain the ring while the rest is written. */
static void put_large(pf_ctx *ctx, int d, const unsigned char *rec,
                      size_t len)
{
    size_t off = 0;
    while (off < len) {
        size_t n = len - off < ctx->frag_max ? len - off : ctx->frag_max;
        uint32_t flags = off + n < len ? PF__F_MORE : 0;
        void *dst = reserve_wait(ctx, d, n, flags);
        memcpy(dst, rec + off, n);
        pf__rw_done(&ctx->out[d]);
        off += n;
        mark_dirty(ctx, d);
        publish_ring(ctx, d);
    }
    ctx->rout++;
    ctx->bout += len;
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

int pf_emit(pf_ctx *ctx, const void *rec, size_t len)
{
    if (ctx == NULL || (rec == NULL && len != 0))
        return PF_EINVAL;
    if (ctx->serial)
        return pf__serial_emit(ctx, rec, len);
    int err = emit_check(ctx, len);
    if (err != 0)
        return err;
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
    if (ctx == NULL || (key == NULL && klen != 0) ||
        (rec == NULL && len != 0))
        return PF_EINVAL;
    if (ctx->serial)
        return pf__serial_emit(ctx, rec, len);
    int err = emit_check(ctx, len);
    if (err != 0)
        return err;
    if (ctx->deal) /* an ordered next stage takes batches in turn */
        return put_record(ctx, ctx->cur, rec, len, 0);
    int d = (int)(key_hash(key, klen) % (uint64_t)ctx->nout);
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

/* ---- input side ----------------------------------------------------------- */

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
        if (input_live(ctx, only, done) || input_take(ctx, only, done))
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
    int rc = ctx->st->rec_fn(ctx, rec, len, ctx->st->arg);
    if (rc != 0) {
        pf_log(ctx, PF_LOG_ERROR,
               "stage function returned %d on input record %llu", rc,
               (unsigned long long)ctx->rin);
        worker_fail(ctx, PF_ESTAGE);
    }
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
    publish_all(ctx);
    commit_ring(ctx, r);
    for (;;) {
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
                pf_log(ctx, PF_LOG_ERROR, "out of memory for a %zu byte "
                       "record", size + f.len);
                worker_fail(ctx, PF_ENOMEM);
            }
            ctx->big = b;
            ctx->big_cap = cap;
        }
        memcpy(ctx->big + size, f.data, f.len);
        size += f.len;
        int more = (f.flags & PF__F_MORE) != 0;
        pf__rr_next(rd, &f);
        commit_ring(ctx, r);
        if (!more)
            break;
        while (!pf__rr_peek(rd, &f)) {
            if (pf__rr_finished(rd)) {
                pf_log(ctx, PF_LOG_ERROR, "input ended inside a record");
                worker_fail(ctx, PF_EIO);
            }
            idle(ctx, r, NULL);
        }
    }
    call(ctx, ctx->big, size);
}

/* Process up to a batch of frames from ring r; returns how many.  With
 * at_mark, stops after a MARK and sets *marked. */
static int consume(pf_ctx *ctx, int r, int at_mark, int *marked)
{
    pf__rr *rd = &ctx->in[r];
    uint64_t start = rd->rpos;
    uint64_t budget = ctx->run->batch_bytes;
    pf__frame f;
    int n = 0;
    *marked = 0;
    while (rd->rpos - start < budget && pf__rr_peek(rd, &f)) {
        n++;
        if (f.flags & PF__F_MARK) {
            pf__rr_next(rd, &f);
            if (ctx->mark_follow)
                put_mark(ctx);
            if (at_mark) {
                *marked = 1;
                break;
            }
        } else if (f.flags & PF__F_MORE) {
            take_large(ctx, r, f);
            start = rd->rpos;
        } else {
            call(ctx, f.data, f.len);
            pf__rr_next(rd, &f);
        }
    }
    if (n > 0) {
        publish_all(ctx);
        commit_ring(ctx, r);
    }
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
    int ndone = 0, start = 0, turn = 0, drain = !ctx->collect;
    int marked;
    while (ndone < ctx->nin) {
        if (!drain) {
            /* Collect: take whole batches from the rings in turn, the
             * order in which the previous stage was dealt them. */
            if (consume(ctx, turn, 1, &marked) > 0) {
                if (marked)
                    turn = (turn + 1) % ctx->nin;
            } else if (pf__rr_finished(&ctx->in[turn])) {
                drain = 1; /* no batch left: only finish-hook output */
            } else {
                idle(ctx, turn, NULL);
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

/* ---- worker lifecycle ----------------------------------------------------- */

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
    if (s > 0) {
        int U = p->stages[s - 1]->workers, D = ctx->st->workers;
        ctx->nin = U;
        ctx->in = calloc((size_t)U, sizeof *ctx->in);
        ctx->in_peer = calloc((size_t)U, sizeof *ctx->in_peer);
        if (ctx->in == NULL || ctx->in_peer == NULL)
            return PF_ENOMEM;
        for (int u = 0; u < U; u++) {
            struct pf__ring *r = &run->rings[run->ring_first[s - 1] +
                                             u * D + w];
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
        if (!ctx->out || !ctx->out_peer || !ctx->dirty || !ctx->is_dirty ||
            !ctx->bstart || !ctx->blim || !ctx->tseen)
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
    return 0;
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
                               int w)
{
    pf_ctx ctx;
    pf__log_set_ident(p->stages[s]->name, w);
    char title[16];
    snprintf(title, sizeof title, "pf:%s/%d", p->stages[s]->name, w);
    prctl(PR_SET_NAME, title, 0, 0, 0);

    struct pf__wctl *me = &run->wctl[run->first[s] + w];
    atomic_store(&me->t_start, pf__now_ns());
    atomic_store(&me->state, PF__W_STARTING);
    if (ctx_setup(&ctx, p, run, s, w) != 0) {
        pf_log(NULL, PF_LOG_ERROR, "out of memory setting up the worker");
        ctx.me = me;
        worker_fail(&ctx, PF_ENOMEM);
    }
    run_hook(&ctx, ctx.st->init, "init");
    atomic_store(&me->state, PF__W_RUNNING);

    if (s == 0) {
        int rc = ctx.st->src_fn(&ctx, ctx.st->arg);
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

/* ---- accessors ------------------------------------------------------------ */

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

int pf_stopping(const pf_ctx *ctx)
{
    if (ctx == NULL || ctx->serial)
        return 0;
    return stop_level(ctx) != PF__RUN;
}
