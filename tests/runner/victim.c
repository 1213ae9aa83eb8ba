/*
 * victim.c - tests that misbehave on purpose, one way each.  Not part of the
 * suite: selftest.c runs this binary with one test name at a time and
 * checks that the runner reports each misdeed.
 */
#include "runner.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(pass_simple)
{
    ASSERT_EQ(2 + 2, 4);
}

TEST(fail_eq)
{
    int four = 2 + 2;
    ASSERT_EQ(four, 5);
}

TEST(fail_ueq)
{
    ASSERT_UEQ((size_t)7, 18446744073709551615u);
}

TEST(fail_streq)
{
    ASSERT_STREQ("abc", "abd");
}

TEST(fail_memeq)
{
    unsigned char a[6] = {1, 2, 3, 4, 5, 6};
    unsigned char b[6] = {1, 2, 9, 4, 5, 6};
    ASSERT_MEMEQ(a, b, sizeof a);
}

TEST(fail_null)
{
    static int x;
    ASSERT_NULL(&x);
}

TEST(fail_message)
{
    FAIL("custom failure %d", 42);
}

TEST(skip_me)
{
    SKIP("not on this machine");
}

TEST(leak_fd)
{
    int fd = open("/dev/null", O_RDONLY);
    ASSERT_GE(fd, 0);
}

/* Fork a sleeper named name that outlives the test; return once it has
 * its name, so the report cannot see it unnamed.  With escape, it double
 * forks into a new session first: out of the test's process group, so only
 * the subreaper can find it. */
static pid_t leave_sleeper(const char *name, int escape)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(p[0]);
        if (escape) {
            setsid();
            if (fork() != 0)
                _exit(0);
        }
        prctl(PR_SET_NAME, name);
        ASSERT_EQ(write(p[1], "x", 1), 1);
        close(p[1]);
        for (;;)
            pause();
    }
    close(p[1]);
    char c;
    ASSERT_EQ(read(p[0], &c, 1), 1);
    close(p[0]);
    if (escape)
        waitpid(pid, NULL, 0);
    return pid;
}

TEST(leak_process)
{
    pid_t pid = leave_sleeper("leaky-sleeper", 0);
    fprintf(stderr, "leaked-pid=%d\n", (int)pid);
}

TEST(leak_escaped_process)
{
    leave_sleeper("escaped-sleeper", 1);
}

TEST(leak_zombie)
{
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0)
        _exit(0);
    usleep(20000);
}

TEST(leak_memfd_mapping)
{
    int fd = memfd_create("pipefan", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, 4096), 0);
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT(p != MAP_FAILED);
    close(fd);
}

TEST(leak_dev_shm)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/runner-victim-%d", (int)getpid());
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        SKIP("no /dev/shm");
    close(fd);
}

TEST(leak_memory)
{
    char *volatile p = malloc(100);
    p[0] = 'x';
    p = NULL;
}

TEST_TIMEOUT(hang, 1)
{
    pid_t pid = leave_sleeper("hang-child", 0);
    fprintf(stderr, "hang-child=%d\n", (int)pid);
    for (;;)
        pause();
}

TEST(crash)
{
    kill(getpid(), SIGKILL);
}

TEST(exit_inside)
{
    exit(0);
}

TEST(fail_in_grandchild)
{
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0)
        ASSERT_EQ(1, 2);
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    /* The test ignores its child's status: the runner must not. */
}

TEST(print_fake_tap)
{
    printf("ok 99 - fake\n");
    fflush(stdout);
}

TEST(note_tmpdir)
{
    ASSERT_NOT_NULL(runner_tmpdir());
    char path[4096];
    snprintf(path, sizeof path, "%s/sub", runner_tmpdir());
    ASSERT_EQ(mkdir(path, 0700), 0);
    runner_note("tmpdir=%s", runner_tmpdir());
}
