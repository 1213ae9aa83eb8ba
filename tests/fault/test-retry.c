/*
 * test-retry.c - crash-proof pipelines: with retries, workers killed at
 * random are restarted and replay what they had not committed; the result
 * equals a crash-free run (exactly once).  Poison records go to the
 * dead-letter file; stalled workers are killed; what cannot be replayed
 * fails fast.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../unit/pftest.h"

#define NKEYS 1000

struct chaos {
    _Atomic int done;   /* the run is over: the killer stops */
    _Atomic int kills;  /* kills made */
    _Atomic int target; /* kills the monkey is to make */
    _Atomic uint64_t count[NKEYS], sum[NKEYS]; /* the sink's result */
    _Atomic uint64_t records;                  /* records the sink saw */
    _Atomic uint64_t hash_sum;
    _Atomic int order_bad;
    _Atomic uint64_t next; /* ordered: next value expected */
};

/* ---- a deterministic keyed source and a restartable aggregator ----------- */

static uint64_t n_records = 3000000;

/* Drive the kills from inside the run: a source at record i of n waits
 * until the monkey has made its share of c->target kills so far, so every
 * kill lands inside the run however fast or slow the machine is (a loaded
 * host, valgrind).  The last share is due before the last records. */
static void await_kills(struct chaos *c, uint64_t i, uint64_t n)
{
    int target = c->target;
    int due = (int)(i * (uint64_t)(target + 1) / n);
    if (due > target)
        due = target;
    while (c->kills < due)
        usleep(1000);
}

static int keyed_source(pf_ctx *ctx, void *arg)
{
    struct chaos *c = arg;
    for (uint64_t i = 0; i < n_records; i++) {
        uint32_t k = (uint32_t)((i * 2654435761u) % NKEYS);
        uint64_t rec[2] = {k, i};
        int rc = pf_emit_key(ctx, &k, sizeof k, rec, sizeof rec);
        if (rc == PF_ECANCELED)
            return 0;
        if (rc != 0)
            return rc;
        if (i % 8192 == 0)
            await_kills(c, i, n_records);
    }
    return 0;
}

/* Per-batch partial sums: no state survives a batch, so a worker may be
 * restarted at any time. */
static uint64_t part_count[NKEYS], part_sum[NKEYS];

static int aggregate(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)arg;
    (void)len;
    uint64_t r[2];
    memcpy(r, rec, sizeof r);
    part_count[r[0]]++;
    part_sum[r[0]] += r[1];
    return 0;
}

static int emit_partials(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (uint64_t k = 0; k < NKEYS; k++) {
        if (part_count[k] == 0)
            continue;
        uint64_t out[3] = {k, part_count[k], part_sum[k]};
        part_count[k] = part_sum[k] = 0;
        int rc = pf_emit(ctx, out, sizeof out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int merge(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)len;
    struct chaos *c = arg;
    uint64_t r[3];
    memcpy(r, rec, sizeof r);
    c->count[r[0]] += r[1];
    c->sum[r[0]] += r[2];
    c->records++;
    return 0;
}

/* ---- the killer ---------------------------------------------------------- */

/* Pids of this process's workers whose names start with one of the
 * prefixes; returns how many (at most max). */
static int workers_of(pid_t ppid, const char *const *prefixes, pid_t *out,
                      int max)
{
    int n = 0;
    for (int i = 0; prefixes[i] != NULL && n < max; i++)
        n += children_named(ppid, prefixes[i], out + n, max - n);
    return n;
}

/* Fork a process that SIGKILLs a random worker matching prefixes every
 * 10..50 ms, kills times, or until the run is over. */
static pid_t chaos_monkey(struct chaos *c, const char *const *prefixes,
                          int kills, unsigned seed)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid > 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    srand(seed);
    /* A process is killed once: a killed worker stays in /proc (dying,
     * then a zombie) until the supervisor reaps it, longer on a loaded
     * machine, and a second kill would count a restart that is not made. */
    pid_t killed[256];
    int nkilled = 0;
    while (!c->done && c->kills < kills && nkilled < 256) {
        usleep(10000 + (useconds_t)(rand() % 40000));
        pid_t w[64];
        int n = workers_of(parent, prefixes, w, 64), live = 0;
        for (int i = 0; i < n; i++) {
            int seen = 0;
            for (int k = 0; k < nkilled && !seen; k++)
                seen = killed[k] == w[i];
            if (!seen)
                w[live++] = w[i];
        }
        if (live == 0 || c->done)
            continue;
        pid_t victim = w[rand() % live];
        if (kill(victim, SIGKILL) == 0) {
            killed[nkilled++] = victim;
            c->kills++;
        }
    }
    _exit(0);
}

static void reap(pid_t pid)
{
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
}

/* Run p with options o while a monkey kills up to kills workers matching
 * victims; returns pf_run's result. */
static int run_chaos_with(pf_pipeline *p, struct chaos *c, const pf_options *o,
                          const char *const *victims, int kills, unsigned seed)
{
    ASSERT_EQ(pf_pipeline_set_options(p, o), 0);
    c->target = kills;
    pid_t monkey = chaos_monkey(c, victims, kills, seed);
    int rc = pf_run(p);
    c->done = 1;
    reap(monkey);
    return rc;
}

/* The same with retries (and ring_bytes when non-zero). */
static int run_chaos(pf_pipeline *p, struct chaos *c, int retries,
                     size_t ring_bytes, const char *const *victims, int kills,
                     unsigned seed)
{
    pf_options o;
    pf_options_init(&o);
    o.retries = retries;
    o.ring_bytes = ring_bytes;
    o.progress = 0;
    return run_chaos_with(p, c, &o, victims, kills, seed);
}

static pf_pipeline *keyed_pipeline(struct chaos *c)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "src", keyed_source, c);
    pf_stage *agg = pf_stage_add(p, "agg", aggregate, NULL);
    pf_stage_workers(agg, 3);
    pf_stage_batch_hook(agg, emit_partials);
    pf_stage_add(p, "merge", merge, c);
    return p;
}

TEST_TIMEOUT(chaos_keyed_aggregation_is_exactly_once, 300)
{
    uint64_t want_count[NKEYS] = {0}, want_sum[NKEYS] = {0};
    for (uint64_t i = 0; i < n_records; i++) {
        uint64_t k = (i * 2654435761u) % NKEYS;
        want_count[k]++;
        want_sum[k] += i;
    }
    const char *const victims[] = {"pf:src/", "pf:agg/", NULL};
    unsigned seeds[] = {1, 7, 42};
    int total_kills = 0;
    for (int r = 0; r < 3; r++) {
        struct chaos *c = shared_alloc(sizeof *c);
        pf_pipeline *p = keyed_pipeline(c);
        ASSERT_EQ(run_chaos(p, c, 5, 0, victims, 10, seeds[r]), 0);
        for (int k = 0; k < NKEYS; k++) {
            ASSERT_UEQ(c->count[k], want_count[k]);
            ASSERT_UEQ(c->sum[k], want_sum[k]);
        }
        pf_stage_stats st;
        pf_pipeline_stage_stats(p, 1, &st);
        uint32_t restarts = st.total.restarts;
        pf_pipeline_stage_stats(p, 0, &st);
        restarts += st.total.restarts;
        ASSERT_EQ((int)restarts, c->kills);
        /* The source waited for them: all ten landed inside the run. */
        ASSERT_EQ(c->kills, 10);
        runner_note("seed %u: %d workers killed and restarted", seeds[r],
                    c->kills);
        total_kills += c->kills;
        pf_pipeline_free(p);
        shared_free(c, sizeof *c);
    }
    ASSERT_EQ(total_kills, 30);
}

/* ---- a pass-through chain, checked with a checksum ----------------------- */

static int gen_source(pf_ctx *ctx, void *arg)
{
    const struct gen *g = arg;
    static unsigned char buf[200000];
    for (uint64_t i = 0; i < g->n; i++) {
        size_t len = gen_len(g, i);
        gen_fill(buf, len, i);
        int rc = pf_emit(ctx, buf, len);
        if (rc != 0)
            return rc == PF_ECANCELED ? 0 : rc;
    }
    return 0;
}

static int pass(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    return pf_emit(ctx, rec, len);
}

static int checksum_sink(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    struct chaos *c = arg;
    c->records++;
    c->hash_sum += rec_hash(rec, len);
    return 0;
}

TEST_TIMEOUT(chaos_three_stage_chain_loses_nothing_and_repeats_nothing, 300)
{
    struct gen g = {.n = 1000000, .lens = {20, 100, 3000, 7}, .nlens = 4};
    unsigned char *scratch = malloc(4096);
    uint64_t bytes, hash;
    gen_expect(&g, &bytes, &hash, scratch);
    free(scratch);
    const char *const victims[] = {"pf:src/", "pf:a/", "pf:b/", NULL};
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "src", gen_source, &g);
    pf_stage_workers(pf_stage_add(p, "a", pass, NULL), 2);
    pf_stage_workers(pf_stage_add(p, "b", pass, NULL), 3);
    pf_stage_add(p, "sink", checksum_sink, c);
    ASSERT_EQ(run_chaos(p, c, 3, 0, victims, 10, 99), 0);
    ASSERT_UEQ(c->records, g.n);
    ASSERT_UEQ(c->hash_sum, hash);
    ASSERT_GT(c->kills, 0);
    runner_note("%d workers killed and restarted", c->kills);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

/* Each small input record becomes a record larger than the ring, sent as
 * fragments by a worker that may die halfway through. */
static int expand(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    static unsigned char big[200000];
    uint64_t i;
    memcpy(&i, rec, sizeof i);
    size_t n = i % 2 ? 200000 : 90000;
    gen_fill(big, n, i);
    (void)len;
    return pf_emit(ctx, big, n);
}

static int slow_numbers(pf_ctx *ctx, void *arg)
{
    uint64_t n = *(const uint64_t *)arg;
    for (uint64_t i = 0; i < n; i++) {
        int rc = pf_emit(ctx, &i, sizeof i);
        if (rc != 0)
            return rc == PF_ECANCELED ? 0 : rc;
        if (i % 64 == 0)
            usleep(2000); /* a run long enough for the kills */
    }
    return 0;
}

TEST_TIMEOUT(chaos_records_larger_than_the_ring_are_replayed_whole, 300)
{
    /* 64 KiB rings: 90 kB and 200 kB records travel as fragments. */
    uint64_t n = 8000, hash = 0;
    unsigned char *scratch = malloc(200000);
    for (uint64_t i = 0; i < n; i++) {
        size_t len = i % 2 ? 200000 : 90000;
        gen_fill(scratch, len, i);
        hash += rec_hash(scratch, len);
    }
    free(scratch);
    const char *const victims[] = {"pf:src/", "pf:a/", NULL};
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "src", slow_numbers, &n);
    pf_stage_workers(pf_stage_add(p, "a", expand, NULL), 2);
    pf_stage_add(p, "sink", checksum_sink, c);
    ASSERT_EQ(run_chaos(p, c, 3, 65536, victims, 8, 3), 0);
    ASSERT_UEQ(c->records, n);
    ASSERT_UEQ(c->hash_sum, hash);
    ASSERT_GT(c->kills, 0);
    runner_note("%d workers killed and restarted", c->kills);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

static int abort_first_time(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    if (pf_worker_restarts(ctx) == 0)
        abort();
    return pf_emit(ctx, rec, len);
}

/* A record larger than the ring is released fragment by fragment as the
 * consumer copies it; a consumer that dies holding it cannot get it
 * again.  The run must fail, not lose the record. */
TEST(a_transform_killed_holding_a_record_larger_than_the_ring_fails)
{
    struct gen g = {.n = 3, .lens = {200000}, .nlens = 1};
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "src", gen_source, &g);
    pf_stage_add(p, "a", abort_first_time, NULL);
    pf_stage_add(p, "sink", checksum_sink, c);
    pf_options o;
    pf_options_init(&o);
    o.retries = 3;
    o.ring_bytes = 65536;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    ASSERT_EQ(pf_run(p), PF_EREPLAY);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

/* ---- ordered stages survive restarts
 * ------------------------------------------ */

static int numbers(pf_ctx *ctx, void *arg)
{
    uint64_t n = *(const uint64_t *)arg;
    for (uint64_t i = 0; i < n; i++) {
        int rc = pf_emit(ctx, &i, sizeof i);
        if (rc != 0)
            return rc == PF_ECANCELED ? 0 : rc;
    }
    return 0;
}

static int slowish(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (v % 1000 == 0)
        usleep(2000);
    return pf_emit(ctx, rec, len);
}

static int in_order(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)len;
    struct chaos *c = arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (v != c->next)
        c->order_bad = 1;
    c->next = v + 1;
    c->records++;
    return 0;
}

/* A dealing transform: three records out per record in, dealt in turn
 * to the ordered stage; killing it mid-record must not lose a MARK. */
static int triple(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    (void)len;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    for (uint64_t k = 0; k < 3; k++) {
        uint64_t out = v * 3 + k;
        int rc = pf_emit(ctx, &out, sizeof out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

TEST_TIMEOUT(chaos_ordered_stage_keeps_order_and_every_record, 300)
{
    uint64_t n = 150000;
    const char *const victims[] = {"pf:ord/", "pf:nums/", "pf:fan/", NULL};
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "nums", numbers, &n);
    pf_stage_add(p, "fan", triple, NULL);
    pf_stage *ord = pf_stage_add(p, "ord", slowish, NULL);
    pf_stage_workers(ord, 4);
    pf_stage_ordered(ord, 1);
    pf_stage_add(p, "check", in_order, c);
    ASSERT_EQ(run_chaos(p, c, 3, 0, victims, 10, 5), 0);
    ASSERT_EQ(c->order_bad, 0);
    ASSERT_UEQ(c->records, 3 * n);
    ASSERT_GT(c->kills, 0);
    runner_note("%d workers killed and restarted", c->kills);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

/* A source of numbers (src, called with src_arg), an ordered stage of
 * workers running fn, and a sink checking order into c. */
static pf_pipeline *ordered_pipeline(pf_source_fn src, void *src_arg,
                                     pf_record_fn fn, int workers,
                                     pf_record_fn check, struct chaos *c)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "nums", src, src_arg);
    pf_stage *ord = pf_stage_add(p, "ord", fn, NULL);
    pf_stage_workers(ord, workers);
    pf_stage_ordered(ord, 1);
    pf_stage_add(p, "check", check, c);
    return p;
}

/* Run p, whose sink checks order into c, with retries, ring_bytes and
 * batch_bytes (0: automatic) while ten workers matching victims are
 * killed; check that want records came, in order; free p and c.
 * Returns the kills made. */
static int ordered_chaos(pf_pipeline *p, struct chaos *c, int retries,
                         size_t ring_bytes, size_t batch_bytes,
                         const char *const *victims, unsigned seed,
                         uint64_t want)
{
    pf_options o;
    pf_options_init(&o);
    o.retries = retries;
    o.ring_bytes = ring_bytes;
    o.batch_bytes = batch_bytes;
    o.progress = 0;
    ASSERT_EQ(run_chaos_with(p, c, &o, victims, 10, seed), 0);
    ASSERT_EQ(c->order_bad, 0);
    ASSERT_UEQ(c->records, want);
    int kills = c->kills;
    ASSERT_GT(kills, 0);
    runner_note("seed %u: %d workers killed and restarted", seed, kills);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
    return kills;
}

TEST_TIMEOUT(chaos_a_source_dealing_to_an_ordered_stage_keeps_order, 300)
{
    /* The source deals small batches itself (a batch closes every four
     * records) and sleeps between them, so most kills find it just after
     * a batch it closed. */
    uint64_t n = 30000;
    const char *const victims[] = {"pf:ord/", "pf:nums/", NULL};
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p =
        ordered_pipeline(slow_numbers, &n, slowish, 3, in_order, c);
    ordered_chaos(p, c, 3, 0, 64, victims, 17, n);
}

/* One record of half a 4 KiB queue per record in: the four of a batch
 * pass through the queue two at a time, and the MARK after them waits
 * for the collector, which is slow. */
static int half_a_queue(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    (void)len;
    static unsigned char half[2040];
    memcpy(half, rec, sizeof(uint64_t));
    return pf_emit(ctx, half, sizeof half);
}

static int slow_in_order(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    usleep(100);
    return in_order(ctx, rec, len, arg);
}

TEST_TIMEOUT(chaos_an_ordered_stage_killed_waiting_to_pass_a_mark, 300)
{
    /* Killed while its MARK waits for room, a worker of the ordered stage
     * must write it again: without it the collector would take the next
     * batch from that queue as part of this one. */
    uint64_t n = 3000;
    const char *const victims[] = {"pf:ord/", NULL};
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p =
        ordered_pipeline(numbers, &n, half_a_queue, 2, slow_in_order, c);
    ordered_chaos(p, c, 3, 4096, 64, victims, 23, n);
}

/* Record v becomes two records, 2v and 2v + 1, each 8 bytes of value and
 * up to 1,000 bytes of padding: a relay that deals them on collects and
 * deals in one go. */
static int split_two(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    (void)len;
    static unsigned char out[1008];
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    for (uint64_t k = 0; k < 2; k++) {
        uint64_t w = v * 2 + k;
        memcpy(out, &w, sizeof w);
        int rc = pf_emit(ctx, out, 8 + (size_t)(w * 7919 % 1000));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* slow_numbers that waits for its share of the kills (await_kills). */
struct gated {
    uint64_t n;
    struct chaos *c;
};

static int gated_numbers(pf_ctx *ctx, void *arg)
{
    const struct gated *g = arg;
    for (uint64_t i = 0; i < g->n; i++) {
        int rc = pf_emit(ctx, &i, sizeof i);
        if (rc != 0)
            return rc == PF_ECANCELED ? 0 : rc;
        if (i % 64 == 0) {
            usleep(2000);
            await_kills(g->c, i, g->n);
        }
    }
    return 0;
}

TEST_TIMEOUT(chaos_two_ordered_stages_and_the_relay_between_them, 300)
{
    /* The shape of pipefan run -k with two stages: every process but the
     * last is killed at random; small batches and 16 KiB queues keep
     * MARKs and full queues frequent.  The source waits for the kills
     * (await_kills), so all ten land inside the run at any speed. */
    uint64_t n = 40000;
    const char *const victims[] = {"pf:nums/", "pf:one/", "pf:relay/",
                                   "pf:two/", NULL};
    static const unsigned seeds[] = {31, 32, 33};
    for (int i = 0; i < 3; i++) {
        struct chaos *c = shared_alloc(sizeof *c);
        struct gated g = {.n = n, .c = c};
        pf_pipeline *p = pf_pipeline_new();
        pf_source(p, "nums", gated_numbers, &g);
        pf_stage *one = pf_stage_add(p, "one", split_two, NULL);
        pf_stage_workers(one, 3);
        pf_stage_ordered(one, 1);
        pf_stage_add(p, "relay", pass, NULL);
        pf_stage *two = pf_stage_add(p, "two", slowish, NULL);
        pf_stage_workers(two, 2);
        pf_stage_ordered(two, 1);
        pf_stage_add(p, "check", in_order, c);
        ASSERT_EQ(ordered_chaos(p, c, 10, 16384, 256, victims, seeds[i], 2 * n),
                  10);
    }
}

/* A source that deals batches of one record each straight to an ordered
 * stage, and, in its first life, dies right after record die_after: its
 * last commit then holds that record's MARK. */
struct dealer {
    uint64_t n, die_after;
};

static int numbers_dying_once(pf_ctx *ctx, void *arg)
{
    const struct dealer *d = arg;
    for (uint64_t i = 0; i < d->n; i++) {
        uint64_t rec[8] = {i}; /* 64 bytes: every record ends a batch */
        int rc = pf_emit(ctx, rec, sizeof rec);
        if (rc != 0)
            return rc == PF_ECANCELED ? 0 : rc;
        if (i == d->die_after && pf_worker_restarts(ctx) == 0)
            raise(SIGKILL);
    }
    return 0;
}

TEST(a_dealing_source_restarted_after_a_batch_deals_the_next_ring)
{
    /* Killed between two records, the source must deal its next batch to
     * the ring after the one it had closed, as the collector expects. */
    for (uint64_t die = 0; die < 4; die++) {
        struct dealer d = {.n = 2000, .die_after = 500 + die};
        struct chaos *c = shared_alloc(sizeof *c);
        pf_pipeline *p =
            ordered_pipeline(numbers_dying_once, &d, pass, 3, in_order, c);
        pf_options o;
        pf_options_init(&o);
        o.retries = 1;
        o.batch_bytes = 64;
        o.progress = 0;
        ASSERT_EQ(pf_pipeline_set_options(p, &o), 0);
        ASSERT_EQ(pf_run(p), 0);
        pf_stage_stats st;
        ASSERT_EQ(pf_pipeline_stage_stats(p, 0, &st), 0);
        ASSERT_EQ((int)st.total.restarts, 1);
        ASSERT_EQ(c->order_bad, 0);
        ASSERT_UEQ(c->records, d.n);
        pf_pipeline_free(p);
        shared_free(c, sizeof *c);
    }
}

/* ---- poison records
 * ------------------------------------------------------------ */

#define POISON 77777

static int crash_on_poison(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (v == POISON)
        raise(SIGSEGV);
    return pf_emit(ctx, rec, len);
}

static int sum_sink(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)len;
    struct chaos *c = arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    c->records++;
    c->hash_sum += v;
    return 0;
}

static pf_pipeline *poison_pipeline(struct chaos *c, uint64_t *n, int retries,
                                    const char *dl, int policy)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "nums", numbers, n);
    pf_stage_workers(pf_stage_add(p, "crashy", crash_on_poison, NULL), 2);
    pf_stage_add(p, "sum", sum_sink, c);
    pf_options o;
    pf_options_init(&o);
    o.retries = retries;
    o.dead_letter = dl;
    o.poison = policy;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    return p;
}

TEST(a_record_that_segfaults_the_worker_is_quarantined)
{
    uint64_t n = 200000;
    char dl[512];
    snprintf(dl, sizeof dl, "%s/dead.letter", runner_tmpdir());
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = poison_pipeline(c, &n, 2, dl, PF_POISON_SKIP);
    ASSERT_EQ(pf_run(p), PF_EPOISON);
    /* Everything else counted exactly once. */
    ASSERT_UEQ(c->records, n - 1);
    ASSERT_UEQ(c->hash_sum, n * (n - 1) / 2 - POISON);
    pf_stage_stats st;
    pf_pipeline_stage_stats(p, 1, &st);
    ASSERT_UEQ(st.total.quarantined, 1);
    ASSERT_EQ(st.total.restarts, 3); /* 3 crashes: retries 2 + 1 */

    /* The dead-letter file reads back: header line, the bytes, newline. */
    FILE *f = fopen(dl, "r");
    ASSERT_NOT_NULL(f);
    char head[256];
    ASSERT_NOT_NULL(fgets(head, sizeof head, f));
    ASSERT_STRSTR(head, "PFDL1 stage=crashy ");
    /* Under ASan the SIGSEGV is sometimes caught by ASan itself, which
     * then exits with status 1. */
    if (strstr(head, "reason=\"killed by signal 11 (SIGSEGV)\"") == NULL &&
        !(RUNNER_ASAN && strstr(head, "reason=\"exited with status 1\"")))
        FAIL("unexpected dead-letter header: %s", head);
    ASSERT_STRSTR(head, "bytes=8\n");
    uint64_t v = 0;
    ASSERT_EQ(fread(&v, 1, sizeof v, f), sizeof v);
    ASSERT_UEQ(v, POISON);
    ASSERT_EQ(fgetc(f), '\n');
    ASSERT_EQ(fgetc(f), EOF);
    fclose(f);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

static int fail_on_poison(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    return v == POISON ? -1 : pf_emit(ctx, rec, len);
}

/* A failing function counts like a crash: retried, then quarantined -
 * not restarted forever. */
TEST(a_record_the_function_fails_on_is_quarantined_after_retries)
{
    uint64_t n = 100000;
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "nums", numbers, &n);
    pf_stage_workers(pf_stage_add(p, "picky", fail_on_poison, NULL), 2);
    pf_stage_add(p, "sum", sum_sink, c);
    pf_options o;
    pf_options_init(&o);
    o.retries = 2;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    ASSERT_EQ(pf_run(p), PF_EPOISON);
    ASSERT_UEQ(c->records, n - 1);
    ASSERT_UEQ(c->hash_sum, n * (n - 1) / 2 - POISON);
    pf_stage_stats st;
    pf_pipeline_stage_stats(p, 1, &st);
    ASSERT_EQ(st.total.restarts, 3);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

TEST(without_retries_the_poison_record_fails_fast)
{
    uint64_t n = 200000;
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = poison_pipeline(c, &n, 0, NULL, PF_POISON_SKIP);
    ASSERT_EQ(pf_run(p), PF_EWORKER);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

TEST(poison_policy_fail_ends_the_run)
{
    uint64_t n = 200000;
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = poison_pipeline(c, &n, 1, NULL, PF_POISON_FAIL);
    ASSERT_EQ(pf_run(p), PF_EPOISON);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

/* ---- stalls
 * ---------------------------------------------------------------------- */

static int hang_on_poison(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (v == 500)
        for (;;)
            pause();
    return pf_emit(ctx, rec, len);
}

TEST(a_worker_stalled_on_a_record_is_killed_and_the_record_quarantined)
{
    uint64_t n = 2000;
    char dl[512];
    snprintf(dl, sizeof dl, "%s/dead.letter", runner_tmpdir());
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "nums", numbers, &n);
    pf_stage_workers(pf_stage_add(p, "lookup", hang_on_poison, NULL), 3);
    pf_stage_add(p, "sum", sum_sink, c);
    pf_options o;
    pf_options_init(&o);
    o.retries = 1;
    o.stall_ms = 200;
    o.dead_letter = dl;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    ASSERT_EQ(pf_run(p), PF_EPOISON);
    ASSERT_UEQ(c->records, n - 1);
    ASSERT_UEQ(c->hash_sum, n * (n - 1) / 2 - 500);
    FILE *f = fopen(dl, "r");
    ASSERT_NOT_NULL(f);
    char head[256];
    ASSERT_NOT_NULL(fgets(head, sizeof head, f));
    ASSERT_STRSTR(head, "reason=\"stalled\"");
    fclose(f);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

static int slow_sum(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    usleep(200);
    return sum_sink(ctx, rec, len, arg);
}

static uint64_t batch_sum;

static int add_up(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)arg;
    (void)len;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    batch_sum += v;
    return 0;
}

static int emit_sum(pf_ctx *ctx, void *arg)
{
    (void)arg;
    uint64_t v = batch_sum;
    batch_sum = 0;
    return pf_emit(ctx, &v, sizeof v);
}

/* Waiting on a slow consumer, in a batch hook or idle, is not a stall. */
TEST(a_worker_waiting_on_a_slow_consumer_is_not_stalled)
{
    uint64_t n = 300000;
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "nums", numbers, &n);
    pf_stage *agg = pf_stage_add(p, "agg", add_up, NULL);
    pf_stage_workers(agg, 2);
    pf_stage_batch_hook(agg, emit_sum);
    pf_stage_add(p, "sum", slow_sum, c);
    pf_options o;
    pf_options_init(&o);
    o.retries = 1;
    o.stall_ms = 100;
    o.ring_bytes = 4096;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(c->hash_sum, n * (n - 1) / 2);
    pf_stage_stats st;
    pf_pipeline_stage_stats(p, 1, &st);
    ASSERT_EQ(st.total.restarts, 0);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

/* ---- what is not restarted fails fast
 * -------------------------------------------- */

static int die_at_100(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)len;
    struct chaos *c = arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (v == 100)
        abort();
    c->records++;
    return 0;
}

TEST(a_dying_sink_fails_fast_even_with_retries)
{
    uint64_t n = 1000;
    struct chaos *c = shared_alloc(sizeof *c);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "nums", numbers, &n);
    pf_stage_add(p, "sink", die_at_100, c);
    pf_options o;
    pf_options_init(&o);
    o.retries = 5;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    ASSERT_EQ(pf_run(p), PF_EWORKER);
    pf_pipeline_free(p);
    shared_free(c, sizeof *c);
}

static int stateful_finish(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 0;
}

static int die_once(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (v == 100 && pf_worker_restarts(ctx) == 0)
        abort();
    return pf_emit(ctx, rec, len);
}

TEST(a_stage_with_state_is_not_restarted_unless_declared)
{
    for (int declared = 0; declared <= 1; declared++) {
        uint64_t n = 1000;
        struct chaos *c = shared_alloc(sizeof *c);
        pf_pipeline *p = pf_pipeline_new();
        pf_source(p, "nums", numbers, &n);
        pf_stage *mid = pf_stage_add(p, "mid", die_once, NULL);
        pf_stage_hooks(mid, NULL, stateful_finish);
        if (declared)
            pf_stage_restartable(mid, 1);
        pf_stage_add(p, "sum", sum_sink, c);
        pf_options o;
        pf_options_init(&o);
        o.retries = 2;
        o.progress = 0;
        pf_pipeline_set_options(p, &o);
        ASSERT_EQ(pf_run(p), declared ? 0 : PF_EWORKER);
        if (declared) {
            ASSERT_UEQ(c->records, n);
            ASSERT_UEQ(c->hash_sum, n * (n - 1) / 2);
        }
        pf_pipeline_free(p);
        shared_free(c, sizeof *c);
    }
}
