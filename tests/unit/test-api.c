/*
 * test-api.c - the public calls around a run: per-worker data, the
 * failure records, the dead-letter reader, and the stats writers' errors.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pftest.h"

/* ---- shared fixtures ----------------------------------------------------- */

#define NREC 50

struct shared {
    _Atomic uint64_t seen;   /* records the sink got */
    _Atomic uint64_t tagged; /* of those, tagged with the right worker */
    _Atomic int freed;       /* data_free calls (serial mode) */
};

static int source(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (int i = 1; i <= NREC; i++) {
        char rec[32];
        int n = snprintf(rec, sizeof rec, "%s%d", i == 7 ? "poison" : "r", i);
        int rc = pf_emit(ctx, rec, (size_t)n);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Per-worker data: this worker's index and how many records it saw. */
struct wdata {
    int index;
    int records;
};

static int tag_init(pf_ctx *ctx, void *arg)
{
    (void)arg;
    struct wdata *d = malloc(sizeof *d);
    if (d == NULL)
        return -1;
    d->index = pf_worker_index(ctx);
    d->records = 0;
    return pf_worker_set_data(ctx, d);
}

static int tag_record(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    struct wdata *d = pf_worker_data(ctx);
    if (d == NULL || d->index != pf_worker_index(ctx))
        return -1;
    d->records++;
    return pf_emit(ctx, rec, len);
}

static int count_record(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    struct shared *sh = arg;
    (void)ctx;
    (void)rec;
    (void)len;
    atomic_fetch_add(&sh->seen, 1);
    atomic_fetch_add(&sh->tagged, 1);
    return 0;
}

static struct shared *freed_into;

static void data_free(void *data)
{
    free(data);
    atomic_fetch_add(&freed_into->freed, 1);
}

static pf_pipeline *tagged_pipeline(struct shared *sh, int workers, int serial)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "src", source, NULL);
    pf_stage *t = pf_stage_add(p, "tag", tag_record, NULL);
    pf_stage_workers(t, workers);
    pf_stage_hooks(t, tag_init, NULL);
    pf_stage_data_free(t, data_free);
    pf_stage_add(p, "sink", count_record, sh);
    pf_options o;
    pf_options_init(&o);
    o.serial = serial;
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    freed_into = sh;
    return p;
}

TEST(worker_data_belongs_to_its_worker)
{
    struct shared *sh = shared_alloc(sizeof *sh);
    pf_pipeline *p = tagged_pipeline(sh, 3, 0);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(atomic_load(&sh->seen), NREC);
    /* a worker process exits without the free function */
    ASSERT_EQ(atomic_load(&sh->freed), 0);
    ASSERT_EQ(pf_pipeline_failures(p), 0);
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

TEST(serial_mode_frees_worker_data_when_the_run_ends)
{
    struct shared *sh = shared_alloc(sizeof *sh);
    pf_pipeline *p = tagged_pipeline(sh, 3, 1);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(atomic_load(&sh->seen), NREC);
    ASSERT_EQ(atomic_load(&sh->freed), 1); /* one worker per stage */
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

TEST(worker_data_arguments)
{
    ASSERT_EQ(pf_worker_set_data(NULL, NULL), PF_EINVAL);
    ASSERT_NULL(pf_worker_data(NULL));
    ASSERT_EQ(pf_stage_data_free(NULL, NULL), PF_EINVAL);
}

/* ---- failure records ----------------------------------------------------- */

/* Fails (how: 0 returns -1, else raises that signal) on "poison". */
static int fail_on_poison(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    int how = (int)(intptr_t)arg;
    if (len >= 6 && memcmp(rec, "poison", 6) == 0) {
        if (how == 0)
            return -1;
        raise(how);
    }
    return pf_emit(ctx, rec, len);
}

static pf_pipeline *failing_pipeline(struct shared *sh, int how, int retries,
                                     const char *dead_letter)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "src", source, NULL);
    pf_stage_add(p, "check", fail_on_poison, (void *)(intptr_t)how);
    pf_stage_add(p, "sink", count_record, sh);
    pf_options o;
    pf_options_init(&o);
    o.serial = 0;
    o.progress = 0;
    o.retries = retries;
    o.dead_letter = dead_letter;
    o.batch_bytes = 64; /* small batches: the records before 7 commit */
    pf_pipeline_set_options(p, &o);
    return p;
}

/* Quiet the runtime's expected error lines. */
static void quiet(int level, const char *line, size_t len, void *arg)
{
    (void)level;
    (void)line;
    (void)len;
    (void)arg;
}

TEST(a_failing_stage_function_leaves_a_failure_record)
{
    struct shared *sh = shared_alloc(sizeof *sh);
    pf_pipeline *p = failing_pipeline(sh, 0, 0, NULL);
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_run(p), PF_ESTAGE);
    pf_log_set_sink(NULL, NULL);
    ASSERT_EQ(pf_pipeline_failures(p), 1);
    pf_failure f;
    ASSERT_EQ(pf_pipeline_failure(p, 0, &f), 0);
    ASSERT_EQ(f.stage, 1);
    ASSERT_STREQ(f.stage_name, "check");
    ASSERT_EQ(f.worker, 0);
    ASSERT_GT(f.pid, 0);
    ASSERT_EQ(f.cause, PF_FAIL_STAGE);
    ASSERT_EQ(f.error, PF_ESTAGE);
    ASSERT_EQ(f.action, PF_FAIL_STOPPED);
    ASSERT_UEQ(f.record, 7);
    ASSERT_EQ(f.signal, 0);
    ASSERT_UEQ(f.restarts, 0);
    ASSERT_STRSTR(f.message, "stage check worker 0 (pid ");
    ASSERT_STRSTR(f.message, "failed: a stage function failed");
    ASSERT_EQ(pf_pipeline_failure(p, 1, &f), PF_ENOENT);
    ASSERT_EQ(pf_pipeline_failure(p, -1, &f), PF_EINVAL);
    ASSERT_EQ(pf_pipeline_failure(NULL, 0, &f), PF_EINVAL);
    ASSERT_EQ(pf_pipeline_failure(p, 0, NULL), PF_EINVAL);
    /* a clean run forgets them */
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

TEST(a_killed_worker_is_recorded_with_its_signal)
{
    struct shared *sh = shared_alloc(sizeof *sh);
    pf_pipeline *p = failing_pipeline(sh, SIGUSR1, 0, NULL);
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_run(p), PF_EWORKER);
    pf_log_set_sink(NULL, NULL);
    pf_failure f;
    ASSERT_EQ(pf_pipeline_failure(p, 0, &f), 0);
    ASSERT_EQ(f.stage, 1);
    ASSERT_EQ(f.cause, PF_FAIL_SIGNALED);
    ASSERT_EQ(f.signal, SIGUSR1);
    ASSERT_EQ(f.error, PF_EWORKER);
    ASSERT_EQ(f.action, PF_FAIL_STOPPED);
    ASSERT_STRSTR(f.message, "killed by signal 10 (SIGUSR1) while running");
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

TEST(a_poison_record_is_restarted_quarantined_and_read_back)
{
    struct shared *sh = shared_alloc(sizeof *sh);
    char dl[512];
    snprintf(dl, sizeof dl, "%s/dead", runner_tmpdir());
    unlink(dl);
    pf_pipeline *p = failing_pipeline(sh, SIGUSR1, 1, dl);
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_run(p), PF_EPOISON);
    pf_log_set_sink(NULL, NULL);
    ASSERT_UEQ(atomic_load(&sh->seen), NREC - 1);
    /* first crash: restarted; second: quarantined, restarted */
    ASSERT_EQ(pf_pipeline_failures(p), 2);
    pf_failure f;
    ASSERT_EQ(pf_pipeline_failure(p, 0, &f), 0);
    ASSERT_EQ(f.action, PF_FAIL_RESTARTED);
    ASSERT_EQ(f.signal, SIGUSR1);
    ASSERT_UEQ(f.restarts, 0);
    ASSERT_STRSTR(f.message, "restarting it to replay");
    ASSERT_EQ(pf_pipeline_failure(p, 1, &f), 0);
    ASSERT_EQ(f.action, PF_FAIL_QUARANTINED);
    ASSERT_UEQ(f.restarts, 1);

    pf_dead_letter_file *d;
    ASSERT_EQ(pf_dead_letter_open(dl, 0, &d), 0);
    pf_dead_letter e;
    ASSERT_EQ(pf_dead_letter_next(d, &e), 1);
    ASSERT_STREQ(e.stage, "check");
    ASSERT_EQ(e.worker, 0);
    ASSERT_GT(e.pid, 0);
    ASSERT_EQ(e.cause, PF_FAIL_SIGNALED);
    ASSERT_EQ(e.signal, SIGUSR1);
    ASSERT_STREQ(e.reason, "killed by signal 10 (SIGUSR1)");
    ASSERT_UEQ(e.offset, 0);
    ASSERT_UEQ(e.len, 7);
    ASSERT_MEMEQ(e.record, "poison7", 7);
    ASSERT_EQ(pf_dead_letter_next(d, &e), 0);
    pf_dead_letter_close(d);
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

/* ---- the dead-letter reader on its own ----------------------------------- */

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_UEQ(fwrite(text, 1, n, f), n);
    fclose(f);
}

TEST(dead_letter_reader_reads_entries_from_an_offset)
{
    char path[512];
    snprintf(path, sizeof path, "%s/dl", runner_tmpdir());
    static const char text[] =
        "PFDL1 stage=a b worker=2 pid=77 reason=\"exited with status 3\" "
        "bytes=3\nab\n\n"
        "PFDL1 stage=x worker=0 pid=5 reason=\"stalled\" bytes=0\n\n";
    write_file(path, text, sizeof text - 1);
    pf_dead_letter_file *d;
    ASSERT_EQ(pf_dead_letter_open(path, 0, &d), 0);
    pf_dead_letter e;
    ASSERT_EQ(pf_dead_letter_next(d, &e), 1);
    ASSERT_STREQ(e.stage, "a b"); /* a name with a space */
    ASSERT_EQ(e.worker, 2);
    ASSERT_EQ(e.pid, 77);
    ASSERT_EQ(e.cause, PF_FAIL_EXITED);
    ASSERT_EQ(e.exit_status, 3);
    ASSERT_UEQ(e.len, 3);
    ASSERT_MEMEQ(e.record, "ab\n", 3);
    ASSERT_EQ(pf_dead_letter_next(d, &e), 1);
    uint64_t second = e.offset;
    ASSERT_STREQ(e.stage, "x");
    ASSERT_EQ(e.cause, PF_FAIL_STALLED);
    ASSERT_UEQ(e.len, 0);
    ASSERT_EQ(pf_dead_letter_next(d, &e), 0);
    pf_dead_letter_close(d);
    ASSERT_EQ(pf_dead_letter_open(path, second, &d), 0);
    ASSERT_EQ(pf_dead_letter_next(d, &e), 1);
    ASSERT_STREQ(e.stage, "x");
    pf_dead_letter_close(d);
}

TEST(dead_letter_reader_rejects_what_is_not_an_entry)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bad", runner_tmpdir());
    pf_dead_letter_file *d;
    pf_dead_letter e;
    static const char cut[] =
        "PFDL1 stage=s worker=0 pid=1 reason=\"stalled\" bytes=10\nabc";
    write_file(path, cut, sizeof cut - 1);
    ASSERT_EQ(pf_dead_letter_open(path, 0, &d), 0);
    ASSERT_EQ(pf_dead_letter_next(d, &e), PF_EIO);
    pf_dead_letter_close(d);
    write_file(path, "hello\n", 6);
    ASSERT_EQ(pf_dead_letter_open(path, 0, &d), 0);
    ASSERT_EQ(pf_dead_letter_next(d, &e), PF_EIO);
    pf_dead_letter_close(d);
    snprintf(path, sizeof path, "%s/none", runner_tmpdir());
    ASSERT_EQ(pf_dead_letter_open(path, 0, &d), PF_ENOENT);
    ASSERT_EQ(pf_dead_letter_open(NULL, 0, &d), PF_EINVAL);
    ASSERT_EQ(pf_dead_letter_next(NULL, &e), PF_EINVAL);
    pf_dead_letter_close(NULL);
}

/* ---- the stats writers --------------------------------------------------- */

TEST(stats_writers_report_a_failed_write)
{
    struct shared *sh = shared_alloc(sizeof *sh);
    pf_pipeline *p = tagged_pipeline(sh, 2, 0);
    ASSERT_EQ(pf_run(p), 0);
    int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (full < 0)
        SKIP("no /dev/full");
    ASSERT_EQ(pf_pipeline_write_summary(p, full), PF_EIO);
    ASSERT_EQ(pf_pipeline_write_stats_json(p, full), PF_EIO);
    close(full);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(null, 0);
    ASSERT_EQ(pf_pipeline_write_summary(p, null), 0);
    ASSERT_EQ(pf_pipeline_write_stats_json(p, null), 0);
    close(null);
    ASSERT_EQ(pf_pipeline_write_summary(p, -1), PF_EIO);
    ASSERT_EQ(pf_pipeline_write_summary(NULL, 1), PF_EINVAL);
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

TEST(a_check_error_is_a_failure_without_a_worker)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "src", source, NULL);
    pf_log_set_sink(quiet, NULL);
    ASSERT_EQ(pf_run(p), PF_EINVAL);
    pf_log_set_sink(NULL, NULL);
    pf_failure f;
    ASSERT_EQ(pf_pipeline_failure(p, 0, &f), 0);
    ASSERT_EQ(f.stage, -1);
    ASSERT_STREQ(f.stage_name, "");
    ASSERT_EQ(f.worker, -1);
    ASSERT_EQ(f.cause, PF_FAIL_NONE);
    ASSERT_EQ(f.error, PF_EINVAL);
    ASSERT_STRSTR(f.message, "needs a source and at least one more stage");
    pf_pipeline_free(p);
}
