/*
 * ordered.c - an ordered stage: 4 workers of uneven speed square numbers,
 * yet the squares leave in the order the numbers came in.
 *
 *   ordered [COUNT]     (default 1000; prints the first and last few)
 */
#include <pipefan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int numbers(pf_ctx *ctx, void *arg)
{
    long n = *(const long *)arg;
    for (long i = 1; i <= n; i++)
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return -1;
    return 0;
}

/* Odd-numbered workers are slow, so results finish out of order. */
static int square(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    (void)len;
    long v;
    memcpy(&v, rec, sizeof v);
    if (pf_worker_index(ctx) % 2 == 1)
        usleep(200);
    long sq = v * v;
    return pf_emit(ctx, &sq, sizeof sq);
}

static long expect = 1, count, n_total;
static int bad;

static int print_in_order(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)arg;
    (void)len;
    long sq;
    memcpy(&sq, rec, sizeof sq);
    if (sq != expect * expect)
        bad = 1;
    if (expect <= 3 || expect > n_total - 3)
        printf("%ld^2 = %ld\n", expect, sq);
    expect++;
    count++;
    return 0;
}

static int check_done(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    printf("%ld squares, %s\n", count, bad ? "OUT OF ORDER" : "in order");
    return bad || count != n_total ? -1 : 0;
}

int main(int argc, char **argv)
{
    n_total = argc > 1 ? atol(argv[1]) : 1000;
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "numbers", numbers, &n_total);
    pf_stage *sq = pf_stage_add(p, "square", square, NULL);
    pf_stage_workers(sq, 4);
    pf_stage_ordered(sq, 1);
    pf_stage *out = pf_stage_add(p, "print", print_in_order, NULL);
    pf_stage_hooks(out, NULL, check_done);
    int rc = pf_run(p);
    if (rc != 0)
        fprintf(stderr, "ordered: %s\n", pf_strerror(rc));
    pf_pipeline_free(p);
    return rc == 0 ? 0 : 1;
}
