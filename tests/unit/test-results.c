/*
 * test-results.c - the calls of issue 23: a result back in the caller
 * (pf_result_set, pf_pipeline_result), shared memory and its lock
 * (pf_shared, pf_shared_lock), the pool map (pf_map), the stage tick and
 * the progress callback in serial mode; each in process mode and in
 * serial mode, and under retries where a worker is killed.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pftest.h"

#define N 2000

/* Quiet the runtime's expected error lines. */
static void quiet(int level PF_UNUSED, const char *line PF_UNUSED,
                  size_t len PF_UNUSED, void *arg PF_UNUSED)
{
}

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0)
        ;
}

static int numbers(pf_ctx *ctx, void *arg PF_UNUSED)
{
    for (uint64_t i = 1; i <= N; i++)
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return -1;
    return 0;
}

/* What the tests' workers share with the test. */
struct box {
    _Atomic uint64_t count;
    _Atomic uint64_t ticks;
    _Atomic uint64_t recovered;
    pf_mutex lock;
    uint64_t guarded;
    int emit_while_waiting; /* serial mode: no idle, keep records coming */
};

/* Doubles each number; on its first life, with arg a box, kills itself
 * at number 777 (after some batches were committed). */
static int twice(pf_ctx *ctx, const void *rec, size_t len PF_UNUSED, void *arg)
{
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (arg != NULL && v == 777 && pf_worker_restarts(ctx) == 0)
        raise(SIGKILL);
    v *= 2;
    return pf_emit(ctx, &v, sizeof v);
}

/* The sink: a running sum kept in its worker data... here a static, as
 * the sink is one process; the result is set after every record, so a
 * run proves the last write wins. */
static uint64_t sink_sum;
static int sum_and_set(pf_ctx *ctx, const void *rec, size_t len PF_UNUSED,
                       void *arg PF_UNUSED)
{
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    sink_sum += v;
    return pf_result_set(ctx, &sink_sum, sizeof sink_sum);
}

static int reset_sum(pf_ctx *ctx PF_UNUSED, void *arg PF_UNUSED)
{
    sink_sum = 0;
    return 0;
}

static pf_pipeline *sum_pipeline(int serial, int retries, void *twice_arg)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "numbers", numbers, NULL);
    pf_stage *t = pf_stage_add(p, "twice", twice, twice_arg);
    pf_stage_workers(t, 3);
    pf_stage *s = pf_stage_add(p, "sum", sum_and_set, NULL);
    pf_stage_hooks(s, reset_sum, NULL);
    pf_options o;
    pf_options_init(&o);
    o.serial = serial;
    o.progress = 0;
    o.retries = retries;
    o.batch_bytes = 64;
    pf_pipeline_set_options(p, &o);
    return p;
}

static uint64_t result_u64(const pf_pipeline *p)
{
    const void *data;
    size_t len;
    ASSERT_EQ(pf_pipeline_result(p, &data, &len), 0);
    ASSERT_UEQ(len, sizeof(uint64_t));
    uint64_t v;
    memcpy(&v, data, sizeof v);
    return v;
}

#define SUM2 ((uint64_t)N * (N + 1)) /* 2 * (1 + ... + N) */

TEST(the_sinks_result_reaches_the_caller)
{
    pf_pipeline *p = sum_pipeline(0, 0, NULL);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(result_u64(p), SUM2);
    ASSERT_UEQ(sink_sum, 0); /* the sink was another process */
    /* a second run replaces it */
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(result_u64(p), SUM2);
    pf_pipeline_free(p);
}

TEST(serial_mode_gives_the_same_result)
{
    pf_pipeline *p = sum_pipeline(1, 0, NULL);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(result_u64(p), SUM2);
    pf_pipeline_free(p);
}

TEST(a_replayed_stage_does_not_double_the_result)
{
    struct box *b = shared_alloc(sizeof *b);
    pf_pipeline *p = sum_pipeline(0, 2, b);
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_run(p), 0);
    pf_log_set_sink(NULL, NULL);
    ASSERT_UEQ(result_u64(p), SUM2);
    ASSERT_EQ(pf_pipeline_failures(p), 1);
    pf_failure f;
    ASSERT_EQ(pf_pipeline_failure(p, 0, &f), 0);
    ASSERT_EQ(f.action, PF_FAIL_RESTARTED);
    pf_pipeline_free(p);
    shared_free(b, sizeof *b);
}

static int drop(pf_ctx *ctx PF_UNUSED, const void *rec PF_UNUSED,
                size_t len PF_UNUSED, void *arg PF_UNUSED)
{
    return 0;
}

TEST(no_result_is_enoent_and_arguments_are_checked)
{
    pf_pipeline *p = pf_pipeline_new();
    const void *data = NULL;
    size_t len = 0;
    ASSERT_EQ(pf_pipeline_result(p, &data, &len), PF_ENOENT);
    pf_source(p, "numbers", numbers, NULL);
    pf_stage_add(p, "drop", drop, NULL);
    pf_options o;
    pf_options_init(&o);
    o.progress = 0;
    o.serial = 0;
    pf_pipeline_set_options(p, &o);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_EQ(pf_pipeline_result(p, &data, &len), PF_ENOENT);
    ASSERT_EQ(pf_pipeline_result(NULL, &data, &len), PF_EINVAL);
    ASSERT_EQ(pf_pipeline_result(p, NULL, &len), PF_EINVAL);
    ASSERT_EQ(pf_result_set(NULL, "x", 1), PF_EINVAL);
    pf_pipeline_free(p);
}

/* ---- pf_shared and its lock ------------------------------------------- */

static int count_shared(pf_ctx *ctx PF_UNUSED, const void *rec PF_UNUSED,
                        size_t len PF_UNUSED, void *arg)
{
    struct box *b = arg;
    atomic_fetch_add(&b->count, 1);
    int rc = pf_shared_lock(&b->lock);
    if (rc < 0)
        return rc;
    b->guarded++;
    return pf_shared_unlock(&b->lock);
}

static void shared_counts(int serial)
{
    pf_pipeline *p = pf_pipeline_new();
    struct box *b = pf_shared(p, sizeof *b);
    ASSERT_NOT_NULL(b);
    ASSERT_EQ(pf_mutex_init(&b->lock), 0);
    pf_source(p, "numbers", numbers, NULL);
    pf_stage *s = pf_stage_add(p, "count", count_shared, b);
    pf_stage_workers(s, 4);
    pf_options o;
    pf_options_init(&o);
    o.serial = serial;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(atomic_load(&b->count), N);
    ASSERT_UEQ(b->guarded, N);
    /* it keeps its contents from run to run */
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(b->guarded, 2 * N);
    pf_pipeline_free(p); /* unmaps it */
}

TEST(shared_memory_is_seen_by_workers_and_caller)
{
    shared_counts(0);
}

TEST(shared_memory_in_serial_mode)
{
    shared_counts(1);
}

TEST(pf_shared_is_a_builder)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_log_set_sink(quiet, NULL);
    ASSERT_NULL(pf_shared(p, 0));
    pf_log_set_sink(NULL, NULL);
    ASSERT_NULL(pf_shared(NULL, 8));
    pf_source(p, "numbers", numbers, NULL);
    pf_stage_add(p, "drop", drop, NULL);
    ASSERT_EQ(pf_run(p), PF_EINVAL); /* remembered */
    pf_pipeline_free(p);
    ASSERT_EQ(pf_mutex_init(NULL), PF_EINVAL);
    ASSERT_EQ(pf_shared_lock(NULL), PF_EINVAL);
    ASSERT_EQ(pf_shared_unlock(NULL), PF_EINVAL);
}

TEST(the_lock_recovers_from_a_holder_that_died)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_mutex *m = pf_shared(p, sizeof *m);
    ASSERT_EQ(pf_mutex_init(m), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        pf_shared_lock(m);
        _exit(0); /* dies holding it */
    }
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_shared_lock(m), 1);
    pf_log_set_sink(NULL, NULL);
    ASSERT_EQ(pf_shared_unlock(m), 0);
    ASSERT_EQ(pf_shared_lock(m), 0); /* usable again */
    ASSERT_EQ(pf_shared_unlock(m), 0);
    ASSERT_EQ(pf_shared_unlock(m), PF_ESTATE); /* not held */
    pf_pipeline_free(p);
}

/* Takes the lock, and on its first life dies holding it at 500. */
static int die_holding(pf_ctx *ctx, const void *rec, size_t len PF_UNUSED,
                       void *arg)
{
    struct box *b = arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    int rc = pf_shared_lock(&b->lock);
    if (rc < 0)
        return rc;
    if (rc == 1)
        atomic_fetch_add(&b->recovered, 1);
    if (v == 500 && pf_worker_restarts(ctx) == 0)
        raise(SIGKILL);
    b->guarded = v > b->guarded ? v : b->guarded; /* idempotent: a max */
    return pf_shared_unlock(&b->lock);
}

TEST(a_worker_killed_holding_the_lock_is_restarted_and_the_lock_recovers)
{
    pf_pipeline *p = pf_pipeline_new();
    struct box *b = pf_shared(p, sizeof *b);
    ASSERT_EQ(pf_mutex_init(&b->lock), 0);
    pf_source(p, "numbers", numbers, NULL);
    pf_stage *s = pf_stage_add(p, "locker", die_holding, b);
    pf_stage_workers(s, 2);
    pf_stage_add(p, "drop", drop, NULL);
    pf_options o;
    pf_options_init(&o);
    o.serial = 0;
    o.progress = 0;
    o.retries = 1;
    o.batch_bytes = 64;
    pf_pipeline_set_options(p, &o);
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_run(p), 0);
    pf_log_set_sink(NULL, NULL);
    ASSERT_UEQ(atomic_load(&b->recovered), 1);
    ASSERT_UEQ(b->guarded, N);
    pf_pipeline_free(p);
}

/* ---- pf_map -------------------------------------------------------------- */

/* The result of an item: "<index>:<its text reversed>"; with arg a box,
 * the first life of a worker dies on item 37. */
static int reverse(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    const char *s = rec;
    if (arg != NULL && arg != (void *)1 && len >= 5 &&
        memcmp(s, "w0037", 5) == 0 && pf_worker_restarts(ctx) == 0)
        raise(SIGKILL);
    if (len >= 5 && memcmp(s, "w0013", 5) == 0 && arg == (void *)1)
        return -1;
    char out[64];
    for (size_t i = 0; i < len; i++)
        out[i] = s[len - 1 - i];
    return pf_result_set(ctx, out, len);
}

#define NITEMS 300

static pf_item *make_items(char (*text)[16])
{
    pf_item *items = calloc(NITEMS, sizeof *items);
    for (int i = 0; i < NITEMS; i++) {
        int n = snprintf(text[i], 16, "w%04d-%d", i, i * 7);
        items[i].data = text[i];
        items[i].len = (size_t)n;
    }
    return items;
}

static void check_map(int serial, int completion, int retries, void *arg)
{
    static char text[NITEMS][16];
    pf_item *items = make_items(text);
    pf_map_options o;
    pf_map_options_init(&o);
    o.workers = 4;
    o.completion_order = completion;
    o.run.serial = serial;
    o.run.progress = 0;
    o.run.retries = retries;
    pf_item *out = NULL;
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_map(items, NITEMS, reverse, arg, &o, &out), 0);
    pf_log_set_sink(NULL, NULL);
    ASSERT_NOT_NULL(out);
    int seen[NITEMS] = {0};
    for (int k = 0; k < NITEMS; k++) {
        size_t i = out[k].index;
        ASSERT_ULT(i, NITEMS);
        if (!completion)
            ASSERT_UEQ(i, k);
        seen[i]++;
        ASSERT_UEQ(out[k].len, items[i].len);
        ASSERT_EQ(((uintptr_t)out[k].data) % 16, 0);
        for (size_t j = 0; j < out[k].len; j++)
            ASSERT_EQ(((const char *)out[k].data)[j],
                      text[i][items[i].len - 1 - j]);
    }
    for (int i = 0; i < NITEMS; i++)
        ASSERT_EQ(seen[i], 1);
    free(out);
    free(items);
}

TEST(map_returns_results_in_input_order)
{
    check_map(0, 0, 0, NULL);
}

TEST(map_in_serial_mode)
{
    check_map(1, 0, 0, NULL);
}

TEST(map_in_completion_order_returns_each_item_once)
{
    check_map(0, 1, 0, NULL);
}

TEST(map_with_retries_survives_a_killed_worker_each_result_once)
{
    static struct box b;
    check_map(0, 0, 2, &b);
}

TEST(map_fails_fast_on_a_failing_function)
{
    static char text[NITEMS][16];
    pf_item *items = make_items(text);
    pf_map_options o;
    pf_map_options_init(&o);
    o.workers = 2;
    o.run.progress = 0;
    o.run.serial = 0;
    pf_item *out = (pf_item *)1;
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_map(items, NITEMS, reverse, (void *)1, &o, &out), PF_ESTAGE);
    pf_log_set_sink(NULL, NULL);
    ASSERT_NULL(out);
    ASSERT_EQ(pf_map(items, 0, reverse, NULL, &o, &out), 0);
    ASSERT_NULL(out);
    ASSERT_EQ(pf_map(items, 1, NULL, NULL, &o, &out), PF_EINVAL);
    ASSERT_EQ(pf_map(NULL, 1, reverse, NULL, &o, &out), PF_EINVAL);
    free(items);
}

static int crash_on_5(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    if (len >= 5 && memcmp(rec, "w0005", 5) == 0)
        raise(SIGKILL);
    return reverse(ctx, rec, len, arg);
}

TEST(map_quarantines_a_poison_item_and_returns_the_rest)
{
    static char text[NITEMS][16];
    pf_item *items = make_items(text);
    char dl[512];
    snprintf(dl, sizeof dl, "%s/dead", runner_tmpdir());
    pf_map_options o;
    pf_map_options_init(&o);
    o.workers = 2;
    o.run.progress = 0;
    o.run.serial = 0;
    o.run.retries = 1;
    o.run.poison = PF_POISON_SKIP;
    o.run.dead_letter = dl;
    pf_item *out = NULL;
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_map(items, NITEMS, crash_on_5, NULL, &o, &out), PF_EPOISON);
    pf_log_set_sink(NULL, NULL);
    ASSERT_NOT_NULL(out);
    for (int i = 0; i < NITEMS; i++) {
        ASSERT_UEQ(out[i].index, i);
        if (i == 5)
            ASSERT_NULL(out[i].data);
        else
            ASSERT_UEQ(out[i].len, items[i].len);
    }
    free(out);
    free(items);
}

/* ---- ticks and progress ------------------------------------------------- */

/* Emits 3 records, then waits (idle downstream) until the stage's tick
 * has run twice, then 3 more.  Serial mode has no idle: it emits while
 * waiting, a record per millisecond. */
static int slow_source(pf_ctx *ctx, void *arg)
{
    struct box *b = arg;
    uint64_t v = 1;
    for (int i = 0; i < 3; i++)
        if (pf_emit(ctx, &v, sizeof v) != 0)
            return -1;
    for (int waited = 0; atomic_load(&b->ticks) < 2 && waited < 30000;
         waited++) {
        if (pf_stopping(ctx))
            return 0;
        nap_ms(1);
        if (b->emit_while_waiting && pf_emit(ctx, &v, sizeof v) != 0)
            return -1;
    }
    for (int i = 0; i < 3; i++)
        if (pf_emit(ctx, &v, sizeof v) != 0)
            return -1;
    return 0;
}

static int pass(pf_ctx *ctx, const void *rec, size_t len, void *arg PF_UNUSED)
{
    return pf_emit(ctx, rec, len);
}

/* The tick: emits a 0 (a "partial") and counts itself. */
static int tick(pf_ctx *ctx, void *arg)
{
    struct box *b = arg;
    atomic_fetch_add(&b->ticks, 1);
    uint64_t zero = 0;
    return pf_emit(ctx, &zero, sizeof zero);
}

static int count_partials(pf_ctx *ctx PF_UNUSED, const void *rec,
                          size_t len PF_UNUSED, void *arg)
{
    struct box *b = arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (v == 0)
        atomic_fetch_add(&b->count, 1);
    return 0;
}

static int progress_calls, progress_finals;
static void on_progress(const pf_pipeline *p PF_UNUSED, int final,
                        void *arg PF_UNUSED)
{
    progress_calls++;
    progress_finals += final;
}

static void run_tick(int serial, int retries)
{
    pf_pipeline *p = pf_pipeline_new();
    struct box *b = pf_shared(p, sizeof *b);
    pf_source(p, "slow", slow_source, b);
    pf_stage *s = pf_stage_add(p, "pass", pass, b); /* b: the tick's arg */
    ASSERT_EQ(pf_stage_tick(s, 20, tick), 0);
    pf_stage_add(p, "count", count_partials, b);
    pf_options o;
    pf_options_init(&o);
    o.serial = serial;
    o.progress = 0;
    o.retries = retries; /* transactional commits of tick output */
    pf_pipeline_set_options(p, &o);
    progress_calls = progress_finals = 0;
    pf_pipeline_on_progress(p, on_progress, NULL);
    b->emit_while_waiting = serial;
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UGE(atomic_load(&b->ticks), 2);
    /* every partial a tick emitted reached the sink */
    ASSERT_UEQ(atomic_load(&b->count), atomic_load(&b->ticks));
    ASSERT_EQ(progress_finals, 1);
    ASSERT_GE(progress_calls, 1);
    pf_pipeline_free(p);
}

TEST(a_tick_runs_and_emits_while_the_stage_is_idle)
{
    run_tick(0, 0);
}

TEST(a_tick_with_retries_commits_its_output)
{
    run_tick(0, 2);
}

TEST(a_tick_and_the_final_progress_call_in_serial_mode)
{
    run_tick(1, 0);
}

TEST(tick_and_hooks_arguments)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_stage *src = pf_source(p, "numbers", numbers, NULL);
    pf_stage *s = pf_stage_add(p, "drop", drop, NULL);
    ASSERT_EQ(pf_stage_tick(NULL, 10, tick), PF_EINVAL);
    ASSERT_EQ(pf_stage_hooks(s, NULL, reset_sum), 0); /* init omitted */
    ASSERT_EQ(pf_stage_tick(s, 10, NULL), 0);
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_stage_tick(src, 10, tick), PF_EINVAL);
    pf_log_set_sink(NULL, NULL);
    ASSERT_EQ(pf_run(p), PF_EINVAL); /* remembered */
    pf_pipeline_free(p);
}

/* Emits, a record a millisecond, until the progress callback has been
 * called twice during the run (at most 30 s). */
static int until_progress(pf_ctx *ctx, void *arg PF_UNUSED)
{
    uint64_t v = 1;
    for (int i = 0; i < 30000 && progress_calls - progress_finals < 2; i++) {
        if (pf_emit(ctx, &v, sizeof v) != 0)
            return -1;
        nap_ms(1);
    }
    return 0;
}

TEST(serial_mode_calls_the_progress_callback_during_the_run)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "ticker", until_progress, NULL);
    pf_stage_add(p, "drop", drop, NULL);
    pf_options o;
    pf_options_init(&o);
    o.serial = 1;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    progress_calls = progress_finals = 0;
    pf_pipeline_on_progress(p, on_progress, NULL);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_GE(progress_calls - progress_finals, 2); /* during the run */
    ASSERT_EQ(progress_finals, 1);                  /* and the last one */
    pf_pipeline_free(p);
}
