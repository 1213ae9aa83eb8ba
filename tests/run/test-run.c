/*
 * test-run.c - `pipefan run` against the serial shell pipeline
 * `sh -c 'A | B | C'`: the same records for a spread of commands (sorted
 * comparison in stream mode, byte-exact with -k), framing (long lines, no
 * trailing newline, NUL, binary blocks, empty input), failures (exit 1, a
 * signal, a command that stops reading), retries, the joblog, and stdin
 * from a pipe and from a regular file.
 *
 * PIPEFAN is the path of the pipefan binary (set by meson).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define MAX_ARGS 64

static const char *pipefan(void)
{
    const char *p = getenv("PIPEFAN");
    if (p == NULL)
        SKIP("PIPEFAN is not set");
    return p;
}

/* A buffer of generated input. */
struct buf {
    char *p;
    size_t n, cap;
};

static void buf_add(struct buf *b, const void *d, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        ASSERT_NOT_NULL(b->p);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Deterministic text: n lines of words of varied length. */
static struct buf text(int n)
{
    static const char *words[] = {"alpha",   "beta",  "gamma",  "delta",
                                  "epsilon", "zeta",  "eta",    "theta",
                                  "iota",    "kappa", "lambda", "mu"};
    struct buf b = {0};
    uint32_t x = 12345;
    char line[256];
    for (int i = 0; i < n; i++) {
        int len = snprintf(line, sizeof line, "%d", i);
        int nw = 1 + (int)((x >> 7) % 9);
        for (int k = 0; k < nw; k++) {
            x = x * 1103515245u + 12345u;
            len += snprintf(line + len, sizeof line - (size_t)len, " %s",
                            words[(x >> 16) % 12]);
        }
        line[len++] = '\n';
        buf_add(&b, line, (size_t)len);
    }
    return b;
}

/* Run pipefan run ARGS... with stdin from in (a pipe). */
static int run_pf(const char *const *args, const struct buf *in,
                  struct runner_output *o)
{
    char *argv[MAX_ARGS];
    int n = 0;
    argv[n++] = (char *)pipefan();
    argv[n++] = "run";
    for (int i = 0; args[i] != NULL; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    memset(o, 0, sizeof *o);
    return runner_capture(argv, NULL, in ? in->p : NULL, in ? in->n : 0, o);
}

/* The same with stdin a regular file holding in. */
static int run_pf_file(const char *const *args, const struct buf *in,
                       struct runner_output *o)
{
    char path[512];
    snprintf(path, sizeof path, "%s/input", runner_tmpdir());
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_UEQ(fwrite(in->p, 1, in->n, f), in->n);
    fclose(f);
    char *argv[MAX_ARGS];
    int n = 0;
    argv[n++] = (char *)runner_self();
    argv[n++] = "--helper";
    argv[n++] = "stdin_file";
    argv[n++] = path;
    argv[n++] = (char *)pipefan();
    argv[n++] = "run";
    for (int i = 0; args[i] != NULL; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    memset(o, 0, sizeof *o);
    return runner_capture(argv, NULL, NULL, 0, o);
}

/* Helper: open FILE as stdin and exec the rest. */
HELPER(stdin_file)
{
    ASSERT(argc >= 3);
    int fd = open(argv[1], O_RDONLY);
    ASSERT(fd >= 0);
    dup2(fd, 0);
    close(fd);
    execv(argv[2], argv + 2);
    return 127;
}

/* Run the serial pipeline with sh -c. */
static int run_sh(const char *script, const struct buf *in,
                  struct runner_output *o)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    memset(o, 0, sizeof *o);
    return runner_capture(argv, NULL, in ? in->p : NULL, in ? in->n : 0, o);
}

/* RUNNER_EXITED evaluates its status twice: run the command once. */
#define ASSERT_EXIT(call, code)                                                \
    do {                                                                       \
        int st_ = (call);                                                      \
        if (!RUNNER_EXITED(st_, code))                                         \
            FAIL("%s: wait status %#x, expected exit %d", #call, st_, code);   \
    } while (0)

struct rec {
    const char *p;
    size_t n;
};

static int rec_cmp(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* The records of data[0..n) (delimited by delim, or fixed-size when
 * fixed != 0), sorted and joined, each terminated: an order-independent
 * form for comparing stream-mode output. */
static struct buf sorted(const char *data, size_t n, char delim, size_t fixed)
{
    size_t cap = 16, k = 0;
    struct rec *r = malloc(cap * sizeof *r);
    for (size_t at = 0; at < n;) {
        size_t len;
        if (fixed) {
            len = n - at < fixed ? n - at : fixed;
        } else {
            const char *e = memchr(data + at, delim, n - at);
            len = e ? (size_t)(e - (data + at)) : n - at;
        }
        if (k == cap)
            r = realloc(r, (cap *= 2) * sizeof *r);
        r[k++] = (struct rec){data + at, len};
        at += len + (fixed ? 0 : 1);
    }
    qsort(r, k, sizeof *r, rec_cmp);
    struct buf b = {0};
    buf_add(&b, "", 0);
    for (size_t i = 0; i < k; i++) {
        buf_add(&b, r[i].p, r[i].n);
        if (!fixed)
            buf_add(&b, &delim, 1);
    }
    free(r);
    return b;
}

/* Assert two outputs are byte-exact equal. */
static void same_bytes(const struct runner_output *a,
                       const struct runner_output *b)
{
    ASSERT_UEQ(a->out_len, b->out_len);
    ASSERT_MEMEQ(a->out, b->out, a->out_len);
}

/* Assert two outputs hold the same records in any order. */
static void same_records(const struct runner_output *a,
                         const struct runner_output *b, char delim,
                         size_t fixed)
{
    struct buf x = sorted(a->out, a->out_len, delim, fixed);
    struct buf y = sorted(b->out, b->out_len, delim, fixed);
    ASSERT_UEQ(x.n, y.n);
    ASSERT_MEMEQ(x.p, y.p, x.n);
    free(x.p);
    free(y.p);
}

/* pipefan run args on in (pipe, then file) against the serial script:
 * records equal, or bytes equal when exact. */
static void check(const char *const *args, const char *script,
                  const struct buf *in, int exact)
{
    struct runner_output ref, got;
    ASSERT_EQ(run_sh(script, in, &ref), 0);
    for (int file = 0; file < 2; file++) {
        int st = file ? run_pf_file(args, in, &got) : run_pf(args, in, &got);
        if (!RUNNER_EXITED(st, 0))
            FAIL("pipefan run (%s) ended with status %#x: %s",
                 file ? "file" : "pipe", st, got.err);
        if (exact)
            same_bytes(&got, &ref);
        else
            same_records(&got, &ref, '\n', 0);
        runner_output_free(&got);
    }
    runner_output_free(&ref);
}

/* ---- the same records as the serial pipeline ------------------------------
 */

TEST(grep_sed_awk_chain_matches_serial)
{
    struct buf in = text(20000);
    const char *args[] = {
        "-j", "3", "grep -i ta || [ $? = 1 ]", "-j", "2", "sed 's/a/A/g'",
        "-j", "2", "awk '{print NF, $0}'",     NULL};
    check(args, "grep -i ta | sed 's/a/A/g' | awk '{print NF, $0}'", &in, 0);
    free(in.p);
}

TEST(tr_sort_wc_are_byte_exact_after_one_worker_sort)
{
    struct buf in = text(20000);
    const char *a1[] = {"-j", "3", "tr a-z A-Z", "sort", NULL};
    check(a1, "tr a-z A-Z | sort", &in, 1);
    const char *a2[] = {"-j", "3", "tr a-z A-Z", "sort", "wc -l", NULL};
    check(a2, "tr a-z A-Z | sort | wc -l", &in, 1);
    const char *a3[] = {"-j", "1", "wc -l", NULL};
    check(a3, "wc -l", &in, 1);
    free(in.p);
}

TEST(command_printing_more_lines_than_it_reads)
{
    struct buf in = text(10000);
    const char *args[] = {"-j", "3", "awk '{print; print \"+\" $1; print}'",
                          "-j", "2", "cat",
                          NULL};
    check(args, "awk '{print; print \"+\" $1; print}' | cat", &in, 0);
    free(in.p);
}

TEST(command_printing_nothing)
{
    struct buf in = text(10000);
    const char *a1[] = {"-j", "3", "cat >/dev/null", NULL};
    check(a1, "cat >/dev/null", &in, 1);
    const char *a2[] = {"-j", "2", "cat >/dev/null", "-j", "2", "cat", NULL};
    check(a2, "cat >/dev/null | cat", &in, 1);
    free(in.p);
}

TEST(keep_order_is_byte_exact)
{
    struct buf in = text(30000);
    const char *a1[] = {"-k", "-j", "4", "--block", "4k", "sed s/e/E/", NULL};
    check(a1, "sed s/e/E/", &in, 1);
    const char *a2[] = {"-k",
                        "-j",
                        "4",
                        "--block",
                        "4k",
                        "sed s/e/E/",
                        "-j",
                        "3",
                        "--block",
                        "16k",
                        "awk '{print length($0), $0}'",
                        "tr a-z A-Z",
                        NULL};
    check(a2, "sed s/e/E/ | awk '{print length($0), $0}' | tr a-z A-Z", &in, 1);
    /* -k alone implies block mode for the stages with several workers. */
    const char *a3[] = {"-k", "-j", "3", "cat", "-j", "2", "tr a-m n-z", NULL};
    check(a3, "cat | tr a-m n-z", &in, 1);
    free(in.p);
}

TEST(serial_mode_gives_the_same_result)
{
    struct buf in = text(5000);
    const char *args[] = {"--serial", "-j", "3", "sed s/a/b/", "sort", NULL};
    check(args, "sed s/a/b/ | sort", &in, 1);
    free(in.p);
}

/* ---- framing --------------------------------------------------------------
 */

TEST_TIMEOUT(lines_up_to_one_mib, 120)
{
    struct buf in = {0};
    size_t lens[] = {1 << 20, 5, 300000, 0, 70000, (1 << 20) - 1, 12};
    char *line = malloc(1 << 20);
    for (int rep = 0; rep < 3; rep++)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            for (size_t j = 0; j < lens[i]; j++)
                line[j] = (char)('a' + (j * 7 + i + (size_t)rep) % 26);
            buf_add(&in, line, lens[i]);
            buf_add(&in, "\n", 1);
        }
    free(line);
    const char *a1[] = {"-j", "3", "cat", "-j", "2", "tr a-c X", NULL};
    check(a1, "cat | tr a-c X", &in, 0);
    const char *a2[] = {"-k", "-j", "3", "--block", "64k", "sed 's/a/AA/g'",
                        NULL};
    check(a2, "sed 's/a/AA/g'", &in, 1);
    free(in.p);
}

TEST(last_line_without_newline_survives)
{
    struct buf in = text(3000);
    buf_str(&in, "the last line");
    const char *a1[] = {"cat", NULL};
    check(a1, "cat", &in, 1);
    const char *a2[] = {"-k", "-j", "3", "--block", "1k", "cat", "cat", NULL};
    check(a2, "cat", &in, 1);
    /* Several workers: records stay whole whatever the order. */
    const char *a3[] = {"-j", "3", "cat", "-j", "3", "cat", NULL};
    check(a3, "cat", &in, 0);
    struct buf tiny = {0};
    buf_str(&tiny, "a\nb\nc");
    struct runner_output o;
    const char *a4[] = {"-j", "3", "--chunk-size", "1", "cat", NULL};
    ASSERT_EQ(run_pf(a4, &tiny, &o), 0);
    ASSERT_UEQ(o.out_len, 5); /* no terminator added or lost */
    struct runner_output ref = {.out = tiny.p, .out_len = tiny.n};
    same_records(&o, &ref, '\n', 0);
    runner_output_free(&o);
    free(tiny.p);
    free(in.p);
}

TEST(nul_framing)
{
    struct buf in = {0};
    for (int i = 0; i < 5000; i++) {
        char r[64];
        int n = snprintf(r, sizeof r, "record %d\nwith a newline", i);
        buf_add(&in, r, (size_t)n + 1); /* with its NUL */
    }
    struct runner_output ref, got;
    ASSERT_EQ(run_sh("tr a-z A-Z", &in, &ref), 0);
    const char *a1[] = {"-0", "-j", "3", "tr a-z A-Z", NULL};
    ASSERT_EQ(run_pf(a1, &in, &got), 0);
    same_records(&got, &ref, '\0', 0);
    runner_output_free(&got);
    const char *a2[] = {"-0",      "-k", "-j",         "3",
                        "--block", "1k", "tr a-z A-Z", NULL};
    ASSERT_EQ(run_pf_file(a2, &in, &got), 0);
    same_bytes(&got, &ref);
    /* Each worker's command saw whole records: NUL counts add up. */
    const char *a3[] = {
        "-0", "-j", "3", "--block", "2k", "tr -cd '\\000' | wc -c", NULL};
    runner_output_free(&got);
    ASSERT_EQ(run_pf(a3, &in, &got), 0);
    /* Each worker's count ends without a NUL: pipefan puts one between
     * such records, none after the last. */
    long total = 0;
    int counts = 0;
    for (size_t at = 0; at < got.out_len; at += strlen(got.out + at) + 1) {
        total += strtol(got.out + at, NULL, 10);
        counts++;
    }
    ASSERT_EQ(total, 5000);
    ASSERT_GE(counts, 2);
    runner_output_free(&got);
    runner_output_free(&ref);
    free(in.p);
}

TEST(binary_fixed_size_blocks)
{
    struct buf in = {0};
    uint32_t x = 99;
    for (int i = 0; i < 73 * 4096; i++) {
        x = x * 1103515245u + 12345u;
        char c = (char)(x >> 16);
        buf_add(&in, &c, 1);
    }
    struct runner_output got, ref = {.out = in.p, .out_len = in.n};
    const char *a1[] = {"--fixed", "4096", "-k",  "-j", "3",
                        "--block", "16k",  "cat", NULL};
    ASSERT_EQ(run_pf_file(a1, &in, &got), 0);
    same_bytes(&got, &ref);
    runner_output_free(&got);
    const char *a2[] = {"--fixed", "4096", "-j",  "3", "cat",
                        "-j",      "2",    "cat", NULL};
    ASSERT_EQ(run_pf(a2, &in, &got), 0);
    same_records(&got, &ref, 0, 4096);
    runner_output_free(&got);
    /* A short last block stays as it is when order is kept. */
    buf_add(&in, "tail", 4);
    ref.out = in.p;
    ref.out_len = in.n;
    ASSERT_EQ(run_pf(a1, &in, &got), 0);
    same_bytes(&got, &ref);
    runner_output_free(&got);
    free(in.p);
}

TEST(empty_input)
{
    struct buf in = {0};
    buf_add(&in, "", 0);
    const char *a1[] = {"-j", "3", "cat", "sort", NULL};
    check(a1, "cat | sort", &in, 1);
    const char *a2[] = {"wc -l", NULL};
    check(a2, "wc -l", &in, 1);
    struct runner_output o;
    const char *a3[] = {"-j", "2", "--block", "1k", "wc -l", NULL};
    ASSERT_EQ(run_pf(a3, &in, &o), 0);
    ASSERT_UEQ(o.out_len, 0); /* block mode: no block, no command */
    runner_output_free(&o);
    free(in.p);
}

/* ---- failures -------------------------------------------------------------
 */

TEST(command_exiting_1_fails_the_run_and_is_named)
{
    struct buf in = text(2000);
    struct runner_output o;
    const char *args[] = {"-j", "2", "cat", "-j", "2", "cat >/dev/null; exit 1",
                          NULL};
    int st = run_pf(args, &in, &o);
    ASSERT(RUNNER_EXITED(st, 1));
    ASSERT_STRSTR(o.err, "stage 2 (2:cat) worker");
    ASSERT_STRSTR(o.err, "'cat >/dev/null; exit 1' exited with status 1");
    runner_output_free(&o);
    /* Endless input, one worker's command dies early: the run must stop
     * at once (the other worker would go on for ever). */
    char var[1024];
    snprintf(var, sizeof var, "PIPEFAN=%s", pipefan());
    char *env[] = {var, NULL};
    char *sh[] = {"sh", "-c",
                  "yes | \"$PIPEFAN\" run -j 2 '[ $PIPEFAN_WORKER = 1 ] || "
                  "{ head -n 2; exit 3; }; cat' >/dev/null; echo rc=$?",
                  NULL};
    ASSERT_EQ(runner_capture(sh, env, NULL, 0, &o), 0);
    ASSERT_STREQ(o.out, "rc=1\n");
    ASSERT_STRSTR(o.err, "worker 0: '[ $PIPEFAN_WORKER = 1 ] || { head -n 2; "
                         "exit 3; }; cat' exited with status 3");
    runner_output_free(&o);
    free(in.p);
}

TEST(command_killed_by_a_signal_fails_the_run)
{
    struct buf in = text(2000);
    struct runner_output o;
    const char *args[] = {"-j", "2", "head -n 3; kill -SEGV $$", NULL};
    int st = run_pf(args, &in, &o);
    ASSERT(RUNNER_EXITED(st, 1));
    ASSERT_STRSTR(o.err, "killed by signal 11 (SIGSEGV)");
    ASSERT_STRSTR(o.err, "stage 1 (1:head) worker");
    runner_output_free(&o);
    /* Block mode: the block is named too. */
    const char *a2[] = {"-j",
                        "2",
                        "--block",
                        "1k",
                        "[ $PIPEFAN_BLOCK != 4 ] || kill -TERM $$; cat",
                        NULL};
    st = run_pf(a2, &in, &o);
    ASSERT(RUNNER_EXITED(st, 1));
    ASSERT_STRSTR(o.err, "killed by signal 15 (SIGTERM) on block 4");
    runner_output_free(&o);
    free(in.p);
}

TEST(halt_never_goes_on_and_reports)
{
    struct buf in = text(5000);
    struct runner_output o;
    const char *args[] = {"--halt",
                          "never",
                          "-j",
                          "3",
                          "--block",
                          "8k",
                          "[ $PIPEFAN_BLOCK != 2 ] || exit 4; cat",
                          NULL};
    int st = run_pf(args, &in, &o);
    ASSERT(RUNNER_EXITED(st, 3));
    ASSERT_STRSTR(o.err, "1 command run failed (--halt never)");
    ASSERT_STRSTR(o.err, "exited with status 4 on block 2");
    /* Every other block's output is there. */
    ASSERT_UGT(o.out_len, in.n - 16384);
    ASSERT_ULT(o.out_len, in.n);
    runner_output_free(&o);
    /* --halt soon: the input stops, running blocks finish, exit 1. */
    const char *a2[] = {"--halt",
                        "soon",
                        "-j",
                        "2",
                        "--block",
                        "4k",
                        "[ $PIPEFAN_BLOCK != 3 ] || exit 4; sleep 0.05; cat",
                        NULL};
    ASSERT_EXIT(run_pf(a2, &in, &o), 1);
    ASSERT_STRSTR(o.err, "(--halt soon, the input was stopped)");
    ASSERT_STRSTR(o.err, "exited with status 4 on block 3");
    ASSERT_UGT(o.out_len, 0);
    ASSERT_ULT(o.out_len, in.n / 2);
    runner_output_free(&o);
    free(in.p);
}

TEST(command_closing_stdin_early_ends_cleanly)
{
    struct runner_output o;
    char *env[2];
    char var[1024];
    snprintf(var, sizeof var, "PIPEFAN=%s", pipefan());
    env[0] = var;
    env[1] = NULL;
    /* Endless input: the run must end because head does, exit 0. */
    char *a1[] = {"sh", "-c",
                  "yes | \"$PIPEFAN\" run -j 2 cat 'head -n 10'; echo rc=$?",
                  NULL};
    ASSERT_EQ(runner_capture(a1, env, NULL, 0, &o), 0);
    ASSERT_STREQ(o.out, "y\ny\ny\ny\ny\ny\ny\ny\ny\ny\nrc=0\n");
    runner_output_free(&o);
    /* A first stage whose commands all stop reading. */
    char *a2[] = {"sh", "-c",
                  "yes | \"$PIPEFAN\" run -j 2 'head -n 5' cat | wc -l", NULL};
    ASSERT_EQ(runner_capture(a2, env, NULL, 0, &o), 0);
    ASSERT_STREQ(o.out, "10\n");
    runner_output_free(&o);
    /* It closes stdin and goes on working: its output still counts. */
    struct buf in = text(50000);
    const char *a3[] = {"-j", "2", "exec 0<&-; sleep 0.2; echo done", NULL};
    ASSERT_EQ(run_pf(a3, &in, &o), 0);
    ASSERT_STREQ(o.out, "done\ndone\n");
    runner_output_free(&o);
    free(in.p);
}

TEST(reader_of_stdout_going_away_ends_the_run_by_sigpipe)
{
    struct runner_output o;
    char var[1024];
    snprintf(var, sizeof var, "PIPEFAN=%s", pipefan());
    char *env[] = {var, NULL};
    char *argv[] = {"sh", "-c",
                    "{ yes | \"$PIPEFAN\" run -j 2 cat; echo rc=$? >&2; } "
                    "| head -n 1",
                    NULL};
    ASSERT_EQ(runner_capture(argv, env, NULL, 0, &o), 0);
    ASSERT_STREQ(o.out, "y\n");
    ASSERT_STRSTR(o.err, "rc=141");
    runner_output_free(&o);
}

HELPER(idle_stdin)
{
    /* stdin a pipe that never ends: the first command reads nothing and
     * finishes; the run must not wait for input. */
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[0], 0);
        execl(argv[1], argv[1], "run", "printf 'x\\ny\\n'", "-j", "2", "cat",
              (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    close(p[1]);
    close(p[0]);
    return RUNNER_EXITED(st, 0) && secs < 3 ? 0 : 1;
}

TEST(first_command_reading_nothing_does_not_wait_for_stdin)
{
    struct runner_output o;
    char *argv[] = {(char *)runner_self(), "--helper", "idle_stdin",
                    (char *)pipefan(), NULL};
    ASSERT_EQ(runner_capture(argv, NULL, NULL, 0, &o), 0);
    struct runner_output ref = {.out = "x\ny\n", .out_len = 4};
    same_records(&o, &ref, '\n', 0);
    runner_output_free(&o);
}

/* ---- retries and the joblog -----------------------------------------------
 */

/* Fields of joblog lines: count lines, sum columns. */
struct joblog {
    int lines, failed_tries, retried_ok;
    unsigned long long sent, received;
    int max_block;
};

static struct joblog read_joblog(const char *path)
{
    struct joblog j = {0};
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    char line[4096];
    ASSERT_NOT_NULL(fgets(line, sizeof line, f));
    ASSERT_STRSTR(line, "Stage\tBlock\tWorker\tTry\tStarttime\tRuntime\t"
                        "Send\tReceive\tExitval\tSignal\tCommand");
    while (fgets(line, sizeof line, f)) {
        char stage[64], block[32];
        int worker, try, exitval, sig;
        double start, rt;
        unsigned long long sent, recv;
        ASSERT_EQ(sscanf(line, "%63s %31s %d %d %lf %lf %llu %llu %d %d", stage,
                         block, &worker, &try, &start, &rt, &sent, &recv,
                         &exitval, &sig),
                  10);
        j.lines++;
        if (exitval != 0) {
            j.failed_tries++;
            continue;
        }
        if (try > 1)
            j.retried_ok++;
        j.sent += sent;
        j.received += recv;
        if (atoi(block) > j.max_block)
            j.max_block = atoi(block);
    }
    fclose(f);
    return j;
}

TEST(retries_succeed_on_the_second_try)
{
    struct buf in = text(20000);
    char log[512];
    snprintf(log, sizeof log, "%s/jobs.tsv", runner_tmpdir());
    const char *args[] = {"-k",
                          "--joblog",
                          log,
                          "--retries",
                          "2",
                          "-j",
                          "3",
                          "--block",
                          "16k",
                          "[ $PIPEFAN_TRY != 1 ] || [ $((PIPEFAN_BLOCK % 3)) "
                          "!= 0 ] || exit 7; tr a-z A-Z",
                          NULL};
    check(args, "tr a-z A-Z", &in, 1);
    struct joblog j = read_joblog(log);
    /* run twice by check (pipe, file); the log is the last run's */
    ASSERT_GT(j.max_block, 6);
    ASSERT_EQ(j.failed_tries, j.max_block / 3);
    ASSERT_EQ(j.retried_ok, j.max_block / 3);
    ASSERT_EQ(j.lines, j.max_block + j.max_block / 3);
    ASSERT_UEQ(j.sent, in.n);
    ASSERT_UEQ(j.received, in.n);
    free(in.p);
}

TEST(retries_exhausted_fail_the_run)
{
    struct buf in = text(2000);
    struct runner_output o;
    const char *args[] = {"--retries",
                          "1",
                          "-j",
                          "2",
                          "--block",
                          "4k",
                          "[ $PIPEFAN_BLOCK != 2 ] || exit 9; cat",
                          NULL};
    ASSERT_EXIT(run_pf(args, &in, &o), 1);
    ASSERT_STRSTR(o.err, "trying again (1 of 1)");
    ASSERT_STRSTR(o.err, "exited with status 9 on block 2");
    runner_output_free(&o);
    free(in.p);
}

TEST(joblog_matches_what_ran)
{
    struct buf in = text(20000);
    char log[512];
    snprintf(log, sizeof log, "%s/jobs.tsv", runner_tmpdir());
    struct runner_output o;
    const char *args[] = {"--joblog", log,  "--stats", "-j", "3",
                          "--block",  "8k", "sed p",   NULL};
    ASSERT_EQ(run_pf(args, &in, &o), 0);
    struct joblog j = read_joblog(log);
    ASSERT_EQ(j.lines, j.max_block); /* one line per block, each once */
    ASSERT_EQ(j.failed_tries, 0);
    ASSERT_GE((long long)j.max_block, (long long)(in.n / 8192));
    ASSERT_LE((long long)j.max_block, (long long)(in.n / 8192) + 1);
    ASSERT_UEQ(j.sent, in.n);
    ASSERT_UEQ(j.received, 2 * in.n); /* sed p doubles every line */
    ASSERT_UEQ(o.out_len, 2 * in.n);
    runner_output_free(&o);
    /* Stream mode: one line per command, block "-". */
    const char *a2[] = {"--joblog", log, "-j", "2", "cat", NULL};
    ASSERT_EQ(run_pf(a2, &in, &o), 0);
    FILE *f = fopen(log, "r");
    char line[4096];
    int lines = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "1:cat\t-\t", 8) == 0)
            lines++;
    fclose(f);
    ASSERT_EQ(lines, 2);
    runner_output_free(&o);
    free(in.p);
}

/* ---- input from a pipe or a file, and the command line ------------------- */

TEST(stdin_from_pipe_or_file_gives_the_same_result)
{
    struct buf in = text(40000);
    struct runner_output a, b;
    const char *args[] = {
        "-j", "3", "--chunk-size", "64k", "awk '{print $2, $1}'", NULL};
    ASSERT_EQ(run_pf(args, &in, &a), 0);
    ASSERT_EQ(run_pf_file(args, &in, &b), 0);
    same_records(&a, &b, '\n', 0);
    ASSERT_UGT(a.out_len, in.n / 4);
    runner_output_free(&a);
    runner_output_free(&b);
    const char *k[] = {"-k", "-j", "3", "--block", "32k", "awk '{print $2}'",
                       NULL};
    ASSERT_EQ(run_pf(k, &in, &a), 0);
    ASSERT_EQ(run_pf_file(k, &in, &b), 0);
    same_bytes(&a, &b);
    runner_output_free(&a);
    runner_output_free(&b);
    free(in.p);
}

TEST(dry_run_help_and_usage_errors)
{
    struct runner_output o;
    const char *a1[] = {"--dry-run", "-k", "zcat x.gz", "-j",   "12",
                        "./whois",   "-j", "2",         "sort", NULL};
    ASSERT_EQ(run_pf(a1, NULL, &o), 0);
    ASSERT_STRSTR(o.out, "1:zcat       1 worker, stream mode");
    ASSERT_STRSTR(o.out, "2:whois      12 workers, block mode (1.0 MiB, "
                         "implied), ordered");
    ASSERT_STRSTR(o.out, "merge3       1 worker: passes blocks on");
    ASSERT_STRSTR(o.out, "output       1 worker: writes stdout");
    runner_output_free(&o);
    const char *a2[] = {"--help", NULL};
    ASSERT_EQ(run_pf(a2, NULL, &o), 0);
    ASSERT_STRSTR(o.out, "examples:");
    runner_output_free(&o);
    const char *a3[] = {NULL};
    ASSERT_EXIT(run_pf(a3, NULL, &o), 2);
    runner_output_free(&o);
    const char *a4[] = {"cat", "-j", "2", NULL};
    ASSERT_EXIT(run_pf(a4, NULL, &o), 2);
    ASSERT_STRSTR(o.err, "stage options after the last command");
    runner_output_free(&o);
    const char *a5[] = {"-j", "x", "cat", NULL};
    ASSERT_EXIT(run_pf(a5, NULL, &o), 2);
    runner_output_free(&o);
}

TEST(stats_name_the_stages_and_the_bottleneck)
{
    struct buf in = text(20000);
    char js[512];
    snprintf(js, sizeof js, "%s/stats.json", runner_tmpdir());
    struct runner_output o;
    const char *args[] = {"--stats", "--stats-json",   js,  "-j", "2",
                          "cat",     "sleep 0.3; cat", NULL};
    ASSERT_EQ(run_pf(args, &in, &o), 0);
    ASSERT_STRSTR(o.err, "records in");
    ASSERT_STRSTR(o.err, "<- bottleneck");
    char line[64];
    snprintf(line, sizeof line, "%12d %12d", 20000, 20000);
    ASSERT_STRSTR(o.err, line);
    FILE *f = fopen(js, "r");
    ASSERT_NOT_NULL(f);
    char doc[8192];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    doc[n] = '\0';
    fclose(f);
    ASSERT_STRSTR(doc, "\"name\":\"2:sleep\"");
    ASSERT_STRSTR(doc, "\"records_out\":20000");
    runner_output_free(&o);
    free(in.p);
}

TEST(sigint_drains_and_exits_130)
{
    struct runner_output o;
    char var[1024];
    snprintf(var, sizeof var, "PIPEFAN=%s", pipefan());
    char *env[] = {var, NULL};
    /* SIGINT to pipefan alone: the source stops, the commands get EOF and
     * finish, the status is 130; a second SIGINT is not needed. */
    char *argv[] = {"sh", "-c",
                    "yes | \"$PIPEFAN\" run -j 2 cat -j 2 'wc -l' & pid=$!; "
                    "sleep 1; kill -INT $pid; wait $pid; echo rc=$?",
                    NULL};
    ASSERT_EQ(runner_capture(argv, env, NULL, 0, &o), 0);
    ASSERT_STRSTR(o.out, "rc=130");
    /* both wc -l ran to the end and printed their counts */
    long a = 0, b = 0;
    ASSERT_EQ(sscanf(o.out, "%ld %ld", &a, &b), 2);
    ASSERT_GT(a + b, 0);
    ASSERT_STRSTR(o.err, "SIGINT: stopping sources and draining");
    runner_output_free(&o);
}

TEST_TIMEOUT(random_shapes_keep_every_record, 180)
{
    /* Random line lengths (empty lines, long ones, with and without a
     * last newline), random fan-out, block sizes and chunk sizes: cat
     * twice must give back the input's records (bytes, with -k). */
    uint32_t x = 2024;
    for (int round = 0; round < 12; round++) {
        struct buf in = {0};
        buf_add(&in, "", 0);
        int lines = 1 + (int)((x >> 8) % 4000);
        for (int i = 0; i < lines; i++) {
            x = x * 1103515245u + 12345u;
            size_t len = (x >> 16) % 7 == 0 ? (x >> 8) % 70000 : (x >> 16) % 90;
            for (size_t j = 0; j < len; j++)
                buf_add(&in, &"abcdefghij"[(j + (size_t)i) % 10], 1);
            if (i + 1 < lines || (x >> 20) % 2)
                buf_add(&in, "\n", 1);
        }
        char j1[8], j2[8], blk[16], chunk[16];
        x = x * 1103515245u + 12345u;
        snprintf(j1, sizeof j1, "%u", 1 + (x >> 16) % 4);
        snprintf(j2, sizeof j2, "%u", 1 + (x >> 18) % 3);
        snprintf(blk, sizeof blk, "%uk", 1 + (x >> 20) % 40);
        snprintf(chunk, sizeof chunk, "%uk", 1 + (x >> 24) % 200);
        int keep = round % 3 == 0, block = round % 2 == 0;
        const char *args[16];
        int n = 0;
        if (keep)
            args[n++] = "-k";
        args[n++] = "--chunk-size";
        args[n++] = chunk;
        args[n++] = "-j";
        args[n++] = j1;
        if (block) {
            args[n++] = "--block";
            args[n++] = blk;
        }
        args[n++] = "cat";
        args[n++] = "-j";
        args[n++] = j2;
        args[n++] = "cat";
        args[n] = NULL;
        runner_note("round %d: %zu bytes, -j %s%s%s then -j %s%s", round, in.n,
                    j1, block ? " --block " : "", block ? blk : "", j2,
                    keep ? ", -k" : "");
        check(args, "cat", &in, keep);
        free(in.p);
    }
}
