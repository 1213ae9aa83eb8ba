/*
 * pipeline.c - building a pipeline: stages, options, the sticky error,
 * and the checks made before a run.
 */
#include "pipeline.h"

#include "failure.h"
#include "result.h"
#include "shared.h"
#include "serial.h"
#include "stats.h"
#include "supervisor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pf_options_init(pf_options *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof *o);
    o->ring_bytes = 0;
    o->batch_bytes = 0;
    o->flush_us = 2000;
    o->max_record = 16u << 20;
    o->serial = -1;
    o->progress = -1;
    o->summary = 0;
    o->stop_signals = 1;
    o->drain_ms = 30000;
}

pf_pipeline *pf_pipeline_new(void)
{
    pf_pipeline *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    pf_options_init(&p->opts);
    p->bottleneck = -1;
    return p;
}

void pf_pipeline_free(pf_pipeline *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->nstages; i++) {
        free(p->stages[i]->name);
        free(p->stages[i]);
    }
    free(p->stages);
    free(p->stats);
    free(p->stats_first);
    free(p->failures);
    pf__result_free(p);
    pf__shared_free(p);
    free(p);
}

/* Remember the first error; return it. */
static int sticky(pf_pipeline *p, int err)
{
    if (p->error == 0)
        p->error = err;
    return err;
}

/* Log why call got an invalid argument, remember PF_EINVAL (when p is
 * known), return it. */
static int PF_PRINTF(3, 4)
    invalid(pf_pipeline *p, const char *call, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    pf_log(NULL, PF_LOG_ERROR, "%s: %s", call, why);
    return p != NULL ? sticky(p, PF_EINVAL) : PF_EINVAL;
}

/* Append a stage; NULL (and a sticky error) on failure. */
static pf_stage *stage_new(pf_pipeline *p, const char *call, const char *name)
{
    if (p->running) {
        sticky(p, PF_EBUSY);
        return NULL;
    }
    if (name == NULL || *name == '\0') {
        invalid(p, call, "the stage name is %s", name ? "empty" : "NULL");
        return NULL;
    }
    if (p->nstages == p->cap) {
        int cap = p->cap ? p->cap * 2 : 4;
        pf_stage **s = realloc(p->stages, (size_t)cap * sizeof *s);
        if (s == NULL) {
            sticky(p, PF_ENOMEM);
            return NULL;
        }
        p->stages = s;
        p->cap = cap;
    }
    pf_stage *s = calloc(1, sizeof *s);
    char *copy = strdup(name);
    if (s == NULL || copy == NULL) {
        free(s);
        free(copy);
        sticky(p, PF_ENOMEM);
        return NULL;
    }
    s->p = p;
    s->name = copy;
    s->index = p->nstages;
    s->workers = 1;
    s->dist = PF_DIST_ROUND_ROBIN;
    s->restartable = -1;
    p->stages[p->nstages++] = s;
    return s;
}

pf_stage *pf_source(pf_pipeline *p, const char *name, pf_source_fn fn,
                    void *arg)
{
    if (p == NULL)
        return NULL;
    if (fn == NULL || p->nstages != 0) {
        invalid(p, "pf_source",
                fn == NULL ? "stage \"%s\": the function is NULL"
                           : "stage \"%s\": the source must be the first "
                             "stage, and the only one",
                name ? name : "(null)");
        return NULL;
    }
    pf_stage *s = stage_new(p, "pf_source", name);
    if (s != NULL) {
        s->src_fn = fn;
        s->arg = arg;
    }
    return s;
}

pf_stage *pf_stage_add(pf_pipeline *p, const char *name, pf_record_fn fn,
                       void *arg)
{
    if (p == NULL)
        return NULL;
    if (fn == NULL || p->nstages == 0) {
        invalid(p, "pf_stage_add",
                fn == NULL ? "stage \"%s\": the function is NULL"
                           : "stage \"%s\": add the source (pf_source) "
                             "first",
                name ? name : "(null)");
        return NULL;
    }
    pf_stage *s = stage_new(p, "pf_stage_add", name);
    if (s != NULL) {
        s->rec_fn = fn;
        s->arg = arg;
    }
    return s;
}

/* 0 when stage s may be changed now: PF_EINVAL for NULL, PF_EBUSY while
 * its pipeline runs (the run uses the stage as it was). */
static int editable(const pf_stage *s, const char *call)
{
    if (s == NULL)
        return invalid(NULL, call,
                       "the stage is NULL (did pf_source or pf_stage_add "
                       "fail?)");
    return s->p->running ? PF_EBUSY : 0;
}

#define stage_editable(s) editable((s), __func__)

int pf_stage_workers(pf_stage *s, int n)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    if (n < 1 || n > PF_MAX_WORKERS)
        return invalid(s->p, __func__,
                       "stage \"%s\": n = %d workers, not in 1..%d", s->name, n,
                       PF_MAX_WORKERS);
    s->workers = n;
    return 0;
}

int pf_stage_hooks(pf_stage *s, pf_hook_fn init, pf_hook_fn finish)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    s->init = init;
    s->finish = finish;
    return 0;
}

int pf_stage_restartable(pf_stage *s, int restartable)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    s->restartable = restartable != 0;
    return 0;
}

int pf_stage_data_free(pf_stage *s, pf_free_fn fn)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    s->data_free = fn;
    return 0;
}

int pf_stage_batch_hook(pf_stage *s, pf_hook_fn fn)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    if (s->index == 0 && fn != NULL)
        return invalid(s->p, __func__,
                       "stage \"%s\" is the source, which has no input "
                       "batches",
                       s->name);
    s->batch = fn;
    return 0;
}

int pf__stage_restartable(const pf_pipeline *p, int s)
{
    const pf_stage *st = p->stages[s];
    if (s == p->nstages - 1)
        return 0; /* a sink's effects cannot be rolled back */
    if (st->restartable >= 0)
        return st->restartable;
    return st->finish == NULL;
}

int pf_stage_ordered(pf_stage *s, int ordered)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    if (s->index == 0 && ordered)
        return invalid(s->p, __func__,
                       "stage \"%s\" is the source, which has no input "
                       "order",
                       s->name);
    s->ordered = ordered != 0;
    return 0;
}

int pf_stage_distribution(pf_stage *s, int dist)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    if (dist != PF_DIST_ROUND_ROBIN && dist != PF_DIST_LEAST_LOADED)
        return invalid(s->p, __func__, "stage \"%s\": unknown dist %d", s->name,
                       dist);
    s->dist = dist;
    return 0;
}

int pf_stage_prefetch(pf_stage *s, int n)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    if (n < 0 || n > PF_PREFETCH_MAX)
        return invalid(s->p, __func__, "stage \"%s\": n = %d, not in 0..%d",
                       s->name, n, PF_PREFETCH_MAX);
    if (n > 0 && s->index == 0)
        return invalid(s->p, __func__,
                       "stage \"%s\" is the source, which has no input",
                       s->name);
    s->prefetch = n;
    return 0;
}

int pf_stage_pin(pf_stage *s, int pin)
{
    int err = stage_editable(s);
    if (err != 0)
        return err;
    s->pin = pin != 0;
    return 0;
}

int pf_pipeline_set_options(pf_pipeline *p, const pf_options *o)
{
    if (p == NULL || o == NULL)
        return invalid(NULL, __func__, "the %s is NULL",
                       p == NULL ? "pipeline" : "options");
    if (p->running)
        return PF_EBUSY;
    if (o->ring_bytes != 0 &&
        (o->ring_bytes < 4096 || o->ring_bytes > (1u << 30) ||
         (o->ring_bytes & (o->ring_bytes - 1)) != 0))
        return invalid(p, __func__,
                       "ring_bytes = %zu, not a power of two in 4 KiB..1 GiB",
                       o->ring_bytes);
    if (o->max_record == 0 || o->max_record > (1u << 30))
        return invalid(p, __func__, "max_record = %zu, not in 1..1 GiB",
                       o->max_record);
    if (o->retries < 0)
        return invalid(p, __func__, "retries = %d is negative", o->retries);
    if (o->poison != PF_POISON_SKIP && o->poison != PF_POISON_FAIL)
        return invalid(p, __func__, "unknown poison policy %d", o->poison);
    p->opts = *o;
    return 0;
}

int pf_pipeline_on_progress(pf_pipeline *p, pf_progress_fn fn, void *arg)
{
    if (p == NULL)
        return PF_EINVAL;
    p->progress = fn;
    p->progress_arg = arg;
    return 0;
}

int pf_pipeline_stages(const pf_pipeline *p)
{
    return p != NULL ? p->nstages : 0;
}

int pf_run_signal(const pf_pipeline *p)
{
    return p != NULL ? p->last_signal : 0;
}

void pf__stage_offsets(const pf_pipeline *p, int *out)
{
    out[0] = 0;
    for (int i = 0; i < p->nstages; i++)
        out[i + 1] = out[i] + p->stages[i]->workers;
}

int pf__pipeline_check(pf_pipeline *p)
{
    if (p->error != 0)
        return p->error;
    pf_failure f;
    if (p->nstages < 2) {
        pf__failure_init(&f, p, -1, -1, 0);
        f.error = PF_EINVAL;
        pf__failure_log(
            p, &f, PF_LOG_ERROR,
            "a pipeline needs a source and at least one more stage");
        return PF_EINVAL;
    }
    for (int i = 1; i < p->nstages; i++) {
        const pf_stage *s = p->stages[i];
        if (!s->ordered)
            continue;
        if (p->stages[i - 1]->workers != 1 ||
            (i + 1 < p->nstages && p->stages[i + 1]->workers != 1)) {
            pf__failure_init(&f, p, i, -1, 0);
            f.error = PF_EINVAL;
            pf__failure_log(p, &f, PF_LOG_ERROR,
                            "ordered stage '%s': the stages before and after "
                            "it must have one worker each",
                            s->name);
            return PF_EINVAL;
        }
    }
    return 0;
}

int pf__stats_reset(pf_pipeline *p)
{
    int *first = calloc((size_t)p->nstages + 1, sizeof *first);
    if (first == NULL)
        return PF_ENOMEM;
    pf__stage_offsets(p, first);
    pf_worker_stats *st = calloc((size_t)first[p->nstages] + 1, sizeof *st);
    if (st == NULL) {
        free(first);
        return PF_ENOMEM;
    }
    free(p->stats);
    free(p->stats_first);
    p->stats = st;
    p->stats_first = first;
    return 0;
}

int pf_run(pf_pipeline *p)
{
    if (p == NULL)
        return PF_EINVAL;
    if (p->running)
        return PF_EBUSY;
    pf__failures_reset(p);
    int err = pf__pipeline_check(p);
    if (err != 0)
        return err;
    err = pf__stats_reset(p);
    if (err != 0)
        return err;

    int serial = p->opts.serial;
    if (serial < 0) {
        const char *e = getenv("PIPEFAN_SERIAL");
        serial = e != NULL && *e != '\0' && strcmp(e, "0") != 0;
    }
    p->last_signal = 0;
    p->bottleneck = -1;
    p->running = 1;
    p->serial_now = serial;
    int rerr = pf__result_begin(p);
    if (rerr == 0) {
        err = serial ? pf__run_serial(p) : pf__run_processes(p);
        rerr = pf__result_end(p);
    }
    p->running = 0;
    if (err == 0)
        err = rerr;
    pf__stats_bottleneck(p);
    if (p->opts.summary)
        pf_pipeline_write_summary(p, 2);
    return err;
}
