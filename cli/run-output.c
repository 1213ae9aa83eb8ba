/*
 * run-output.c - where records go: the state a run's processes share,
 * framing a command's output into whole records, emitting them to the
 * next stage or writing them to pipefan's stdout.
 *
 * Invariant of every chunk emitted and every piece written to stdout: it
 * holds whole records.  Only a command's (or the input's) last record may
 * lack its terminator; when more data follows one, the terminator is put
 * in between, so records never run into each other - on stdout through
 * the shared flag out_unterm, taken under the same lock as the write.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_CAP (256u << 10)   /* initial output buffer */
#define CHUNK_MAX (192u << 10) /* largest unheld chunk emitted at once */

/* ---- shared state ------------------------------------------------------- */

int run_shared_init(struct run_config *cfg)
{
    size_t size = sizeof(struct run_shared) +
                  (size_t)cfg->nstages * sizeof(struct run_counters);
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    struct run_shared *sh = m;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&sh->out_lock, &a);
    pthread_mutexattr_destroy(&a);
    cfg->sh = sh;
    cfg->ctr = (struct run_counters *)(sh + 1);
    cfg->sh_size = size;
    return 0;
}

void run_shared_free(struct run_config *cfg)
{
    if (cfg->sh == NULL)
        return;
    pthread_mutex_destroy(&cfg->sh->out_lock);
    munmap(cfg->sh, cfg->sh_size);
    cfg->sh = NULL;
    cfg->ctr = NULL;
}

int run_useless(const struct run_config *cfg, int feeds)
{
    return atomic_load_explicit(&cfg->sh->cut, memory_order_relaxed) >= feeds;
}

void run_cut(struct run_config *cfg, int k)
{
    int cur = atomic_load(&cfg->sh->cut);
    while (cur < k && !atomic_compare_exchange_weak(&cfg->sh->cut, &cur, k))
        ;
}

/* This process reported the failure that stops the run. */
static int failed_here;

int run_failed_here(void)
{
    return failed_here;
}

void run_halt_now(struct run_config *cfg)
{
    atomic_store(&cfg->sh->halting, RUN_HALTING_NOW);
    run_cut(cfg, cfg->ncommands + 1);
}

int run_failure(struct run_stage *st, pf_ctx *ctx, int pid, uint64_t block,
                const char *what)
{
    struct run_config *cfg = st->cfg;
    int now = cfg->halt == RUN_HALT_NOW;
    int none = 0;
    if (cfg->halt == RUN_HALT_SOON)
        atomic_compare_exchange_strong(&cfg->sh->halting, &none,
                                       RUN_HALTING_SOON);
    atomic_fetch_add(&cfg->ctr[st->stats].failures, 1);
    if (block != 0)
        pf_log(ctx, cfg->halt != RUN_HALT_NEVER ? PF_LOG_ERROR : PF_LOG_WARN,
               "command '%s' %s (block %llu, pid %d)", st->cmd, what,
               (unsigned long long)block, pid);
    else
        pf_log(ctx, cfg->halt != RUN_HALT_NEVER ? PF_LOG_ERROR : PF_LOG_WARN,
               "command '%s' %s (pid %d)", st->cmd, what, pid);
    int expect = 0;
    if (atomic_compare_exchange_strong(&cfg->sh->failed, &expect, 1)) {
        struct run_failure *f = &cfg->sh->fail;
        f->stage = st->num;
        f->worker = ctx != NULL ? pf_worker_index(ctx) : 0;
        f->pid = pid;
        f->block = block;
        snprintf(f->what, sizeof f->what, "%s", what);
    }
    if (now)
        failed_here = 1;
    return now;
}

void run_input_shrank(struct run_config *cfg, uint64_t at)
{
    int none = 0;
    if (atomic_compare_exchange_strong(&cfg->sh->shrank, &none, 1))
        atomic_store(&cfg->sh->shrank_at, at);
    run_halt_now(cfg);
}

/* ---- framing ------------------------------------------------------------ */

uint64_t run_count_records(const struct run_config *cfg, const void *data,
                           size_t n)
{
    if (cfg->framing == RUN_FIXED)
        return (n + cfg->fixed - 1) / cfg->fixed;
    const char *p = data, *end = p + n;
    uint64_t k = 0;
    while (p < end && (p = memchr(p, cfg->delim, (size_t)(end - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

size_t run_whole(const struct run_config *cfg, const void *data, size_t n)
{
    if (cfg->framing == RUN_FIXED)
        return n - n % cfg->fixed;
    const char *last = memrchr(data, cfg->delim, n);
    return last == NULL ? 0 : (size_t)(last - (const char *)data) + 1;
}

/* ---- stdout ------------------------------------------------------------- */

/* Write all of data to fd 1; 0 or -errno. */
static int write_all(const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int run_stdout_write(struct run_config *cfg, const void *data, size_t n,
                     int unterm)
{
    struct run_shared *sh = cfg->sh;
    if (n == 0)
        return 0;
    if (atomic_load_explicit(&sh->out_closed, memory_order_relaxed))
        return -1;
    if (pthread_mutex_lock(&sh->out_lock) == EOWNERDEAD)
        pthread_mutex_consistent(&sh->out_lock);
    int err = 0;
    if (sh->out_tty && sh->bar_drawn && /* run_progress's frame */
        write(2, "\r\033[K", 4) == 4)
        sh->bar_drawn = 0;
    if (sh->out_unterm)
        err = write_all(&cfg->delim, 1);
    if (err == 0)
        err = write_all(data, n);
    if (err == 0)
        sh->out_unterm = unterm && cfg->framing != RUN_FIXED;
    sh->out_midline = ((const char *)data)[n - 1] != '\n';
    pthread_mutex_unlock(&sh->out_lock);
    if (err == 0) {
        atomic_fetch_add_explicit(&sh->out_bytes, n, memory_order_relaxed);
        atomic_fetch_add_explicit(&sh->out_records,
                                  run_count_records(cfg, data, n) +
                                      (unterm ? 1 : 0),
                                  memory_order_relaxed);
        return 0;
    }
    if (err == -EPIPE) {
        /* Whoever reads our output is gone: stop everything, quietly,
         * as a shell pipeline does. */
        atomic_store(&sh->out_closed, 1);
        run_cut(cfg, cfg->ncommands + 1);
        return -1;
    }
    pf_log(NULL, PF_LOG_ERROR, "writing standard output: %s", strerror(-err));
    int expect = 0;
    if (atomic_compare_exchange_strong(&sh->failed, &expect, 1)) {
        sh->fail.stage = 0;
        snprintf(sh->fail.what, sizeof sh->fail.what,
                 "writing standard output: %s", strerror(-err));
    }
    return -2;
}

/* ---- a stage's output --------------------------------------------------- */

#define HDR sizeof(struct run_hdr)

static unsigned char *out_data(struct run_out *o)
{
    return o->buf + HDR;
}

int run_out_init(struct run_out *o, struct run_stage *st, pf_ctx *ctx)
{
    memset(o, 0, sizeof *o);
    o->st = st;
    o->ctx = ctx;
    o->cap = OUT_CAP;
    if (st->out_hold && st->out_target + OUT_CAP > o->cap)
        o->cap = st->out_target + OUT_CAP;
    o->buf = malloc(HDR + o->cap);
    return o->buf != NULL ? 0 : -1;
}

void run_out_free(struct run_out *o)
{
    free(o->buf);
    o->buf = NULL;
}

unsigned char *run_out_space(struct run_out *o, size_t want, size_t *room)
{
    want += 1; /* for a terminator run_out_added may insert */
    if (o->cap - o->len < want) {
        size_t cap = o->cap;
        while (cap - o->len < want)
            cap *= 2;
        size_t limit = o->st->cfg->max_record +
                       (o->st->out_hold ? o->st->out_target : 0) + OUT_CAP;
        if (o->len - o->whole > o->st->cfg->max_record || cap > 2 * limit) {
            pf_log(o->ctx, PF_LOG_ERROR,
                   "a record of stage %s's output is longer than "
                   "--max-record (%zu bytes)",
                   o->st->name, o->st->cfg->max_record);
            int none = 0; /* the first one names the run's end */
            atomic_compare_exchange_strong(&o->st->cfg->sh->too_long, &none,
                                           1 + o->st->stats);
            o->error = 1;
            return NULL;
        }
        unsigned char *b = realloc(o->buf, HDR + cap);
        if (b == NULL) {
            pf_log(o->ctx, PF_LOG_ERROR, "out of memory for output");
            o->error = 1;
            return NULL;
        }
        o->buf = b;
        o->cap = cap;
    }
    *room = o->cap - o->len - 1;
    return out_data(o) + o->len;
}

/* Send data[off..off+n) (whole records; the last unterminated when
 * unterm).  Everything before off was sent already. */
static int out_send(struct run_out *o, size_t off, size_t n, int unterm)
{
    struct run_stage *st = o->st;
    struct run_config *cfg = st->cfg;
    if (n == 0 || o->error)
        return o->error ? -1 : 0;
    if (st->role != RUN_ROLE_RELAY) {
        uint64_t recs =
            run_count_records(cfg, out_data(o) + off, n) + (unterm ? 1 : 0);
        struct run_counters *c = &cfg->ctr[st->stats];
        _Atomic uint64_t *b = &c->bytes_out, *r = &c->records_out;
        if (st->role == RUN_ROLE_INPUT) {
            b = &cfg->sh->in_bytes;
            r = &cfg->sh->in_records;
        }
        atomic_fetch_add_explicit(b, n, memory_order_relaxed);
        atomic_fetch_add_explicit(r, recs, memory_order_relaxed);
    }
    if (run_useless(cfg, st->feeds))
        return 0;
    if (st->to_stdout) {
        int rc = run_stdout_write(cfg, out_data(o) + off, n, unterm);
        if (rc == -2)
            o->error = 1;
        return rc == -2 ? -1 : 0;
    }
    struct run_hdr h = {0};
    struct run_counters *next = &cfg->ctr[st->stats + 1];
    h.seq =
        atomic_fetch_add_explicit(&next->seq_in, 1, memory_order_relaxed) + 1;
    if (st->role == RUN_ROLE_INPUT && run_resume_done(cfg, h.seq))
        return 0; /* --resume: the joblog has this block done */
    h.flags = unterm ? RUN_F_UNTERM : 0;
    h.len = n;
    /* The header goes just before the chunk: over bytes already sent, or
     * into the room kept in front of the buffer. */
    unsigned char *at = out_data(o) + off - HDR;
    memcpy(at, &h, HDR);
    int rc = pf_emit(o->ctx, at, HDR + n);
    if (rc != 0) {
        if (rc == PF_ECANCELED)
            return 0;
        if (rc != PF_ESTAGE) /* serial mode: reported downstream */
            pf_log(o->ctx, PF_LOG_ERROR, "emit: %s", pf_strerror(rc));
        o->error = 1;
        return -1;
    }
    return 0;
}

/* Drop data[0..n) from the front of the buffer. */
static void out_consume(struct run_out *o, size_t n)
{
    memmove(out_data(o), out_data(o) + n, o->len - n);
    o->len -= n;
    o->whole -= n;
}

int run_out_added(struct run_out *o, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char *d = out_data(o);
    if (o->unterm) {
        /* The held record without terminator was an earlier command
         * run's last: end it before this output (run_out_space left a
         * byte of room). */
        memmove(d + o->len + 1, d + o->len, n);
        d[o->len++] = (unsigned char)o->st->cfg->delim;
        o->whole = o->len;
        o->unterm = 0;
    }
    const struct run_config *cfg = o->st->cfg;
    size_t old = o->len;
    o->len += n;
    if (cfg->framing == RUN_FIXED) {
        /* The buffer starts on a record boundary: whole records are
         * counted from there, not from where this read began. */
        o->whole = o->len - o->len % cfg->fixed;
        return 0;
    }
    size_t w = run_whole(cfg, d + old, n);
    if (w > 0)
        o->whole = old + w;
    return 0;
}

int run_out_put_chunk(struct run_out *o, const void *data, size_t n, int unterm)
{
    const struct run_config *cfg = o->st->cfg;
    size_t room;
    if (n == 0)
        return 0;
    if (o->whole < o->len) /* cannot happen: chunks hold whole records */
        run_out_end(o);
    if (o->unterm && cfg->framing != RUN_FIXED) {
        unsigned char *d = run_out_space(o, 1, &room);
        if (d == NULL)
            return -1;
        *d = (unsigned char)cfg->delim;
        o->len++;
        o->whole = o->len;
    }
    unsigned char *d = run_out_space(o, n, &room);
    if (d == NULL)
        return -1;
    memcpy(d, data, n);
    o->len += n;
    o->whole = o->len;
    o->unterm = unterm && cfg->framing != RUN_FIXED;
    return 0;
}

void run_out_end(struct run_out *o)
{
    if (o->whole < o->len) {
        o->whole = o->len;
        o->unterm = o->st->cfg->framing != RUN_FIXED;
    }
}

int run_out_flush(struct run_out *o, int all)
{
    struct run_stage *st = o->st;
    const struct run_config *cfg = st->cfg;
    unsigned char *d = out_data(o);
    size_t off = 0; /* sent so far; moved out once, at the end */
    int rc = 0;
    if (o->error)
        return -1;
    while (off < o->whole) {
        size_t left = o->whole - off, n = left;
        if (st->out_hold) {
            /* Next stage in block mode: blocks of about out_target. */
            if (left < st->out_target && !all)
                break;
            if (left > st->out_target) {
                n = st->out_target;
                if (cfg->framing == RUN_FIXED) {
                    n -= n % cfg->fixed;
                    if (n == 0)
                        n = cfg->fixed < left ? cfg->fixed : left;
                } else {
                    const char *p =
                        memchr(d + off + n - 1, cfg->delim, left - (n - 1));
                    n = p != NULL ? (size_t)(p - (char *)(d + off)) + 1 : left;
                }
            }
        } else if (!st->to_stdout && left > CHUNK_MAX) {
            /* A stream stage gets chunks of at most about CHUNK_MAX, cut
             * at record ends, so the rings need not split them. */
            size_t w = run_whole(cfg, d + off, CHUNK_MAX);
            if (w > 0) {
                n = w;
            } else if (cfg->framing != RUN_FIXED) {
                const char *p =
                    memchr(d + off + CHUNK_MAX, cfg->delim, left - CHUNK_MAX);
                n = p != NULL ? (size_t)(p - (char *)(d + off)) + 1 : left;
            }
        }
        int un = n == left && o->unterm;
        if (out_send(o, off, n, un) < 0) {
            rc = -1;
            break;
        }
        off += n;
        if (un)
            o->unterm = 0;
    }
    out_consume(o, off);
    return rc;
}
