/* stream-zlib.c - the gzip decoder on zlib's inflate (stream-dec.h): the
 * portable one, and the fallback when the build has no ISA-L. */
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#include "stream-dec.h"

typedef struct zlib_state {
    z_stream z;
    int member_done; /* between gzip members */
} zlib_state;

static int zlib_init(lg_stream *s)
{
    zlib_state *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    if (inflateInit2(&st->z, 15 + 16) != Z_OK) { /* +16: gzip wrapper */
        free(st);
        return -ENOMEM;
    }
    s->dec_state = st;
    return 0;
}

static void zlib_fini(lg_stream *s)
{
    zlib_state *st = s->dec_state;
    if (st)
        inflateEnd(&st->z);
    free(st);
    s->dec_state = NULL;
}

static ssize_t zlib_read(lg_stream *s, void *buf, size_t cap)
{
    zlib_state *st = s->dec_state;
    z_stream *z = &st->z;
    z->next_out = buf;
    z->avail_out = (uInt)cap;
    while (z->avail_out == cap) {
        int rc = lg__stream_fill(s);
        if (rc < 0)
            return rc;
        if (st->member_done) {
            rc = lg__stream_gzip_next(s);
            if (rc <= 0)
                return rc ? rc : (s->done = 1, 0);
            inflateReset(z);
            st->member_done = 0;
        }
        /* at the end of the input, still drain what inflate holds */
        int at_end = s->in_pos == s->in_len;
        z->next_in = s->in + s->in_pos;
        z->avail_in = (uInt)(s->in_len - s->in_pos);
        int zr = inflate(z, Z_NO_FLUSH);
        s->in_pos = s->in_len - z->avail_in;
        if (zr == Z_STREAM_END)
            st->member_done = 1;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return lg__stream_made_then(s, cap - z->avail_out, LG_ECORRUPT);
        else if (at_end && z->avail_out == cap)
            return LG_ETRUNC;
    }
    return (ssize_t)(cap - z->avail_out);
}

const lg_decoder lg__dec_zlib = {
    .name = "zlib",
    .comp = LG_COMP_GZIP,
    .init = zlib_init,
    .read = zlib_read,
    .fini = zlib_fini,
};
