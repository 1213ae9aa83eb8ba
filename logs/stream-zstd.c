/* stream-zstd.c - the zstd decoder on libzstd's streaming API
 * (stream-dec.h).
 *
 * Frames written with zstd --long=N need a window of 2^N bytes.  libzstd
 * refuses windows over 128 MiB unless told; this decoder accepts up to
 * 2 GiB (ZSTD_WINDOWLOG_MAX, --long=31), so a worker decoding such a file
 * may hold that much memory (docs/LOGS.md).  Skippable frames (pzstd
 * writes one first) are skipped, as zstd -d does.
 */
#include <errno.h>
#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "stream-dec.h"

/* The largest window accepted: 2^31 bytes. */
#define ZSTD_WINDOW_LOG 31

typedef struct zstd_state {
    ZSTD_DStream *zs;
    size_t hint; /* last ZSTD_decompressStream result: 0 = frame end */
    int full;    /* the last call filled the output: flush first */
} zstd_state;

static int zstd_init(lg_stream *s)
{
    zstd_state *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->zs = ZSTD_createDStream();
    if (!st->zs) {
        free(st);
        return -ENOMEM;
    }
    st->hint = ZSTD_initDStream(st->zs); /* nonzero: a frame is due */
    ZSTD_DCtx_setParameter(st->zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG);
    s->dec_state = st;
    return 0;
}

static void zstd_fini(lg_stream *s)
{
    zstd_state *st = s->dec_state;
    if (st)
        ZSTD_freeDStream(st->zs);
    free(st);
    s->dec_state = NULL;
}

/* A libzstd error as a stream error. */
static int zstd_err(size_t zr)
{
    switch (ZSTD_getErrorCode(zr)) {
    case ZSTD_error_frameParameter_windowTooLarge:
        return LG_EWINDOW;
    case ZSTD_error_memory_allocation:
        return LG_EZMEM;
    default:
        return LG_ECORRUPT;
    }
}

/* libzstd does not say how much a call that fails had written, so each
 * call gets only the input the decoder asked for (one block, or the
 * checksum), and output the decoder still holds is flushed by a call
 * without input: a corrupt block or a bad checksum then costs none of
 * the output of the blocks before it. */
static ssize_t zstd_read(lg_stream *s, void *buf, size_t cap)
{
    zstd_state *st = s->dec_state;
    ZSTD_outBuffer ob = {buf, cap, 0};
    if (st->full) {
        ZSTD_inBuffer none = {s->in, 0, 0};
        size_t zr = ZSTD_decompressStream(st->zs, &ob, &none);
        if (ZSTD_isError(zr))
            return zstd_err(zr);
        st->full = ob.pos == cap;
        if (ob.pos > 0)
            return (ssize_t)ob.pos;
    }
    while (ob.pos == 0 || (ob.pos < cap && s->in_pos < s->in_len)) {
        int rc = lg__stream_fill(s);
        if (rc < 0)
            return rc;
        int at_end = s->in_pos == s->in_len;
        size_t avail = s->in_len - s->in_pos, before = ob.pos;
        /* after a frame's end the next frame's size is unknown: its
         * header's first bytes tell the decoder what to ask for */
        size_t want = st->hint ? st->hint : 5;
        ZSTD_inBuffer ib = {s->in + s->in_pos, avail < want ? avail : want, 0};
        size_t zr = ZSTD_decompressStream(st->zs, &ob, &ib);
        s->in_pos += ib.pos;
        if (ZSTD_isError(zr))
            return lg__stream_made_then(s, before, zstd_err(zr));
        st->full = ob.pos == cap;
        /* an empty call after a frame asks for the next frame's header:
         * only calls that moved data tell whether a frame is open */
        if (!at_end || ob.pos > before)
            st->hint = zr;
        if (at_end && ob.pos == 0) {
            /* input over: clean only at a frame boundary */
            if (st->hint != 0)
                return LG_ETRUNC;
            s->done = 1;
            return 0;
        }
    }
    return (ssize_t)ob.pos;
}

const lg_decoder lg__dec_zstd = {
    .name = "zstd",
    .comp = LG_COMP_ZSTD,
    .init = zstd_init,
    .read = zstd_read,
    .fini = zstd_fini,
};
