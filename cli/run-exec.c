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
 * Deadlock freedom: stdin is written without blocking; whenever it is
 * full, the worker waits in poll() for room on stdin *or* output on
 * stdout, and takes the output.  In the last stage (stream mode) a
 * companion thread owns stdout instead and writes it to pipefan's stdout
 * at once, so output never waits for the next input; in the first stage
 * the thread also watches for the command's end, so a first command that
 * reads nothing (zcat of a few files) ends the input even while stdin idles.
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
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_MS 200
#define READ_MIN 65536
#define RANGE_BUF (256u << 10) /* pread fallback when splice cannot */
#define HDR sizeof(struct run_hdr)

/* A worker of a command stage: one per process (and, in serial
 * mode, one per stage). */
struct run_worker {
    struct run_stage *st;
    struct run_config *cfg;
    struct run_counters *c;
    pf_ctx *ctx;
    int widx;
    struct run_out out;

    struct run_proc proc; /* the command running now */
    int running;          /* proc holds a command not yet reaped */
    _Atomic int dead;     /* stream: its stdin takes no more data */
    int torn;             /* torn down after a cut: status ignored */
    int in_unterm;        /* last byte fed lacks its terminator */
    int judged;           /* stream: the command's end was judged */
    _Atomic int fatal;    /* the worker must fail */
    double t_start;
    double t_moved; /* block mode: when the command last moved a byte */
    uint64_t block; /* block mode: the block being run, and its try */
    int try;
    uint64_t sent, received;

    /* Block mode with retries: output held until the command succeeds. */
    unsigned char *hold;
    size_t hold_len, hold_cap;
    int holding;

    char *range_buf; /* pread fallback for byte ranges */
    int no_splice;

    /* The companion thread (stream mode, first or last stage). */
    pthread_t thr;
    int thr_on;
    int thr_out;   /* it owns proc.out_fd */
    int thr_watch; /* it watches for the command's end */
    int wake_fd;   /* eventfd: stop watching */
};

/* ---- helpers ---------------------------------------------------------- */

/* The command stopped reading: count it once; the last of its stage to
 * stop cuts the stages before it. */
static void mark_dead(struct run_worker *w)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&w->dead, &expect, 1))
        return;
    if (atomic_fetch_add(&w->c->dead, 1) + 1 == w->st->workers)
        run_cut(w->cfg, w->st->num);
}

/* A cut made this stage useless: let its command go, as a shell would
 * (or, when the run halts now, kill it). */
static void teardown(struct run_worker *w)
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
     * because the stages after it ended, before teardown() ran. */
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
    w->t_start = w->t_moved = run_now();
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
static int stalled(const struct run_worker *w)
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
            if (stalled(w))
                run_stall_crash(w->ctx, w->st, &w->proc, w->block);
    run_reap(&w->proc);
}

/* ---- the command's output ----------------------------------------------- */

/* Room for output: in the retry buffer or in the framer. */
static unsigned char *out_room(struct run_worker *w, size_t *room)
{
    if (!w->holding)
        return run_out_space(&w->out, READ_MIN, room);
    if (w->hold_cap - w->hold_len < READ_MIN) {
        size_t cap = w->hold_cap ? w->hold_cap * 2 : 4 * READ_MIN;
        unsigned char *b = realloc(w->hold, cap);
        if (b == NULL) {
            pf_log(w->ctx, PF_LOG_ERROR, "out of memory holding output");
            return NULL;
        }
        w->hold = b;
        w->hold_cap = cap;
    }
    *room = w->hold_cap - w->hold_len;
    return w->hold + w->hold_len;
}

/* Take what the command has written.  Returns 1 at its end of output,
 * 0 when no more is ready, -1 on error. */
static int drain(struct run_worker *w)
{
    for (;;) {
        size_t room;
        unsigned char *d = out_room(w, &room);
        if (d == NULL)
            return -1;
        ssize_t n = read(w->proc.out_fd, d, room);
        if (n > 0) {
            w->received += (uint64_t)n;
            if (w->holding) {
                w->hold_len += (size_t)n;
                w->t_moved = run_now();
                continue;
            }
            run_out_added(&w->out, (size_t)n);
            if (run_out_flush(&w->out, 0) < 0)
                return -1;
            w->t_moved = run_now();
            if (run_useless(w->cfg, w->st->feeds))
                return 0; /* the caller tears down */
            continue;
        }
        if (n == 0) {
            run_close(&w->proc.out_fd);
            return 1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return 0;
        pf_log(w->ctx, PF_LOG_ERROR, "reading the output of '%s': %s",
               w->st->cmd, strerror(errno));
        return -1;
    }
}

/* Take the command's output until its end (main thread owns stdout). */
static int drain_all(struct run_worker *w)
{
    while (w->proc.out_fd >= 0) {
        if (run_useless(w->cfg, w->st->feeds)) {
            teardown(w);
            return 0;
        }
        struct pollfd pf = {.fd = w->proc.out_fd, .events = POLLIN};
        if (poll(&pf, 1, POLL_MS) < 0 && errno != EINTR)
            return -1;
        if (drain(w) < 0)
            return -1;
        if (stalled(w))
            run_stall_crash(w->ctx, w->st, &w->proc, w->block);
    }
    return 0;
}

/* Companion thread: write the command's output to stdout as it comes
 * (last stage), and mark the command dead once it ends (first stage): by
 * its pidfd, or where there is none (kernels before 5.3, valgrind) by
 * looking every POLL_MS. */
static void *companion(void *arg)
{
    struct run_worker *w = arg;
    int watching = w->thr_watch;
    for (;;) {
        struct pollfd fds[3];
        int n = 0, io = -1, ip = -1;
        fds[n++] = (struct pollfd){.fd = w->wake_fd, .events = POLLIN};
        if (w->thr_out && w->proc.out_fd >= 0) {
            io = n;
            fds[n++] = (struct pollfd){.fd = w->proc.out_fd, .events = POLLIN};
        }
        if (watching && w->proc.pidfd >= 0) {
            ip = n;
            fds[n++] = (struct pollfd){.fd = w->proc.pidfd, .events = POLLIN};
        }
        if (io < 0 && !watching)
            break;
        if (poll(fds, (nfds_t)n, POLL_MS) < 0 && errno != EINTR)
            break;
        if (watching && ip < 0 && run_exited_nowait(&w->proc)) {
            mark_dead(w);
            watching = 0;
        }
        if (fds[0].revents) {
            uint64_t v;
            if (read(w->wake_fd, &v, sizeof v) < 0)
                v = 0;
            watching = 0; /* the input ended: nothing left to watch */
        }
        if (ip >= 0 && fds[ip].revents) {
            mark_dead(w); /* it ended: it reads no more */
            watching = 0;
        }
        if (io >= 0 && (fds[io].revents || w->fatal)) {
            int rc = drain(w);
            if (rc < 0) {
                w->fatal = 1;
                run_close(&w->proc.out_fd);
            }
        }
        if (w->proc.out_fd >= 0 && run_useless(w->cfg, w->st->feeds))
            run_close(&w->proc.out_fd); /* the command gets SIGPIPE */
    }
    return NULL;
}

static int thread_start(struct run_worker *w)
{
    w->thr_out = w->st->to_stdout;
    w->thr_watch = w->st->num == 1;
    if (!w->thr_out && !w->thr_watch)
        return 0;
    w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->wake_fd < 0)
        return -1;
    if (pthread_create(&w->thr, NULL, companion, w) != 0) {
        run_close(&w->wake_fd);
        return -1;
    }
    w->thr_on = 1;
    return 0;
}

static void thread_stop(struct run_worker *w)
{
    if (!w->thr_on)
        return;
    uint64_t one = 1;
    if (write(w->wake_fd, &one, sizeof one) < 0)
        pf_log(w->ctx, PF_LOG_WARN, "eventfd: %s", strerror(errno));
    pthread_join(w->thr, NULL);
    w->thr_on = 0;
    run_close(&w->wake_fd);
}

/* ---- the command's input ------------------------------------------------ */

/* A stream command stopped reading.  A failure if it ended badly (judged
 * now, so a crash fails the run at once); else it chose to stop reading.
 * Waits up to ms for its end. */
static void check_end(struct run_worker *w, int ms)
{
    if (!w->judged && run_ended(&w->proc, ms) &&
        is_failure(w, w->proc.status)) {
        /* Take its last output first (unless the thread does): it may
         * explain the failure. */
        if (!w->thr_out && drain_all(w) < 0)
            w->fatal = 1;
        w->judged = 1;
        if (judge(w, 0))
            w->fatal = 1;
    }
}

/* Its stdin is closed (EPIPE). */
static void input_closed(struct run_worker *w, int stream)
{
    run_close(&w->proc.in_fd);
    if (!stream)
        return;
    mark_dead(w);
    check_end(w, 50);
}

/* Move up to n bytes of the input range at *off into the command. */
static ssize_t move_range(struct run_worker *w, uint64_t *off, size_t n)
{
    if (!w->no_splice) {
        loff_t o = (loff_t)*off;
        ssize_t k = splice(w->cfg->in_fd, &o, w->proc.in_fd, NULL, n,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (k > 0)
            *off = (uint64_t)o;
        if (k == 0)
            goto shrank; /* end of file inside the range */
        if (k > 0 || (errno != EINVAL && errno != ENOSYS))
            return k;
        w->no_splice = 1; /* a file system without splice */
    }
    if (w->range_buf == NULL && (w->range_buf = malloc(RANGE_BUF)) == NULL)
        return -1;
    /* Fallback: a pread of what fits; the pipe takes it or we re-read. */
    size_t want = n < RANGE_BUF ? n : RANGE_BUF;
    ssize_t r = pread(w->cfg->in_fd, w->range_buf, want, (off_t)*off);
    if (r == 0)
        goto shrank;
    if (r < 0)
        return -1;
    ssize_t k = write(w->proc.in_fd, w->range_buf, (size_t)r);
    if (k > 0)
        *off += (uint64_t)k;
    return k;
shrank:
    /* The file shrank under us: stop the run (never spin on it). */
    run_input_shrank(w->cfg, *off);
    errno = ENODATA;
    return -1;
}

/*
 * Write data[0..n) - or, with range, n bytes of stdin at off - to the
 * command's stdin, taking its output whenever stdin is full.  Returns 0
 * (all written, or the command stopped reading, or the stage was cut) or
 * -1 when the worker must fail.
 */
static int feed(struct run_worker *w, const unsigned char *data, uint64_t off,
                size_t n, int range, int stream)
{
    while (n > 0) {
        if (w->fatal)
            return -1;
        if (run_useless(w->cfg, w->st->feeds)) {
            teardown(w);
            return 0;
        }
        if (w->proc.in_fd < 0)
            return 0;
        if (range && pf_stopping(w->ctx)) {
            /* SIGINT/SIGTERM: the ranges of stdin are the input, all of
             * it queued at once; take no more of it.  The command gets
             * end of file and finishes what it has. */
            run_close(&w->proc.in_fd);
            return 0;
        }
        ssize_t k =
            range ? move_range(w, &off, n) : write(w->proc.in_fd, data, n);
        if (k > 0) {
            data += k;
            n -= (size_t)k;
            w->sent += (uint64_t)k;
            w->t_moved = run_now();
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno == EPIPE) {
            input_closed(w, stream);
            return w->fatal ? -1 : 0;
        }
        if (k < 0 && errno == ENODATA && range) {
            teardown(w); /* the input shrank: the run stops */
            return 0;
        }
        if (k < 0 && errno != EAGAIN) {
            pf_log(w->ctx, PF_LOG_ERROR, "writing to '%s': %s", w->st->cmd,
                   strerror(errno));
            return -1;
        }
        /* Full: wait for room, taking output meanwhile. */
        struct pollfd fds[2] = {{.fd = w->proc.in_fd, .events = POLLOUT}};
        int nf = 1;
        if (!w->thr_out && w->proc.out_fd >= 0)
            fds[nf++] = (struct pollfd){.fd = w->proc.out_fd, .events = POLLIN};
        if (poll(fds, (nfds_t)nf, POLL_MS) < 0 && errno != EINTR)
            return -1;
        if (nf > 1 && fds[1].revents && drain(w) < 0)
            return -1;
        if (!stream && stalled(w))
            run_stall_crash(w->ctx, w->st, &w->proc, w->block);
    }
    return w->fatal ? -1 : 0;
}

/* Feed one chunk: its data, or its byte range of stdin. */
static int feed_chunk(struct run_worker *w, const struct run_hdr *h,
                      const unsigned char *data, size_t n, int stream)
{
    if (h->flags & RUN_F_RANGE)
        return feed(w, NULL, h->off, (size_t)h->len, 1, stream);
    return feed(w, data, 0, n, 0, stream);
}

/* ---- stream mode -------------------------------------------------------- */

static int stream_record(struct run_worker *w, const struct run_hdr *h,
                         const unsigned char *data, size_t n)
{
    if (run_useless(w->cfg, w->st->feeds)) {
        teardown(w);
        return 0;
    }
    if (atomic_load(&w->dead) || w->proc.in_fd < 0) {
        check_end(w, 0);          /* the thread saw it end: how? */
        return w->fatal ? -1 : 0; /* it reads no more: drop the rest */
    }
    if (w->in_unterm) {
        /* The previous chunk ended without terminator; more follows. */
        if (feed(w, (const unsigned char *)&w->cfg->delim, 0, 1, 0, 1) < 0)
            return -1;
    }
    if (feed_chunk(w, h, data, n, 1) < 0)
        return -1;
    w->in_unterm =
        (h->flags & RUN_F_UNTERM) != 0 && w->cfg->framing != RUN_FIXED;
    if (!w->thr_out && w->proc.out_fd >= 0 && drain(w) < 0)
        return -1;
    return w->fatal ? -1 : 0;
}

static int stream_finish(struct run_worker *w)
{
    int rc = 0;
    run_close(&w->proc.in_fd);
    thread_stop(w); /* an output thread takes the output to its end */
    if (!w->thr_out && drain_all(w) < 0)
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
         * SIGTERM: take no more of stdin (feed()). */
        return run_joblog_skipped(st, w->ctx);
    w->holding = st->retries > 0;
    for (int try = 1;; try++) {
        w->hold_len = 0;
        w->torn = 0;
        if (start(w, h->seq, try) < 0)
            return -1;
        rc = feed_chunk(w, h, data, n, 0);
        run_close(&w->proc.in_fd);
        if (rc == 0)
            rc = drain_all(w);
        if (rc < 0)
            abandon(w);
        wait_end(w);
        w->running = 0;
        if (rc < 0)
            return -1;
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
    if (thread_start(w) < 0) {
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
