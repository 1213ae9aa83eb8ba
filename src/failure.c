/*
 * failure.c - the failures of a run, kept as data for
 * pf_pipeline_failure and logged with the same words.
 */
#include "failure.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "pipeline.h"

#define FAILURES_MAX 1024 /* a run that restarts workers without end */

void pf__failures_reset(pf_pipeline *p)
{
    p->nfailures = 0;
}

void pf__failure_init(pf_failure *f, const pf_pipeline *p, int s, int w,
                      int pid)
{
    memset(f, 0, sizeof *f);
    f->stage = s;
    f->stage_name = s >= 0 && s < p->nstages ? p->stages[s]->name : "";
    f->worker = w;
    f->stream_worker = -1;
    f->pid = pid;
    f->cause = PF_FAIL_NONE;
    f->action = PF_FAIL_STOPPED;
}

void pf__failure_cause(pf_failure *f, int status, int failed, int stalled)
{
    if (WIFSIGNALED(status))
        f->signal = WTERMSIG(status);
    else if (WIFEXITED(status))
        f->exit_status = WEXITSTATUS(status);
    if (stalled)
        f->cause = PF_FAIL_STALLED;
    else if (failed)
        f->cause = PF_FAIL_STAGE;
    else if (WIFSIGNALED(status))
        f->cause = PF_FAIL_SIGNALED;
    else
        f->cause = PF_FAIL_EXITED;
}

void pf__failure_detail(pf_failure *f, const struct pf__wctl *c)
{
    struct pf__wctl *w = (struct pf__wctl *)c; /* loads only */
    f->record = atomic_load(&w->fail_record);
    f->code = atomic_load(&w->fail_code);
    f->stream_record = f->record ? atomic_load(&w->fail_stream) : 0;
    f->stream_worker = f->stream_record ? atomic_load(&w->fail_from) : -1;
}

/* Keep a copy of f; drops it past the limit or without memory (the log
 * line still tells). */
static void keep(pf_pipeline *p, const pf_failure *f)
{
    if (p->nfailures == p->failures_cap) {
        if (p->failures_cap >= FAILURES_MAX)
            return;
        int cap = p->failures_cap ? p->failures_cap * 2 : 4;
        pf_failure *v = realloc(p->failures, (size_t)cap * sizeof *v);
        if (v == NULL)
            return;
        p->failures = v;
        p->failures_cap = cap;
    }
    p->failures[p->nfailures++] = *f;
}

void pf__failure_log(pf_pipeline *p, pf_failure *f, int level, const char *fmt,
                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    pf_log(NULL, level, "%s", f->message);
    keep(p, f);
}

int pf_pipeline_failures(const pf_pipeline *p)
{
    return p != NULL ? p->nfailures : 0;
}

int pf_pipeline_failure(const pf_pipeline *p, int i, pf_failure *out)
{
    if (p == NULL || out == NULL || i < 0)
        return PF_EINVAL;
    if (i >= p->nfailures)
        return PF_ENOENT;
    *out = p->failures[i];
    return 0;
}
