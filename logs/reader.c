/* reader.c - blocks of whole lines from a stream (reader.h). */
#include "reader.h"

#include <errno.h>
#include <string.h>

#include "mem.h"

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
