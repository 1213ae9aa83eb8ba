/*
 * log.c - pf_log: one whole line per write(2), from any process.
 *
 * Lines are formatted into a stack buffer and written with a single
 * write() on an fd opened by the host (stderr by default).  Writes of up
 * to PIPE_BUF bytes to a pipe are atomic and O_APPEND files take whole
 * writes, so lines from many workers never interleave; nothing is
 * buffered, so nothing is lost when a process dies right after logging.
 */
#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "pipefan.h"

static const char *const level_text[] = {
#define PF__LOG_TEXT(name, value, text) [value] = text,
    PF_LOG_LEVEL_MAP(PF__LOG_TEXT)
#undef PF__LOG_TEXT
};

static _Atomic int log_level = -1; /* -1: not yet read from PIPEFAN_LOG */
static int log_fd = 2;
static pf_log_fn log_sink;
static void *log_sink_arg;
static char ident[64] = "main";

/* Parse PIPEFAN_LOG (a level name or digit); default WARN. */
static int level_from_env(void)
{
    const char *s = getenv("PIPEFAN_LOG");
    if (s == NULL || *s == '\0')
        return PF_LOG_WARN;
    if (s[0] >= '0' && s[0] <= '3' && s[1] == '\0')
        return s[0] - '0';
    for (int i = PF_LOG_ERROR; i <= PF_LOG_DEBUG; i++)
        if (strcasecmp(s, level_text[i]) == 0)
            return i;
    if (strcasecmp(s, "warning") == 0)
        return PF_LOG_WARN;
    return PF_LOG_WARN;
}

int pf_log_level(void)
{
    int lv = atomic_load_explicit(&log_level, memory_order_relaxed);
    if (lv < 0) {
        lv = level_from_env();
        atomic_store_explicit(&log_level, lv, memory_order_relaxed);
    }
    return lv;
}

void pf_log_set_level(int level)
{
    if (level < PF_LOG_ERROR)
        level = PF_LOG_ERROR;
    if (level > PF_LOG_DEBUG)
        level = PF_LOG_DEBUG;
    atomic_store_explicit(&log_level, level, memory_order_relaxed);
}

void pf_log_set_fd(int fd)
{
    log_fd = fd;
}

void pf_log_set_sink(pf_log_fn fn, void *arg)
{
    log_sink = fn;
    log_sink_arg = arg;
}

void pf__log_set_ident(const char *stage, int worker)
{
    if (worker < 0)
        snprintf(ident, sizeof ident, "%s", stage);
    else
        snprintf(ident, sizeof ident, "%s[%d]", stage, worker);
}

int pf__write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return PF_EIO;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

void pf_logv(pf_ctx *ctx, int level, const char *fmt, va_list ap)
{
    (void)ctx; /* the identity is per process, set at fork */
    if (level < PF_LOG_ERROR)
        level = PF_LOG_ERROR;
    if (level > PF_LOG_DEBUG || level > pf_log_level())
        return;

    int saved_errno = errno;
    /* PIPE_BUF bytes: the most one write(2) to a pipe keeps whole. */
    char line[4096];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s pid %ld: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     level_text[level], ident, (long)getpid());
    if (n < 0)
        n = 0;
    size_t used = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    int m = vsnprintf(line + used, sizeof line - used, fmt, ap);
    size_t want = used + (m > 0 ? (size_t)m : 0);
    used = want < sizeof line - 1 ? want : sizeof line - 1;
    while (used > 0 && line[used - 1] == '\n')
        used--;
    /* A line too long for one atomic write is cut and says so. */
    if (want > sizeof line - 2) {
        char mark[48];
        int k = snprintf(mark, sizeof mark, " [cut: %zu more bytes]",
                         want - (sizeof line - 2 - sizeof mark));
        used = sizeof line - 2 - sizeof mark;
        memcpy(line + used, mark, (size_t)k);
        used += (size_t)k;
    }
    line[used++] = '\n';

    if (log_sink != NULL)
        log_sink(level, line, used, log_sink_arg);
    else
        pf__write_all(log_fd, line, used);
    errno = saved_errno;
}

void pf_log(pf_ctx *ctx, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pf_logv(ctx, level, fmt, ap);
    va_end(ap);
}
