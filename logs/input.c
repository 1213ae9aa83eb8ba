/* input.c - file lists, compression detection, decompressing streams and
 * line blocks.
 *
 * gzip is decoded with ISA-L's igzip when the build has it (about twice
 * zlib's speed, see docs/LOGS.md), zlib otherwise; libdeflate is faster
 * still but only decodes whole buffers, which would make memory grow with
 * the file, so it is not used for streams.  zstd uses libzstd's streaming
 * API.  Concatenated gzip members and zstd frames are decoded in turn, as
 * gzip -d and zstd -d do.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#include "lg-config.h"

#include <zlib.h>
#if HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif
#if HAVE_ZSTD
#include <zstd.h>
#endif

#define IN_BUF (256 * 1024)

const char *lg_comp_name(int comp)
{
    static const char *const names[] = {
#define LG_COMP_NAME_(e, name) name,
        LG_COMP_MAP(LG_COMP_NAME_)
#undef LG_COMP_NAME_
    };
    if (comp < 0 || comp >= (int)(sizeof names / sizeof names[0]))
        return "unknown";
    return names[comp];
}

int lg_comp_detect(const void *buf, size_t n)
{
    const unsigned char *b = buf;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return LG_COMP_GZIP;
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
        return LG_COMP_ZSTD;
    return LG_COMP_NONE;
}

static int use_isal(void)
{
#if HAVE_ISAL
    static int v = -1;
    if (v < 0) {
        const char *e = getenv("PIPEFAN_GZIP");
        v = !(e && strcmp(e, "zlib") == 0);
    }
    return v;
#else
    return 0;
#endif
}

const char *lg_gzip_backend(void)
{
    return use_isal() ? "isa-l" : "zlib";
}

int lg_have_zstd(void)
{
    return HAVE_ZSTD;
}

/* ---- file lists --------------------------------------------------------- */

static int inputs_push(lg_inputs *in, const char *path, int is_stdin, char *err,
                       size_t errlen)
{
    lg_input v = {0};
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        lg_input *nv = realloc(in->v, cap * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        in->v = nv;
        in->cap = cap;
    }
    v.path = strdup(path);
    if (!v.path)
        return -ENOMEM;
    v.is_stdin = is_stdin;
    if (!is_stdin) {
        unsigned char magic[4];
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
            int e = errno;
            snprintf(err, errlen, "%s: %s", path, strerror(e));
            if (fd >= 0)
                close(fd);
            free(v.path);
            return -e;
        }
        ssize_t r = pread(fd, magic, sizeof magic, 0);
        close(fd);
        v.size = (uint64_t)st.st_size;
        v.comp = lg_comp_detect(magic, r > 0 ? (size_t)r : 0);
        in->total_bytes += v.size;
    }
    in->v[in->n++] = v;
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the regular, non-hidden files of a directory, sorted by name. */
static int add_dir(lg_inputs *in, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, added = 0;
    struct dirent *e;
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -errno;
    }
    while ((e = readdir(d))) {
        char *full;
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (asprintf(&full, "%s/%s", dir, e->d_name) < 0) {
            rc = -ENOMEM;
            goto out;
        }
        if (stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(full);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                free(full);
                rc = -ENOMEM;
                goto out;
            }
            names = nn;
        }
        names[n++] = full;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && rc >= 0; i++) {
        rc = inputs_push(in, names[i], 0, err, errlen);
        added += rc > 0;
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc < 0 ? rc : added;
}

int lg_inputs_add(lg_inputs *in, const char *arg, char *err, size_t errlen)
{
    struct stat st;
    if (strcmp(arg, "-") == 0)
        return inputs_push(in, "-", 1, err, errlen);
    if (stat(arg, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return add_dir(in, arg, err, errlen);
        return inputs_push(in, arg, 0, err, errlen);
    }
    if (strpbrk(arg, "*?[")) {
        glob_t g;
        int added = 0, rc = 0;
        int gr = glob(arg, 0, NULL, &g); /* glob sorts its results */
        if (gr == GLOB_NOMATCH) {
            snprintf(err, errlen, "%s: no file matches", arg);
            return -ENOENT;
        }
        if (gr != 0) {
            snprintf(err, errlen, "%s: cannot expand", arg);
            return -EIO;
        }
        for (size_t i = 0; i < g.gl_pathc && rc >= 0; i++) {
            if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode))
                rc = add_dir(in, g.gl_pathv[i], err, errlen);
            else
                rc = inputs_push(in, g.gl_pathv[i], 0, err, errlen);
            added += rc > 0 ? rc : 0;
        }
        globfree(&g);
        return rc < 0 ? rc : added;
    }
    snprintf(err, errlen, "%s: %s", arg, strerror(errno));
    return -errno;
}

void lg_inputs_free(lg_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->v[i].path);
    free(in->v);
    memset(in, 0, sizeof *in);
}

/* ---- streams ------------------------------------------------------------ */

struct lg_stream {
    int fd;
    int comp;
    int seq;            /* read(2) instead of pread(2) */
    unsigned char *pre; /* plain seq: bytes to hand out first */
    size_t pre_pos, pre_len;
    int done;          /* clean end seen */
    int err;           /* sticky error */
    int pend;          /* error met after output, for the next read */
    uint64_t off, end; /* plain: next offset and end of the range */
    uint64_t consumed;
    /* compressed input buffer */
    unsigned char *in;
    size_t in_pos, in_len;
    int in_eof;
    int member_done; /* gzip: between members */
    z_stream z;
    int z_init;
#if HAVE_ISAL
    struct inflate_state *isal;
#endif
#if HAVE_ZSTD
    ZSTD_DStream *zs;
    size_t zs_hint; /* last ZSTD_decompressStream result: 0 = frame end */
    int zs_full;    /* the last call filled the output: flush first */
#endif
};

const char *lg_stream_strerror(int err)
{
    switch (err) {
    case LG_ETRUNC:
        return "compressed data is truncated";
    case LG_ECORRUPT:
        return "compressed data is corrupt";
    case LG_ENOSUPP:
        return "compression not supported by this build";
    default:
        return strerror(-err);
    }
}

int lg_stream_open(lg_stream **out, int fd, int comp, uint64_t off,
                   uint64_t len)
{
    lg_stream *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->fd = fd;
    s->comp = comp;
    s->off = off;
    s->end = off + len;
    if (comp == LG_COMP_NONE)
        goto done;
    s->in = malloc(IN_BUF);
    if (!s->in)
        goto nomem;
    if (comp == LG_COMP_GZIP) {
#if HAVE_ISAL
        if (use_isal()) {
            s->isal = malloc(sizeof *s->isal);
            if (!s->isal)
                goto nomem;
            isal_inflate_init(s->isal);
            s->isal->crc_flag = ISAL_GZIP;
            goto done;
        }
#endif
        if (inflateInit2(&s->z, 15 + 16) != Z_OK)
            goto nomem;
        s->z_init = 1;
    } else if (comp == LG_COMP_ZSTD) {
#if HAVE_ZSTD
        s->zs = ZSTD_createDStream();
        if (!s->zs)
            goto nomem;
        s->zs_hint = ZSTD_initDStream(s->zs); /* nonzero: a frame is due */
#else
        lg_stream_close(s);
        return LG_ENOSUPP;
#endif
    }
done:
    *out = s;
    return 0;
nomem:
    lg_stream_close(s);
    return -ENOMEM;
}

int lg_stream_open_seq(lg_stream **out, int fd, int comp, const void *prefix,
                       size_t nprefix)
{
    lg_stream *s;
    int rc;
    if (nprefix > IN_BUF)
        return -EINVAL;
    rc = lg_stream_open(&s, fd, comp, 0, UINT64_MAX);
    if (rc < 0)
        return rc;
    s->seq = 1;
    s->end = UINT64_MAX;
    if (comp == LG_COMP_NONE) {
        s->pre = malloc(nprefix ? nprefix : 1);
        if (!s->pre) {
            lg_stream_close(s);
            return -ENOMEM;
        }
        if (nprefix > 0) /* prefix may be NULL when empty */
            memcpy(s->pre, prefix, nprefix);
        s->pre_len = nprefix;
    } else {
        if (nprefix > 0)
            memcpy(s->in, prefix, nprefix);
        s->in_len = nprefix;
        s->consumed = nprefix;
    }
    *out = s;
    return 0;
}

void lg_stream_close(lg_stream *s)
{
    if (!s)
        return;
    free(s->pre);
    if (s->z_init)
        inflateEnd(&s->z);
#if HAVE_ISAL
    free(s->isal);
#endif
#if HAVE_ZSTD
    if (s->zs)
        ZSTD_freeDStream(s->zs);
#endif
    free(s->in);
    free(s);
}

uint64_t lg_stream_consumed(const lg_stream *s)
{
    return s->consumed;
}

/* Refill the compressed input buffer; 0, or -errno. */
static int fill_in(lg_stream *s)
{
    if (s->in_pos < s->in_len || s->in_eof)
        return 0;
    for (;;) {
        ssize_t r = read(s->fd, s->in, IN_BUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        s->in_pos = 0;
        s->in_len = (size_t)r;
        s->consumed += (uint64_t)r;
        if (r == 0)
            s->in_eof = 1;
        return 0;
    }
}

/* After a gzip member: another member follows, or only zero padding (as
 * tape and some rotators leave), or garbage. 1 = another member, 0 = end,
 * negative = error. */
static int gzip_next_member(lg_stream *s)
{
    for (;;) {
        int rc = fill_in(s);
        if (rc < 0)
            return rc;
        if (s->in_pos == s->in_len)
            return 0;
        if (s->in[s->in_pos] == 0x1f)
            return 1;
        if (s->in[s->in_pos] != 0)
            return LG_ECORRUPT;
        s->in_pos++;
    }
}

/* A decoder met err after making `made` bytes of this read: hand those
 * out now (the lines before a corrupt spot count) and the error next. */
static ssize_t made_then(lg_stream *s, size_t made, int err)
{
    if (made == 0)
        return err;
    s->pend = err;
    return (ssize_t)made;
}

static ssize_t read_zlib(lg_stream *s, void *buf, size_t cap)
{
    s->z.next_out = buf;
    s->z.avail_out = (uInt)cap;
    while (s->z.avail_out == cap) {
        int rc = fill_in(s);
        if (rc < 0)
            return rc;
        if (s->member_done) {
            rc = gzip_next_member(s);
            if (rc <= 0)
                return rc ? rc : (s->done = 1, 0);
            inflateReset(&s->z);
            s->member_done = 0;
        }
        /* at the end of the input, still drain what inflate holds */
        int at_end = s->in_pos == s->in_len;
        s->z.next_in = s->in + s->in_pos;
        s->z.avail_in = (uInt)(s->in_len - s->in_pos);
        int zr = inflate(&s->z, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->z.avail_in;
        if (zr == Z_STREAM_END)
            s->member_done = 1;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return made_then(s, cap - s->z.avail_out, LG_ECORRUPT);
        else if (at_end && s->z.avail_out == cap)
            return LG_ETRUNC;
    }
    return (ssize_t)(cap - s->z.avail_out);
}

#if HAVE_ISAL
static ssize_t read_isal(lg_stream *s, void *buf, size_t cap)
{
    struct inflate_state *st = s->isal;
    st->next_out = buf;
    st->avail_out = (uint32_t)cap;
    while (st->avail_out == cap) {
        int rc = fill_in(s);
        if (rc < 0)
            return rc;
        if (s->member_done) {
            rc = gzip_next_member(s);
            if (rc <= 0)
                return rc ? rc : (s->done = 1, 0);
            isal_inflate_reset(st);
            st->crc_flag = ISAL_GZIP;
            s->member_done = 0;
        }
        int at_end = s->in_pos == s->in_len;
        st->next_in = s->in + s->in_pos;
        st->avail_in = (uint32_t)(s->in_len - s->in_pos);
        int ir = isal_inflate(st);
        s->in_pos = s->in_len - st->avail_in;
        if (ir != ISAL_DECOMP_OK)
            return made_then(s, cap - st->avail_out, LG_ECORRUPT);
        if (st->block_state == ISAL_BLOCK_FINISH)
            s->member_done = 1;
        else if (at_end && st->avail_out == cap)
            return LG_ETRUNC;
    }
    return (ssize_t)(cap - st->avail_out);
}
#endif

#if HAVE_ZSTD
/* libzstd does not say how much a call that fails had written, so each
 * call gets only the input the decoder asked for (one block, or the
 * checksum), and output the decoder still holds is flushed by a call
 * without input: a corrupt block or a bad checksum then costs none of
 * the output of the blocks before it. */
static ssize_t read_zstd(lg_stream *s, void *buf, size_t cap)
{
    ZSTD_outBuffer ob = {buf, cap, 0};
    if (s->zs_full) {
        ZSTD_inBuffer none = {s->in, 0, 0};
        size_t zr = ZSTD_decompressStream(s->zs, &ob, &none);
        if (ZSTD_isError(zr))
            return LG_ECORRUPT;
        s->zs_full = ob.pos == cap;
        if (ob.pos > 0)
            return (ssize_t)ob.pos;
    }
    while (ob.pos == 0 || (ob.pos < cap && s->in_pos < s->in_len)) {
        int rc = fill_in(s);
        if (rc < 0)
            return rc;
        int at_end = s->in_pos == s->in_len;
        size_t avail = s->in_len - s->in_pos, before = ob.pos;
        /* after a frame's end the next frame's size is unknown: its
         * header's first bytes tell the decoder what to ask for */
        size_t want = s->zs_hint ? s->zs_hint : 5;
        ZSTD_inBuffer ib = {s->in + s->in_pos, avail < want ? avail : want, 0};
        size_t zr = ZSTD_decompressStream(s->zs, &ob, &ib);
        s->in_pos += ib.pos;
        if (ZSTD_isError(zr))
            return made_then(s, before, LG_ECORRUPT);
        s->zs_full = ob.pos == cap;
        /* an empty call after a frame asks for the next frame's header:
         * only calls that moved data tell whether a frame is open */
        if (!at_end || ob.pos > before)
            s->zs_hint = zr;
        if (at_end && ob.pos == 0) {
            /* input over: clean only at a frame boundary */
            if (s->zs_hint != 0)
                return LG_ETRUNC;
            s->done = 1;
            return 0;
        }
    }
    return (ssize_t)ob.pos;
}
#endif

ssize_t lg_stream_read(lg_stream *s, void *buf, size_t cap)
{
    ssize_t r;
    if (s->err)
        return s->err;
    if (s->pend) {
        s->err = s->pend;
        return s->err;
    }
    if (s->done || cap == 0)
        return 0;
    if (cap > 1u << 30)
        cap = 1u << 30;
    switch (s->comp) {
    case LG_COMP_NONE: {
        size_t want = cap;
        if (s->end - s->off < want)
            want = (size_t)(s->end - s->off);
        if (want == 0)
            return 0;
        if (s->pre_pos < s->pre_len) {
            size_t k = s->pre_len - s->pre_pos;
            if (k > want)
                k = want;
            memcpy(buf, s->pre + s->pre_pos, k);
            s->pre_pos += k;
            s->consumed += k;
            return (ssize_t)k;
        }
        do
            r = s->seq ? read(s->fd, buf, want)
                       : pread(s->fd, buf, want, (off_t)s->off);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            r = -errno;
            break;
        }
        s->off += (uint64_t)r;
        s->consumed += (uint64_t)r;
        if (r == 0) /* the file shrank: stop at its new end */
            s->done = 1;
        return r;
    }
    case LG_COMP_GZIP:
#if HAVE_ISAL
        if (s->isal) {
            r = read_isal(s, buf, cap);
            break;
        }
#endif
        r = read_zlib(s, buf, cap);
        break;
#if HAVE_ZSTD
    case LG_COMP_ZSTD:
        r = read_zstd(s, buf, cap);
        break;
#endif
    default:
        r = LG_ENOSUPP;
    }
    if (r < 0)
        s->err = (int)r;
    return r;
}

/* ---- line blocks -------------------------------------------------------- */

int lg_reader_init(lg_reader *r, lg_stream *s, size_t cap)
{
    memset(r, 0, sizeof *r);
    if (cap < 64 * 1024)
        cap = 64 * 1024;
    /* in huge pages: a 1 MiB buffer is one page fault, not 256 */
    r->buf = lg_mem_alloc(cap);
    if (!r->buf)
        return -ENOMEM;
    r->s = s;
    r->cap = cap;
    return 0;
}

void lg_reader_attach(lg_reader *r, lg_stream *s)
{
    r->s = s;
    r->start = r->end = 0;
    r->base = r->block_off = 0;
    r->eof = r->err = r->skipping = r->long_line = 0;
}

void lg_reader_destroy(lg_reader *r)
{
    lg_mem_free(r->buf, r->cap);
    r->buf = NULL;
}

/* Read more bytes after the kept tail; 0, or the error (then eof is set). */
static int reader_fill(lg_reader *r)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->base += r->start;
        r->start = 0;
    }
    while (r->end < r->cap) {
        ssize_t n = lg_stream_read(r->s, r->buf + r->end, r->cap - r->end);
        if (n <= 0) {
            r->eof = 1;
            r->err = (int)n;
            return (int)n;
        }
        r->end += (size_t)n;
        /* hand out what we have once it holds a line end */
        if (memchr(r->buf + r->end - (size_t)n, '\n', (size_t)n))
            break;
    }
    return 0;
}

int lg_reader_next(lg_reader *r, const char **p, size_t *n)
{
    r->long_line = 0;
    for (;;) {
        if (r->skipping) {
            char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
            if (nl) {
                r->start = (size_t)(nl - r->buf) + 1;
                r->skipping = 0;
            } else {
                r->base += r->end;
                r->start = r->end = 0;
                if (r->eof)
                    return r->err;
                reader_fill(r);
                continue;
            }
        }
        size_t avail = r->end - r->start;
        if (avail) {
            const char *b = r->buf + r->start;
            r->block_off = r->base + r->start;
            const char *nl = memrchr(b, '\n', avail);
            if (nl) {
                *p = b;
                *n = (size_t)(nl - b) + 1;
                r->start += *n;
                return 1;
            }
            if (r->eof) { /* last line, no newline */
                *p = b;
                *n = avail;
                r->start = r->end;
                return 1;
            }
            if (r->start == 0 && r->end == r->cap) {
                /* one line fills the buffer: hand out its head, skip it */
                *p = b;
                *n = avail;
                r->start = r->end;
                r->skipping = 1;
                r->long_line = 1;
                return 1;
            }
        }
        if (r->eof)
            return r->err;
        reader_fill(r);
    }
}
