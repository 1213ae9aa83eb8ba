/*
 * throughput.c - records/s and GB/s through a pipefan pipeline.
 *
 *   throughput --size BYTES --count N [--workers W]
 *              [--stages source-sink|source-workers-sink]
 *              [--ring-bytes B] [--batch-bytes B] [--report-rss] [--tsv]
 *              [--summary]
 *
 * The source emits N records of BYTES bytes from one reused buffer,
 * stamping the record's index into its first and last 8 bytes; with
 * source-workers-sink, W pass-through workers sit between source and sink.
 * The sink checks every record's length and both stamps, and sums the
 * indices: the sum must be N(N-1)/2, so a lost, repeated or torn record
 * fails the run.  Time is measured around pf_run: fork, run, drain, reap.
 *
 * Prints one JSON line (or, with --tsv, one tab-separated line):
 *   {"impl":"pipefan","shape":"source-sink","workers":0,"size":100,
 *    "count":N,"elapsed_s":..,"records_per_s":..,"gb_per_s":..}
 * GB is 10^9 bytes of record payload.  With --report-rss, one more line
 * per process: {"rss":"source","worker":0,"pid":..,"vmhwm_kb":..} for
 * every worker (read from /proc/self/status in its finish hook) and for
 * the supervisor (after pf_run).  Exit status 0 only when the check held.
 */
#include <errno.h>
#include <pipefan.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_RSS_SLOTS 64

/* One process's peak RSS, written by the process itself. */
struct rss_slot {
    char stage[16];
    int worker;
    int pid;
    long vmhwm_kb;
};

/* Shared with the workers (MAP_SHARED before pf_run, inherited by fork):
 * the sink's tallies and every worker's peak RSS. */
struct shared {
    uint64_t records; /* written by the sink's finish hook */
    uint64_t bytes;
    uint64_t index_sum;
    uint64_t bad; /* records whose length or stamps were wrong */
    int sink_done;
    _Atomic int nrss; /* next free rss slot */
    struct rss_slot rss[MAX_RSS_SLOTS];
};

struct bench {
    size_t size;
    uint64_t count;
    int report_rss;
    struct shared *sh;
    /* Sink-local tallies (each process has its own copy). */
    uint64_t records, bytes, index_sum, bad;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: throughput --size BYTES --count N [--workers W]\n"
            "         [--stages source-sink|source-workers-sink]\n"
            "         [--ring-bytes B] [--batch-bytes B] [--report-rss] "
            "[--tsv]\n"
            "         [--summary]\n");
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmHWM of the calling process in kB, or -1. */
static long vmhwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Record this process's peak RSS in the next shared slot. */
static void note_rss(struct shared *sh, const char *stage, int worker)
{
    int i = atomic_fetch_add(&sh->nrss, 1);
    if (i >= MAX_RSS_SLOTS)
        return;
    struct rss_slot *s = &sh->rss[i];
    snprintf(s->stage, sizeof s->stage, "%s", stage);
    s->worker = worker;
    s->pid = (int)getpid();
    s->vmhwm_kb = vmhwm_kb();
}

/* The index is stamped into a record's first and last 8 bytes (records
 * are at least MIN_SIZE bytes). */
#define MIN_SIZE 16

static inline void stamp(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static inline uint64_t unstamp(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Source: N records from one buffer, index at both ends. */
static int source(pf_ctx *ctx, void *arg)
{
    struct bench *b = arg;
    unsigned char *buf = malloc(b->size);
    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < b->size; i++)
        buf[i] = (unsigned char)(i * 131u + 7u);
    unsigned char *last = buf + b->size - 8;
    int rc = 0;
    for (uint64_t i = 0; i < b->count; i++) {
        stamp(buf, i);
        stamp(last, i);
        rc = pf_emit(ctx, buf, b->size);
        if (rc != 0)
            break;
    }
    free(buf);
    return rc;
}

/* Transform: pass each record on unchanged. */
static int pass(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    return pf_emit(ctx, rec, len);
}

/* Sink: check length and stamps, tally. */
static int sink(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    struct bench *b = arg;
    const unsigned char *p = rec;
    b->records++;
    b->bytes += len;
    if (len != b->size) {
        b->bad++;
        return 0;
    }
    uint64_t i = unstamp(p);
    b->bad += unstamp(p + len - 8) != i;
    b->index_sum += i;
    return 0;
}

static int sink_finish(pf_ctx *ctx, void *arg)
{
    struct bench *b = arg;
    b->sh->records = b->records;
    b->sh->bytes = b->bytes;
    b->sh->index_sum = b->index_sum;
    b->sh->bad = b->bad;
    b->sh->sink_done = 1;
    if (b->report_rss)
        note_rss(b->sh, pf_stage_name(ctx), pf_worker_index(ctx));
    return 0;
}

/* Finish hook of the source and the workers: only the RSS report. */
static int rss_finish(pf_ctx *ctx, void *arg)
{
    struct bench *b = arg;
    if (b->report_rss)
        note_rss(b->sh, pf_stage_name(ctx), pf_worker_index(ctx));
    return 0;
}

static uint64_t parse_u64(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s)
        usage();
    /* Accept k/K, m/M, g/G suffixes (powers of 1024). */
    switch (*end) {
    case 'k':
    case 'K':
        v <<= 10;
        end++;
        break;
    case 'm':
    case 'M':
        v <<= 20;
        end++;
        break;
    case 'g':
    case 'G':
        v <<= 30;
        end++;
        break;
    default:
        break;
    }
    if (*end != '\0')
        usage();
    return (uint64_t)v;
}

int main(int argc, char **argv)
{
    struct bench b = {.size = 100, .count = 1000000};
    int workers = 0, tsv = 0, summary = 0;
    const char *shape = NULL;
    pf_options o;
    pf_options_init(&o);
    o.progress = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--size") == 0 && v) {
            b.size = (size_t)parse_u64(v);
            i++;
        } else if (strcmp(a, "--count") == 0 && v) {
            b.count = parse_u64(v);
            i++;
        } else if (strcmp(a, "--workers") == 0 && v) {
            workers = (int)parse_u64(v);
            i++;
        } else if (strcmp(a, "--stages") == 0 && v) {
            shape = v;
            i++;
        } else if (strcmp(a, "--ring-bytes") == 0 && v) {
            o.ring_bytes = (size_t)parse_u64(v);
            i++;
        } else if (strcmp(a, "--batch-bytes") == 0 && v) {
            o.batch_bytes = (size_t)parse_u64(v);
            i++;
        } else if (strcmp(a, "--report-rss") == 0) {
            b.report_rss = 1;
        } else if (strcmp(a, "--tsv") == 0) {
            tsv = 1;
        } else if (strcmp(a, "--summary") == 0) {
            summary = 1;
        } else {
            usage();
        }
    }
    if (b.size < MIN_SIZE || b.size > (16u << 20)) {
        fprintf(stderr, "throughput: --size must be %d..16M\n", MIN_SIZE);
        return 2;
    }
    if (shape == NULL)
        shape = workers > 0 ? "source-workers-sink" : "source-sink";
    if (strcmp(shape, "source-sink") == 0)
        workers = 0;
    else if (strcmp(shape, "source-workers-sink") == 0) {
        if (workers <= 0)
            workers = 1;
    } else
        usage();

    b.sh = mmap(NULL, sizeof *b.sh, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b.sh == MAP_FAILED) {
        perror("mmap");
        return 1;
    }

    pf_pipeline *p = pf_pipeline_new();
    if (p == NULL)
        return 1;
    pf_pipeline_set_options(p, &o);
    pf_stage *s = pf_source(p, "source", source, &b);
    pf_stage_hooks(s, NULL, rss_finish);
    if (workers > 0) {
        s = pf_stage_add(p, "work", pass, &b);
        pf_stage_workers(s, workers);
        pf_stage_hooks(s, NULL, rss_finish);
    }
    s = pf_stage_add(p, "sink", sink, &b);
    pf_stage_hooks(s, NULL, sink_finish);

    double t0 = now_s();
    int rc = pf_run(p);
    double el = now_s() - t0;
    if (rc != 0) {
        fprintf(stderr, "throughput: pf_run: %s\n", pf_strerror(rc));
        pf_pipeline_free(p);
        return 1;
    }

    if (summary)
        pf_pipeline_write_summary(p, 2);
    struct shared *sh = b.sh;
    uint64_t want_sum = b.count
                            ? (b.count % 2 == 0 ? (b.count / 2) * (b.count - 1)
                                                : b.count * ((b.count - 1) / 2))
                            : 0;
    int ok = sh->sink_done && sh->records == b.count && sh->bad == 0 &&
             sh->bytes == b.count * b.size && sh->index_sum == want_sum;
    if (!ok) {
        fprintf(stderr,
                "throughput: CHECK FAILED: records %llu of %llu, bytes %llu, "
                "bad %llu, index sum %llu (want %llu)\n",
                (unsigned long long)sh->records, (unsigned long long)b.count,
                (unsigned long long)sh->bytes, (unsigned long long)sh->bad,
                (unsigned long long)sh->index_sum,
                (unsigned long long)want_sum);
        pf_pipeline_free(p);
        return 1;
    }

    double rps = (double)b.count / el;
    double gbps = (double)b.count * (double)b.size / el / 1e9;
    if (tsv)
        printf("pipefan\t%s\t%d\t%zu\t%llu\t%.6f\t%.0f\t%.4f\n", shape, workers,
               b.size, (unsigned long long)b.count, el, rps, gbps);
    else
        printf("{\"impl\":\"pipefan\",\"shape\":\"%s\",\"workers\":%d,"
               "\"size\":%zu,\"count\":%llu,\"elapsed_s\":%.6f,"
               "\"records_per_s\":%.0f,\"gb_per_s\":%.4f}\n",
               shape, workers, b.size, (unsigned long long)b.count, el, rps,
               gbps);
    if (b.report_rss) {
        note_rss(sh, "supervisor", 0);
        int n = atomic_load(&sh->nrss);
        for (int i = 0; i < n && i < MAX_RSS_SLOTS; i++)
            printf("{\"rss\":\"%s\",\"worker\":%d,\"pid\":%d,"
                   "\"vmhwm_kb\":%ld}\n",
                   sh->rss[i].stage, sh->rss[i].worker, sh->rss[i].pid,
                   sh->rss[i].vmhwm_kb);
    }
    pf_pipeline_free(p);
    munmap(sh, sizeof *sh);
    return 0;
}
