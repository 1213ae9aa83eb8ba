/*
 * run-exec.c - a command stage's worker (the relay stage is run-relay.c).
 *
 * Stream mode: the worker starts `sh -c CMD` once (init hook), writes
 * every chunk it receives to the command's stdin and turns the command's
 * stdout into chunks for the next stage; at the end of its input (finish
 * hook) it closes the command's stdin, takes the rest of its output and
 * judges how it ended.  Block mode: one command run per chunk (a block of
 * whole records), with retries, the joblog, and order kept by the runtime
 * when the stage is ordered.
 *
 * The bytes move in run-pipe.c.  In the last stage (stream mode) a
 * companion thread owns stdout and writes it to pipefan's stdout at once,
 * so output never waits for the next input; in the first stage the thread
 * also watches for the command's end, so a first command that reads
 * nothing (zcat of a few files) ends the input even while stdin idles.  A
 * middle stage takes its command's output after each chunk it feeds - and
 * when input trickles, waits a moment for it (stream_record).
 *
 * A command that stops reading (EPIPE on its stdin, as `head -n 10`) is
 * not an error: its worker drops the rest of its input; once every worker
 * of a stage has, the stages before it are cut - their commands get EOF
 * and, writing on, SIGPIPE, exactly as upstream of a shell pipeline - and
 * their exit statuses no longer count.
 *
 * Crash-proof block mode (a stage with --retries, st->restartable): the
 * runtime restarts a worker that dies and replays the block it was on,
 * discarding what it had emitted for it.  So a worker emits all of a
 * block's output while it processes the block and keeps nothing for
 * later, and it must never fail on purpose (it would be restarted): a
 * failed command under --halt now cuts the whole run instead.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_MS 200
#define READ_MIN 65536
#define TRICKLE_BYTES 16384 /* a chunk this small: input trickles */
#define TRICKLE_MS 20       /* how long a trickle waits for output */
#define HDR sizeof(struct run_hdr)

/* ---- helpers ---------------------------------------------------------- */

/* The command stopped reading: count it once; the last of its stage to
 * stop cuts the stages before it. */
void run_worker_mark_dead(struct run_worker *w)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&w->dead, &expect, 1))
        return;
    if (atomic_fetch_add(&w->c->dead, 1) + 1 == w->st->workers)
        run_cut(w->cfg, w->st->num);
}

/* A cut made this stage useless: let its command go, as a shell would
 * (or, when the run halts now, kill it). */
void run_worker_teardown(struct run_worker *w)
{
    if (w->torn)
        return;
    w->torn = 1;
    if (atomic_load(&w->cfg->sh->halting) == RUN_HALTING_NOW && w->running &&
        !w->proc.reaped)
        kill(-w->proc.pid, SIGKILL); /* its group */
    run_close(&w->proc.in_fd);
    if (!w->thr_out)
        run_close(&w->proc.out_fd);
}

/* The worker fails on its own account (a record over --max-record, a
 * write error): kill its command's group and stop reading it, or the
 * command would block on a full pipe and the worker wait for it. */
static void abandon(struct run_worker *w)
{
    if (w->running && !w->proc.reaped)
        kill(-w->proc.pid, SIGKILL);
    run_close(&w->proc.in_fd);
    if (!w->thr_out)
        run_close(&w->proc.out_fd);
}

/* Whether the command's end counts as a failure. */
static int is_failure(struct run_worker *w, int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    /* We cut it off - also when the output thread closed its stdout
     * because the stages after it ended, before run_worker_teardown() ran. */
    if (w->torn || atomic_load(&w->cfg->sh->out_closed) ||
        run_useless(w->cfg, w->st->feeds))
        return 0;
    if (pf_stopping(w->ctx) && WIFSIGNALED(status) &&
        (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM))
        return 0; /* ^C reached the whole process group */
    return 1;
}

/* The joblog's view of the command just reaped. */
static struct run_job job_of(const struct run_worker *w, uint64_t block)
{
    struct run_job j = {
        w->widx, block,       w->t_start,    run_now() - w->t_start,
        w->sent, w->received, w->proc.status};
    return j;
}

/* Judge a reaped command; 1 if the worker must fail now. */
static int judge(struct run_worker *w, uint64_t block)
{
    struct run_job j = job_of(w, block);
    if (run_joblog_done(w->st, w->ctx, &j) < 0)
        w->fatal = 1;
    if (!is_failure(w, w->proc.status))
        return 0;
    char what[96];
    run_status_text(w->proc.status, what, sizeof what);
    return run_failure(w->st, w->ctx, w->proc.pid, block, what);
}

/* Start the command; 0 or -1 (logged). */
static int start(struct run_worker *w, uint64_t block, int try)
{
    struct run_env env = {w->st->name, w->widx, block, try};
    int err = run_spawn(w->st->cmd, &env, &w->proc);
    if (err != 0) {
        pf_log(w->ctx, PF_LOG_ERROR, "cannot start '%s': %s", w->st->cmd,
               strerror(-err));
        return -1;
    }
    w->running = 1;
    w->t_start = w->t_moved = w->t_idle = run_now();
    w->block = block;
    w->try = try;
    w->sent = w->received = 0;
    w->in_unterm = 0;
    atomic_fetch_add_explicit(&w->c->commands, 1, memory_order_relaxed);
    return 0;
}

/* Block mode with --stall-timeout: whether the command has moved no byte
 * (none read from its stdin, none written to its stdout) for that long.
 * Time spent blocked on the next stage does not count: t_moved is set
 * after each piece of output is passed on. */
int run_worker_stalled(const struct run_worker *w)
{
    unsigned ms = w->cfg->stall_ms;
    return ms != 0 && w->st->block != 0 && w->running &&
           (run_now() - w->t_moved) * 1e3 >= (double)ms;
}

/* Wait for the command to end; in block mode, watch for a stall. */
static void wait_end(struct run_worker *w)
{
    if (w->cfg->stall_ms != 0 && w->st->block != 0)
        while (!run_ended(&w->proc, POLL_MS))
            if (run_worker_stalled(w))
                run_stall_crash(w->ctx, w->st, &w->proc, w->block);
    run_reap(&w->proc);
}

/* ---- the command's end --------------------------------------------------- */

/* A stream command stopped reading.  A failure if it ended badly (judged
 * now, so a crash fails the run at once); else it chose to stop reading.
 * Waits up to ms for its end. */
static void check_end(struct run_worker *w, int ms)
{
    if (!w->judged && run_ended(&w->proc, ms) &&
        is_failure(w, w->proc.status)) {
        /* Take its last output first (unless the thread does): it may
         * explain the failure. */
        if (!w->thr_out && run_pipe_drain_all(w) < 0)
            w->fatal = 1;
        w->judged = 1;
        if (judge(w, 0))
            w->fatal = 1;
    }
}

/* Its stdin is closed (EPIPE). */
void run_worker_input_closed(struct run_worker *w, int stream)
{
    run_close(&w->proc.in_fd);
    if (!stream)
        return;
    run_worker_mark_dead(w);
    check_end(w, 50);
}

/* ---- stream mode -------------------------------------------------------- */

static int stream_record(struct run_worker *w, const struct run_hdr *h,
                         const unsigned char *data, size_t n)
{
    if (run_useless(w->cfg, w->st->feeds)) {
        run_worker_teardown(w);
        return 0;
    }
    if (atomic_load(&w->dead) || w->proc.in_fd < 0) {
        check_end(w, 0);          /* the thread saw it end: how? */
        return w->fatal ? -1 : 0; /* it reads no more: drop the rest */
    }
    if (w->in_unterm) {
        /* The previous chunk ended without terminator; more follows. */
        if (run_pipe_feed(w, (const unsigned char *)&w->cfg->delim, 0, 1, 0,
                          1) < 0)
            return -1;
    }
    if (run_pipe_feed_chunk(w, h, data, n, 1) < 0)
        return -1;
    w->in_unterm =
        (h->flags & RUN_F_UNTERM) != 0 && w->cfg->framing != RUN_FIXED;
    if (w->thr_out || w->proc.out_fd < 0)
        return w->fatal ? -1 : 0;
    /* A trickle (a small chunk after a wait for it: input comes slower
     * than we take it, as from `tail -F`): give the command a moment to
     * answer, so that its output moves on now, not with the next input,
     * which may be long in coming.  The moment is at most as long as the
     * wait for this chunk was, so a command that never answers (sort)
     * costs at most half of the idle time; bulk input comes in large
     * chunks, back to back, and never waits here. */
    size_t fed = (h->flags & RUN_F_RANGE) ? (size_t)h->len : n;
    double idle_ms = (run_now() - w->t_idle) * 1e3;
    if (fed < TRICKLE_BYTES && !w->st->out_hold && idle_ms >= 1) {
        struct pollfd pf = {.fd = w->proc.out_fd, .events = POLLIN};
        poll(&pf, 1, idle_ms < TRICKLE_MS ? (int)idle_ms : TRICKLE_MS);
    }
    if (run_pipe_drain(w) < 0)
        return -1;
    w->t_idle = run_now();
    return w->fatal ? -1 : 0;
}

static int stream_finish(struct run_worker *w)
{
    int rc = 0;
    run_close(&w->proc.in_fd);
    run_pipe_thread_stop(w); /* an output thread takes the output to its end */
    if (!w->thr_out && run_pipe_drain_all(w) < 0)
        rc = -1;
    if (w->fatal)
        rc = -1;
    run_out_end(&w->out);
    if (run_out_flush(&w->out, 1) < 0)
        rc = -1;
    if (rc < 0 && !w->judged) {
        abandon(w); /* the worker failed (said): not its command */
        w->judged = 1;
    }
    run_reap(&w->proc);
    w->running = 0;
    if (!w->judged && judge(w, 0))
        rc = -1;
    w->judged = 1;
    return rc;
}

/* ---- block mode --------------------------------------------------------- */

/* Run one block through a fresh command, with retries. */
static int block_record(struct run_worker *w, const struct run_hdr *h,
                        const unsigned char *data, size_t n)
{
    struct run_stage *st = w->st;
    int rc = 0;
    if (run_useless(w->cfg, st->feeds) || atomic_load(&w->cfg->sh->halting) ||
        ((h->flags & RUN_F_RANGE) && pf_stopping(w->ctx)))
        /* Not needed, or --halt soon: start no new block; SIGINT or
         * SIGTERM: take no more of stdin (run_pipe_feed()). */
        return run_joblog_skipped(st, w->ctx);
    /* With a joblog, output is held until the block is done too: a block
     * cut short by SIGINT/SIGTERM is not done, and nothing of it may be
     * passed on (--resume runs it again). */
    w->holding = st->retries > 0 || w->cfg->joblog_fd >= 0;
    for (int try = 1;; try++) {
        w->hold_len = 0;
        w->torn = 0;
        w->feed_cut = 0;
        if (start(w, h->seq, try) < 0)
            return -1;
        rc = run_pipe_feed_chunk(w, h, data, n, 0);
        run_close(&w->proc.in_fd);
        if (rc == 0)
            rc = run_pipe_drain_all(w);
        if (rc < 0)
            abandon(w);
        wait_end(w);
        w->running = 0;
        if (rc < 0)
            return -1;
        if (w->feed_cut && w->holding) {
            w->holding = 0; /* its output is dropped, it has no line */
            return run_joblog_skipped(st, w->ctx);
        }
        if (!is_failure(w, w->proc.status))
            break;
        char what[96];
        run_status_text(w->proc.status, what, sizeof what);
        if (try <= st->retries) {
            atomic_fetch_add_explicit(&w->c->retries, 1, memory_order_relaxed);
            pf_log(w->ctx, PF_LOG_WARN,
                   "block %llu: '%s' %s; trying again "
                   "(%d of %d)",
                   (unsigned long long)h->seq, st->cmd, what, try, st->retries);
            continue;
        }
        if (run_failure(st, w->ctx, w->proc.pid, h->seq, what)) {
            if (!st->restartable)
                return -1; /* the runtime stops the run */
            run_halt_now(w->cfg);
            return 0;
        }
        break; /* --halt never: its output goes on like any other */
    }
    /* The joblog's line for the last try, once its output is passed on
     * (one line a block, as GNU parallel writes one a job). */
    struct run_job job = job_of(w, h->seq);
    atomic_fetch_add_explicit(&w->c->blocks, 1, memory_order_relaxed);
    if (w->holding) {
        w->holding = 0;
        for (size_t at = 0; at < w->hold_len;) {
            size_t room;
            unsigned char *d = run_out_space(&w->out, READ_MIN, &room);
            if (d == NULL)
                return -1;
            size_t k = w->hold_len - at < room ? w->hold_len - at : room;
            memcpy(d, w->hold + at, k);
            run_out_added(&w->out, k);
            if (run_out_flush(&w->out, 0) < 0)
                return -1;
            at += k;
        }
    }
    /* The command ended: its last record is whole even without a
     * terminator.  An ordered stage sends everything now, before the
     * runtime's end-of-batch mark; so does a restartable one, before the
     * block is committed. */
    run_out_end(&w->out);
    if (run_out_flush(&w->out, st->ordered || st->restartable) < 0)
        return -1;
    return run_joblog_done(st, w->ctx, &job);
}

/* A block stage that got no block at all runs its command once, on no
 * input, as the shell does (`wc -l` of nothing prints 0); unless the run
 * is stopping or no longer needs this stage. */
static int no_block_came(struct run_worker *w)
{
    return atomic_load(&w->c->seq_in) == 0 && !pf_stopping(w->ctx) &&
           !atomic_load(&w->cfg->sh->halting) &&
           !run_useless(w->cfg, w->st->feeds);
}

/* ---- stage functions ---------------------------------------------------- */

int run_exec_init(pf_ctx *ctx, void *arg)
{
    struct run_stage *st = arg;
    struct run_worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return -1;
    pf_worker_set_data(ctx, w);
    w->st = st;
    w->cfg = st->cfg;
    w->c = &st->cfg->ctr[st->stats];
    w->ctx = ctx;
    w->widx = pf_worker_index(ctx);
    w->proc.in_fd = w->proc.out_fd = w->proc.pidfd = -1;
    w->wake_fd = -1;
    if (run_out_init(&w->out, st, ctx) < 0)
        return -1;
    if (st->block != 0)
        return 0;
    if (start(w, 0, 1) < 0)
        return -1;
    if (run_pipe_thread_start(w) < 0) {
        pf_log(ctx, PF_LOG_ERROR, "cannot start a thread: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int run_exec_record(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    struct run_stage *st = arg;
    struct run_worker *w = pf_worker_data(ctx);
    struct run_hdr h;
    if (len < HDR)
        return -1;
    memcpy(&h, rec, HDR);
    const unsigned char *data = (const unsigned char *)rec + HDR;
    size_t n = len - HDR;
    atomic_fetch_add_explicit(&w->c->bytes_in,
                              (h.flags & RUN_F_RANGE) ? h.len : n,
                              memory_order_relaxed);
    if (st->block != 0)
        return block_record(w, &h, data, n);
    return stream_record(w, &h, data, n);
}

int run_exec_finish(pf_ctx *ctx, void *arg)
{
    struct run_stage *st = arg;
    struct run_worker *w = pf_worker_data(ctx);
    int rc = 0;
    if (st->block == 0)
        rc = stream_finish(w);
    else if ((w->widx == 0 && no_block_came(w) &&
              block_record(w, &(struct run_hdr){.seq = 1}, NULL, 0) < 0) ||
             run_out_flush(&w->out, 1) < 0)
        rc = -1;
    run_out_free(&w->out);
    free(w->hold);
    free(w->range_buf);
    free(w);
    pf_worker_set_data(ctx, NULL);
    return rc;
}
