/*
 * run-pipe.c - moving bytes between a command stage's worker and its
 * command: feeding its stdin (chunks, or byte ranges of stdin with
 * splice(2)), taking its stdout into the framer, and the companion thread
 * that owns stdout in the last stage (and watches the first stage's
 * command for its end).
 *
 * Deadlock freedom: stdin is written without blocking; whenever it is
 * full, the worker waits in poll() for room on stdin *or* output on
 * stdout, and takes the output.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define POLL_MS 200
#define READ_MIN 65536
#define RANGE_BUF (256u << 10) /* pread fallback when splice cannot */

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
int run_pipe_drain(struct run_worker *w)
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
int run_pipe_drain_all(struct run_worker *w)
{
    while (w->proc.out_fd >= 0) {
        if (run_useless(w->cfg, w->st->feeds)) {
            run_worker_teardown(w);
            return 0;
        }
        struct pollfd pf = {.fd = w->proc.out_fd, .events = POLLIN};
        if (poll(&pf, 1, POLL_MS) < 0 && errno != EINTR)
            return -1;
        if (run_pipe_drain(w) < 0)
            return -1;
        if (run_worker_stalled(w))
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
            run_worker_mark_dead(w);
            watching = 0;
        }
        if (fds[0].revents) {
            uint64_t v;
            if (read(w->wake_fd, &v, sizeof v) < 0)
                v = 0;
            watching = 0; /* the input ended: nothing left to watch */
        }
        if (ip >= 0 && fds[ip].revents) {
            run_worker_mark_dead(w); /* it ended: it reads no more */
            watching = 0;
        }
        if (io >= 0 && (fds[io].revents || w->fatal)) {
            int rc = run_pipe_drain(w);
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

int run_pipe_thread_start(struct run_worker *w)
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

void run_pipe_thread_stop(struct run_worker *w)
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
int run_pipe_feed(struct run_worker *w, const unsigned char *data, uint64_t off,
                  size_t n, int range, int stream)
{
    while (n > 0) {
        if (w->fatal)
            return -1;
        if (run_useless(w->cfg, w->st->feeds)) {
            run_worker_teardown(w);
            return 0;
        }
        if (w->proc.in_fd < 0)
            return 0;
        if (range && pf_stopping(w->ctx)) {
            w->feed_cut = 1;
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
            run_worker_input_closed(w, stream);
            return w->fatal ? -1 : 0;
        }
        if (k < 0 && errno == ENODATA && range) {
            run_worker_teardown(w); /* the input shrank: the run stops */
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
        if (nf > 1 && fds[1].revents && run_pipe_drain(w) < 0)
            return -1;
        if (!stream && run_worker_stalled(w))
            run_stall_crash(w->ctx, w->st, &w->proc, w->block);
    }
    return w->fatal ? -1 : 0;
}

/* Feed one chunk: its data, or its byte range of stdin. */
int run_pipe_feed_chunk(struct run_worker *w, const struct run_hdr *h,
                        const unsigned char *data, size_t n, int stream)
{
    if (h->flags & RUN_F_RANGE)
        return run_pipe_feed(w, NULL, h->off, (size_t)h->len, 1, stream);
    return run_pipe_feed(w, data, 0, n, 0, stream);
}
