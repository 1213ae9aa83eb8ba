/* split.c - the source stage: inputs -> chunk descriptors (split.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "split.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect.h"
#include "esc.h"
#include "job.h"
#include "parse-cols.h"

#define WINDOW (64 * 1024)

int64_t lg_split_line_end(int fd, uint64_t pos, uint64_t size)
{
    char buf[WINDOW];
    while (pos < size) {
        size_t want = size - pos < WINDOW ? (size_t)(size - pos) : WINDOW;
        ssize_t r = pread(fd, buf, want, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return (int64_t)pos; /* the file shrank */
        char *nl = memchr(buf, '\n', (size_t)r);
        if (nl)
            return (int64_t)(pos + (uint64_t)(nl - buf) + 1);
        pos += (uint64_t)r;
    }
    return (int64_t)size;
}

/* The W3C header in effect where the next chunk starts (format.h). */
typedef struct hdr_state {
    uint16_t n;
    char line[UINT16_MAX];
} hdr_state;

/* Remember the last "#Fields:" line of p[0..n), whose start is a line
 * start. A '#' is rare in these logs, so memchr finds the few candidates;
 * a line longer than the header buffer is not kept. */
static void hdr_update(hdr_state *h, const char *p, size_t n)
{
    const char *e = p + n, *q = p;
    while ((q = memchr(q, '#', (size_t)(e - q)))) {
        if ((q == p || q[-1] == '\n') && lg_w3c_is_fields(q, (size_t)(e - q))) {
            const char *nl = memchr(q, '\n', (size_t)(e - q));
            size_t len = (size_t)((nl ? nl : e) - q);
            if (len < sizeof h->line) {
                memcpy(h->line, q, len);
                h->n = (uint16_t)len;
            }
        }
        q++;
    }
}

/* hdr_update over bytes [off, end) of fd. */
static void hdr_update_fd(hdr_state *h, int fd, uint64_t off, uint64_t end)
{
    static char buf[1u << 20];
    while (off < end) {
        size_t want = end - off < sizeof buf ? (size_t)(end - off) : sizeof buf;
        ssize_t r = pread(fd, buf, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        /* keep whole lines, so a "#Fields:" line is never cut */
        size_t k = (size_t)r;
        if (off + (uint64_t)r < end) {
            char *nl = memrchr(buf, '\n', k);
            if (nl && nl > buf)
                k = (size_t)(nl - buf) + 1;
        }
        hdr_update(h, buf, k);
        off += k;
    }
}

/* Emit a descriptor; 1 to go on, 0 when the pipeline is stopping, or a
 * negative error. */
static int emit_chunk(pf_ctx *ctx, const lg_chunk *c, const void *data,
                      size_t n, char *scratch)
{
    int rc;
    if (!data) {
        rc = pf_emit(ctx, c, sizeof *c);
    } else {
        memcpy(scratch, c, sizeof *c);
        memcpy(scratch + sizeof *c, data, n);
        rc = pf_emit(ctx, scratch, sizeof *c + n);
    }
    if (rc == PF_ECANCELED)
        return 0;
    return rc < 0 ? rc : 1;
}

/* Plain bytes not yet cut into chunks, over every input. */
static uint64_t plain_left;

/* The size of the next chunk.  With an automatic size, the last chunks
 * shrink (to a quarter of each worker's share of what is left, down to
 * LG_CHUNK_MIN), so the workers finish together rather than one of them
 * counting a last big chunk alone. */
static uint64_t next_chunk(const lg_job *job)
{
    uint64_t c = job->chunk_size;
    if (job->cfg->chunk_size)
        return c;
    uint64_t share =
        plain_left / (4 * (uint64_t)(job->cfg->jobs > 0 ? job->cfg->jobs : 1));
    if (share < c)
        c = share > LG_CHUNK_MIN ? share : LG_CHUNK_MIN;
    return c;
}

/* Cut a plain file into line-aligned ranges. */
static int split_plain(pf_ctx *ctx, lg_job *job, uint32_t i)
{
    const lg_input *in = &job->in.v[i];
    lg_chunk c = {.magic = LG_CHUNK_MAGIC,
                  .kind = LG_CHUNK_RANGE,
                  .fmt = job->file_fmt[i],
                  .file = i};
    uint64_t off = in->start, size = in->size;
    int rc = 1, hdrs = lg_format_has_headers(job->fmts[c.fmt]);
    static hdr_state h;
    static char scratch[sizeof c + sizeof h.line];
    if (in->skip)
        return 1; /* --state: counted before */
    if (in->err) {
        /* named nothing readable: a worker records the error */
        c.kind = LG_CHUNK_DATA;
        c.reserved2 = (uint32_t)-in->err;
        return emit_chunk(ctx, &c, NULL, 0, NULL);
    }
    int fd = open(in->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        /* a worker reports the error: send the whole range */
        c.offset = 0;
        c.length = size;
        return emit_chunk(ctx, &c, NULL, 0, NULL);
    }
    h.n = 0;
    if (hdrs && off > 0) /* --state: the headers before what is new */
        hdr_update_fd(&h, fd, 0, off);
    while (off < size && rc > 0) {
        uint64_t end = off + next_chunk(job);
        if (end >= size) {
            end = size;
        } else {
            int64_t e = lg_split_line_end(fd, end - 1, size);
            end = e < 0 ? size : (uint64_t)e;
        }
        c.offset = off;
        c.length = end - off;
        c.hdr = hdrs ? h.n : 0;
        rc = emit_chunk(ctx, &c, c.hdr ? h.line : NULL, c.hdr, scratch);
        if (hdrs && end < size)
            hdr_update_fd(&h, fd, off, end);
        plain_left -= plain_left < end - off ? plain_left : end - off;
        off = end;
    }
    close(fd);
    return rc;
}

static size_t count_lines(const char *p, size_t n)
{
    size_t k = 0;
    const char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p)))) {
        k++;
        p++;
    }
    return k;
}

/* The wait hook of a stream's reads (lg_stream_set_wait): poll until
 * fd is readable (data, or its writer gone), giving up with -ECANCELED
 * once the pipeline stops, so a SIGTERM ends a run whose source waits on
 * an idle pipe or a FIFO without writer. */
static int wait_readable(void *arg, int fd)
{
    pf_ctx *ctx = arg;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        if (pf_stopping(ctx))
            return -ECANCELED;
        int r = poll(&p, 1, 200);
        if (r > 0 || (r < 0 && errno != EINTR))
            return 0; /* readable, or let read(2) say what is wrong */
    }
}

/* Open a stream input: "-" is fd 0; anything else is opened without
 * waiting (a FIFO's open(2) would block until a writer comes), then set
 * back to blocking reads, which wait_readable guards.  fd, or -errno. */
static int open_stream(const lg_input *in)
{
    if (in->is_stdin)
        return 0;
    int fd = open(in->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

/* Read the first bytes of a stream, to find its compression; their count
 * (fewer at its end), or a negative error. */
static ssize_t read_head(pf_ctx *ctx, int fd, unsigned char *head, size_t n)
{
    size_t got = 0;
    while (got < n) {
        int rc = wait_readable(ctx, fd);
        if (rc < 0)
            return rc;
        ssize_t k = read(fd, head + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* Send a stream input's error to a worker, which records it as the
 * input's (a DATA chunk with no bytes and the errno in reserved2). */
static int emit_error(pf_ctx *ctx, lg_chunk *c, int err)
{
    c->kind = LG_CHUNK_DATA;
    c->length = 0;
    c->reserved2 = (uint32_t)-err;
    return emit_chunk(ctx, c, NULL, 0, NULL);
}

/* A data chunk: the W3C header in effect at its start (when the format
 * has headers), then its lines. */
static int emit_data(pf_ctx *ctx, lg_chunk *c, hdr_state *h, int hdrs,
                     const char *p, size_t n, char *scratch)
{
    c->hdr = hdrs ? h->n : 0;
    memcpy(scratch, c, sizeof *c);
    memcpy(scratch + sizeof *c, h->line, c->hdr);
    memcpy(scratch + sizeof *c + c->hdr, p, n);
    int rc = pf_emit(ctx, scratch, sizeof *c + c->hdr + n);
    if (hdrs)
        hdr_update(h, p, n);
    c->hdr = 0;
    if (rc == PF_ECANCELED)
        return 0;
    return rc < 0 ? rc : 1;
}

/* Send the lines of an open stream as data chunks of whole lines. */
static int send_lines(pf_ctx *ctx, lg_job *job, uint32_t i, lg_stream *s,
                      lg_chunk *c)
{
    lg_reader r;
    hdr_state *h = calloc(1, sizeof *h);
    char *scratch = malloc(sizeof *c + sizeof h->line + LG_DATA_CHUNK);
    const char *p;
    size_t n;
    int rc = 1, got, first = 1;
    if (!h || !scratch || lg_reader_init(&r, s, LG_DATA_CHUNK) < 0) {
        free(h);
        free(scratch);
        return -ENOMEM;
    }
    while (rc > 0 && (got = lg_reader_next(&r, &p, &n)) > 0) {
        if (first && job->cfg->format == NULL) {
            const lg_format *f;
            lg_detect(p, n, &f);
            c->fmt = (uint8_t)lg_job_fmt_slot(job, f);
            job->file_fmt[i] = c->fmt;
        }
        first = 0;
        c->length = n;
        if (r.long_line) {
            c->kind = LG_CHUNK_LONG;
            c->length = n < 512 ? n : 512;
            rc = emit_chunk(ctx, c, p, (size_t)c->length, scratch);
            c->line += 1;
        } else {
            c->kind = LG_CHUNK_DATA;
            rc = emit_data(ctx, c, h, lg_format_has_headers(job->fmts[c->fmt]),
                           p, n, scratch);
            c->line += count_lines(p, n);
        }
        c->offset += n;
    }
    if (rc > 0 && got == -ECANCELED)
        rc = 0; /* told to stop while waiting for bytes */
    else if (rc > 0 && got < 0)
        rc = emit_error(ctx, c, got);
    else if (rc > 0 && first && !job->in.v[i].is_stdin) {
        char name[512];
        pf_log(ctx, PF_LOG_WARN, "%s: no data (an empty pipe or device)",
               lg_esc_name(job->in.v[i].path, name, sizeof name));
    }
    lg_reader_destroy(&r);
    free(scratch);
    free(h);
    return rc;
}

/* Read a stream input (stdin, a FIFO, a pipe, a device) exactly once and
 * send it as data chunks of whole lines. */
static int split_stream(pf_ctx *ctx, lg_job *job, uint32_t i)
{
    const lg_input *in = &job->in.v[i];
    unsigned char head[4];
    lg_stream *s = NULL;
    int rc;
    lg_chunk c = {.magic = LG_CHUNK_MAGIC,
                  .kind = LG_CHUNK_DATA,
                  .fmt = job->file_fmt[i],
                  .file = i,
                  .line = 1};
    int fd = open_stream(in);
    if (fd < 0) {
        char name[512];
        pf_log(ctx, PF_LOG_WARN, "%s: %s",
               lg_esc_name(in->path, name, sizeof name), strerror(-fd));
        return emit_error(ctx, &c, fd);
    }
    ssize_t nhead = read_head(ctx, fd, head, sizeof head);
    if (nhead < 0) {
        rc = nhead == -ECANCELED ? 0 : emit_error(ctx, &c, (int)nhead);
    } else {
        rc = lg_stream_open_seq(&s, fd, lg_comp_detect(head, (size_t)nhead),
                                head, (size_t)nhead);
        if (rc == LG_ENOSUPP)
            rc = emit_error(ctx, &c, rc);
        else if (rc == 0) {
            lg_stream_set_wait(s, wait_readable, ctx);
            rc = send_lines(ctx, job, i, s, &c);
        }
    }
    lg_stream_close(s);
    if (!in->is_stdin)
        close(fd);
    return rc;
}

/* Compressed inputs go first, largest first, so the long ones start early
 * and the plain chunks fill the gaps. */
static const lg_job *sort_job;
static int cmp_comp(const void *a, const void *b)
{
    const lg_input *x = &sort_job->in.v[*(const uint32_t *)a];
    const lg_input *y = &sort_job->in.v[*(const uint32_t *)b];
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

int lg_split_source(pf_ctx *ctx, void *arg)
{
    lg_job *job = arg;
    size_t n = job->in.n, nc = 0;
    int rc = 1;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return -ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        if (!job->in.v[i].is_stream && job->in.v[i].comp != LG_COMP_NONE &&
            !job->in.v[i].skip)
            order[nc++] = i;
    sort_job = job;
    qsort(order, nc, sizeof *order, cmp_comp);
    plain_left = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!job->in.v[i].is_stream && job->in.v[i].comp == LG_COMP_NONE)
            plain_left += job->in.v[i].size;
    for (size_t k = 0; k < nc && rc > 0; k++) {
        lg_chunk c = {.magic = LG_CHUNK_MAGIC,
                      .kind = LG_CHUNK_FILE,
                      .fmt = job->file_fmt[order[k]],
                      .file = order[k],
                      .offset = job->in.v[order[k]].start};
        rc = emit_chunk(ctx, &c, NULL, 0, NULL);
    }
    for (uint32_t i = 0; i < n && rc > 0; i++) {
        const lg_input *in = &job->in.v[i];
        if (in->skip) /* --state, or another rank's share */
            continue;
        if (in->is_stream)
            rc = split_stream(ctx, job, i);
        else if (in->comp == LG_COMP_NONE)
            rc = split_plain(ctx, job, i);
    }
    free(order);
    if (job->cfg->stats)
        lg_peak_note(&job->sh->peak, LG_PEAK_SPLIT);
    if (rc < 0) {
        pf_log(ctx, PF_LOG_ERROR, "split: %s", pf_strerror(rc));
        return rc;
    }
    return 0;
}
