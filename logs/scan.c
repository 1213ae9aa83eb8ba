/* scan.c - the parse stage: chunk descriptor -> lines -> records ->
 * filter -> this worker's aggregate; after each input batch the aggregate
 * goes to the sink as one partial (agg.h) and is emptied.
 *
 * A worker keeps no result across batches: the partial leaves from the
 * batch hook, which the runtime commits atomically with the batch's input,
 * so a worker killed mid-batch is restarted, replays the batch and counts
 * nothing twice (pf_options.retries).  What it does keep - open file
 * descriptors, the read buffer, the tables' memory - changes no result.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg-wire.h"
#include "agg.h"
#include "esc.h"
#include "input.h"
#include "job.h"
#include "parse-cols.h"
#include "parse.h"
#include "split.h"

#define READ_BUF (1u << 20)
#define FD_CACHE 8

/* One parse worker's state, private to its process. */
typedef struct lg_worker {
    lg_agg *agg; /* this batch's counts, emptied by the batch hook */
    int touched; /* a chunk was processed since the last partial */
    lg_reader rd;
    struct {
        uint32_t file;
        int fd;
    } fds[FD_CACHE];
    int nfds, fd_next;
    lg_buf out; /* the serialised partial, reused */
} lg_worker;

/* Where the lines of a block sit in their input, for bad-line samples. */
typedef struct pos {
    uint32_t file;
    uint64_t offset;    /* byte offset of the block in the input */
    uint64_t line_base; /* see lg_sample */
    uint64_t line;      /* line number of the block's first line */
} pos;

int lg_scan_init(pf_ctx *ctx, void *arg)
{
    lg_job *job = arg;
    int w = pf_worker_index(ctx);
    lg_job_mem_limit(job);
    lg_worker *wk = calloc(1, sizeof *wk);
    if (!wk)
        return lg_job_oom(ctx, job, "in parse: starting a worker");
    wk->agg = lg_agg_new(job->in.n, job->tabs_on,
                         (job->panels & (1u << LG_PANEL_PATHS)) != 0);
    if (wk->agg)
        lg_agg_set_feed(wk->agg, (uint32_t)w);
    if (!wk->agg || lg_reader_init(&wk->rd, NULL, READ_BUF) < 0) {
        lg_agg_free(wk->agg);
        free(wk);
        return lg_job_oom(ctx, job, "in parse: starting a worker");
    }
    pf_worker_set_data(ctx, wk);
    return 0;
}

/* A cached read-only descriptor for input i, or -errno. */
static int file_fd(lg_worker *wk, const lg_job *job, uint32_t i)
{
    for (int k = 0; k < wk->nfds; k++)
        if (wk->fds[k].file == i)
            return wk->fds[k].fd;
    int fd = open(job->in.v[i].path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int k = wk->nfds < FD_CACHE ? wk->nfds++ : wk->fd_next++ % FD_CACHE;
    if (k < wk->nfds && wk->fds[k].fd > 0 && wk->nfds == FD_CACHE)
        close(wk->fds[k].fd);
    wk->fds[k].file = i;
    wk->fds[k].fd = fd;
    return fd;
}

/* Report the first bad line under --strict (why: "bad line (format)");
 * returns PF_ESTAGE. */
static int strict_stop_why(lg_job *job, const char *why, const pos *ps,
                           uint64_t off, uint64_t line, const char *text,
                           size_t len)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&job->sh->strict_hit, &expect, 1)) {
        char clean[160], name[512];
        lg_esc_text(text, len, clean, sizeof clean);
        lg_esc_name(job->in.v[ps->file].path, name, sizeof name);
        if (ps->line_base == 0)
            snprintf(job->sh->strict_msg, sizeof job->sh->strict_msg,
                     "%s:%llu: %s: %s", name, (unsigned long long)line, why,
                     clean);
        else
            snprintf(job->sh->strict_msg, sizeof job->sh->strict_msg,
                     "%s: byte %llu: %s: %s", name, (unsigned long long)off,
                     why, clean);
    }
    return PF_ESTAGE;
}

static int strict_stop(lg_job *job, int reason, const pos *ps, uint64_t off,
                       uint64_t line, const char *text, size_t len)
{
    char why[64];
    snprintf(why, sizeof why, "bad line (%s)", lg_bad_describe(reason));
    return strict_stop_why(job, why, ps, off, line, text, len);
}

/* --strict and a regex that gave up on a line (filter.h). */
static int strict_undecided(lg_job *job, const pos *ps, uint64_t off,
                            uint64_t line, const char *text, size_t len)
{
    char what[256], why[320];
    lg_filter_describe(job->filter,
                       (size_t)lg_filter_undecided_last(job->filter), what,
                       sizeof what);
    snprintf(why, sizeof why, "%s hit a PCRE2 limit on this line", what);
    return strict_stop_why(job, why, ps, off, line, text, len);
}

/* Parse, filter and count every line of p[0..n).  Kept requests are
 * counted LG_AGG_BLOCK at a time (their strings point into p). */
static int scan_block(lg_job *job, lg_worker *wk, const lg_format *fmt,
                      const char *p, size_t n, pos *ps)
{
    lg_agg *a = wk->agg;
    const char *end = p + n, *line = p;
    uint64_t nlines = 0, nignored = 0, nfiltered = 0;
    lg_rec rec[LG_AGG_BLOCK];
    lg_str path[LG_AGG_BLOCK];
    int k = 0, strip = job->cfg->strip_query;
    while (line < end) {
        int clean;
        const char *le = lg_line_scan(line, end, &clean);
        size_t len = (size_t)(le - line);
        int rc = clean ? lg_parse_line_clean(fmt, line, len, &rec[k])
                       : lg_parse_line(fmt, line, len, &rec[k]);
        int keep = rc != LG_OK || !job->filter
                       ? 1
                       : lg_filter_match(job->filter, &rec[k]);
        if (keep < 0 && job->cfg->strict) {
            lg_agg_count_lines(a, ps->file, nlines + 1, nignored, nfiltered);
            return strict_undecided(job, ps, ps->offset + (uint64_t)(line - p),
                                    ps->line + nlines, line, len);
        }
        if (rc == LG_OK) {
            if (keep > 0) {
                path[k] =
                    strip ? lg_path_strip_query(rec[k].target) : rec[k].target;
                if (++k == LG_AGG_BLOCK) {
                    if (lg_agg_add_block(a, rec, path, k, ps->file) < 0)
                        return -ENOMEM;
                    k = 0;
                }
            } else {
                nfiltered++;
            }
        } else if (lg_bad_is_ignorable(rc)) {
            nignored++;
        } else {
            uint64_t off = ps->offset + (uint64_t)(line - p);
            uint64_t ln = ps->line + nlines;
            lg_agg_bad(a, rc, ps->file, off, ps->line_base, ln, line, len);
            if (job->cfg->strict) {
                lg_agg_count_lines(a, ps->file, nlines + 1, nignored,
                                   nfiltered);
                return strict_stop(job, rc, ps, off, ln, line, len);
            }
        }
        nlines++;
        line = le + 1;
    }
    if (k && lg_agg_add_block(a, rec, path, k, ps->file) < 0)
        return -ENOMEM;
    lg_agg_count_lines(a, ps->file, nlines, nignored, nfiltered);
    ps->offset += n;
    ps->line += nlines;
    return 0;
}

/* Count the head of a line too long to keep in memory. */
static int scan_long(lg_job *job, lg_worker *wk, const char *p, size_t n,
                     pos *ps)
{
    lg_agg *a = wk->agg;
    lg_agg_count_lines(a, ps->file, 1, 0, 0);
    lg_agg_bad(a, LG_BAD_TOO_LONG, ps->file, ps->offset, ps->line_base,
               ps->line, p, n);
    if (job->cfg->strict)
        return strict_stop(job, LG_BAD_TOO_LONG, ps, ps->offset, ps->line, p,
                           n);
    ps->line++;
    return 0;
}

/* Read a stream through the worker's reader and scan every block. */
static int scan_stream(pf_ctx *ctx, lg_job *job, lg_worker *wk,
                       const lg_format *fmt, lg_stream *s, pos *ps)
{
    uint64_t start = ps->offset;
    const char *p;
    size_t n;
    int got, rc = 0;
    uint64_t seen = 0;
    lg_reader_attach(&wk->rd, s);
    while ((got = lg_reader_next(&wk->rd, &p, &n)) > 0) {
        ps->offset = start + wk->rd.block_off;
        if (wk->rd.long_line) {
            rc = scan_long(job, wk, p, n, ps);
        } else {
            rc = scan_block(job, wk, fmt, p, n, ps);
        }
        uint64_t c = lg_stream_consumed(s);
        atomic_fetch_add_explicit(&job->sh->bytes_done, c - seen,
                                  memory_order_relaxed);
        seen = c;
        if (rc < 0)
            return rc;
    }
    if (got < 0) {
        char msg[LG_ERR_TEXT];
        snprintf(msg, sizeof msg, "%s after %llu lines",
                 lg_stream_strerror(got),
                 (unsigned long long)lg_agg_file_lines(wk->agg, ps->file));
        lg_agg_file_error(wk->agg, ps->file, got, msg);
        char name[512];
        pf_log(ctx, PF_LOG_WARN, "%s: %s",
               lg_esc_name(job->in.v[ps->file].path, name, sizeof name), msg);
        if (job->cfg->strict)
            return strict_stop(job, LG_BAD_TRUNCATED, ps, ps->offset, ps->line,
                               msg, strlen(msg));
    }
    return 0;
}

/* A plain range that ended early: the file shrank (was truncated) after
 * it was listed.  Record it as the input's error, once, and say so. */
static void check_shrunk(pf_ctx *ctx, lg_job *job, lg_worker *wk,
                         const lg_chunk *c, uint64_t got)
{
    char msg[LG_ERR_TEXT];
    size_t nfiles;
    const lg_file_stat *fs = lg_agg_files(wk->agg, &nfiles);
    if (got >= c->length || (c->file < nfiles && fs[c->file].err))
        return;
    snprintf(msg, sizeof msg,
             "the file shrank during the run: it ends at byte %llu of the "
             "%llu listed; the rest was not counted",
             (unsigned long long)(c->offset + got),
             (unsigned long long)job->in.v[c->file].size);
    lg_agg_file_error(wk->agg, c->file, -EIO, msg);
    char name[512];
    pf_log(ctx, PF_LOG_WARN, "%s: %s",
           lg_esc_name(job->in.v[c->file].path, name, sizeof name), msg);
}

/* Read and drop the first n bytes of a stream.  0, or its error (a
 * stream shorter than n: LG_ETRUNC). */
static int skip_bytes(lg_stream *s, uint64_t n)
{
    static char buf[1 << 16];
    while (n > 0) {
        ssize_t r = lg_stream_read(s, buf, n < sizeof buf ? n : sizeof buf);
        if (r <= 0)
            return r < 0 ? (int)r : LG_ETRUNC;
        n -= (uint64_t)r;
    }
    return 0;
}

/* lg_scan_chunk but for saying out of memory: -ENOMEM is returned as
 * it is, other errors as PF_ESTAGE. */
static int scan_chunk(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    lg_job *job = arg;
    lg_worker *wk = pf_worker_data(ctx);
    lg_chunk c;
    if (len < sizeof c)
        return PF_EINVAL;
    memcpy(&c, rec, sizeof c);
    if (job->cfg->strict && atomic_load(&job->sh->strict_hit))
        return 0; /* no report will be written: skip the work */
    wk->touched = 1;
    if (c.magic != LG_CHUNK_MAGIC || c.file >= job->in.n ||
        c.fmt >= LG_FMT_SLOTS || !job->fmts[c.fmt])
        return PF_EINVAL;
    const lg_format *fmt = job->fmts[c.fmt];
    const char *data = (const char *)rec + sizeof c;
    /* the W3C "#Fields:" layout in effect at the chunk start (split.h) */
    if (c.hdr > len - sizeof c)
        return PF_EINVAL;
    lg_w3c_begin(data, c.hdr);
    data += c.hdr;
    len -= c.hdr;
    pos ps = {.file = c.file, .offset = c.offset, .line_base = 0, .line = 1};
    lg_stream *s = NULL;
    int rc, fd;

    switch (c.kind) {
    case LG_CHUNK_DATA:
        if (c.length == 0 && c.reserved2) {
            char msg[LG_ERR_TEXT];
            int e = -(int)c.reserved2;
            snprintf(msg, sizeof msg, "%s", lg_stream_strerror(e));
            lg_agg_file_error(wk->agg, c.file, e, msg);
            return 0;
        }
        ps.line = c.line;
        rc = scan_block(job, wk, fmt, data, len - sizeof c, &ps);
        atomic_fetch_add_explicit(&job->sh->bytes_done, len - sizeof c,
                                  memory_order_relaxed);
        return rc < 0 ? rc : 0;
    case LG_CHUNK_LONG:
        ps.line = c.line;
        rc = scan_long(job, wk, data, len - sizeof c, &ps);
        return rc == -ENOMEM ? rc : rc < 0 ? PF_ESTAGE : 0;
    case LG_CHUNK_RANGE:
    case LG_CHUNK_FILE:
        break;
    default:
        return PF_EINVAL;
    }
    fd = c.kind == LG_CHUNK_RANGE
             ? file_fd(wk, job, c.file)
             : open(job->in.v[c.file].path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        char msg[LG_ERR_TEXT];
        snprintf(msg, sizeof msg, "cannot open: %s", strerror(-fd));
        lg_agg_file_error(wk->agg, c.file, fd, msg);
        return 0;
    }
    if (c.kind == LG_CHUNK_RANGE) {
        /* lines are counted from the chunk start; the sink adds the lines
         * before it for the few samples it prints */
        ps.line_base = c.offset;
        rc = lg_stream_open(&s, fd, LG_COMP_NONE, c.offset, c.length);
    } else {
        /* --state: the first c.offset decompressed bytes were counted */
        ps.offset = c.offset;
        rc = lg_stream_open(&s, fd, job->in.v[c.file].comp, 0, 0);
        if (rc == 0 && c.offset)
            rc = skip_bytes(s, c.offset);
    }
    if (rc == 0) {
        rc = scan_stream(ctx, job, wk, fmt, s, &ps);
        if (rc == 0 && c.kind == LG_CHUNK_RANGE)
            check_shrunk(ctx, job, wk, &c, lg_stream_consumed(s));
        lg_stream_close(s);
    } else {
        char msg[LG_ERR_TEXT];
        snprintf(msg, sizeof msg, "%s", lg_stream_strerror(rc));
        lg_agg_file_error(wk->agg, c.file, rc, msg);
        rc = 0;
    }
    if (c.kind == LG_CHUNK_FILE)
        close(fd);
    return rc == -ENOMEM ? rc : rc < 0 ? PF_ESTAGE : 0;
}

int lg_scan_chunk(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    int rc = scan_chunk(ctx, rec, len, arg);
    if (rc != -ENOMEM)
        return rc;
    const lg_job *job = arg;
    lg_chunk c;
    memcpy(&c, rec, sizeof c); /* scan_chunk checked it */
    char name[512], what[700];
    snprintf(what, sizeof what, "in parse: counting the requests of %s",
             lg_esc_name(job->in.v[c.file].path, name, sizeof name));
    lg_job_oom(ctx, job, what);
    return PF_ESTAGE;
}

void lg_scan_free(void *data)
{
    lg_worker *wk = data;
    for (int k = 0; k < wk->nfds; k++)
        close(wk->fds[k].fd);
    lg_reader_destroy(&wk->rd);
    lg_buf_free(&wk->out);
    lg_agg_free(wk->agg);
    free(wk);
}

int lg_scan_batch(pf_ctx *ctx, void *arg)
{
    lg_worker *wk = pf_worker_data(ctx);
    const lg_job *job = arg;
    int rc;
    if (!wk || !wk->touched)
        return 0;
    wk->out.n = 0;
    rc = lg_agg_serialize(wk->agg, &wk->out);
    if (rc == 0)
        rc = pf_emit(ctx, wk->out.p, wk->out.n);
    wk->touched = 0;
    if (job->cfg->stats) /* after serializing: its buffer counts too */
        lg_peak_note(&job->sh->peak, LG_PEAK_PARSE);
    if (rc == 0) {
        lg_agg_sent(wk->agg);
        return 0;
    }
    /* not sent: the sink must not expect its keys; start afresh */
    lg_agg_forget(wk->agg);
    if (rc == PF_ECANCELED)
        return 0;
    if (rc == -ENOMEM)
        return lg_job_oom(ctx, job,
                          "in parse: serializing a partial aggregate");
    pf_log(ctx, PF_LOG_ERROR,
           "parse: sending a partial aggregate (%zu bytes): %s", wk->out.n,
           pf_strerror(rc));
    return rc;
}
