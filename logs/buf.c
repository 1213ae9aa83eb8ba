/* buf.c - a growable byte buffer (buf.h), in mem.h's blocks. */
#include "buf.h"

#include <errno.h>
#include <string.h>

#include "mem.h"

int lg_buf_reserve(lg_buf *b, size_t more)
{
    if (b->cap - b->n >= more)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < more)
        cap *= 2;
    unsigned char *np = lg_mem_grow(b->p, b->cap, cap);
    if (!np)
        return -ENOMEM;
    b->p = np;
    b->cap = cap;
    return 0;
}

void lg_buf_free(lg_buf *b)
{
    lg_mem_free(b->p, b->cap);
    memset(b, 0, sizeof *b);
}
