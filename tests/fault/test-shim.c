/*
 * test-shim.c - failures of read, write, mmap, fork, memfd_create and
 * malloc, injected with the failshim LD_PRELOAD library at a sweep of
 * call numbers.  Each run must end, either with the right result or with
 * a non-zero exit and an error on stderr - never with a result that is
 * wrong or partial but presented as complete.  The runner checks that
 * nothing (process, fd, shared memory) is left behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipefan.h"
#include "runner.h"

#define N 20000

static int numbers(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (long i = 0; i < N; i++) {
        int rc = pf_emit(ctx, &i, sizeof i);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int twice(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    long v;
    memcpy(&v, rec, sizeof v);
    v *= 2;
    (void)len;
    return pf_emit(ctx, &v, sizeof v);
}

static long count, sum;

static int add(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)arg;
    (void)len;
    long v;
    memcpy(&v, rec, sizeof v);
    count++;
    sum += v;
    return 0;
}

/* The sink reports through a pipe fd given by the parent; a short write
 * is an error, so a failed write never passes as a result. */
static int report(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    char line[64];
    int n = snprintf(line, sizeof line, "%ld %ld\n", count, sum);
    return write(1, line, (size_t)n) == n ? 0 : -1;
}

/* A 4-stage pipeline; prints "COUNT SUM" from the sink on success. */
HELPER(pipeline)
{
    (void)argc;
    (void)argv;
    pf_pipeline *p = pf_pipeline_new();
    if (p == NULL) {
        fprintf(stderr, "pf_pipeline_new: out of memory\n");
        return 1;
    }
    pf_source(p, "numbers", numbers, NULL);
    pf_stage_workers(pf_stage_add(p, "twice", twice, NULL), 3);
    pf_stage_workers(pf_stage_add(p, "again", twice, NULL), 2);
    pf_stage *sink = pf_stage_add(p, "add", add, NULL);
    pf_stage_hooks(sink, NULL, report);
    int rc = pf_run(p);
    pf_pipeline_free(p);
    if (rc != 0) {
        fprintf(stderr, "pipeline: %s\n", pf_strerror(rc));
        return 1;
    }
    return 0;
}

static const char *shim_path(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", runner_self());
    char *slash = strrchr(path, '/');
    snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
             "libfailshim.so");
    return path;
}

/* Run the pipeline with FAILSHIM=spec; check it ended acceptably.
 * Returns 1 if it failed (cleanly), 0 if it succeeded. */
static int run_with(const char *spec)
{
    char preload[4200], failshim[128];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim_path());
    snprintf(failshim, sizeof failshim, "FAILSHIM=%s", spec);
    char *env[] = {preload, failshim, "PIPEFAN_LOG=error", NULL};
    char *argv[] = {(char *)runner_self(), "--helper", "pipeline", NULL};
    struct runner_output o = {0};
    int st = runner_capture(argv, env, NULL, 0, &o);
    ASSERT_NE(st, -1);
    char want[64];
    snprintf(want, sizeof want, "%ld %ld\n", (long)N,
             4L * ((long)N * (N - 1) / 2));
    int failed;
    if (RUNNER_EXITED(st, 0)) {
        /* Success must be the whole, right answer. */
        if (o.out == NULL || strcmp(o.out, want) != 0)
            FAIL("%s: exit 0 but output '%s'", spec, o.out ? o.out : "");
        failed = 0;
    } else {
        /* Failure: said so on stderr, and no complete-looking result. */
        if (o.err == NULL || o.err_len == 0)
            FAIL("%s: failed (status %d) without a message", spec, st);
        if (o.out != NULL && strcmp(o.out, want) == 0)
            FAIL("%s: a complete result but exit status %d", spec, st);
        failed = 1;
    }
    runner_output_free(&o);
    return failed;
}

/* Fail call n of fn for n in from..to; with must_fail, at least one of
 * those injections must have made the run fail. */
static void sweep(const char *fn, int from, int to, int step, int must_fail)
{
    if (RUNNER_ASAN)
        SKIP("LD_PRELOAD cannot come before the sanitizer runtime");
    if (runner_under_valgrind() && strcmp(fn, "malloc") == 0)
        SKIP("valgrind replaces malloc, so the shim cannot fail it");
    int failures = 0;
    for (int n = from; n <= to; n += step) {
        char spec[64];
        snprintf(spec, sizeof spec, "%s:%d", fn, n);
        failures += run_with(spec);
    }
    /* The injection really happened somewhere in the sweep. */
    if (must_fail)
        ASSERT_GT(failures, 0);
}

TEST_TIMEOUT(failing_fork_gives_an_error_and_a_clean_exit, 120)
{
    sweep("fork", 1, 8, 1, 1);
}

TEST_TIMEOUT(failing_memfd_create_gives_an_error_and_a_clean_exit, 60)
{
    sweep("memfd_create", 1, 1, 1, 1);
}

TEST_TIMEOUT(failing_mmap_gives_an_error_and_a_clean_exit, 120)
{
    sweep("mmap", 1, 30, 1, 1);
}

TEST_TIMEOUT(failing_malloc_gives_an_error_and_a_clean_exit, 300)
{
    sweep("malloc", 1, 120, 3, 1);
}

TEST_TIMEOUT(failing_write_gives_an_error_and_a_clean_exit, 120)
{
    sweep("write", 1, 6, 1, 1);
}

/* The runtime reads only its signalfd, and reaps workers on every wakeup
 * whatever the read returned: a failing read must change nothing. */
TEST_TIMEOUT(failing_read_changes_nothing, 120)
{
    sweep("read", 1, 20, 1, 0);
}

TEST_TIMEOUT(every_malloc_failing_from_the_start, 60)
{
    if (RUNNER_ASAN)
        SKIP("LD_PRELOAD cannot come before the sanitizer runtime");
    if (runner_under_valgrind())
        SKIP("valgrind replaces malloc, so the shim cannot fail it");
    ASSERT_EQ(run_with("malloc:1+"), 1);
}
