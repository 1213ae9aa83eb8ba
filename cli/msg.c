/* msg.c - plain user-facing log lines for the subcommands (msg.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "msg.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pipefan.h>

/* Shared with every process of the run (mapped before the fork). */
struct msg_shared {
    _Atomic int oom;
    char where[240]; /* the first out-of-memory message, without its "\n" */
};

static struct {
    const char *cmd;
    int verbose;
    struct msg_shared *sh;
} msg;

/* Does the message come from running out of memory? */
static int is_oom(const char *m, size_t n)
{
    static const char *const says[] = {
        "out of memory", "Cannot allocate memory", "returned -12 "};
    for (size_t i = 0; i < sizeof says / sizeof says[0]; i++)
        if (memmem(m, n, says[i], strlen(says[i])))
            return 1;
    return 0;
}

/* Is it the runtime's account of a failure the command reports itself:
 * a stage function's return code, or the "a stage function failed" each
 * stage upstream of it then logs? */
static int is_cascade(const char *m, size_t n)
{
    const char *failed = pf_strerror(PF_ESTAGE);
    size_t k = strlen(failed);
    return memmem(m, n, "function returned -", 19) ||
           memmem(m, n, "hook returned -", 15) || memmem(m, n, failed, k);
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(2, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* pf_log_fn: "TIME LEVEL WHO pid N: message\n" -> "pipefan CMD: message". */
static void sink(int level, const char *line, size_t len, void *arg)
{
    (void)arg;
    const char *pid = memmem(line, len, " pid ", 5);
    const char *m =
        pid ? memmem(pid, len - (size_t)(pid - line), ": ", 2) : NULL;
    m = m ? m + 2 : line;
    size_t n = len - (size_t)(m - line); /* with its newline */
    int oom = is_oom(m, n);
    if (oom && msg.sh && atomic_exchange(&msg.sh->oom, 1) == 0) {
        size_t k = n && m[n - 1] == '\n' ? n - 1 : n;
        if (k >= sizeof msg.sh->where)
            k = sizeof msg.sh->where - 1;
        memcpy(msg.sh->where, m, k);
        msg.sh->where[k] = 0;
    }
    if (msg.verbose > 0) {
        write_all(line, len);
        return;
    }
    if (oom || (level == PF_LOG_ERROR && is_cascade(m, n)))
        return; /* the command says what it was, once */
    char out[1200];
    int k = snprintf(out, sizeof out, "pipefan %s: %s%.*s", msg.cmd,
                     level == PF_LOG_WARN ? "warning: " : "", (int)n, m);
    if (k > 0)
        write_all(out, (size_t)k < sizeof out ? (size_t)k : sizeof out - 1);
}

int cli_msg_start(const char *cmd, int verbose)
{
    msg.cmd = cmd;
    msg.verbose = verbose;
    void *sh = mmap(NULL, sizeof *msg.sh, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return -1;
    msg.sh = sh;
    pf_log_set_sink(sink, NULL);
    return 0;
}

int cli_msg_out_of_memory(void)
{
    return msg.sh && atomic_load(&msg.sh->oom);
}

const char *cli_msg_oom_where(void)
{
    return msg.sh && atomic_load(&msg.sh->oom) ? msg.sh->where : "";
}

void cli_msg_end(void)
{
    pf_log_set_sink(NULL, NULL);
    if (msg.sh)
        munmap(msg.sh, sizeof *msg.sh);
    msg.sh = NULL;
}
