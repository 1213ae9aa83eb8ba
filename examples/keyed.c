/*
 * keyed.c - partitioned aggregation: purchases routed by customer with
 * pf_emit_key, so each customer's total is kept by exactly one of the 4
 * aggregator processes; the report prints the totals.
 */
#include <pipefan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUSTOMERS 8

struct purchase {
    int customer;
    long cents;
};

static int purchases(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        struct purchase p = {i % CUSTOMERS, 100 + i % 7};
        char key[16];
        int kl = snprintf(key, sizeof key, "cust%d", p.customer);
        if (pf_emit_key(ctx, key, (size_t)kl, &p, sizeof p) != 0)
            return -1;
    }
    return 0;
}

static long totals[CUSTOMERS];
static long counts[CUSTOMERS];

static int aggregate(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)arg;
    (void)len;
    struct purchase p;
    memcpy(&p, rec, sizeof p);
    totals[p.customer] += p.cents;
    counts[p.customer]++;
    return 0;
}

/* One line per customer this aggregator owns. */
static int emit_totals(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (int c = 0; c < CUSTOMERS; c++) {
        if (counts[c] == 0)
            continue;
        char line[96];
        int n = snprintf(line, sizeof line,
                         "customer %d: %ld purchases, %ld.%02ld "
                         "(aggregator %d)",
                         c, counts[c], totals[c] / 100, totals[c] % 100,
                         pf_worker_index(ctx));
        int rc = pf_emit(ctx, line, (size_t)n);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int lines_seen;

static int print_line(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("%.*s\n", (int)len, (const char *)rec);
    lines_seen++;
    return 0;
}

/* Each customer appears exactly once: one owner per key. */
static int check_lines(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return lines_seen == CUSTOMERS ? 0 : -1;
}

int main(void)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "purchases", purchases, NULL);
    pf_stage *agg = pf_stage_add(p, "aggregate", aggregate, NULL);
    pf_stage_workers(agg, 4);
    pf_stage_hooks(agg, NULL, emit_totals);
    pf_stage *rep = pf_stage_add(p, "report", print_line, NULL);
    pf_stage_hooks(rep, NULL, check_lines);
    int rc = pf_run(p);
    if (rc != 0)
        fprintf(stderr, "keyed: %s\n", pf_strerror(rc));
    pf_pipeline_free(p);
    return rc == 0 ? 0 : 1;
}
