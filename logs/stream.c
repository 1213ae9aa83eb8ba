/* stream.c - plain and compressed streams (stream.h): the plain reader,
 * the compressed input buffer and the choice of decoder.
 *
 * The decoders live in stream-<name>.c, one each; meson compiles those
 * whose library it found and lists them in lg-decoders.h, most preferred
 * first (ISA-L's igzip decodes gzip about twice as fast as zlib, see
 * docs/LOGS.md).  Concatenated gzip members and zstd frames are decoded
 * in turn, as gzip -d and zstd -d do.
 */
#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lg-decoders.h"
#include "stream-dec.h"

/* The decoders of this build, most preferred first. */
#define LG_DEC_DECL_(name) extern const lg_decoder lg__dec_##name;
LG_DECODERS(LG_DEC_DECL_)
#undef LG_DEC_DECL_

static const lg_decoder *const decoders[] = {
#define LG_DEC_REF_(name) &lg__dec_##name,
    LG_DECODERS(LG_DEC_REF_)
#undef LG_DEC_REF_
        NULL,
};

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
    /* a skippable frame, 0x184D2A50..5F little-endian: pzstd starts its
     * files with one, and zstd -d skips it */
    if (n >= 4 && (b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d &&
        b[3] == 0x18)
        return LG_COMP_ZSTD;
    return LG_COMP_NONE;
}

/* The decoder for comp: PIPEFAN_GZIP=NAME picks a gzip one by name,
 * else the first built. */
static const lg_decoder *find_decoder(int comp)
{
    static const lg_decoder *chosen[LG_COMP_COUNT];
    static int looked[LG_COMP_COUNT];
    if (comp <= LG_COMP_NONE || comp >= LG_COMP_COUNT)
        return NULL;
    if (looked[comp])
        return chosen[comp];
    const char *want = comp == LG_COMP_GZIP ? getenv("PIPEFAN_GZIP") : NULL;
    for (size_t i = 0; decoders[i]; i++) {
        if (decoders[i]->comp != comp)
            continue;
        if (!chosen[comp])
            chosen[comp] = decoders[i];
        if (want && strcmp(want, decoders[i]->name) == 0) {
            chosen[comp] = decoders[i];
            break;
        }
    }
    looked[comp] = 1;
    return chosen[comp];
}

const char *lg_stream_decoder(int comp)
{
    const lg_decoder *d = find_decoder(comp);
    return d ? d->name : NULL;
}

const char *lg_gzip_backend(void)
{
    const char *n = lg_stream_decoder(LG_COMP_GZIP);
    return n ? n : "no";
}

int lg_have_zstd(void)
{
    return find_decoder(LG_COMP_ZSTD) != NULL;
}

const char *lg_stream_strerror(int err)
{
    switch (err) {
    case LG_ETRUNC:
        return "compressed data is truncated";
    case LG_ECORRUPT:
        return "compressed data is corrupt";
    case LG_ENOSUPP:
        return "compression not supported by this build";
    case LG_EWINDOW:
        return "zstd window over 2 GiB (decode it with zstd -d --long=N "
               "and pipe it in)";
    case LG_EZMEM:
        return "no memory for the zstd window (a file made with zstd "
               "--long=N needs 2^N bytes to decode: raise the memory "
               "limit, or recompress without --long)";
    default:
        return strerror(-err);
    }
}

int lg_stream_open(lg_stream **out, int fd, int comp, uint64_t off,
                   uint64_t len)
{
    lg_stream *s = calloc(1, sizeof *s);
    int rc;
    if (!s)
        return -ENOMEM;
    s->fd = fd;
    s->comp = comp;
    s->off = off;
    s->end = off + len;
    if (comp != LG_COMP_NONE) {
        s->dec = find_decoder(comp);
        if (!s->dec) {
            free(s);
            return LG_ENOSUPP;
        }
        s->in = malloc(LG_STREAM_IN_BUF);
        rc = s->in ? s->dec->init(s) : -ENOMEM;
        if (rc < 0) {
            lg_stream_close(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

int lg_stream_open_seq(lg_stream **out, int fd, int comp, const void *prefix,
                       size_t nprefix)
{
    lg_stream *s;
    int rc;
    if (nprefix > LG_STREAM_IN_BUF)
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
    if (s->dec)
        s->dec->fini(s);
    free(s->pre);
    free(s->in);
    free(s);
}

uint64_t lg_stream_consumed(const lg_stream *s)
{
    return s->consumed;
}

void lg_stream_set_wait(lg_stream *s, int (*wait)(void *arg, int fd), void *arg)
{
    s->wait = wait;
    s->wait_arg = arg;
}

/* read(2) of a sequential stream, after its wait hook. */
static ssize_t seq_read(lg_stream *s, void *buf, size_t n)
{
    if (s->wait) {
        int rc = s->wait(s->wait_arg, s->fd);
        if (rc < 0)
            return rc;
    }
    ssize_t r = read(s->fd, buf, n);
    return r < 0 ? -errno : r;
}

int lg__stream_fill(lg_stream *s)
{
    if (s->in_pos < s->in_len || s->in_eof)
        return 0;
    for (;;) {
        ssize_t r = seq_read(s, s->in, LG_STREAM_IN_BUF);
        if (r == -EINTR)
            continue;
        if (r < 0)
            return (int)r;
        s->in_pos = 0;
        s->in_len = (size_t)r;
        s->consumed += (uint64_t)r;
        if (r == 0)
            s->in_eof = 1;
        return 0;
    }
}

int lg__stream_gzip_next(lg_stream *s)
{
    for (;;) {
        int rc = lg__stream_fill(s);
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

ssize_t lg__stream_made_then(lg_stream *s, size_t made, int err)
{
    if (made == 0)
        return err;
    s->pend = err;
    return (ssize_t)made;
}

/* A plain stream: the prefix first, then read(2) or pread(2). */
static ssize_t read_plain(lg_stream *s, void *buf, size_t cap)
{
    size_t want = cap;
    ssize_t r;
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
    do {
        r = s->seq ? seq_read(s, buf, want)
                   : pread(s->fd, buf, want, (off_t)s->off);
        if (!s->seq && r < 0)
            r = -errno;
    } while (r == -EINTR);
    if (r < 0)
        return r;
    s->off += (uint64_t)r;
    s->consumed += (uint64_t)r;
    if (r == 0) /* the file shrank: stop at its new end */
        s->done = 1;
    return r;
}

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
    r = s->dec ? s->dec->read(s, buf, cap) : read_plain(s, buf, cap);
    if (r < 0)
        s->err = (int)r;
    return r;
}
