/* stream-dec.h - what stream.c shares with the decoder files
 * (stream-zlib.c, stream-isal.c, stream-zstd.c): the stream's state and
 * the decoder interface.
 *
 * A decoder is one const lg_decoder named lg__dec_<name>, in a file of
 * its own; logs/meson.build compiles the decoders whose library it found
 * and lists them, most preferred first, in the generated lg-decoders.h
 * (LG_DECODERS(X) X(isal) X(zlib) X(zstd)), which only stream.c reads.
 * A new decoder is a new file, a row in logs/meson.build, and, for a new
 * compression, a magic in lg_comp_detect.
 */
#ifndef LOGS_STREAM_DEC_H
#define LOGS_STREAM_DEC_H

#include "stream.h"

/* Size of a compressed stream's input buffer. */
#define LG_STREAM_IN_BUF (256 * 1024)

typedef struct lg_decoder {
    const char *name; /* "isa-l": PIPEFAN_GZIP and pipefan --version */
    int comp;         /* LG_COMP_* it decodes */
    /* Set up s->dec_state; 0, -ENOMEM. */
    int (*init)(lg_stream *s);
    /* Up to cap bytes: > 0, 0 at the clean end (after setting s->done),
     * or a negative error; bytes made before an error are handed out
     * first with lg__stream_made_then. */
    ssize_t (*read)(lg_stream *s, void *buf, size_t cap);
    /* Free s->dec_state (which may be NULL). */
    void (*fini)(lg_stream *s);
} lg_decoder;

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
    /* compressed input buffer, LG_STREAM_IN_BUF bytes */
    unsigned char *in;
    size_t in_pos, in_len;
    int in_eof;
    int (*wait)(void *arg, int fd); /* lg_stream_set_wait; may be NULL */
    void *wait_arg;
    const lg_decoder *dec; /* NULL for plain */
    void *dec_state;       /* the decoder's */
};

/* Refill s->in when it is used up (not at its end); 0, or -errno. */
int lg__stream_fill(lg_stream *s);

/* A decoder met err after making `made` bytes of this read: hand those
 * out now (the lines before a corrupt spot count) and the error next. */
ssize_t lg__stream_made_then(lg_stream *s, size_t made, int err);

/* After a gzip member: another member follows (1), or only zero padding
 * as tape and some rotators leave, then the end (0), or garbage
 * (LG_ECORRUPT); or -errno. */
int lg__stream_gzip_next(lg_stream *s);

#endif
