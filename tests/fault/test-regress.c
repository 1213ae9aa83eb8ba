/*
 * test-regress.c - regressions a new user found (issue 23): the stall
 * limit, hooks that block, live stats, signals that reach another thread,
 * line-atomic stdout, long log lines, error names, error detail.  Each
 * test failed before its fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../unit/pftest.h"

/* What the tests share with their workers. */
struct share {
    _Atomic uint64_t emitted, received;
    _Atomic int finished;
    _Atomic int go;          /* the test lets the source go on */
    _Atomic int hang;        /* a hook blocks while this is set */
    _Atomic uint64_t t_kill; /* when the killer acted */
};

static __attribute__((unused)) pf_pipeline *quiet_pipeline(void)
{
    pf_pipeline *p = pf_pipeline_new();
    ASSERT_NOT_NULL(p);
    pf_options o;
    pf_options_init(&o);
    o.progress = 0;
    ASSERT_EQ(pf_pipeline_set_options(p, &o), 0);
    return p;
}

static void set_stall(pf_pipeline *p, unsigned stall_ms)
{
    pf_options o;
    pf_options_init(&o);
    o.progress = 0;
    o.stall_ms = stall_ms;
    ASSERT_EQ(pf_pipeline_set_options(p, &o), 0);
}

static int count_sink(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)rec;
    (void)len;
    struct share *sh = arg;
    sh->received++;
    return 0;
}

static int count_finish(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    struct share *sh = arg;
    sh->finished++;
    return 0;
}

/* ---- stall_ms ------------------------------------------------------------ */

/* A source whose first record is due only after a while (half the
 * stall limit), then quick. */
static unsigned stall_limit_ms(void)
{
    return 400 * (unsigned)runner_timeout_scale();
}

static int slow_start(pf_ctx *ctx, void *arg)
{
    struct share *sh = arg;
    usleep(stall_limit_ms() * 1000 / 2);
    for (int i = 0; i < 5; i++) {
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return -1;
        sh->emitted++;
    }
    return 0;
}

TEST(a_source_that_has_not_emitted_yet_is_not_killed_before_stall_ms)
{
    struct share *sh = shared_alloc(sizeof *sh);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "slow", slow_start, sh);
    pf_stage_add(p, "sink", count_sink, sh);
    set_stall(p, stall_limit_ms());
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(sh->received, 5);
    ASSERT_EQ(pf_pipeline_failures(p), 0);
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

static int numbers(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < 1000; i++)
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return -1;
    return 0;
}

/* A hook that blocks until the test lets it go (never, here). */
static int blocking_hook(pf_ctx *ctx, void *arg)
{
    (void)ctx;
    struct share *sh = arg;
    while (sh->hang)
        usleep(10 * 1000);
    return 0;
}

static int pass_on(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    return pf_emit(ctx, rec, len);
}

/* A blocking init or finish hook is a stall like a blocking call. */
TEST(stall_ms_covers_init_and_finish_hooks)
{
    for (int which = 0; which < 2; which++) {
        struct share *sh = shared_alloc(sizeof *sh);
        sh->hang = 1;
        pf_pipeline *p = pf_pipeline_new();
        pf_source(p, "nums", numbers, NULL);
        /* The hook's arg is the stage's arg: the share. */
        pf_stage *mid = pf_stage_add(p, "mid", pass_on, sh);
        if (which == 0)
            pf_stage_hooks(mid, blocking_hook, NULL);
        else
            pf_stage_hooks(mid, NULL, blocking_hook);
        pf_stage_add(p, "sink", count_sink, sh);
        set_stall(p, 200);
        ASSERT_EQ(pf_run(p), PF_EWORKER);
        ASSERT_GE(pf_pipeline_failures(p), 1);
        pf_failure f;
        ASSERT_EQ(pf_pipeline_failure(p, 0, &f), 0);
        ASSERT_EQ(f.cause, PF_FAIL_STALLED);
        ASSERT_STREQ(f.stage_name, "mid");
        pf_pipeline_free(p);
        shared_free(sh, sizeof *sh);
    }
}

/* Send sig to this process once the sink has seen a record. */
static pid_t signal_later(struct share *sh, int sig)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid > 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    while (sh->received < 1)
        usleep(1000);
    usleep(50 * 1000);
    sh->t_kill = mono_ns();
    kill(parent, sig);
    _exit(0);
}

static void reap(pid_t pid)
{
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* After SIGTERM a finish hook that never returns does not hold the run
 * for ever: the drain is bounded by drain_ms. */
TEST(a_drain_that_cannot_end_is_bounded)
{
    struct share *sh = shared_alloc(sizeof *sh);
    sh->hang = 1;
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "nums", numbers, NULL);
    pf_stage *mid = pf_stage_add(p, "mid", pass_on, sh);
    pf_stage_hooks(mid, NULL, blocking_hook);
    pf_stage_add(p, "sink", count_sink, sh);
    pf_options o;
    pf_options_init(&o);
    o.progress = 0;
    ASSERT_UGT(o.drain_ms, 0); /* bounded by default */
    o.drain_ms = 300;
    pf_pipeline_set_options(p, &o);
    pid_t k = signal_later(sh, SIGTERM);
    ASSERT_EQ(pf_run(p), PF_EINTR);
    reap(k);
    ASSERT_EQ(pf_run_signal(p), SIGTERM);
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

/* ---- names and log lines --------------------------------------------------
 */

TEST(pf_err_name_of_0_is_a_name)
{
    ASSERT_STREQ(pf_err_name(0), "PF_OK");
    ASSERT_STREQ(pf_err_name(PF_EWORKER), "PF_EWORKER");
}

struct caught {
    char line[16384];
    size_t len;
    int calls;
};

static void catch_line(int level, const char *line, size_t len, void *arg)
{
    (void)level;
    struct caught *c = arg;
    if (len > sizeof c->line - 1)
        len = sizeof c->line - 1;
    memcpy(c->line, line, len);
    c->line[len] = '\0';
    c->len = len;
    c->calls++;
}

TEST(a_long_log_line_is_kept_up_to_pipe_buf_and_marked_when_cut)
{
    static struct caught c;
    pf_log_set_sink(catch_line, &c);
    char msg[3000];
    memset(msg, 'x', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    pf_log(NULL, PF_LOG_ERROR, "%s", msg);
    ASSERT_EQ(c.calls, 1);
    ASSERT_STRSTR(c.line, msg); /* 3 KiB fit whole */
    ASSERT_EQ(c.line[c.len - 1], '\n');
    char big[10000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pf_log(NULL, PF_LOG_ERROR, "%s", big);
    ASSERT_EQ(c.calls, 2);
    ASSERT_ULE(c.len, 4096); /* one atomic write */
    ASSERT_EQ(c.line[c.len - 1], '\n');
    ASSERT_STRSTR(c.line, "[cut: ");
    ASSERT_STRSTR(c.line, " more bytes]");
    pf_log_set_sink(NULL, NULL);
}

/* ---- live stats -----------------------------------------------------------
 */

#define LIVE_N 1000

/* Emits LIVE_N records, then waits (a bounded time) for the test to let
 * it end. */
static int emit_then_wait(pf_ctx *ctx, void *arg)
{
    struct share *sh = arg;
    for (uint64_t i = 0; i < LIVE_N; i++)
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return -1;
    uint64_t until = mono_ns() + 20 * (uint64_t)(1e9 * runner_timeout_scale());
    while (!sh->go && mono_ns() < until)
        usleep(5000);
    return 0;
}

/* What the progress callback saw. */
struct live {
    struct share *sh;
    int calls;
    int lagging;      /* a stage's records_out behind the next's records_in */
    int sink_all;     /* the sink's records_in reached LIVE_N */
    uint64_t t0;      /* when it did */
    uint64_t busy0;   /* the sink's ns_busy then */
    uint64_t wait0;   /* its ns_wait_in then */
    int idle_checked; /* the idle sink's time went to waiting */
    uint64_t busy_grew, wait_grew;
};

static void watch_live(const pf_pipeline *p, int final, void *arg)
{
    struct live *lv = arg;
    if (final)
        return;
    lv->calls++;
    pf_stage_stats st[3];
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(pf_pipeline_stage_stats(p, i, &st[i]), 0);
    for (int i = 0; i < 2; i++)
        if (st[i].total.records_out < st[i + 1].total.records_in)
            lv->lagging++;
    if (!lv->sink_all && st[2].total.records_in == LIVE_N) {
        lv->sink_all = 1;
        lv->t0 = mono_ns();
        lv->busy0 = st[2].total.ns_busy;
        lv->wait0 = st[2].total.ns_wait_in;
    } else if (lv->sink_all && !lv->idle_checked &&
               mono_ns() - lv->t0 > 500000000u) {
        /* The sink has had nothing to do for half a second. */
        lv->idle_checked = 1;
        lv->busy_grew = st[2].total.ns_busy - lv->busy0;
        lv->wait_grew = st[2].total.ns_wait_in - lv->wait0;
        lv->sh->go = 1;
    }
}

TEST(live_stats_count_what_each_stage_took_while_the_run_goes_on)
{
    struct share *sh = shared_alloc(sizeof *sh);
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "source", emit_then_wait, sh);
    pf_stage_workers(pf_stage_add(p, "consume", pass_on, NULL), 2);
    pf_stage_add(p, "sink", count_sink, sh);
    pf_options o;
    pf_options_init(&o);
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    static struct live lv;
    lv.sh = sh;
    pf_pipeline_on_progress(p, watch_live, &lv);
    ASSERT_EQ(pf_run(p), 0);
    ASSERT_UEQ(sh->received, LIVE_N);
    ASSERT_GT(lv.calls, 0);
    ASSERT_EQ(lv.lagging, 0);
    ASSERT_EQ(lv.sink_all, 1); /* seen during the run, not only at the end */
    ASSERT_EQ(lv.idle_checked, 1);
    /* Waiting for input counts as waiting, not as busy. */
    ASSERT_UGT(lv.wait_grew, lv.busy_grew);
    pf_pipeline_free(p);
    shared_free(sh, sizeof *sh);
}

/* ---- signals that reach another thread ------------------------------------
 */

/* Emits until the pipeline stops, or gives up after a bounded time. */
static int emit_until_stopped(pf_ctx *ctx, void *arg)
{
    struct share *sh = arg;
    uint64_t until = mono_ns() + 20 * (uint64_t)(1e9 * runner_timeout_scale());
    for (uint64_t i = 0; mono_ns() < until; i++) {
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return -1;
        sh->emitted++;
        if (i % 256 == 0)
            usleep(1000);
    }
    return 0;
}

static void *idle_thread(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

/* A thread started before pf_run with SIGINT/SIGTERM unblocked (the
 * default): the signal may be delivered to it, yet the run drains. */
TEST(a_stop_signal_delivered_to_another_thread_still_drains)
{
    for (int ignore = 0; ignore < 2; ignore++) {
        if (ignore)
            signal(SIGTERM, SIG_IGN); /* then the signal was lost */
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, idle_thread, NULL), 0);
        struct share *sh = shared_alloc(sizeof *sh);
        pf_pipeline *p = pf_pipeline_new();
        pf_source(p, "source", emit_until_stopped, sh);
        pf_stage *sink = pf_stage_add(p, "sink", count_sink, sh);
        pf_stage_hooks(sink, NULL, count_finish);
        pf_options o;
        pf_options_init(&o);
        o.progress = 0;
        pf_pipeline_set_options(p, &o);
        /* Aim at the other thread, as the kernel may for a process. */
        pid_t parent = getpid();
        pid_t tid = 0;
        char path[64];
        for (int i = 0; i < 200 && tid == 0; i++) {
            snprintf(path, sizeof path, "/proc/%d/task", (int)parent);
            DIR *d = opendir(path);
            struct dirent *e;
            while (d != NULL && (e = readdir(d)) != NULL)
                if (atoi(e->d_name) > 0 && atoi(e->d_name) != parent)
                    tid = atoi(e->d_name);
            if (d != NULL)
                closedir(d);
        }
        ASSERT_GT(tid, 0);
        pid_t k = fork();
        ASSERT(k >= 0);
        if (k == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            while (sh->received < 1000)
                usleep(1000);
            syscall(SYS_tgkill, parent, tid, SIGTERM);
            _exit(0);
        }
        int rc = pf_run(p);
        reap(k);
        ASSERT_EQ(rc, PF_EINTR);
        ASSERT_EQ(pf_run_signal(p), SIGTERM);
        ASSERT_EQ(sh->finished, 1);
        ASSERT_UEQ(sh->received, sh->emitted);
        pf_pipeline_free(p);
        shared_free(sh, sizeof *sh);
        pthread_cancel(t);
        pthread_join(t, NULL);
    }
    signal(SIGTERM, SIG_DFL);
}

/* ---- line-atomic stdout ---------------------------------------------------
 */

#define PRINT_N 20000

static int count_to(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < PRINT_N; i++)
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return -1;
    return 0;
}

/* Line i: "<i> <worker> " and i % 701 letters (lines up to ~720 bytes,
 * so 4 KiB stdio blocks would end mid-line); half through pf_print, half
 * through pf_write_line. */
static int print_line(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    uint64_t i;
    memcpy(&i, rec, sizeof i);
    char pad[702];
    size_t n = (size_t)(i % 701);
    memset(pad, (int)('a' + i % 26), n);
    pad[n] = '\0';
    if (i % 2)
        return pf_print(ctx, "%llu %d %s", (unsigned long long)i,
                        pf_worker_index(ctx), pad);
    char line[800];
    int k = snprintf(line, sizeof line, "%llu %d %s\n", (unsigned long long)i,
                     pf_worker_index(ctx), pad);
    return pf_write_line(ctx, line, (size_t)k);
}

HELPER(print_lines)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "count", count_to, NULL);
    pf_stage_workers(pf_stage_add(p, "print", print_line, NULL), 4);
    pf_options o;
    pf_options_init(&o);
    o.progress = 0;
    pf_pipeline_set_options(p, &o);
    int rc = pf_run(p);
    pf_pipeline_free(p);
    return rc == 0 ? 0 : 1;
}

TEST(lines_printed_by_many_workers_to_a_pipe_are_never_split)
{
    char *argv[] = {(char *)runner_self(), "--helper", "print_lines", NULL};
    struct runner_output o = {0};
    int st = runner_capture(argv, NULL, NULL, 0, &o);
    ASSERT(RUNNER_EXITED(st, 0));
    unsigned char *seen = calloc(PRINT_N, 1);
    ASSERT_NOT_NULL(seen);
    int lines = 0;
    for (char *s = o.out, *nl; s < o.out + o.out_len; s = nl + 1) {
        nl = memchr(s, '\n', (size_t)(o.out + o.out_len - s));
        ASSERT_NOT_NULL(nl);
        *nl = '\0';
        unsigned long long i;
        int w, off = 0;
        if (sscanf(s, "%llu %d %n", &i, &w, &off) != 2 || i >= PRINT_N)
            FAIL("line %d is not whole: \"%.80s\"", lines + 1, s);
        size_t n = (size_t)(i % 701);
        ASSERT_UEQ(strlen(s + off), n);
        for (size_t j = 0; j < n; j++)
            if (s[off + j] != (char)('a' + i % 26))
                FAIL("line %llu was mixed with another", i);
        ASSERT_EQ(seen[i], 0);
        seen[i] = 1;
        lines++;
    }
    ASSERT_EQ(lines, PRINT_N);
    free(seen);
    runner_output_free(&o);
}

/* ---- error detail ----------------------------------------------------------
 */

TEST(an_invalid_builder_argument_logs_the_call_and_why)
{
    static struct caught c;
    pf_log_set_sink(catch_line, &c);
    pf_pipeline *p = pf_pipeline_new();
    pf_stage *s = pf_source(p, "src", numbers, NULL);
    ASSERT_EQ(pf_stage_workers(s, 0), PF_EINVAL);
    ASSERT_EQ(c.calls, 1);
    ASSERT_STRSTR(c.line, "pf_stage_workers");
    ASSERT_STRSTR(c.line, "src");
    ASSERT_STRSTR(c.line, "0");
    ASSERT_NULL(pf_stage_add(p, "", pass_on, NULL));
    ASSERT_EQ(c.calls, 2);
    ASSERT_STRSTR(c.line, "pf_stage_add");
    ASSERT_STRSTR(c.line, "name");
    ASSERT_EQ(pf_stage_workers(NULL, 2), PF_EINVAL);
    ASSERT_EQ(c.calls, 3);
    ASSERT_STRSTR(c.line, "pf_stage_workers");
    ASSERT_STRSTR(c.line, "NULL");
    pf_options o;
    pf_options_init(&o);
    o.ring_bytes = 5000;
    ASSERT_EQ(pf_pipeline_set_options(p, &o), PF_EINVAL);
    ASSERT_STRSTR(c.line, "ring_bytes");
    ASSERT_STRSTR(c.line, "5000");
    ASSERT_EQ(pf_run(p), PF_EINVAL); /* the first error, remembered */
    pf_log_set_sink(NULL, NULL);
    pf_pipeline_free(p);
}

static int fail_on_3000th(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    uint64_t v;
    memcpy(&v, rec, sizeof v);
    if (v == 2999) /* the source's 3000th record */
        return -7;
    return pf_emit(ctx, rec, len);
}

static int numbers_10k(pf_ctx *ctx, void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < 10000; i++)
        if (pf_emit(ctx, &i, sizeof i) != 0)
            return -1;
    return 0;
}

/* The failure record names the code the function returned and the
 * failing record's place in the stream, the same in every run. */
TEST(a_failing_record_is_named_by_its_index_in_the_stream_and_its_code)
{
    for (int small = 0; small < 2; small++) {
        struct share *sh = shared_alloc(sizeof *sh);
        pf_pipeline *p = pf_pipeline_new();
        pf_source(p, "nums", numbers_10k, NULL);
        pf_stage_workers(pf_stage_add(p, "mid", fail_on_3000th, NULL), 3);
        pf_stage_add(p, "sink", count_sink, sh);
        pf_options o;
        pf_options_init(&o);
        o.progress = 0;
        o.ring_bytes = small ? 4096 : 0; /* small batches, many of them */
        pf_pipeline_set_options(p, &o);
        ASSERT_EQ(pf_run(p), PF_ESTAGE);
        ASSERT_GE(pf_pipeline_failures(p), 1);
        pf_failure f;
        ASSERT_EQ(pf_pipeline_failure(p, 0, &f), 0);
        ASSERT_EQ(f.cause, PF_FAIL_STAGE);
        ASSERT_EQ(f.code, -7);
        ASSERT_STREQ(f.stage_name, "mid");
        ASSERT_UEQ(f.stream_record, 3000);
        ASSERT_EQ(f.stream_worker, 0);
        ASSERT_UGE(f.record, 1); /* its count among the worker's input */
        ASSERT_STRSTR(f.message, "3000");
        ASSERT_STRSTR(f.message, "-7");
        pf_pipeline_free(p);
        shared_free(sh, sizeof *sh);
    }
}
