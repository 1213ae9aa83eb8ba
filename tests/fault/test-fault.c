/*
 * test-fault.c - a worker that dies never hangs a pipeline: kill -9 of
 * any worker, crashes, early exits, failing functions, SIGINT/SIGTERM,
 * and the supervisor itself killed.  Each ends with the runner proving no
 * process, fd or shared memory was left behind.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../unit/pftest.h"

/* One second, stretched under sanitizers and valgrind. */
static uint64_t one_second(void)
{
    return (uint64_t)(1e9 * runner_timeout_scale());
}

/* Pid of the child of ppid named comm exactly, or 0. */
static pid_t find_child(pid_t ppid, const char *comm)
{
    if (comm == NULL) /* also tells gcc -O3 that killer() never passes it */
        return 0;
    pid_t pids[64];
    int n = children_named(ppid, comm, pids, 64);
    for (int i = 0; i < n; i++) {
        char path[64], name[32] = "";
        snprintf(path, sizeof path, "/proc/%d/comm", (int)pids[i]);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(name, sizeof name, f) == NULL)
                name[0] = '\0';
            fclose(f);
        }
        name[strcspn(name, "\n")] = '\0';
        if (strcmp(name, comm) == 0)
            return pids[i];
    }
    return 0;
}

/* What the tests share with their workers and helper processes. */
struct state {
    _Atomic uint64_t emitted;  /* records the source emitted */
    _Atomic uint64_t received; /* records the sink got */
    _Atomic int finished;      /* sink finish hooks run */
    _Atomic uint64_t t_event;  /* when the killer acted */
    _Atomic int mode;          /* what the faulty stage does */
};

enum {
    MODE_PASS,
    MODE_ABORT,
    MODE_SEGV,
    MODE_EXIT0,
    MODE_RETURN,
    MODE_HANG
};

/* Emits until asked to stop. */
static int endless(pf_ctx *ctx, void *arg)
{
    struct state *st = arg;
    char rec[64];
    memset(rec, 'r', sizeof rec);
    for (uint64_t i = 0;; i++) {
        memcpy(rec, &i, sizeof i);
        /* The common idiom: any emit error ends the source with -1.
         * After SIGINT that is a clean stop, not a failure. */
        if (pf_emit(ctx, rec, sizeof rec) != 0)
            return -1;
        st->emitted++;
        if (i % 1024 == 0)
            usleep(100); /* keep the machine usable */
    }
}

/* Misbehaves on the 3000th record it sees, as the mode says. */
static int faulty(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    struct state *st = arg;
    static uint64_t seen;
    if (++seen == 3000) {
        switch (atomic_load(&st->mode)) {
        case MODE_ABORT:
            abort();
        case MODE_SEGV:
            raise(SIGSEGV);
            break;
        case MODE_EXIT0:
            /* _exit: under ASan, exit() runs LeakSanitizer, whose tracer
             * task would outlive the worker we then SIGKILL. */
            _exit(0);
        case MODE_RETURN:
            return -1;
        }
    }
    return pf_emit(ctx, rec, len);
}

/* In MODE_HANG the finish hook never returns: a drain that cannot end. */
static int mid_finish(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    struct state *st = arg;
    while (st->mode == MODE_HANG)
        pause();
    return 0;
}

static int sink_count(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)rec;
    (void)len;
    struct state *st = arg;
    st->received++;
    return 0;
}

static int sink_finish(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    struct state *st = arg;
    st->finished++;
    return 0;
}

/* source(1) -> faulty(2) -> sink(1); quiet errors, no progress line. */
static pf_pipeline *build(struct state *st)
{
    pf_pipeline *p = pf_pipeline_new();
    ASSERT_NOT_NULL(pf_source(p, "source", endless, st));
    pf_stage *mid = pf_stage_add(p, "mid", faulty, st);
    ASSERT_EQ(pf_stage_workers(mid, 2), 0);
    pf_stage_hooks(mid, NULL, mid_finish);
    pf_stage *sink = pf_stage_add(p, "sink", sink_count, st);
    pf_stage_hooks(sink, NULL, sink_finish);
    pf_options o;
    pf_options_init(&o);
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    return p;
}

/* Fork a process that waits for the worker named comm of this process to
 * appear, lets it run a moment, then sends it sig.  With comm NULL it
 * sends sig (twice when twice) to this process instead. */
static pid_t killer(struct state *st, const char *comm, int sig, int twice)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid > 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    pid_t target = parent;
    for (int i = 0; i < 2000 && comm != NULL; i++) {
        target = find_child(parent, comm);
        if (target != 0)
            break;
        usleep(5000);
    }
    if (target == 0)
        _exit(2);
    /* Mid-run: wait until records flow. */
    while (st->received < 2000)
        usleep(1000);
    st->t_event = mono_ns();
    kill(target, sig);
    if (twice) {
        usleep(300 * 1000);
        st->t_event = mono_ns();
        kill(target, sig);
    }
    _exit(0);
}

static void reap_killer(pid_t pid)
{
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(kill_minus_9_of_a_worker_of_each_stage_fails_fast)
{
    const char *victims[] = {"pf:source/0", "pf:mid/1", "pf:sink/0"};
    for (int v = 0; v < 3; v++) {
        struct state *st = shared_alloc(sizeof *st);
        pf_pipeline *p = build(st);
        pid_t k = killer(st, victims[v], SIGKILL, 0);
        int rc = pf_run(p);
        uint64_t after = mono_ns() - st->t_event;
        reap_killer(k);
        ASSERT_EQ(rc, PF_EWORKER);
        ASSERT_ULT(after, one_second()); /* within a second of the kill */
        ASSERT_EQ(st->finished, 0);
        pf_pipeline_free(p);
        shared_free(st, sizeof *st);
    }
}

/* Run with the faulty stage in mode; return pf_run's result. */
static int run_mode(int mode)
{
    struct state *st = shared_alloc(sizeof *st);
    st->mode = mode;
    pf_pipeline *p = build(st);
    uint64_t t0 = mono_ns();
    int rc = pf_run(p);
    ASSERT_ULT(mono_ns() - t0, 20000000000u);
    pf_pipeline_free(p);
    shared_free(st, sizeof *st);
    return rc;
}

TEST(a_stage_function_that_aborts_fails_the_run)
{
    ASSERT_EQ(run_mode(MODE_ABORT), PF_EWORKER);
}

TEST(a_stage_function_that_segfaults_fails_the_run)
{
    ASSERT_EQ(run_mode(MODE_SEGV), PF_EWORKER);
}

TEST(a_stage_function_that_exits_0_early_fails_the_run)
{
    ASSERT_EQ(run_mode(MODE_EXIT0), PF_EWORKER);
}

TEST(a_stage_function_that_returns_an_error_fails_the_run)
{
    ASSERT_EQ(run_mode(MODE_RETURN), PF_ESTAGE);
}

static int failing_init(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return 5;
}

TEST(a_failing_init_hook_fails_the_run)
{
    struct state *st = shared_alloc(sizeof *st);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "source", endless, st);
    pf_stage *sink = pf_stage_add(p, "sink", sink_count, st);
    pf_stage_hooks(sink, failing_init, NULL);
    ASSERT_EQ(pf_run(p), PF_ESTAGE);
    pf_pipeline_free(p);
    shared_free(st, sizeof *st);
}

TEST(sigint_mid_run_drains_in_flight_records_and_runs_finish_hooks)
{
    int sigs[] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        struct state *st = shared_alloc(sizeof *st);
        pf_pipeline *p = build(st);
        pid_t k = killer(st, NULL, sigs[i], 0);
        int rc = pf_run(p);
        reap_killer(k);
        ASSERT_EQ(rc, PF_EINTR);
        ASSERT_EQ(pf_run_signal(p), sigs[i]);
        ASSERT_EQ(st->finished, 1);
        /* Nothing the source emitted was lost on the way. */
        ASSERT_UGT(st->emitted, 2000);
        ASSERT_UEQ(st->received, st->emitted);
        pf_stage_stats ss;
        pf_pipeline_stage_stats(p, 2, &ss);
        ASSERT_UEQ(ss.total.records_in, st->emitted);
        pf_pipeline_free(p);
        shared_free(st, sizeof *st);
    }
}

TEST(a_second_sigint_kills_at_once)
{
    struct state *st = shared_alloc(sizeof *st);
    st->mode = MODE_HANG; /* a worker that never drains */
    pf_pipeline *p = build(st);
    pid_t k = killer(st, NULL, SIGINT, 1);
    int rc = pf_run(p);
    uint64_t after = mono_ns() - st->t_event;
    reap_killer(k);
    ASSERT_EQ(rc, PF_EINTR);
    ASSERT_ULT(after, one_second());
    pf_pipeline_free(p);
    shared_free(st, sizeof *st);
}

/* Whether process pid maps the runtime's shared region. */
static int maps_pipefan(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, "memfd:pipefan") != NULL;
    fclose(f);
    return found;
}

TEST(killing_the_supervisor_leaves_no_worker_and_no_shared_memory)
{
    struct state *st = shared_alloc(sizeof *st);
    /* Orphaned workers are reparented to us, so we can watch them. */
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    pid_t sup = fork();
    ASSERT(sup >= 0);
    if (sup == 0) {
        pf_pipeline *p = build(st);
        _exit(pf_run(p) == 0 ? 0 : 1);
    }
    pid_t workers[4] = {0};
    const char *names[] = {"pf:source/0", "pf:mid/0", "pf:mid/1", "pf:sink/0"};
    for (int w = 0; w < 4; w++)
        for (int i = 0; i < 2000 && workers[w] == 0; i++) {
            workers[w] = find_child(sup, names[w]);
            if (workers[w] == 0)
                usleep(5000);
        }
    for (int w = 0; w < 4; w++)
        ASSERT_GT(workers[w], 0);
    while (st->received < 2000)
        usleep(1000);
    ASSERT(maps_pipefan(workers[0]));
    uint64_t t0 = mono_ns();
    ASSERT_EQ(kill(sup, SIGKILL), 0);
    ASSERT_EQ(waitpid(sup, NULL, 0), sup);
    /* Every worker dies (PR_SET_PDEATHSIG) and comes to us to be reaped. */
    int left = 4;
    while (left > 0 && mono_ns() - t0 < one_second()) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r > 0)
            left--;
        else
            usleep(1000);
    }
    ASSERT_EQ(left, 0);
    for (int w = 0; w < 4; w++) {
        ASSERT_EQ(kill(workers[w], 0), -1);
        ASSERT_EQ(maps_pipefan(workers[w]), 0);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    shared_free(st, sizeof *st);
}
