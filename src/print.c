/*
 * print.c - line-atomic standard output for stage functions: pf_print
 * and pf_write_line.
 *
 * A worker's stdout is the caller's, inherited at fork, and stdio buffers
 * it per process: in 4 KiB blocks when it is not a terminal.  Blocks of
 * different workers reach the file in any order, so a line can be cut
 * where a block ends and another worker's block lands in the middle.
 * These calls bypass stdio: each line goes out in one write(2), which a
 * pipe keeps whole up to PIPE_BUF bytes and a terminal or a regular file
 * (one open file description, its offset locked per write) keeps whole
 * at any size.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipefan.h"

/* Write buf[0..len) plus a newline when it has none, in one write. */
static int write_line(const char *buf, size_t len, char *room, size_t cap)
{
    int saved = errno;
    /* What this process printed with stdio first stays first. */
    fflush(stdout);
    int nl = len > 0 && buf[len - 1] == '\n';
    int rc;
    if (nl) {
        rc = pf__write_all(1, buf, len);
    } else if (len + 1 <= cap && room != NULL) {
        if (room != buf)
            memmove(room, buf, len);
        room[len] = '\n';
        rc = pf__write_all(1, room, len + 1);
    } else {
        char *copy = malloc(len + 1);
        if (copy == NULL)
            return PF_ENOMEM;
        memcpy(copy, buf, len);
        copy[len] = '\n';
        rc = pf__write_all(1, copy, len + 1);
        free(copy);
    }
    errno = saved;
    return rc;
}

int pf_write_line(pf_ctx *ctx, const void *buf, size_t len)
{
    (void)ctx; /* any process: the fd is what matters */
    if (buf == NULL && len > 0)
        return PF_EINVAL;
    char room[PIPE_BUF];
    return write_line(buf != NULL ? buf : "", len, room, sizeof room);
}

int pf_printv(pf_ctx *ctx, const char *fmt, va_list ap)
{
    (void)ctx;
    if (fmt == NULL)
        return PF_EINVAL;
    char room[PIPE_BUF];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(room, sizeof room, fmt, ap);
    if (n < 0) {
        va_end(again);
        return PF_EINVAL;
    }
    if ((size_t)n < sizeof room) {
        va_end(again);
        return write_line(room, (size_t)n, room, sizeof room);
    }
    char *big = malloc((size_t)n + 2);
    if (big == NULL) {
        va_end(again);
        return PF_ENOMEM;
    }
    vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    int rc = write_line(big, (size_t)n, big, (size_t)n + 2);
    free(big);
    return rc;
}

int pf_print(pf_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = pf_printv(ctx, fmt, ap);
    va_end(ap);
    return rc;
}
