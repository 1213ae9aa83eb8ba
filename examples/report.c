/*
 * report.c - the seeds' `parse | 12 x lookup | report`, its report
 * returned to main: the sink builds the report text in its finish hook
 * and hands it over with pf_result_set; main gets it with
 * pf_pipeline_result after pf_run - the same bytes with PIPEFAN_SERIAL=1.
 * Each lookup waits 2 ms, like a network round trip: 12 workers wait
 * side by side.
 *
 *   report [RECORDS]    (default 600)
 */
#include <pipefan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAS 4

static int parse(pf_ctx *ctx, void *arg)
{
    int n = *(const int *)arg;
    for (int i = 0; i < n; i++) {
        char addr[32];
        int len = snprintf(addr, sizeof addr, "192.0.2.%d", i % 250);
        if (pf_emit(ctx, addr, (size_t)len) != 0)
            return -1;
    }
    return 0;
}

/* Pretend to ask a whois server: the AS number of an address. */
static int lookup(pf_ctx *ctx, const void *rec, size_t len, void *arg PF_UNUSED)
{
    struct timespec wait = {0, 2 * 1000 * 1000};
    while (nanosleep(&wait, &wait) != 0)
        ;
    char addr[32]; /* a record is bytes, not a C string */
    snprintf(addr, sizeof addr, "%.*s", (int)len, (const char *)rec);
    const char *dot = strrchr(addr, '.');
    int last = dot != NULL ? atoi(dot + 1) : 0;
    int as = 64496 + last % NAS;
    return pf_emit(ctx, &as, sizeof as);
}

/* The report's state: the sink is one process, so plain statics. */
static long per_as[NAS], records;

static int report(pf_ctx *ctx PF_UNUSED, const void *rec, size_t len PF_UNUSED,
                  void *arg PF_UNUSED)
{
    int as;
    memcpy(&as, rec, sizeof as);
    per_as[as - 64496]++;
    records++;
    return 0;
}

static int report_done(pf_ctx *ctx, void *arg PF_UNUSED)
{
    char text[512];
    int n = snprintf(text, sizeof text, "%ld addresses looked up\n", records);
    for (int i = 0; i < NAS; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "AS%d %ld\n",
                      64496 + i, per_as[i]);
    return pf_result_set(ctx, text, (size_t)n); /* copied to main */
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 600;
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "parse", parse, &n);
    pf_stage_workers(pf_stage_add(p, "lookup", lookup, NULL), 12);
    pf_stage *r = pf_stage_add(p, "report", report, NULL);
    pf_stage_hooks(r, NULL, report_done);
    int rc = pf_run(p);
    const void *text;
    size_t len;
    if (rc == 0)
        rc = pf_pipeline_result(p, &text, &len); /* borrowed from p */
    if (rc == 0)
        fwrite(text, 1, len, stdout);
    else
        fprintf(stderr, "report: %s\n", pf_strerror(rc));
    /* check it: every address once, in the AS its last byte says */
    long expect = 0;
    for (int i = 0; i < n; i++)
        expect += (i % 250) % NAS == 0;
    char want[64];
    snprintf(want, sizeof want, "AS64496 %ld\n", expect);
    if (rc == 0 && strstr(text, want) == NULL)
        rc = -1;
    pf_pipeline_free(p);
    return rc != 0;
}
