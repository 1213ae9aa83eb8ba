/* mpi-share.c - a rank's share of the inputs, and input lists as bytes
 * (mpi-share.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mpi-share.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "split.h"

void lg_share_undo_free(lg_share_undo *undo)
{
    free(undo->start);
    free(undo->size);
    free(undo->skip);
    memset(undo, 0, sizeof *undo);
}

void lg_share_restore(lg_job *job, const lg_share_undo *undo)
{
    for (size_t i = 0; i < undo->n && i < job->in.n; i++) {
        job->in.v[i].start = undo->start[i];
        job->in.v[i].size = undo->size[i];
        job->in.v[i].skip = undo->skip[i];
    }
}

/* The start of the first line that begins at or after x in file fd of
 * size bytes (x itself when 0 or past the end). */
static uint64_t line_start(int fd, uint64_t x, uint64_t size)
{
    if (x == 0 || x >= size || fd < 0)
        return x < size ? x : size;
    int64_t e = lg_split_line_end(fd, x - 1, size);
    return e < 0 ? size : (uint64_t)e;
}

/* Compressed inputs, largest first (ties: input order), each to the rank
 * with the fewest bytes so far (ties: the lowest): skip the others'. */
static int share_compressed(lg_job *job, int rank, int ranks)
{
    size_t n = job->in.n, nc = 0;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    uint64_t *load = calloc((size_t)ranks, sizeof *load);
    if (!order || !load) {
        free(order);
        free(load);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        const lg_input *in = &job->in.v[i];
        if (!in->is_stream && !in->err && in->comp != LG_COMP_NONE)
            order[nc++] = i;
    }
    for (size_t a = 1; a < nc; a++) /* insertion sort: a handful */
        for (size_t b = a; b > 0; b--) {
            uint64_t x = job->in.v[order[b - 1]].size;
            uint64_t y = job->in.v[order[b]].size;
            if (x > y || (x == y && order[b - 1] < order[b]))
                break;
            uint32_t t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    for (size_t k = 0; k < nc; k++) {
        int best = 0;
        for (int r = 1; r < ranks; r++)
            if (load[r] < load[best])
                best = r;
        load[best] += job->in.v[order[k]].size;
        if (best != rank)
            job->in.v[order[k]].skip = 1;
    }
    free(order);
    free(load);
    return 0;
}

/* Plain files: bytes [cut(rank), cut(rank + 1)) of their concatenation,
 * each cut moved to a line start in the file it falls in. */
static void share_plain(lg_job *job, int rank, int ranks)
{
    uint64_t total = 0, g = 0;
    for (size_t i = 0; i < job->in.n; i++) {
        const lg_input *in = &job->in.v[i];
        if (!in->is_stream && !in->err && in->comp == LG_COMP_NONE)
            total += in->size;
    }
    /* cuts as 128-bit products: no overflow for any size */
    uint64_t lo_g =
        (uint64_t)((unsigned __int128)total * (unsigned)rank / (unsigned)ranks);
    uint64_t hi_g = (uint64_t)((unsigned __int128)total * (unsigned)(rank + 1) /
                               (unsigned)ranks);
    for (size_t i = 0; i < job->in.n; i++) {
        lg_input *in = &job->in.v[i];
        if (in->is_stream || in->err || in->comp != LG_COMP_NONE)
            continue;
        uint64_t size = in->size, from = g;
        g += size;
        if (hi_g <= from || lo_g >= from + size) {
            in->skip = 1;
            continue;
        }
        uint64_t lo = lo_g > from ? lo_g - from : 0;
        uint64_t hi = hi_g - from < size ? hi_g - from : size;
        int fd = -1;
        if ((lo > 0 || hi < size) &&
            (fd = open(in->path, O_RDONLY | O_CLOEXEC)) < 0) {
            /* unreadable now: rank 0 reads it whole and says why */
            in->skip = rank != 0;
            continue;
        }
        lo = line_start(fd, lo, size);
        hi = line_start(fd, hi, size);
        if (fd >= 0)
            close(fd);
        if (lo >= hi) {
            in->skip = 1;
            continue;
        }
        in->start = lo;
        in->size = hi;
    }
}

int lg_share_take(lg_job *job, int rank, int ranks, lg_share_undo *undo)
{
    size_t n = job->in.n ? job->in.n : 1;
    memset(undo, 0, sizeof *undo);
    undo->start = malloc(n * sizeof *undo->start);
    undo->size = malloc(n * sizeof *undo->size);
    undo->skip = malloc(n * sizeof *undo->skip);
    if (!undo->start || !undo->size || !undo->skip) {
        lg_share_undo_free(undo);
        return -ENOMEM;
    }
    undo->n = job->in.n;
    for (size_t i = 0; i < job->in.n; i++) {
        lg_input *in = &job->in.v[i];
        undo->start[i] = in->start;
        undo->size[i] = in->size;
        undo->skip[i] = in->skip;
        /* a stream is read once, and an input that failed is said once:
         * both rank 0's */
        if ((in->is_stream || in->err) && rank != 0)
            in->skip = 1;
    }
    if (share_compressed(job, rank, ranks) < 0) {
        lg_share_undo_free(undo);
        return -ENOMEM;
    }
    share_plain(job, rank, ranks);
    return 0;
}

/* ---- input lists as bytes ------------------------------------------------ */

/* One entry: u32 path length, path, u64 size, i32 comp, i32 err,
 * u8 is_stdin, u8 is_stream, u8 format slot (host byte order: the ranks
 * of one job run the same binary). */
#define ENTRY_FIXED (4 + 8 + 4 + 4 + 3)

int lg_share_list_encode(const lg_job *job, lg_buf *out)
{
    for (size_t i = 0; i < job->in.n; i++) {
        const lg_input *in = &job->in.v[i];
        uint32_t plen = (uint32_t)strlen(in->path);
        int32_t comp = in->comp, err = in->err;
        if (lg_buf_reserve(out, ENTRY_FIXED + plen) < 0)
            return -ENOMEM;
        unsigned char *p = out->p + out->n;
        memcpy(p, &plen, 4);
        memcpy(p + 4, in->path, plen);
        p += 4 + plen;
        memcpy(p, &in->size, 8);
        memcpy(p + 8, &comp, 4);
        memcpy(p + 12, &err, 4);
        p[16] = (unsigned char)(in->is_stdin != 0);
        p[17] = (unsigned char)(in->is_stream != 0);
        p[18] = job->file_fmt[i];
        out->n += ENTRY_FIXED + plen;
    }
    return 0;
}

/* Room for one more entry in in and *fmt. */
static int grow(lg_inputs *in, uint8_t **fmt)
{
    if (in->n < in->cap)
        return 0;
    size_t cap = in->cap ? 2 * in->cap : 16;
    lg_input *v = realloc(in->v, cap * sizeof *v);
    if (!v)
        return -ENOMEM;
    in->v = v;
    uint8_t *f = realloc(*fmt, cap);
    if (!f)
        return -ENOMEM;
    *fmt = f;
    in->cap = cap;
    return 0;
}

int lg_share_list_decode(const void *buf, size_t len, lg_inputs *in,
                         uint8_t **fmt)
{
    const unsigned char *p = buf, *end = p + len;
    while (p < end) {
        uint32_t plen;
        if ((size_t)(end - p) < ENTRY_FIXED)
            return -EBADMSG;
        memcpy(&plen, p, 4);
        if ((size_t)(end - p) - ENTRY_FIXED < plen)
            return -EBADMSG;
        if (grow(in, fmt) < 0)
            return -ENOMEM;
        lg_input *e = &in->v[in->n];
        memset(e, 0, sizeof *e);
        e->path = strndup((const char *)p + 4, plen);
        if (!e->path)
            return -ENOMEM;
        p += 4 + plen;
        int32_t comp, err;
        memcpy(&e->size, p, 8);
        memcpy(&comp, p + 8, 4);
        memcpy(&err, p + 12, 4);
        e->comp = comp;
        e->err = err;
        e->is_stdin = p[16];
        e->is_stream = p[17];
        (*fmt)[in->n] = p[18] < LG_FMT_SLOTS ? p[18] : 1;
        in->total_bytes += e->size;
        in->n_failed += e->err != 0;
        in->n++;
        p += 19;
    }
    return 0;
}

char *lg_share_expand_arg(const char *arg, int rank, const char *host)
{
    char num[16];
    size_t cap = strlen(arg) + 1, n = 0;
    snprintf(num, sizeof num, "%d", rank);
    for (const char *s = arg; *s; s++)
        if (s[0] == '%' && (s[1] == 'r' || s[1] == 'h'))
            cap += s[1] == 'r' ? strlen(num) : strlen(host);
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *s = arg; *s; s++) {
        const char *put = NULL;
        if (s[0] == '%' && s[1] == 'r')
            put = num;
        else if (s[0] == '%' && s[1] == 'h')
            put = host;
        else if (s[0] == '%' && s[1] == '%')
            put = "%";
        if (put) {
            memcpy(out + n, put, strlen(put));
            n += strlen(put);
            s++;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = 0;
    return out;
}
