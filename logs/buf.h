/* buf.h - a growable byte buffer (the partials' and state files'). */
#ifndef LOGS_BUF_H
#define LOGS_BUF_H

#include <stddef.h>

/* Bytes p[0..n) of room cap; zero it to start. */
typedef struct lg_buf {
    unsigned char *p;
    size_t n, cap;
} lg_buf;

/* Room for `more` bytes past n (may move p).  0 or -ENOMEM. */
int lg_buf_reserve(lg_buf *b, size_t more);
/* Free the bytes and zero the buffer. */
void lg_buf_free(lg_buf *b);

#endif
