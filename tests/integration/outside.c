/*
 * outside.c - a program built outside the tree against an installed
 * pipefan, using only the contract functions of DESIGN.md: a source, a
 * 4-worker transform, a sink.  Prints "ok <count> <sum>".
 */
#include <pipefan.h>
#include <stdio.h>
#include <string.h>

static int numbers(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (long i = 1; i <= 100000; i++)
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return 1;
    return 0;
}

static int twice(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    long v;
    if (len != sizeof v)
        return 1;
    memcpy(&v, rec, sizeof v);
    v *= 2;
    return pf_emit(ctx, &v, sizeof v);
}

static long count, sum;

static int total(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)arg;
    long v;
    memcpy(&v, rec, len);
    count++;
    sum += v;
    return 0;
}

static int report(pf_ctx *ctx, void *arg)
{
    (void)arg;
    pf_log(ctx, PF_LOG_INFO, "sink worker %d done", pf_worker_index(ctx));
    printf("ok %ld %ld\n", count, sum);
    return 0;
}

int main(void)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "numbers", numbers, NULL);
    pf_stage *s = pf_stage_add(p, "twice", twice, NULL);
    pf_stage_workers(s, 4);
    pf_stage_ordered(s, 0);
    pf_stage *sink = pf_stage_add(p, "total", total, NULL);
    pf_stage_hooks(sink, NULL, report);
    int rc = pf_run(p);
    pf_pipeline_free(p);
    if (rc != 0) {
        fprintf(stderr, "outside: %s\n", pf_strerror(rc));
        return 1;
    }
    return 0;
}
