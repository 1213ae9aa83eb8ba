/*
 * test-pipeline.c - the runtime's behaviour through the public API in
 * process mode (and serial mode): every record arrives intact whatever
 * the record size, worker count, stage count, distribution or order.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pftest.h"

/* ---- stage functions ---------------------------------------------------- */

static int gen_source(pf_ctx *ctx, void *arg)
{
    const struct gen *g = arg;
    size_t max = 0;
    for (int k = 0; k < g->nlens; k++)
        max = g->lens[k] > max ? g->lens[k] : max;
    unsigned char *buf = malloc(max ? max : 1);
    if (buf == NULL)
        return -1;
    /* Several source workers share the stream by index. */
    uint64_t step = (uint64_t)pf_worker_count(ctx);
    for (uint64_t i = (uint64_t)pf_worker_index(ctx); i < g->n; i += step) {
        size_t len = gen_len(g, i);
        gen_fill(buf, len, i);
        int rc = pf_emit(ctx, buf, len);
        if (rc != 0) {
            free(buf);
            return rc;
        }
    }
    free(buf);
    return 0;
}

static int pass(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    return pf_emit(ctx, rec, len);
}

static int count_sink(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    struct seen *s = arg;
    s->records++;
    s->bytes += len;
    s->hash_sum += rec_hash(rec, len);
    return 0;
}

static int mark_finished(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    struct seen *s = arg;
    s->finished++;
    return 0;
}

/* ---- a generic checksum run -------------------------------------------- */

struct shape {
    int stages;     /* total, >= 2 */
    int workers[8]; /* per stage; 0 means 1 */
    size_t ring_bytes;
    int dist;
    int serial;
    int prefetch; /* for every stage but the source */
};

/* Build source -> stages -> sink for a shape. */
static pf_pipeline *build(struct gen *g, const struct shape *sh,
                          struct seen *seen)
{
    pf_pipeline *p = pf_pipeline_new();
    ASSERT_NOT_NULL(p);
    pf_stage *s = pf_source(p, "source", gen_source, g);
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(pf_stage_workers(s, sh->workers[0] ? sh->workers[0] : 1), 0);
    ASSERT_EQ(pf_stage_distribution(s, sh->dist), 0);
    for (int i = 1; i < sh->stages; i++) {
        int last = i == sh->stages - 1;
        char name[16];
        snprintf(name, sizeof name, "stage%d", i);
        s = pf_stage_add(p, last ? "sink" : name, last ? count_sink : pass,
                         last ? (void *)seen : NULL);
        ASSERT_NOT_NULL(s);
        ASSERT_EQ(pf_stage_workers(s, sh->workers[i] ? sh->workers[i] : 1), 0);
        ASSERT_EQ(pf_stage_distribution(s, sh->dist), 0);
        ASSERT_EQ(pf_stage_prefetch(s, sh->prefetch), 0);
        if (last)
            ASSERT_EQ(pf_stage_hooks(s, NULL, mark_finished), 0);
    }
    pf_options o;
    pf_options_init(&o);
    o.ring_bytes = sh->ring_bytes;
    o.serial = sh->serial;
    o.progress = 0;
    ASSERT_EQ(pf_pipeline_set_options(p, &o), 0);
    return p;
}

/* Run gen through the shape; check count, bytes, checksum and stats. */
static void check_run(struct gen *g, const struct shape *sh)
{
    struct seen *seen = shared_alloc(sizeof *seen);
    pf_pipeline *p = build(g, sh, seen);
    ASSERT_EQ(pf_run(p), 0);

    unsigned char *scratch = malloc(16u << 20);
    ASSERT_NOT_NULL(scratch);
    uint64_t bytes, hash;
    gen_expect(g, &bytes, &hash, scratch);
    free(scratch);
    ASSERT_UEQ(seen->records, g->n);
    ASSERT_UEQ(seen->bytes, bytes);
    ASSERT_UEQ(seen->hash_sum, hash);
    int sink_workers = sh->workers[sh->stages - 1];
    ASSERT_EQ(seen->finished, sink_workers ? sink_workers : 1);

    pf_stage_stats st;
    ASSERT_EQ(pf_pipeline_stage_stats(p, sh->stages - 1, &st), 0);
    ASSERT_UEQ(st.total.records_in, g->n);
    ASSERT_UEQ(st.total.bytes_in, bytes);
    ASSERT_EQ(pf_pipeline_stage_stats(p, 0, &st), 0);
    ASSERT_UEQ(st.total.records_out, g->n);
    pf_pipeline_free(p);
    shared_free(seen, sizeof *seen);
}

/* ---- sizes, shapes, counts ---------------------------------------------- */

TEST(every_size_class_arrives_intact)
{
    /* A 64 KiB ring: 200 kB and 3 MiB records are larger than the ring. */
    struct gen g = {
        .n = 120,
        .lens = {0, 1, 16, 100, 4096, 65536, 200000, 3u << 20, 7, 16383},
        .nlens = 10};
    struct shape sh = {.stages = 3, .workers = {1, 2, 1}, .ring_bytes = 65536};
    check_run(&g, &sh);
}

TEST(records_larger_than_the_ring_to_many_workers)
{
    struct gen g = {.n = 40, .lens = {300000, 5, 1u << 20}, .nlens = 3};
    struct shape sh = {
        .stages = 4, .workers = {1, 3, 2, 1}, .ring_bytes = 16384};
    check_run(&g, &sh);
}

TEST_TIMEOUT(one_to_sixteen_workers_per_stage, 120)
{
    struct gen g = {.n = 20000, .lens = {100, 37, 900}, .nlens = 3};
    for (int w = 1; w <= 16; w++) {
        struct shape sh = {.stages = 3, .workers = {1, w, 1}};
        check_run(&g, &sh);
    }
    /* Many workers on every side of an edge. */
    struct shape wide = {.stages = 4, .workers = {3, 16, 5, 2}};
    check_run(&g, &wide);
}

TEST(two_to_six_stages)
{
    struct gen g = {.n = 30000, .lens = {64, 128}, .nlens = 2};
    for (int n = 2; n <= 6; n++) {
        struct shape sh = {.stages = n, .workers = {1, 2, 2, 2, 2, 1}};
        sh.workers[n - 1] = 1;
        check_run(&g, &sh);
    }
}

TEST(empty_input_runs_finish_hooks)
{
    struct gen g = {.n = 0, .lens = {10}, .nlens = 1};
    struct shape sh = {.stages = 3, .workers = {1, 4, 2}};
    check_run(&g, &sh);
}

TEST(single_record)
{
    struct gen g = {.n = 1, .lens = {42}, .nlens = 1};
    struct shape sh = {.stages = 3, .workers = {1, 3, 1}};
    check_run(&g, &sh);
}

TEST_TIMEOUT(ten_million_records_checksum_end_to_end, 180)
{
    struct gen g = {.n = 10000000, .lens = {16, 24, 100}, .nlens = 3};
    struct shape sh = {.stages = 3, .workers = {1, 2, 1}};
    check_run(&g, &sh);
}

TEST(least_loaded_distribution_delivers_everything)
{
    struct gen g = {.n = 50000, .lens = {100, 3000}, .nlens = 2};
    struct shape sh = {
        .stages = 3, .workers = {2, 5, 1}, .dist = PF_DIST_LEAST_LOADED};
    check_run(&g, &sh);
}

TEST(prefetch_limits_deliver_everything)
{
    /* 3 MiB records travel as fragments of a 64 KiB ring */
    struct gen g = {.n = 3000, .lens = {8, 700, 3u << 20, 40}, .nlens = 4};
    struct shape one = {.stages = 3,
                        .workers = {1, 4, 1},
                        .ring_bytes = 65536,
                        .dist = PF_DIST_LEAST_LOADED,
                        .prefetch = 1};
    check_run(&g, &one);
    struct gen small = {.n = 200000, .lens = {16, 100}, .nlens = 2};
    struct shape wide = {
        .stages = 4, .workers = {3, 16, 5, 2}, .prefetch = PF_PREFETCH_MAX};
    check_run(&small, &wide);
    wide.prefetch = 2;
    check_run(&small, &wide);
}

TEST(prefetch_takes_values_in_range)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_stage *src = pf_source(p, "source", gen_source, NULL);
    pf_stage *mid = pf_stage_add(p, "mid", pass, NULL);
    ASSERT_EQ(pf_stage_prefetch(mid, 0), 0);
    ASSERT_EQ(pf_stage_prefetch(mid, PF_PREFETCH_MAX), 0);
    ASSERT_EQ(pf_stage_prefetch(mid, PF_PREFETCH_MAX + 1), PF_EINVAL);
    pf_pipeline_free(p);
    p = pf_pipeline_new();
    mid = pf_stage_add(p, "mid", pass, NULL);
    ASSERT_EQ(pf_stage_prefetch(mid, -1), PF_EINVAL);
    pf_pipeline_free(p);
    p = pf_pipeline_new();
    src = pf_source(p, "source", gen_source, NULL);
    ASSERT_EQ(pf_stage_prefetch(src, 1), PF_EINVAL); /* no input */
    pf_pipeline_free(p);
}

static int seq_source(pf_ctx *ctx, void *arg);

/* Worker 0 of this stage takes 10 ms a record, the others 0.2 ms; each
 * worker counts what it was given. */
static int slow_first(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    uint64_t *by_worker = arg;
    int w = pf_worker_index(ctx);
    usleep(w == 0 ? 10000 : 200);
    __atomic_fetch_add(&by_worker[w], 1, __ATOMIC_RELAXED);
    return pf_emit(ctx, rec, len);
}

/* How many of n records the slow worker of two was handed. */
static uint64_t slow_share(uint64_t n, int prefetch)
{
    uint64_t *by_worker = shared_alloc(2 * sizeof *by_worker);
    struct seen *seen = shared_alloc(sizeof *seen);
    pf_pipeline *p = pf_pipeline_new();
    pf_stage *src = pf_source(p, "numbers", seq_source, &n);
    ASSERT_EQ(pf_stage_distribution(src, PF_DIST_LEAST_LOADED), 0);
    pf_stage *mid = pf_stage_add(p, "uneven", slow_first, by_worker);
    ASSERT_EQ(pf_stage_workers(mid, 2), 0);
    ASSERT_EQ(pf_stage_prefetch(mid, prefetch), 0);
    pf_stage_add(p, "sink", count_sink, seen);
    pf_options o;
    pf_options_init(&o);
    o.batch_bytes = 64; /* hand records out one by one */
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(seen->records, n);
    ASSERT_UEQ(by_worker[0] + by_worker[1], n);
    uint64_t slow = by_worker[0];
    pf_pipeline_free(p);
    shared_free(seen, sizeof *seen);
    shared_free(by_worker, 2 * sizeof *by_worker);
    return slow;
}

TEST(prefetch_one_hands_records_to_the_free_worker)
{
    /* Unlimited, the source deals 100 descriptors at once, about half to
     * the slow worker (0.5 s); with one record each, the fast worker
     * takes nearly all of them while the slow one sleeps. */
    uint64_t unlimited = slow_share(100, 0);
    uint64_t limited = slow_share(100, 1);
    ASSERT_UGE(unlimited, 30);
    ASSERT_ULE(limited, 20);
}

/* The CPUs each worker of a stage may run on, recorded by its init hook:
 * how many, and the lowest. */
struct affinity {
    int count[8], first[8];
};

static int record_affinity(pf_ctx *ctx, void *arg)
{
    struct affinity *a = arg;
    int w = pf_worker_index(ctx);
    cpu_set_t cpus;
    if (w >= 8 || sched_getaffinity(0, sizeof cpus, &cpus) != 0)
        return 0;
    a->count[w] = CPU_COUNT(&cpus);
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &cpus)) {
            a->first[w] = c;
            break;
        }
    }
    return 0;
}

/* Run a pinned stage of `workers` workers; their CPUs in *a. */
static void run_pinned(int workers, struct affinity *a)
{
    uint64_t n = 50;
    struct seen *seen = shared_alloc(sizeof *seen);
    memset(a, 0, sizeof *a);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "numbers", seq_source, &n);
    pf_stage *mid = pf_stage_add(p, "pinned", pass, a);
    ASSERT_EQ(pf_stage_workers(mid, workers), 0);
    ASSERT_EQ(pf_stage_hooks(mid, record_affinity, NULL), 0);
    ASSERT_EQ(pf_stage_pin(mid, 1), 0);
    pf_stage_add(p, "sink", count_sink, seen);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(seen->records, n);
    pf_pipeline_free(p);
    shared_free(seen, sizeof *seen);
}

TEST(pinned_workers_get_a_cpu_each_only_when_they_fill_the_cpus)
{
    cpu_set_t all, two;
    ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
    struct affinity *a = shared_alloc(sizeof *a);
    if (CPU_COUNT(&all) >= 2) {
        /* this process on two CPUs: two pinned workers take one each */
        int c0 = -1, c1 = -1;
        for (int c = 0; c < CPU_SETSIZE && c1 < 0; c++)
            if (CPU_ISSET(c, &all))
                *(c0 < 0 ? &c0 : &c1) = c;
        CPU_ZERO(&two);
        CPU_SET(c0, &two);
        CPU_SET(c1, &two);
        ASSERT_EQ(sched_setaffinity(0, sizeof two, &two), 0);
        run_pinned(2, a);
        ASSERT_EQ(a->count[0], 1);
        ASSERT_EQ(a->count[1], 1);
        ASSERT_EQ(a->first[0], c0);
        ASSERT_EQ(a->first[1], c1);
        /* three workers on two CPUs: left to the scheduler */
        run_pinned(3, a);
        for (int w = 0; w < 3; w++)
            ASSERT_EQ(a->count[w], 2);
        ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
    }
    /* one worker with more CPUs than one is left alone (with one CPU,
     * binding it would change nothing) */
    run_pinned(1, a);
    ASSERT_EQ(a->count[0], CPU_COUNT(&all));
    shared_free(a, sizeof *a);
}

TEST(serial_mode_gives_the_same_result)
{
    struct gen g = {.n = 5000, .lens = {0, 100, 70000}, .nlens = 3};
    struct shape sh = {.stages = 4, .workers = {1, 4, 3, 1}, .serial = 1};
    check_run(&g, &sh);
}

TEST(a_pipeline_runs_twice)
{
    struct gen g = {.n = 1000, .lens = {10}, .nlens = 1};
    struct shape sh = {.stages = 3, .workers = {1, 2, 1}};
    struct seen *seen = shared_alloc(sizeof *seen);
    pf_pipeline *p = build(&g, &sh, seen);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(seen->records, 2000);
    pf_pipeline_free(p);
    shared_free(seen, sizeof *seen);
}

/* ---- ordered stages ------------------------------------------------------ */

static int seq_source(pf_ctx *ctx, void *arg)
{
    uint64_t n = *(const uint64_t *)arg;
    for (uint64_t i = 0; i < n; i++) {
        int rc = pf_emit(ctx, &i, sizeof i);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Uneven: worker speed depends on its index and the record; some records
 * give no output and some give three. */
static int uneven(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    (void)len;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if ((v + (uint64_t)pf_worker_index(ctx)) % 53 == 0)
        usleep(300 * (unsigned)(pf_worker_index(ctx) + 1));
    if (v % 7 == 3)
        return 0;
    int copies = v % 11 == 5 ? 3 : 1;
    for (int c = 0; c < copies; c++) {
        uint64_t out = v * 4 + (uint64_t)c;
        int rc = pf_emit(ctx, &out, sizeof out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The sink checks each value against the serial expectation. */
static int in_order(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)len;
    struct seen *s = arg;
    uint64_t v, want;
    memcpy(&v, rec, sizeof v);
    /* s->value is the next input value expected to produce output. */
    for (;;) {
        uint64_t i = s->value / 4, c = s->value % 4;
        int copies = i % 11 == 5 ? 3 : 1;
        if (i % 7 == 3 || c >= (uint64_t)copies) {
            s->value = (i + 1) * 4;
            continue;
        }
        want = s->value;
        break;
    }
    if (v != want && s->flag == 0) {
        s->flag = 1;
        fprintf(stderr, "out of order: got %llu want %llu\n",
                (unsigned long long)v, (unsigned long long)want);
    }
    s->value++;
    s->records++;
    return 0;
}

TEST(ordered_output_with_uneven_worker_speeds)
{
    uint64_t n = 20000;
    struct seen *seen = shared_alloc(sizeof *seen);
    for (int workers = 1; workers <= 6; workers += 5) {
        memset(seen, 0, sizeof *seen);
        pf_pipeline *p = pf_pipeline_new();
        pf_source(p, "numbers", seq_source, &n);
        pf_stage *mid = pf_stage_add(p, "uneven", uneven, NULL);
        ASSERT_EQ(pf_stage_workers(mid, workers), 0);
        ASSERT_EQ(pf_stage_ordered(mid, 1), 0);
        ASSERT_EQ(pf_stage_prefetch(mid, workers == 1 ? 0 : 2), 0);
        pf_stage_add(p, "check", in_order, seen);
        pf_options o;
        pf_options_init(&o);
        o.batch_bytes = 256; /* many small batches: many turns */
        o.progress = 0;
        pf_pipeline_set_options(p, &o);
        ASSERT_EQ(pf_run(p), 0);
        ASSERT_EQ(seen->flag, 0);
        uint64_t want = 0;
        for (uint64_t i = 0; i < n; i++)
            want += i % 7 == 3 ? 0 : i % 11 == 5 ? 3 : 1;
        ASSERT_UEQ(seen->records, want);
        pf_pipeline_free(p);
    }
    shared_free(seen, sizeof *seen);
}

TEST(ordered_stage_needs_single_worker_neighbours)
{
    uint64_t n = 1;
    pf_pipeline *p = pf_pipeline_new();
    pf_stage *src = pf_source(p, "numbers", seq_source, &n);
    pf_stage_workers(src, 2);
    pf_stage *mid = pf_stage_add(p, "mid", pass, NULL);
    pf_stage_ordered(mid, 1);
    pf_stage_add(p, "sink", count_sink, NULL);
    ASSERT_EQ(pf_run(p), PF_EINVAL);
    pf_pipeline_free(p);
}

/* ---- keyed routing ------------------------------------------------------- */

#define NKEYS 97

struct keyed {
    _Atomic int owner[NKEYS]; /* worker that saw the key, -1 none */
    _Atomic int conflict;
    _Atomic uint64_t total[NKEYS];
    _Atomic uint64_t records;
};

static int key_source(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (uint32_t i = 0; i < 100000; i++) {
        uint32_t k = (i * 2654435761u) % NKEYS;
        char key[16];
        int kl = snprintf(key, sizeof key, "key-%u", k);
        int rc = pf_emit_key(ctx, key, (size_t)kl, &k, sizeof k);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static uint64_t local_counts[NKEYS];

static int key_count(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    struct keyed *kd = arg;
    uint32_t k;
    (void)len;
    memcpy(&k, rec, sizeof k);
    int expect = -1;
    int me = pf_worker_index(ctx);
    if (!atomic_compare_exchange_strong(&kd->owner[k], &expect, me) &&
        expect != me)
        kd->conflict = 1;
    local_counts[k]++;
    return 0;
}

/* Partial aggregates leave from the finish hook. */
static int key_flush(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (uint32_t k = 0; k < NKEYS; k++) {
        if (local_counts[k] == 0)
            continue;
        uint64_t pair[2] = {k, local_counts[k]};
        int rc = pf_emit(ctx, pair, sizeof pair);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int key_merge(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)len;
    struct keyed *kd = arg;
    uint64_t pair[2];
    memcpy(pair, rec, sizeof pair);
    kd->total[pair[0]] += pair[1];
    kd->records++;
    return 0;
}

TEST(keyed_routing_sends_each_key_to_one_worker)
{
    struct keyed *kd = shared_alloc(sizeof *kd);
    for (int k = 0; k < NKEYS; k++)
        kd->owner[k] = -1;
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "keys", key_source, NULL);
    pf_stage *agg = pf_stage_add(p, "count", key_count, kd);
    pf_stage_workers(agg, 5);
    pf_stage_hooks(agg, NULL, key_flush);
    pf_stage_add(p, "merge", key_merge, kd);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_EQ(kd->conflict, 0);
    /* Each key arrives once at the merge: one partial per key. */
    ASSERT_UEQ(kd->records, NKEYS);
    uint64_t want[NKEYS] = {0}, sum = 0;
    for (uint32_t i = 0; i < 100000; i++)
        want[(i * 2654435761u) % NKEYS]++;
    for (int k = 0; k < NKEYS; k++) {
        ASSERT_UEQ(kd->total[k], want[k]);
        sum += kd->total[k];
    }
    ASSERT_UEQ(sum, 100000);
    /* More than one worker got keys. */
    int used[5] = {0}, nused = 0;
    for (int k = 0; k < NKEYS; k++)
        used[kd->owner[k]] = 1;
    for (int w = 0; w < 5; w++)
        nused += used[w];
    ASSERT_GE(nused, 4);
    pf_pipeline_free(p);
    shared_free(kd, sizeof *kd);
}

/* ---- latency, names, errors, stats --------------------------------------- */

/* Five 8-byte records, each emitted only once the sink has seen the one
 * before: were a record held back until more came (a batch filling up),
 * the sink would never see it and the source would wait here for good.
 * The wait is bounded only as a guard against a hang. */
static int trickle(pf_ctx *ctx, void *arg)
{
    struct seen *s = arg;
    for (uint64_t i = 0; i < 5; i++) {
        int rc = pf_emit(ctx, &i, sizeof i);
        if (rc != 0)
            return rc;
        uint64_t give_up =
            mono_ns() + (uint64_t)(30e9 * runner_timeout_scale());
        while (s->records <= i) /* atomic: struct seen */
            if (mono_ns() > give_up) {
                s->flag = 1; /* record i was held back */
                return 0;
            } else {
                usleep(1000);
            }
    }
    return 0;
}

static int count_seen(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)rec;
    (void)len;
    struct seen *s = arg;
    s->records++;
    return 0;
}

TEST(slow_trickle_is_not_held_back_by_batching)
{
    struct seen *seen = shared_alloc(sizeof *seen);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "trickle", trickle, seen);
    pf_stage *mid = pf_stage_add(p, "pass", pass, NULL);
    pf_stage_workers(mid, 2);
    pf_stage_add(p, "sink", count_seen, seen);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(seen->records, 5);
    /* Each record is 8 bytes, far below a batch: only the flush deadline
     * (2 ms) sends it on while no other record follows. */
    ASSERT_EQ(seen->flag, 0);
    pf_pipeline_free(p);
    shared_free(seen, sizeof *seen);
}

static int check_comm(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)rec;
    (void)len;
    struct seen *s = arg;
    char comm[32] = "", want[32];
    FILE *f = fopen("/proc/self/comm", "r");
    if (f != NULL) {
        if (fgets(comm, sizeof comm, f) == NULL)
            comm[0] = '\0';
        fclose(f);
    }
    comm[strcspn(comm, "\n")] = '\0';
    snprintf(want, sizeof want, "pf:%s/%d", pf_stage_name(ctx),
             pf_worker_index(ctx));
    if (strcmp(comm, want) != 0)
        s->flag = 1;
    s->records++;
    return pf_emit(ctx, rec, len);
}

TEST(workers_are_named_after_their_stage)
{
    struct seen *seen = shared_alloc(sizeof *seen);
    uint64_t n = 100;
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "numbers", seq_source, &n);
    pf_stage *mid = pf_stage_add(p, "parse", check_comm, seen);
    pf_stage_workers(mid, 3);
    struct seen *sink = shared_alloc(sizeof *sink);
    pf_stage_add(p, "sink", count_sink, sink);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(seen->records, 100);
    ASSERT_EQ(seen->flag, 0);
    pf_pipeline_free(p);
    shared_free(sink, sizeof *sink);
    shared_free(seen, sizeof *seen);
}

static int emit_from_sink(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    struct seen *s = arg;
    s->value = (uint64_t)(int64_t)pf_emit(ctx, rec, len);
    s->records++;
    return 0;
}

TEST(emit_from_the_sink_is_refused)
{
    struct seen *seen = shared_alloc(sizeof *seen);
    uint64_t n = 3;
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "numbers", seq_source, &n);
    pf_stage_add(p, "sink", emit_from_sink, seen);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_EQ((int64_t)seen->value, PF_ESTATE);
    pf_pipeline_free(p);
    shared_free(seen, sizeof *seen);
}

static int too_big_source(pf_ctx *ctx, void *arg)
{
    struct seen *s = arg;
    static char buf[5000];
    s->value = (uint64_t)(int64_t)pf_emit(ctx, buf, sizeof buf);
    return pf_emit(ctx, buf, 4096);
}

TEST(record_above_max_record_is_refused)
{
    struct seen *seen = shared_alloc(sizeof *seen);
    struct seen *sink = shared_alloc(sizeof *sink);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "big", too_big_source, seen);
    pf_stage_add(p, "sink", count_sink, sink);
    pf_options o;
    pf_options_init(&o);
    o.max_record = 4096;
    ASSERT_EQ(pf_pipeline_set_options(p, &o), 0);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_EQ((int64_t)seen->value, PF_E2BIG);
    ASSERT_UEQ(sink->records, 1);
    pf_pipeline_free(p);
    shared_free(seen, sizeof *seen);
    shared_free(sink, sizeof *sink);
}

TEST(builder_errors_are_sticky)
{
    uint64_t n = 1;
    pf_pipeline *p = pf_pipeline_new();
    ASSERT_NULL(pf_stage_add(p, "first", pass, NULL)); /* no source yet */
    ASSERT_NOT_NULL(pf_source(p, "numbers", seq_source, &n));
    ASSERT_NOT_NULL(pf_stage_add(p, "sink", pass, NULL));
    ASSERT_EQ(pf_run(p), PF_EINVAL);
    pf_pipeline_free(p);

    p = pf_pipeline_new();
    pf_stage *s = pf_source(p, "numbers", seq_source, &n);
    ASSERT_EQ(pf_stage_workers(s, 0), PF_EINVAL);
    ASSERT_EQ(pf_stage_workers(s, PF_MAX_WORKERS + 1), PF_EINVAL);
    pf_stage_add(p, "sink", pass, NULL);
    ASSERT_EQ(pf_run(p), PF_EINVAL);
    pf_pipeline_free(p);

    p = pf_pipeline_new();
    pf_source(p, "alone", seq_source, &n);
    ASSERT_EQ(pf_run(p), PF_EINVAL); /* a source alone is no pipeline */
    pf_pipeline_free(p);
    pf_pipeline_free(NULL);
}

TEST(error_names_and_messages)
{
    ASSERT_STREQ(pf_err_name(PF_EWORKER), "PF_EWORKER");
    ASSERT_STREQ(pf_strerror(PF_EINVAL), "invalid argument");
    ASSERT_STREQ(pf_strerror(0), "success");
    ASSERT_STREQ(pf_err_name(-99999), "PF_EUNKNOWN");
    ASSERT_EQ(PF_EINVAL, -22);
    ASSERT_STREQ(pf_version(), PF_VERSION_STRING);
}

static int slow_pass(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    usleep(2000);
    return pf_emit(ctx, rec, len);
}

TEST(stats_name_the_slow_stage_as_bottleneck)
{
    uint64_t n = 300;
    struct seen *sink = shared_alloc(sizeof *sink);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "numbers", seq_source, &n);
    pf_stage_add(p, "fast", pass, NULL);
    pf_stage_add(p, "slow", slow_pass, NULL);
    pf_stage_add(p, "sink", count_sink, sink);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_EQ(pf_pipeline_bottleneck(p), 2);
    pf_worker_stats ws;
    ASSERT_EQ(pf_pipeline_worker_stats(p, 2, 0, &ws), 0);
    ASSERT_UEQ(ws.records_in, 300);
    ASSERT_UGE(ws.ns_busy, 300u * 2000 * 1000);
    ASSERT_GT(ws.pid, 0);
    ASSERT_EQ(pf_pipeline_worker_stats(p, 2, 1, &ws), PF_EINVAL);
    pf_pipeline_free(p);
    shared_free(sink, sizeof *sink);
}

static pf_stage *busy_stage;

static void try_changes(const pf_pipeline *p, int final, void *arg)
{
    (void)p;
    (void) final;
    struct seen *s = arg;
    pf_options o;
    pf_options_init(&o);
    if (pf_stage_workers(busy_stage, 3) == PF_EBUSY &&
        pf_pipeline_set_options((pf_pipeline *)p, &o) == PF_EBUSY)
        s->flag = 1;
}

TEST(a_running_pipeline_refuses_changes)
{
    struct seen *seen = shared_alloc(sizeof *seen);
    struct gen g = {.n = 200, .lens = {10}, .nlens = 1};
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "source", gen_source, &g);
    busy_stage = pf_stage_add(p, "slow", slow_pass, NULL);
    pf_stage_add(p, "sink", count_sink, seen);
    pf_pipeline_on_progress(p, try_changes, seen);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_EQ(seen->flag, 1);
    ASSERT_EQ(pf_stage_workers(busy_stage, 3), 0); /* allowed again */
    pf_pipeline_free(p);
    shared_free(seen, sizeof *seen);
}
