/*
 * selftest.c - the runner proves it can fail.  Each test runs the victim
 * binary (victim.c, built beside this one) on one misbehaving test and
 * checks the TAP it prints: a failed assertion, a leaked fd, process,
 * mapping or /dev/shm file, a timeout, a crash are each reported.
 */
#include "runner.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Path of runner-victim, next to this binary. */
static const char *victim_path(void)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", runner_self());
    char *slash = strrchr(path, '/');
    ASSERT_NOT_NULL(slash);
    snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
             "runner-victim");
    ASSERT_EQ(access(path, X_OK), 0);
    return path;
}

/* Run the victim with up to three arguments; return its exit status. */
static int victim(struct runner_output *o, const char *a, const char *b,
                  const char *c)
{
    char *argv[] = {(char *)victim_path(), (char *)a, (char *)b, (char *)c,
                    NULL};
    /* The victim's own timeouts are short on purpose: do not scale them. */
    char *env[] = {"RUNNER_TIMEOUT_SCALE=1", NULL};
    int st = runner_capture(argv, env, NULL, 0, o);
    ASSERT_NE(st, -1);
    ASSERT(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* Run one victim test that must fail; return its output for more checks. */
static void expect_failure(struct runner_output *o, const char *name)
{
    char line[128];
    ASSERT_EQ(victim(o, name, NULL, NULL), 1);
    snprintf(line, sizeof line, "\nnot ok 1 - %s\n", name);
    ASSERT_STRSTR(o->out, line);
    ASSERT_STRSTR(o->out, "\n# 0 passed, 1 failed, 0 skipped\n");
}

/* Parse "key=N" out of text. */
static long find_number(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    ASSERT_NOT_NULL(p);
    return strtol(p + strlen(key), NULL, 10);
}

/* Wait up to a second for pid to be gone. */
static int is_gone(pid_t pid)
{
    for (int i = 0; i < 100; i++) {
        if (kill(pid, 0) < 0 && errno == ESRCH)
            return 1;
        usleep(10000);
    }
    return 0;
}

TEST(passing_test_reports_ok)
{
    struct runner_output o;
    ASSERT_EQ(victim(&o, "pass_simple", NULL, NULL), 0);
    ASSERT_STRSTR(o.out, "TAP version 13\n1..1\nok 1 - pass_simple\n");
    ASSERT_STRSTR(o.out, "\n# 1 passed, 0 failed, 0 skipped\n");
    runner_output_free(&o);
}

TEST(failed_assert_eq_prints_place_and_both_values)
{
    struct runner_output o;
    expect_failure(&o, "fail_eq");
    ASSERT_STRSTR(o.out, "victim.c:");
    ASSERT_STRSTR(o.out, "assertion failed: four == 5 (4 == 5)");
    /* The message also reaches stderr, next to the test's own output. */
    ASSERT_STRSTR(o.err, "four == 5");
    runner_output_free(&o);

    expect_failure(&o, "fail_ueq");
    ASSERT_STRSTR(o.out, "(7 == 18446744073709551615)");
    runner_output_free(&o);
}

TEST(failed_string_and_memory_asserts_show_the_difference)
{
    struct runner_output o;
    expect_failure(&o, "fail_streq");
    ASSERT_STRSTR(o.out, "#   left:  \"abc\"\n#   right: \"abd\"\n");
    runner_output_free(&o);

    expect_failure(&o, "fail_memeq");
    ASSERT_STRSTR(o.out, "first difference at offset 2");
    ASSERT_STRSTR(o.out, " >03<");
    ASSERT_STRSTR(o.out, " >09<");
    runner_output_free(&o);

    expect_failure(&o, "fail_null");
    ASSERT_STRSTR(o.out, "&x is NULL");
    runner_output_free(&o);

    expect_failure(&o, "fail_message");
    ASSERT_STRSTR(o.out, "custom failure 42");
    runner_output_free(&o);
}

TEST(skip_reports_its_reason)
{
    struct runner_output o;
    ASSERT_EQ(victim(&o, "skip_me", NULL, NULL), 0);
    ASSERT_STRSTR(o.out, "\nok 1 - skip_me # SKIP not on this machine\n");
    ASSERT_STRSTR(o.out, "\n# 0 passed, 0 failed, 1 skipped\n");
    runner_output_free(&o);
}

TEST(leaked_fd_is_reported_with_its_target)
{
    struct runner_output o;
    expect_failure(&o, "leak_fd");
    ASSERT_STRSTR(o.out, "# leaked fd ");
    ASSERT_STRSTR(o.out, " -> /dev/null\n");
    runner_output_free(&o);
}

TEST(leaked_process_is_reported_and_killed)
{
    struct runner_output o;
    expect_failure(&o, "leak_process");
    long pid = find_number(o.err, "leaked-pid=");
    char want[96];
    snprintf(want, sizeof want, "# leaked process pid %ld (leaky-sleeper)",
             pid);
    ASSERT_STRSTR(o.out, want);
    ASSERT(is_gone((pid_t)pid));
    runner_output_free(&o);
}

TEST(process_escaped_from_the_group_is_still_found)
{
    struct runner_output o;
    expect_failure(&o, "leak_escaped_process");
    ASSERT_STRSTR(o.out, "(escaped-sleeper)");
    runner_output_free(&o);
}

TEST(unreaped_zombie_is_a_leak)
{
    struct runner_output o;
    expect_failure(&o, "leak_zombie");
    ASSERT_STRSTR(o.out, "[zombie: never reaped]");
    runner_output_free(&o);
}

TEST(leaked_pipefan_mapping_is_reported)
{
    struct runner_output o;
    expect_failure(&o, "leak_memfd_mapping");
    ASSERT_STRSTR(o.out, "# leaked mapping ");
    ASSERT_STRSTR(o.out, "/memfd:pipefan");
    runner_output_free(&o);
}

TEST(leaked_dev_shm_file_is_reported_and_removed)
{
    struct stat st;
    if (stat("/dev/shm", &st) < 0)
        SKIP("no /dev/shm");
    struct runner_output o;
    expect_failure(&o, "leak_dev_shm");
    ASSERT_STRSTR(o.out, "# leaked /dev/shm/runner-victim-");
    const char *p = strstr(o.out, "/dev/shm/runner-victim-");
    char path[64];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(p, " \n"), p);
    ASSERT_EQ(access(path, F_OK), -1);
    runner_output_free(&o);
}

TEST(leaked_memory_is_reported_under_asan)
{
#if RUNNER_ASAN
    struct runner_output o;
    expect_failure(&o, "leak_memory");
    ASSERT_STRSTR(o.out, "memory leaked");
    runner_output_free(&o);
#else
    SKIP("needs an ASan build (make check-asan)");
#endif
}

TEST(timeout_kills_the_whole_group)
{
    struct timespec t0, t1;
    struct runner_output o;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_failure(&o, "hang");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ASSERT_STRSTR(o.out, "# timed out after 1 s\n");
    ASSERT_LT(t1.tv_sec - t0.tv_sec, 10);
    long pid = find_number(o.err, "hang-child=");
    ASSERT(is_gone((pid_t)pid));
    runner_output_free(&o);
}

TEST(crash_is_reported_with_the_signal)
{
    struct runner_output o;
    expect_failure(&o, "crash");
    ASSERT_STRSTR(o.out, "# test process killed by signal 9 ");
    runner_output_free(&o);
}

TEST(exit_inside_a_test_is_not_a_pass)
{
    struct runner_output o;
    expect_failure(&o, "exit_inside");
    ASSERT_STRSTR(o.out, "before the test returned");
    runner_output_free(&o);
}

TEST(assertion_in_a_forked_child_fails_the_test)
{
    struct runner_output o;
    expect_failure(&o, "fail_in_grandchild");
    ASSERT_STRSTR(o.out, "# in pid ");
    ASSERT_STRSTR(o.out, "(1 == 2)");
    runner_output_free(&o);
}

TEST(test_stdout_does_not_corrupt_tap)
{
    struct runner_output o;
    ASSERT_EQ(victim(&o, "print_fake_tap", NULL, NULL), 0);
    ASSERT_NULL(strstr(o.out, "ok 99"));
    ASSERT_STRSTR(o.err, "ok 99 - fake");
    runner_output_free(&o);
}

TEST(tmpdir_is_removed_after_the_test)
{
    struct runner_output o;
    ASSERT_EQ(victim(&o, "note_tmpdir", NULL, NULL), 0);
    const char *p = strstr(o.out, "# tmpdir=");
    ASSERT_NOT_NULL(p);
    char path[4096];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(p + 9, "\n"), p + 9);
    ASSERT_STRSTR(path, "/runner-note_tmpdir-");
    ASSERT_EQ(access(path, F_OK), -1);
    runner_output_free(&o);
}

TEST(own_tmpdir_is_private_and_empty)
{
    struct stat st;
    ASSERT_NOT_NULL(runner_tmpdir());
    ASSERT_EQ(stat(runner_tmpdir(), &st), 0);
    ASSERT(S_ISDIR(st.st_mode));
    ASSERT_EQ(st.st_mode & 0777, 0700);
    ASSERT_STREQ(getenv("RUNNER_TMPDIR"), runner_tmpdir());
}

TEST(list_and_select_by_name)
{
    struct runner_output o;
    ASSERT_EQ(victim(&o, "-l", NULL, NULL), 0);
    /* File order, whatever order the constructors ran in. */
    ASSERT_STRSTR(o.out, "pass_simple\nfail_eq\nfail_ueq\n");
    ASSERT_STRSTR(o.out, "\nhang\n");
    runner_output_free(&o);

    ASSERT_EQ(victim(&o, "pass_simple", "skip_me", NULL), 0);
    ASSERT_STRSTR(o.out, "1..2\nok 1 - pass_simple\nok 2 - skip_me # SKIP");
    runner_output_free(&o);

    ASSERT_EQ(victim(&o, "pass_simple", "no_such_test", NULL), 2);
    ASSERT_STRSTR(o.out, "Bail out! no test named no_such_test");
    runner_output_free(&o);
}

TEST(no_fork_runs_one_test_in_process)
{
    struct runner_output o;
    ASSERT_EQ(victim(&o, "--no-fork", "pass_simple", NULL), 0);
    ASSERT_STRSTR(o.out, "ok 1 - pass_simple\n");
    runner_output_free(&o);

    ASSERT_EQ(victim(&o, "--no-fork", "fail_eq", NULL), 1);
    ASSERT_STRSTR(o.out, "not ok 1 - fail_eq\n");
    ASSERT_STRSTR(o.out, "(4 == 5)");
    runner_output_free(&o);

    ASSERT_EQ(victim(&o, "--no-fork", "leak_fd", NULL), 1);
    ASSERT_STRSTR(o.out, "leaked fd");
    runner_output_free(&o);
}

HELPER(exit_with)
{
    ASSERT_EQ(argc, 2);
    ASSERT_STREQ(argv[0], "exit_with");
    return atoi(argv[1]);
}

HELPER(echo_args)
{
    for (int i = 1; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    return 0;
}

HELPER(cat)
{
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        fwrite(buf, 1, n, stdout);
    return 0;
}

TEST(helpers_get_their_args_and_set_the_exit_code)
{
    char *exit7[] = {(char *)runner_self(), "--helper", "exit_with", "7", NULL};
    int st = runner_capture(exit7, NULL, NULL, 0, NULL);
    ASSERT(RUNNER_EXITED(st, 7));

    struct runner_output o;
    char *echo[] = {
        (char *)runner_self(), "--helper", "echo_args", "a", "b c", NULL};
    st = runner_capture(echo, NULL, NULL, 0, &o);
    ASSERT(RUNNER_EXITED(st, 0));
    ASSERT_STREQ(o.out, "a b c\n");
    runner_output_free(&o);

    /* A failed assertion inside a helper exits 1 and says why. */
    char *bad[] = {(char *)runner_self(), "--helper", "exit_with", NULL};
    st = runner_capture(bad, NULL, NULL, 0, &o);
    ASSERT(RUNNER_EXITED(st, 1));
    ASSERT_STRSTR(o.err, "argc == 2");
    runner_output_free(&o);
}

TEST(capture_feeds_large_input_and_reads_it_back)
{
    size_t n = 1 << 20;
    char *in = malloc(n);
    ASSERT_NOT_NULL(in);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)('a' + i % 26);
    char *cat[] = {(char *)runner_self(), "--helper", "cat", NULL};
    struct runner_output o;
    int st = runner_capture(cat, NULL, in, n, &o);
    ASSERT(RUNNER_EXITED(st, 0));
    ASSERT_UEQ(o.out_len, n);
    ASSERT_MEMEQ(o.out, in, n);
    runner_output_free(&o);
    free(in);
}
