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

static __attribute__((unused)) int count_finish(pf_ctx *ctx, void *arg)
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
