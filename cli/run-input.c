/*
 * run-input.c - the source of pipefan run: pipefan's stdin, framed.
 *
 * From a regular file, the source reads almost nothing: it cuts the file
 * into byte ranges that end at record ends (it reads only around each cut
 * to find one) and emits descriptors; the first stage's workers then move
 * their ranges into their commands with splice(2), like parallel
 * --pipepart.  From a pipe or a terminal it reads the bytes and emits
 * chunks of whole records: as soon as they arrive in stream mode, in
 * blocks of about --block bytes when the first stage is in block mode.
 *
 * It stops early when no stage needs input any more (the first stage's
 * commands all stopped reading) or the run is stopping; it waits in
 * poll() with a timeout so that it notices either while stdin is idle.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define POLL_MS 200
#define SCAN 65536 /* bytes read at a time looking for a record end */
#define READ_MIN 65536

/* Whether the source should stop. */
static int stop(pf_ctx *ctx, const struct run_stage *st)
{
    return pf_stopping(ctx) || run_useless(st->cfg, st->feeds) ||
           atomic_load_explicit(&st->cfg->sh->halting, memory_order_relaxed);
}

/* Offset just past the first terminator at or after pos, or end. */
static uint64_t record_end(int fd, char delim, uint64_t pos, uint64_t end)
{
    char buf[SCAN];
    while (pos < end) {
        size_t want = end - pos < SCAN ? (size_t)(end - pos) : SCAN;
        ssize_t n = pread(fd, buf, want, (off_t)pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return end;
        const char *p = memchr(buf, delim, (size_t)n);
        if (p != NULL)
            return pos + (uint64_t)(p - buf) + 1;
        pos += (uint64_t)n;
    }
    return end;
}

/* Emit byte ranges of the input file.  Deterministic, down to the chunk
 * numbers: a source restarted after a crash runs again from the start and
 * the runtime drops what its predecessor had committed. */
static int input_ranges(pf_ctx *ctx, struct run_stage *st)
{
    struct run_config *cfg = st->cfg;
    uint64_t pos = cfg->in_off, end = cfg->in_end, seq = 0;
    uint64_t target = st->out_target;
    int unterm_last = 0;
    if (cfg->framing == RUN_FIXED) {
        target -= target % cfg->fixed;
        if (target == 0)
            target = cfg->fixed;
    } else if (end > pos) {
        char last;
        if (pread(cfg->in_fd, &last, 1, (off_t)(end - 1)) == 1)
            unterm_last = last != cfg->delim;
    }
    while (pos < end && !stop(ctx, st)) {
        uint64_t cut;
        if (end - pos <= target)
            cut = end;
        else if (cfg->framing == RUN_FIXED)
            cut = pos + target;
        else
            cut = record_end(cfg->in_fd, cfg->delim, pos + target - 1, end);
        struct run_hdr h = {0};
        h.seq = ++seq;
        atomic_store_explicit(&cfg->ctr[st->stats + 1].seq_in, seq,
                              memory_order_relaxed);
        if (run_resume_done(cfg, seq)) {
            pos = cut; /* --resume: the joblog has this block done */
            continue;
        }
        h.off = pos;
        h.len = cut - pos;
        h.flags = RUN_F_RANGE | (cut == end && unterm_last ? RUN_F_UNTERM : 0);
        int rc = pf_emit(ctx, &h, sizeof h);
        if (rc == PF_ECANCELED)
            break;
        if (rc != 0) {
            if (rc != PF_ESTAGE)
                pf_log(ctx, PF_LOG_ERROR, "emit: %s", pf_strerror(rc));
            return -1;
        }
        pos = cut;
        atomic_store_explicit(&cfg->sh->in_bytes, pos - cfg->in_off,
                              memory_order_relaxed);
    }
    return 0;
}

/* Read stdin (a pipe, a terminal, a socket) and emit chunks. */
static int input_stream(pf_ctx *ctx, struct run_stage *st)
{
    struct run_config *cfg = st->cfg;
    struct run_out out;
    int rc = 0;
    if (run_out_init(&out, st, ctx) < 0) {
        pf_log(ctx, PF_LOG_ERROR, "out of memory");
        return -1;
    }
    for (;;) {
        if (stop(ctx, st))
            goto done;
        struct pollfd pfd = {.fd = cfg->in_fd, .events = POLLIN};
        int pr = poll(&pfd, 1, POLL_MS);
        if (pr == 0)
            continue;
        if (pr < 0 && errno != EINTR) {
            pf_log(ctx, PF_LOG_ERROR, "poll on standard input: %s",
                   strerror(errno));
            rc = -1;
            goto done;
        }
        size_t room;
        unsigned char *d = run_out_space(&out, READ_MIN, &room);
        if (d == NULL) {
            rc = -1;
            goto done;
        }
        ssize_t n = read(cfg->in_fd, d, room);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            pf_log(ctx, PF_LOG_ERROR, "reading standard input: %s",
                   strerror(errno));
            rc = -1;
            goto done;
        }
        run_out_added(&out, (size_t)n);
        if (run_out_flush(&out, 0) < 0) {
            rc = -1;
            goto done;
        }
    }
    /* End of input: a last record without terminator is whole too. */
    run_out_end(&out);
    if (run_out_flush(&out, 1) < 0)
        rc = -1;
done:
    run_out_free(&out);
    return rc;
}

int run_input(pf_ctx *ctx, void *arg)
{
    struct run_stage *st = arg;
    if (st->cfg->in_ranges)
        return input_ranges(ctx, st);
    /* A bigger pipe from our producer: fewer wake-ups on both sides. */
    fcntl(st->cfg->in_fd, F_SETPIPE_SZ, 1 << 20);
    return input_stream(ctx, st);
}
