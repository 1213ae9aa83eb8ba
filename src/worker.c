/*
 * worker.c - the life of a worker process: read framed records from the
 * input rings, call the stage function (its output side is emit.c), then
 * run the finish hook and close the outputs; and a restarted worker's
 * resumption from its last commit.
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
#include "worker.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clock.h"
#include "futex.h"
#include "emit.h"
#include "log.h"
#include "seqmap.h"
#include "tick.h"
#include "transport.h"
#include "txn.h"

/* ---- stats and failure --------------------------------------------------- */

/* The counters live in the worker's own cache lines of its control
 * block, which only the supervisor reads (a few times a second): a
 * release store there is a plain store on x86 and costs the data path
 * nothing measurable, so records in and out are published as they
 * change.  Release, so that the supervisor, reading downstream stages
 * first with acquire, never sees a stage take more than its upstream
 * had emitted. */
void pf__push_stats(pf_ctx *ctx)
{
    struct pf__wctl *me = ctx->me;
    atomic_store_explicit(&me->records_in, ctx->rin, memory_order_release);
    atomic_store_explicit(&me->bytes_in, ctx->bin, memory_order_release);
    atomic_store_explicit(&me->records_out, ctx->rout, memory_order_release);
    atomic_store_explicit(&me->bytes_out, ctx->bout, memory_order_release);
    atomic_store_explicit(&me->ns_wait_in, ctx->wait_in, memory_order_release);
    atomic_store_explicit(&me->ns_wait_out, ctx->wait_out,
                          memory_order_release);
}

/* Leave the worker after a failure the supervisor will report. */
static _Noreturn void worker_fail(pf_ctx *ctx, int err)
{
    pf__push_stats(ctx);
    atomic_store(&ctx->me->error, err);
    atomic_store(&ctx->me->t_end, pf__now_ns());
    atomic_store(&ctx->me->state, PF__W_FAILED);
    fflush(NULL);
    /* The status is informative only (the supervisor reads state and
     * error): 70 for a failing stage function or hook, 71 otherwise. */
    _exit(PF_ESTAGE == err ? PF__EXIT_STAGE_FAIL : PF__EXIT_FAIL);
}

/* ---- input side ---------------------------------------------------------- */

/* Release input ring r up to what was read and wake its producer. */
static void commit_ring(pf_ctx *ctx, int r)
{
    if (pf__rr_commit(&ctx->in[r]))
        pf__wake(&ctx->in_peer[r]->out_sleep, &ctx->in_peer[r]->out_seq);
}

/* Whether ring r has something to read or has just ended. */
static int ring_live(pf_ctx *ctx, int r)
{
    pf__rr *rd = &ctx->in[r];
    return pf__rr_ready(rd) || pf__rr_closed(rd);
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
    pf__flush_all(ctx);
    uint64_t t0 = pf__now_ns();
    atomic_store_explicit(&ctx->me->wait_in_since, t0, memory_order_relaxed);
    for (int i = 0; i < PF__SPIN_TRIES; i++) {
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
        for (int i = 0; i < PF__SPIN_TRIES; i++)
            pf__cpu_relax();
    }
    pf__futex_wait(&me->in_seq, seq, pf__tick_sleep_ns(ctx, PF__SLEEP_NS));
awake:
    atomic_store(&me->in_sleep, 0);
done:
    ctx->wait_in += pf__now_ns() - t0;
    atomic_store_explicit(&ctx->me->wait_in_since, 0, memory_order_release);
    atomic_store_explicit(&ctx->me->ns_wait_in, ctx->wait_in,
                          memory_order_release);
}

/* Call the stage function on one record; a failure ends the worker. */
static inline void call(pf_ctx *ctx, const void *rec, size_t len)
{
    ctx->rin++;
    ctx->bin += len;
    atomic_store_explicit(&ctx->me->records_in, ctx->rin, memory_order_release);
    atomic_store_explicit(&ctx->me->bytes_in, ctx->bin, memory_order_release);
    ctx->epoch++;
    ctx->mid_record = 1;
    if (ctx->track) {
        struct pf__wctl *me = ctx->me;
        atomic_store_explicit(&me->cur_ring, ctx->in_cur, memory_order_relaxed);
        atomic_store_explicit(&me->cur_pos, ctx->rec_pos, memory_order_relaxed);
        atomic_fetch_add_explicit(&me->beats, 1, memory_order_relaxed);
        atomic_store_explicit(&me->in_call, 1, memory_order_relaxed);
    }
    ctx->rec_cur = ctx->cur;
    int rc = ctx->st->rec_fn(ctx, rec, len, ctx->st->arg);
    if (rc != 0) {
        /* in_call and cur_pos stay set: the supervisor counts failures
         * per record to find poison records. */
        uint64_t g = pf__seq_fail(ctx);
        if (g != 0)
            pf_log(ctx, PF_LOG_ERROR,
                   "stage function returned %d on record %llu of %s[%d] "
                   "(input record %llu of this worker)",
                   rc, (unsigned long long)g,
                   ctx->p->stages[ctx->st->index - 1]->name, ctx->in_cur,
                   (unsigned long long)ctx->rin);
        else
            pf_log(ctx, PF_LOG_ERROR,
                   "stage function returned %d on input record %llu", rc,
                   (unsigned long long)ctx->rin);
        atomic_store_explicit(&ctx->me->fail_code, rc, memory_order_relaxed);
        atomic_store_explicit(&ctx->me->fail_record, ctx->rin,
                              memory_order_relaxed);
        worker_fail(ctx, PF_ESTAGE);
    }
    if (ctx->track)
        atomic_store_explicit(&ctx->me->in_call, 0, memory_order_relaxed);
    ctx->mid_record = 0;
}

/* Publish a partial batch whose deadline passed (between records). */
static inline void check_deadline(pf_ctx *ctx)
{
    if (ctx->pend_since != 0 &&
        pf__coarse_ns() - ctx->pend_since >= ctx->run->flush_ns)
        pf__flush_all(ctx);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Map in bytes [from, to) of the reassembly buffer before they are first
 * written: a record of megabytes would otherwise take a page fault every
 * 4 KiB (see ring.c).  Best effort: the pages fault in anyway. */
static void big_map_in(pf_ctx *ctx, size_t to)
{
    static uintptr_t page;
    if (to <= ctx->big_mapped)
        return;
    if (!page) {
        long ps = sysconf(_SC_PAGESIZE);
        page = ps > 0 ? (uintptr_t)ps : 4096;
    }
    uintptr_t a =
        ((uintptr_t)ctx->big + ctx->big_mapped + page - 1) & ~(page - 1);
    uintptr_t e = ((uintptr_t)ctx->big + to) & ~(page - 1);
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
    ctx->big_mapped = to;
}

/* Reassemble a fragmented record starting at frame *f of ring r, then
 * process it.  Fragments are committed as they are copied: the record may
 * be larger than the ring. */
static void take_large(pf_ctx *ctx, int r, pf__frame f)
{
    pf__rr *rd = &ctx->in[r];
    size_t size = 0;
    uint64_t start = pf__rr_pos(rd);
    pf__publish_all(ctx);
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
            ctx->big_mapped = size; /* realloc copied or moved that much */
        }
        big_map_in(ctx, size + f.len);
        memcpy(ctx->big + size, f.data, f.len);
        size += f.len;
        int last = (f.flags & PF__F_LAST) != 0;
        pf__rr_next(rd, &f);
        commit_ring(ctx, r);
        if (last)
            break;
        /* A restarted producer sends a SEQ before the record again. */
        while (!pf__rr_peek(rd, &f) || (f.flags & PF__F_SEQ)) {
            if (f.flags & PF__F_SEQ) {
                pf__seq_read(ctx, r, f.data);
                pf__seq_take(ctx, r); /* the record sent again */
                pf__rr_next(rd, &f);
                f.flags = 0;
                continue;
            }
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

/* Whether the record at the read position of ring r is the poison record
 * the supervisor told this worker to skip (it is in the dead-letter file
 * already). */
static int is_poison(pf_ctx *ctx, int r)
{
    struct pf__wctl *me = ctx->me;
    /* Not cleared once skipped: positions only grow, and a replay of the
     * same batch must skip the record again. */
    return atomic_load_explicit(&me->skip_ring, memory_order_relaxed) == r &&
           atomic_load_explicit(&me->skip_pos, memory_order_relaxed) ==
               pf__rr_pos(&ctx->in[r]);
}

/* Run a hook; a failure ends the worker. */
static void run_hook(pf_ctx *ctx, pf_hook_fn fn, const char *what)
{
    if (fn == NULL)
        return;
    struct pf__wctl *me = ctx->me;
    if (ctx->track) { /* a hook that blocks is a stall (stall_ms) */
        atomic_store_explicit(&me->cur_ring, PF__RING_HOOK,
                              memory_order_relaxed);
        atomic_fetch_add_explicit(&me->beats, 1, memory_order_relaxed);
        atomic_store_explicit(&me->in_call, 1, memory_order_relaxed);
    }
    int rc = fn(ctx, ctx->st->arg);
    if (ctx->track)
        atomic_store_explicit(&me->in_call, 0, memory_order_relaxed);
    if (rc != 0) {
        pf_log(ctx, PF_LOG_ERROR, "%s hook returned %d", what, rc);
        atomic_store_explicit(&me->fail_code, rc, memory_order_relaxed);
        worker_fail(ctx, PF_ESTAGE);
    }
}

/* Process up to a batch of frames from ring r; returns how many.  With
 * at_mark, stops after a MARK and sets *marked. */
static int consume(pf_ctx *ctx, int r, int at_mark, int *marked)
{
    pf__rr *rd = &ctx->in[r];
    uint64_t start = pf__rr_pos(rd);
    uint64_t budget = ctx->run->batch_bytes;
    pf__frame f;
    int n = 0;
    *marked = 0;
    ctx->in_cur = r;
    while (pf__rr_pos(rd) - start < budget && pf__rr_peek(rd, &f)) {
        n++;
        ctx->rec_pos = pf__rr_pos(rd);
        if (f.flags & PF__F_SEQ) {
            pf__seq_read(ctx, r, f.data);
            pf__rr_next(rd, &f);
            continue;
        }
        if (!(f.flags & PF__F_MARK))
            pf__seq_take(ctx, r);
        if (ctx->track && is_poison(ctx, r)) {
            pf__rr_next(rd, &f);
            continue;
        }
        if (f.flags & PF__F_MARK) {
            pf__rr_next(rd, &f);
            if (ctx->mark_follow)
                pf__put_mark(ctx);
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
            start = pf__rr_pos(rd);
        } else {
            call(ctx, f.data, f.len);
            pf__rr_next(rd, &f);
            check_deadline(ctx);
        }
    }
    if (n > 0) {
        run_hook(ctx, ctx->st->batch, "batch");
        if (pf__tick_due(ctx))
            run_hook(ctx, ctx->st->tick, "tick");
        if (ctx->txn) {
            pf__commit_batch(ctx);
        } else {
            pf__publish_all(ctx);
            commit_ring(ctx, r);
        }
    }
    ctx->in_cur = PF__RING_NONE;
    return n;
}

/* Between batches, before waiting for input: the stage's tick when due;
 * idle() then publishes what it emitted. */
static void idle_tick(pf_ctx *ctx)
{
    if (pf__tick_due(ctx))
        run_hook(ctx, ctx->st->tick, "tick");
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
                idle_tick(ctx);
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
        if (!progressed && ndone < ctx->nin) {
            idle_tick(ctx);
            idle(ctx, -1, done);
        }
    }
    free(done);
}

/* ---- worker lifecycle ---------------------------------------------------- */

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
    ctx->in_cur = PF__RING_NONE;
    ctx->txn = run->txn;
    ctx->track = run->track;
    /* Without a batch hook every record boundary is a consistent point. */
    ctx->tx.mid_ok = ctx->st->batch == NULL;
    if (s > 0) {
        int U = p->stages[s - 1]->workers;
        ctx->nin = U;
        ctx->in = calloc((size_t)U, sizeof *ctx->in);
        ctx->in_peer = calloc((size_t)U, sizeof *ctx->in_peer);
        if (ctx->in == NULL || ctx->in_peer == NULL)
            return PF_ENOMEM;
        for (int u = 0; u < U; u++) {
            pf__rr_attach(&ctx->in[u], pf__edge_ring(run, s - 1, u, w),
                          run->base);
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
            pf__rw_attach(&ctx->out[d], pf__edge_ring(run, s, w, d), run->base);
            ctx->out_peer[d] = &run->wctl[run->first[s + 1] + d];
            ctx->bstart[d] = ctx->tseen[d] = pf__rw_written(&ctx->out[d]);
            ctx->blim[d] = PF__MIN_BATCH;
        }
        ctx->prefetch = p->stages[s + 1]->prefetch;
        if (ctx->prefetch > 0 &&
            (ctx->slots = calloc((size_t)D, sizeof *ctx->slots)) == NULL)
            return PF_ENOMEM;
        ctx->deal = p->stages[s + 1]->ordered;
        /* Start workers at different rings so they spread at once. */
        ctx->cur = ctx->deal ? 0 : w % D;
    }
    ctx->mark_follow = ctx->st->ordered && !ctx->deal;
    if (ctx->txn) {
        ctx->tx.slot[0] = pf__txn_slot(run->base, ctx->me, ctx->nout, 0);
        ctx->tx.slot[1] = pf__txn_slot(run->base, ctx->me, ctx->nout, 1);
        ctx->tx.seq = atomic_load(&ctx->me->txn_seq);
        struct pf__txn *t = pf__txn_current(run->base, ctx->me, ctx->nout);
        if (t != NULL) { /* a successor: resume where the last commit was */
            if (s == 0)  /* a source runs again from its first record */
                ctx->resume = t->emitted;
            if (ctx->nout > 0)
                ctx->cur = (int)(t->cur % (uint32_t)ctx->nout);
            /* The dealt batch on ring cur may be open: close it with a
             * MARK (an empty batch is harmless; a missing MARK is not). */
            ctx->deal_open = ctx->deal;
            if (ctx->nin > 0)
                ctx->turn = (int)(t->turn % (uint32_t)ctx->nin);
        }
    }
    return pf__seq_setup(ctx);
}

/* Bind worker w of stage s to its CPU when the pinned stages' workers are
 * as many as the CPUs this process may use (pf_stage_pin): the supervisor
 * is never bound, so each worker, first or restarted, starts from the
 * same set and picks the same CPU.  Called before the worker touches its
 * memory, so that the memory comes from that CPU's node. */
static void pin_worker(const pf_pipeline *p, int s, int w)
{
    cpu_set_t cpus;
    int before = 0, total = 0;
    if (!p->stages[s]->pin || sched_getaffinity(0, sizeof cpus, &cpus) != 0)
        return;
    for (int t = 0; t < p->nstages; t++) {
        if (!p->stages[t]->pin)
            continue;
        before += t < s ? p->stages[t]->workers : 0;
        total += p->stages[t]->workers;
    }
    if (total != CPU_COUNT(&cpus))
        return;
    for (int c = 0, k = before + w; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &cpus) && k-- == 0) {
            CPU_ZERO(&cpus);
            CPU_SET(c, &cpus);
            if (sched_setaffinity(0, sizeof cpus, &cpus) != 0)
                pf_log(NULL, PF_LOG_DEBUG, "binding to CPU %d: %s", c,
                       strerror(errno));
            return;
        }
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
        pf__txn_roll_forward(p, run, s, w);
    pin_worker(p, s, w);
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
            if (pf__rw_closed(&ctx.out[d])) {
                /* The predecessor had finished and was closing. */
                for (int e = 0; e < ctx.nout; e++)
                    pf__rw_close(&ctx.out[e]);
                atomic_store(&me->state, PF__W_DONE);
                _exit(PF__EXIT_DONE);
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
        /* After a stop request, pf_emit fails and sources return
         * whatever their error path returns: that is a clean stop. */
        if (rc != 0 && pf__stop_level(&ctx) == PF__RUN) {
            pf_log(&ctx, PF_LOG_ERROR, "source function returned %d", rc);
            atomic_store(&me->fail_code, rc);
            worker_fail(&ctx, PF_ESTAGE);
        }
    } else {
        run_input(&ctx);
    }

    atomic_store(&me->state, PF__W_FINISHING);
    run_hook(&ctx, ctx.st->finish, "finish");
    pf__flush_all(&ctx);
    for (int d = 0; d < ctx.nout; d++) {
        pf__rw_close(&ctx.out[d]);
        atomic_fetch_add(&ctx.out_peer[d]->in_seq, 1);
        pf__futex_wake(&ctx.out_peer[d]->in_seq);
    }
    pf__push_stats(&ctx);
    atomic_store(&me->t_end, pf__now_ns());
    atomic_store(&me->state, PF__W_DONE);
    fflush(NULL);
    _exit(PF__EXIT_DONE);
}

/* ---- accessors ----------------------------------------------------------- */

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
        return ctx->ser.next != NULL ? 1 : 0;
    return ctx->nout;
}

int pf_worker_restarts(const pf_ctx *ctx)
{
    return ctx != NULL ? ctx->restarts : PF_EINVAL;
}

int pf_worker_set_data(pf_ctx *ctx, void *data)
{
    if (ctx == NULL)
        return PF_EINVAL;
    ctx->data = data;
    return 0;
}

void *pf_worker_data(const pf_ctx *ctx)
{
    return ctx != NULL ? ctx->data : NULL;
}

int pf_stopping(const pf_ctx *ctx)
{
    if (ctx == NULL || ctx->serial)
        return 0;
    return pf__stop_level(ctx) != PF__RUN;
}
