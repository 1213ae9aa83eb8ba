/*
 * lookup.c - the seeds' `parse | 12 x whois | report`: an I/O-bound stage
 * (each lookup waits 10 ms, like a network round trip) run by 1 and then
 * by 12 worker processes.  Waiting costs no CPU, so 12 workers finish
 * nearly 12 times sooner, even on 2 cores.
 *
 *   lookup [RECORDS [MIN-SPEEDUP]]    (default 240 records)
 *
 * Exits 1 when a run fails or loses a record, or when MIN-SPEEDUP is given
 * and 12 workers were not that many times faster (bench/runtime.sh asks;
 * the test suite does not, as speed is no test's business).
 */
#include <pipefan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* parse: make "client address" records. */
static int parse(pf_ctx *ctx, void *arg)
{
    int n = *(const int *)arg;
    char addr[32];
    for (int i = 0; i < n; i++) {
        int len = snprintf(addr, sizeof addr, "192.0.2.%d", i % 250);
        if (pf_emit(ctx, addr, (size_t)len) != 0)
            return -1;
    }
    return 0;
}

/* lookup: pretend to ask a whois server; 10 ms of waiting. */
static int lookup(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    struct timespec wait = {0, 10 * 1000 * 1000};
    while (nanosleep(&wait, &wait) != 0)
        ;
    char out[64];
    int n =
        snprintf(out, sizeof out, "%.*s AS64496", (int)len, (const char *)rec);
    return pf_emit(ctx, out, (size_t)n);
}

/* The report's count: the sink's own, set to 0 by its init hook, so that
 * each run starts from 0 in serial mode too (where one process runs
 * every stage and keeps its globals from one pf_run to the next). */
static long reported;

static int report_start(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    reported = 0;
    return 0;
}

static int report(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)rec;
    (void)len;
    (void)arg;
    reported++;
    return 0;
}

static int report_done(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("report: %ld records\n", reported);
    return 0;
}

/* Run the pipeline with w lookup workers; seconds taken, < 0 on error. */
static double run(int n, int w)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "parse", parse, &n);
    pf_stage *s = pf_stage_add(p, "lookup", lookup, NULL);
    pf_stage_workers(s, w);
    pf_stage *r = pf_stage_add(p, "report", report, NULL);
    pf_stage_hooks(r, report_start, report_done);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = pf_run(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pf_stage_stats st = {0};
    pf_pipeline_stage_stats(p, 2, &st);
    pf_pipeline_free(p);
    if (rc != 0) {
        fprintf(stderr, "lookup: %s\n", pf_strerror(rc));
        return -1;
    }
    if (st.total.records_in != (uint64_t)n) {
        fprintf(stderr, "lookup: report got %llu records of %d\n",
                (unsigned long long)st.total.records_in, n);
        return -1;
    }
    return (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 240;
    double want = argc > 2 ? atof(argv[2]) : 0;
    double one = run(n, 1);
    double twelve = run(n, 12);
    if (one < 0 || twelve < 0)
        return 1;
    printf("1 lookup worker: %.2f s, 12 lookup workers: %.2f s, "
           "speed-up %.1fx\n",
           one, twelve, one / twelve);
    return one / twelve >= want ? 0 : 1;
}
