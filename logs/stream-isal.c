/* stream-isal.c - the gzip decoder on ISA-L's igzip (stream-dec.h):
 * about twice zlib's speed (docs/LOGS.md), preferred when built. */
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>

#include "stream-dec.h"

typedef struct isal_state {
    struct inflate_state st;
    int member_done; /* between gzip members */
} isal_state;

static int isal_init(lg_stream *s)
{
    isal_state *is = malloc(sizeof *is);
    if (!is)
        return -ENOMEM;
    isal_inflate_init(&is->st);
    is->st.crc_flag = ISAL_GZIP;
    is->member_done = 0;
    s->dec_state = is;
    return 0;
}

static void isal_fini(lg_stream *s)
{
    free(s->dec_state);
    s->dec_state = NULL;
}

static ssize_t isal_read(lg_stream *s, void *buf, size_t cap)
{
    isal_state *is = s->dec_state;
    struct inflate_state *st = &is->st;
    st->next_out = buf;
    st->avail_out = (uint32_t)cap;
    while (st->avail_out == cap) {
        int rc = lg__stream_fill(s);
        if (rc < 0)
            return rc;
        if (is->member_done) {
            rc = lg__stream_gzip_next(s);
            if (rc <= 0)
                return rc ? rc : (s->done = 1, 0);
            isal_inflate_reset(st);
            st->crc_flag = ISAL_GZIP;
            is->member_done = 0;
        }
        int at_end = s->in_pos == s->in_len;
        st->next_in = s->in + s->in_pos;
        st->avail_in = (uint32_t)(s->in_len - s->in_pos);
        int ir = isal_inflate(st);
        s->in_pos = s->in_len - st->avail_in;
        if (ir != ISAL_DECOMP_OK)
            return lg__stream_made_then(s, cap - st->avail_out, LG_ECORRUPT);
        if (st->block_state == ISAL_BLOCK_FINISH)
            is->member_done = 1;
        else if (at_end && st->avail_out == cap)
            return LG_ETRUNC;
    }
    return (ssize_t)(cap - st->avail_out);
}

const lg_decoder lg__dec_isal = {
    .name = "isa-l",
    .comp = LG_COMP_GZIP,
    .init = isal_init,
    .read = isal_read,
    .fini = isal_fini,
};
