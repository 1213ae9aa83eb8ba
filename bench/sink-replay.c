/* sink-replay.c - the pipefan logs sink's cost alone, repeatable.
 *
 *   sink-replay [-w WORKERS] [-c CHUNK_MB] [-b CHUNKS_PER_BATCH] [-t TOP]
 *               [-r REPS] FILE
 *
 * Parses a combined log the way the parse workers do: its chunks are
 * dealt to WORKERS aggregates in turn, and each worker's partial is
 * serialised after every batch of chunks.  None of that is timed.  Then
 * it merges the partials, in the order they were made, into a new sink
 * and finalises it, REPS times, and prints the CPU time of the fastest
 * and the median repetition, split into merging and finalising, after
 * the time the workers spent serialising.  On a
 * noisy machine that isolates what the sink costs a run (the sink's
 * share of `pipefan logs -j2` wall time is half of it); under
 * `valgrind --tool=callgrind` it counts the sink's instructions.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../logs/agg-wire.h"
#include "../logs/agg.h"
#include "../logs/rank.h"
#include "../logs/format.h"
#include "../logs/parse.h"

typedef struct blob {
    unsigned char *p;
    size_t n;
} blob;

/* p, or the end of the run when an allocation failed */
static void *must(void *p)
{
    if (!p) {
        perror("sink-replay");
        exit(1);
    }
    return p;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Count the lines of p[0..n) into a. */
static void count_chunk(lg_agg *a, const lg_format *f, const char *p, size_t n)
{
    const char *end = p + n;
    lg_rec rec[LG_AGG_BLOCK];
    lg_str path[LG_AGG_BLOCK];
    int k = 0;
    while (p < end) {
        int clean;
        const char *le = lg_line_scan(p, end, &clean);
        size_t len = (size_t)(le - p);
        int rc = clean ? lg_parse_line_clean(f, p, len, &rec[k])
                       : lg_parse_line(f, p, len, &rec[k]);
        if (rc == LG_OK) {
            path[k] = rec[k].target;
            if (++k == LG_AGG_BLOCK) {
                if (lg_agg_add_block(a, rec, path, k, 0) < 0)
                    exit(2);
                k = 0;
            }
        }
        lg_agg_count_lines(a, 0, 1, 0, 0);
        p = le + 1;
    }
    if (k && lg_agg_add_block(a, rec, path, k, 0) < 0)
        exit(2);
}

int main(int argc, char **argv)
{
    int workers = 2, per_batch = 2, reps = 9, top = 10, c;
    size_t chunk = 12u << 20;
    while ((c = getopt(argc, argv, "w:c:b:t:r:")) != -1) {
        switch (c) {
        case 'w':
            workers = atoi(optarg);
            break;
        case 'c':
            chunk = (size_t)atoi(optarg) << 20;
            break;
        case 'b':
            per_batch = atoi(optarg);
            break;
        case 't':
            top = atoi(optarg);
            break;
        case 'r':
            reps = atoi(optarg);
            break;
        default:
            goto usage;
        }
    }
    if (optind + 1 != argc || workers < 1 || workers > 64 || per_batch < 1 ||
        reps < 1 || top < 0 || chunk == 0)
        goto usage;

    int fd = open(argv[optind], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(argv[optind]);
        return 1;
    }
    /* read 1 MiB at a time, as a worker does: a buffer that stays in
     * cache (a mapped file costs a fault per 16 pages) */
    size_t size = (size_t)st.st_size;
    enum {
        WIN = 1 << 20
    };
    char *buf = must(malloc(WIN));
    const lg_format *f = lg_format_builtin("combined");
    unsigned tabs = (1u << LG_TAB_COUNT) - 1;

    /* the partials, in the order a pipeline makes them */
    lg_agg *w[64];
    int nchunks[64] = {0};
    for (int i = 0; i < workers; i++) {
        w[i] = must(lg_agg_new(1, tabs, 1));
        lg_agg_set_feed(w[i], (uint32_t)i);
    }
    blob *b = NULL;
    size_t nb = 0, cap = 0, bytes = 0;
    size_t at = 0;
    double tser = 0;   /* the workers' serialising, all told */
    double tcount = 0; /* and their parsing and counting */
    lg_buf out = {0};
    for (int k = 0; at < size; k++) {
        int i = k % workers;
        size_t end = at + chunk < size ? at + chunk : size;
        double tc0 = cpu_now();
        /* whole lines of [at, end), then the one that crosses end */
        for (;;) {
            ssize_t got = pread(fd, buf, WIN, (off_t)at);
            if (got <= 0)
                break;
            const char *nl = memrchr(buf, '\n', (size_t)got);
            size_t n = nl ? (size_t)(nl - buf) + 1 : (size_t)got;
            count_chunk(w[i], f, buf, n);
            at += n;
            if (at >= end)
                break;
        }
        tcount += cpu_now() - tc0;
        if (++nchunks[i] % per_batch && at < size)
            continue;
        double t0 = cpu_now();
        out.n = 0; /* one buffer, reused, as a worker does */
        if (lg_agg_serialize(w[i], &out) < 0)
            return 2;
        lg_agg_sent(w[i]);
        tser += cpu_now() - t0;
        if (nb == cap) {
            cap = cap ? cap * 2 : 64;
            b = must(realloc(b, cap * sizeof *b));
        }
        b[nb].p = must(malloc(out.n));
        memcpy(b[nb].p, out.p, out.n);
        b[nb++].n = out.n;
        bytes += out.n;
    }
    for (int i = 0; i < workers; i++) /* what each has counted since */
        if (lg_agg_totals(w[i])->requests || lg_agg_totals(w[i])->lines) {
            out.n = 0;
            lg_agg_serialize(w[i], &out);
            b = must(realloc(b, (nb + 1) * sizeof *b));
            b[nb].p = must(malloc(out.n));
            memcpy(b[nb].p, out.p, out.n);
            b[nb++].n = out.n;
            bytes += out.n;
        }
    for (int i = 0; i < workers; i++)
        lg_agg_free(w[i]);

    double *tm = must(calloc((size_t)reps, sizeof *tm)),
           *tf = must(calloc((size_t)reps, sizeof *tf));
    uint64_t requests = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = cpu_now();
        lg_agg *s = must(lg_agg_new_sink(1, tabs, 1, (size_t)top));
        for (size_t k = 0; k < nb; k++)
            if (lg_agg_merge(s, b[k].p, b[k].n) < 0) {
                fprintf(stderr, "sink-replay: partial %zu refused\n", k);
                return 2;
            }
        double t1 = cpu_now();
        if (lg_agg_finalize(s) < 0)
            return 2;
        tm[r] = t1 - t0;
        tf[r] = cpu_now() - t1;
        requests = lg_agg_totals(s)->requests;
        lg_agg_free(s);
    }
    qsort(tm, (size_t)reps, sizeof *tm, cmp_double);
    qsort(tf, (size_t)reps, sizeof *tf, cmp_double);
    printf("%zu partials, %.1f MB, %llu requests, %d workers\n", nb,
           (double)bytes / 1e6, (unsigned long long)requests, workers);
    printf("parse and count %.1f ms, serialise %.1f ms, in all\n", tcount * 1e3,
           tser * 1e3);
    printf("merge    min %.1f ms  median %.1f ms\n", tm[0] * 1e3,
           tm[reps / 2] * 1e3);
    printf("finalize min %.1f ms  median %.1f ms\n", tf[0] * 1e3,
           tf[reps / 2] * 1e3);
    return 0;
usage:
    fprintf(stderr, "usage: sink-replay [-w WORKERS] [-c CHUNK_MB] "
                    "[-b CHUNKS_PER_BATCH] [-t TOP] [-r REPS] FILE\n");
    return 64;
}
