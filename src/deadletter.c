/*
 * deadletter.c - writing and reading dead-letter files (format in
 * deadletter.h and docs/RELIABILITY.md).
 */
#include "deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "failure.h"

#define MAGIC "PFDL1 "
#define HEAD_MAX 512 /* a header line is at most this long (with '\n') */

int pf__dead_letter_append(pf_pipeline *p, int *fd, const char *path,
                           const char *stage, int worker, pid_t pid,
                           const char *reason, const void *rec, uint32_t len)
{
    if (path == NULL) {
        pf_log(NULL, PF_LOG_WARN,
               "stage %s worker %d: skipping a %u-byte "
               "poison record (%s; no dead-letter file given)",
               stage, worker, len, reason);
        return 0;
    }
    pf_failure f;
    pf__failure_init(&f, p, -1, -1, 0);
    f.error = PF_EIO;
    if (*fd < 0) {
        *fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (*fd < 0) {
            pf__failure_log(p, &f, PF_LOG_ERROR, "dead-letter file %s: %s",
                            path, strerror(errno));
            return PF_EIO;
        }
    }
    char line[256];
    int n = snprintf(line, sizeof line,
                     MAGIC "stage=%s worker=%d pid=%d reason=\"%s\" "
                           "bytes=%u\n",
                     stage, worker, (int)pid, reason, len);
    if (n < 0 || (size_t)n >= sizeof line) {
        n = (int)sizeof line - 1; /* a very long stage name: cut */
        line[n - 1] = '\n';
    }
    struct iovec iov[3] = {
        {line, (size_t)n}, {(void *)rec, len}, {(void *)"\n", 1}};
    ssize_t want = n + (ssize_t)len + 1;
    if (writev(*fd, iov, 3) != want) {
        pf__failure_log(p, &f, PF_LOG_ERROR, "dead-letter file %s: short write",
                        path);
        return PF_EIO;
    }
    return 0;
}

/* ---- the reader ---------------------------------------------------------- */

struct pf_dead_letter_file {
    FILE *f;
    unsigned char *rec; /* the last entry's record */
    size_t cap;
};

int pf_dead_letter_open(const char *path, uint64_t offset,
                        pf_dead_letter_file **out)
{
    if (path == NULL || out == NULL)
        return PF_EINVAL;
    *out = NULL;
    pf_dead_letter_file *d = calloc(1, sizeof *d);
    if (d == NULL)
        return PF_ENOMEM;
    d->f = fopen(path, "re");
    if (d->f == NULL) {
        int err = errno == ENOENT   ? PF_ENOENT
                  : errno == ENOMEM ? PF_ENOMEM
                                    : PF_EIO;
        free(d);
        return err;
    }
    if (fseeko(d->f, (off_t)offset, SEEK_SET) != 0) {
        pf_dead_letter_close(d);
        return PF_EIO;
    }
    *out = d;
    return 0;
}

/* Read the cause, signal or status back from a reason's words (the ones
 * retry.c writes). */
static void parse_reason(pf_dead_letter *e)
{
    int v;
    if (strcmp(e->reason, "stalled") == 0)
        e->cause = PF_FAIL_STALLED;
    else if (strcmp(e->reason, "stage function failed") == 0)
        e->cause = PF_FAIL_STAGE;
    else if (sscanf(e->reason, "killed by signal %d", &v) == 1) {
        e->cause = PF_FAIL_SIGNALED;
        e->signal = v;
    } else if (sscanf(e->reason, "exited with status %d", &v) == 1) {
        e->cause = PF_FAIL_EXITED;
        e->exit_status = v;
    } else {
        e->cause = PF_FAIL_NONE;
    }
}

/* Split a header line into e's fields; 0, or PF_EIO when it is not one. */
static int parse_head(char *line, pf_dead_letter *e, size_t *len)
{
    if (strncmp(line, MAGIC "stage=", sizeof MAGIC - 1 + 6) != 0)
        return PF_EIO;
    char *stage = line + sizeof MAGIC - 1 + 6;
    /* The name runs to the last " worker=" before the reason. */
    char *why = strstr(stage, " reason=\"");
    if (why == NULL)
        return PF_EIO;
    *why = '\0';
    char *wk = NULL;
    for (char *s = stage; (s = strstr(s, " worker=")) != NULL; s++)
        wk = s;
    if (wk == NULL)
        return PF_EIO;
    *wk = '\0';
    size_t sl =
        strlen(stage) < sizeof e->stage ? strlen(stage) : sizeof e->stage - 1;
    memcpy(e->stage, stage, sl);
    e->stage[sl] = '\0';
    if (sscanf(wk + 1, "worker=%d pid=%d", &e->worker, &e->pid) != 2)
        return PF_EIO;
    why += 9;
    char *end = strrchr(why, '"');
    unsigned long long n;
    if (end == NULL || sscanf(end + 1, " bytes=%llu", &n) != 1 ||
        n > (1ull << 30))
        return PF_EIO;
    *end = '\0';
    size_t wl =
        strlen(why) < sizeof e->reason ? strlen(why) : sizeof e->reason - 1;
    memcpy(e->reason, why, wl);
    e->reason[wl] = '\0';
    *len = (size_t)n;
    return 0;
}

int pf_dead_letter_next(pf_dead_letter_file *d, pf_dead_letter *e)
{
    if (d == NULL || e == NULL)
        return PF_EINVAL;
    memset(e, 0, sizeof *e);
    char line[HEAD_MAX];
    off_t at = ftello(d->f);
    if (fgets(line, sizeof line, d->f) == NULL)
        return ferror(d->f) ? PF_EIO : 0;
    size_t len;
    if (strchr(line, '\n') == NULL || parse_head(line, e, &len) != 0)
        return PF_EIO;
    parse_reason(e);
    if (len + 1 > d->cap) {
        unsigned char *b = realloc(d->rec, len + 1);
        if (b == NULL)
            return PF_ENOMEM;
        d->rec = b;
        d->cap = len + 1;
    }
    if (fread(d->rec, 1, len + 1, d->f) != len + 1 || d->rec[len] != '\n')
        return PF_EIO;
    e->offset = (uint64_t)at;
    e->record = d->rec;
    e->len = len;
    return 1;
}

void pf_dead_letter_close(pf_dead_letter_file *d)
{
    if (d == NULL)
        return;
    fclose(d->f);
    free(d->rec);
    free(d);
}
