/* reader.h - blocks of whole lines on top of a stream (stream.h), in a
 * reused buffer, so memory stays bounded whatever the line or file
 * length.
 *
 * Every block but the last ends with '\n'; the last may end without one
 * (a final line with no newline).  A line longer than the buffer is
 * handed out once as a block holding only its first `cap` bytes with
 * long_line set (it is then one line, longer than any parser accepts),
 * and the rest is skipped.
 */
#ifndef LOGS_READER_H
#define LOGS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

typedef struct lg_reader {
    lg_stream *s; /* borrowed */
    char *buf;
    size_t cap;         /* buffer size */
    size_t start;       /* next byte not yet handed out */
    size_t end;         /* bytes in buf */
    int eof;            /* stream ended (cleanly or not) */
    int err;            /* the stream's error, once seen */
    int skipping;       /* inside the rest of a too-long line */
    int long_line;      /* the last block is a too-long line's head */
    uint64_t base;      /* stream offset of buf[0] */
    uint64_t block_off; /* stream offset of the last block handed out */
} lg_reader;

/* Set up a reader with a buffer of cap bytes (>= 64 KiB).  Returns 0 or
 * -ENOMEM. */
int lg_reader_init(lg_reader *r, lg_stream *s, size_t cap);

/* The next block: 1 with *p and *n set (borrowed until the next call), 0 at
 * the clean end, or the stream's negative error once every line before it
 * was handed out. */
int lg_reader_next(lg_reader *r, const char **p, size_t *n);

/* Start reading another stream with the same buffer. */
void lg_reader_attach(lg_reader *r, lg_stream *s);

/* Free the reader's buffer (not the stream). */
void lg_reader_destroy(lg_reader *r);

#endif
