/*
 * runner.c - registration, command line, and running each test in its own
 * process group under a timeout, with TAP output.
 *
 * The runner process never runs test code.  For each test it makes a
 * private temporary directory, forks a child into a new process group, and
 * waits for it (pidfd, or a short poll where pidfds are missing) with a
 * deadline.  The child runs the body between two leak snapshots and sends
 * its verdict over a pipe as NUL-terminated messages ("F..." failure,
 * "S..." skip, "N..." note, "D" done); each is one write below PIPE_BUF so
 * messages from grandchildren never interleave.  The runner is a child
 * subreaper: whatever the test left running is reparented to it, reported
 * as a leak, killed and reaped before the next test starts.
 */
#include "runner.h"
#include "runner-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* valgrind's client requests, when the header is installed (it comes with
 * valgrind, which make check-valgrind installs). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define RUNNER_HAVE_VALGRIND_H 1
#endif
#endif

#if RUNNER_ASAN
/* From the sanitizer runtime: non-zero when leaks were found (and printed
 * on stderr). */
int __lsan_do_recoverable_leak_check(void);
#endif

enum runner_mode {
    MODE_MAIN,   /* the runner process itself */
    MODE_CHILD,  /* a forked test process (or its forked descendants) */
    MODE_NOFORK, /* --no-fork: one test in the runner process */
    MODE_HELPER, /* --helper NAME */
};

enum verdict {
    V_PASS,
    V_FAIL,
    V_SKIP
};

static struct runner_test *tests_head, **tests_tail = &tests_head;
static struct runner_helper *helpers_head;
static char self_path[PATH_MAX];
static enum runner_mode mode = MODE_MAIN;
static const char *current_name;
static char current_tmpdir[PATH_MAX];
static int msg_fd = -1;  /* MODE_CHILD: write end of the verdict pipe */
static pid_t test_pid;   /* MODE_CHILD: pid of the test process */
static pid_t runner_pid; /* the runner process */
static double timeout_scale = 1.0;
static struct runner_sb nofork_diag;
static volatile sig_atomic_t got_signal;

void runner__register_test(struct runner_test *t)
{
    t->next = NULL;
    *tests_tail = t;
    tests_tail = &t->next;
}

void runner__register_helper(struct runner_helper *h)
{
    h->next = helpers_head;
    helpers_head = h;
}

const char *runner_self(void)
{
    return self_path;
}

const char *runner_tmpdir(void)
{
    if (mode == MODE_HELPER)
        return getenv("RUNNER_TMPDIR");
    return current_tmpdir[0] ? current_tmpdir : NULL;
}

const char *runner_test_name(void)
{
    return current_name;
}

/* The share of the machine a process gets now: 1 while the load is at
 * most the CPUs online, else CPUs / load, at least 1/8. */
static double machine_share(void)
{
    double load;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (getloadavg(&load, 1) != 1 || cpus < 1 || load <= (double)cpus)
        return 1.0;
    double share = (double)cpus / load;
    return share < 0.125 ? 0.125 : share;
}

double runner_timeout_scale(void)
{
    return timeout_scale;
}

int runner_under_valgrind(void)
{
#ifdef RUNNER_HAVE_VALGRIND_H
    return RUNNING_ON_VALGRIND ? 1 : 0;
#else
    return 0;
#endif
}

/* ---- messages and verdicts from inside a test --------------------------- */

/* Drop a leading "../" (meson compiles from the build directory). */
static const char *short_file(const char *file)
{
    while (strncmp(file, "../", 3) == 0)
        file += 3;
    return file;
}

static void send_msg(char type, const char *text)
{
    char buf[RUNNER_MSG_MAX];
    size_t n = strlen(text);
    if (n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[0] = type;
    memcpy(buf + 1, text, n);
    buf[n + 1] = '\0';
    while (write(msg_fd, buf, n + 2) < 0 && errno == EINTR)
        ;
}

static void vreport(char type, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void vreport(char type, const char *fmt, va_list ap)
{
    char text[RUNNER_MSG_MAX];
    int off = 0;

    if (mode == MODE_CHILD && getpid() != test_pid)
        off = snprintf(text, sizeof text, "in pid %d: ", (int)getpid());
    vsnprintf(text + off, sizeof text - (size_t)off, fmt, ap);

    if (type == 'D')
        ;
    else if (type == 'N')
        fprintf(stderr, "# %s\n", text);
    else
        fprintf(stderr, "%s: %s\n", current_name ? current_name : "runner",
                text);
    fflush(stderr);

    if (mode == MODE_CHILD)
        send_msg(type, text);
    else if (mode == MODE_NOFORK && type != 'D')
        runner__sb_addf(&nofork_diag, "%s\n", text);
}

void runner__report(char type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(type, fmt, ap);
    va_end(ap);
}

void runner_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport('N', fmt, ap);
    va_end(ap);
}

static void print_diag(const char *text);

/* Leave the test (or helper) after a failure or a skip. */
static _Noreturn void leave(enum verdict v, const char *reason)
{
    fflush(NULL);
    switch (mode) {
    case MODE_CHILD:
        _exit(v == V_SKIP ? RUNNER_EXIT_SKIP : RUNNER_EXIT_FAIL);
    case MODE_NOFORK:
        if (v == V_SKIP) {
            printf("ok 1 - %s # SKIP %s\n", current_name, reason);
        } else {
            printf("not ok 1 - %s\n", current_name);
            print_diag(nofork_diag.p);
        }
        if (current_tmpdir[0] && !getenv("RUNNER_KEEP_TMP"))
            runner__rmtree(current_tmpdir);
        exit(v == V_SKIP ? 0 : 1);
    case MODE_HELPER:
        exit(v == V_SKIP ? RUNNER_EXIT_SKIP : 1);
    case MODE_MAIN:
    default:
        exit(2);
    }
}

void runner__fail(const char *file, int line, const char *fmt, ...)
{
    char msg[RUNNER_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    runner__report('F', "%s:%d: %s", short_file(file), line, msg);
    leave(V_FAIL, NULL);
}

void runner__skip(const char *file, int line, const char *fmt, ...)
{
    char msg[RUNNER_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    (void)file;
    (void)line;
    /* A TAP directive ends at the line: keep the reason on one line. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    runner__report('S', "%s", msg);
    leave(V_SKIP, msg);
}

int runner__streq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Append s to sb as a C string literal, cut after max bytes. */
static void add_quoted(struct runner_sb *sb, const char *s, size_t max)
{
    if (s == NULL) {
        runner__sb_add(sb, "NULL", 4);
        return;
    }
    runner__sb_add(sb, "\"", 1);
    size_t i;
    for (i = 0; s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            runner__sb_addf(sb, "\\%c", c);
        else if (c == '\n')
            runner__sb_add(sb, "\\n", 2);
        else if (c == '\t')
            runner__sb_add(sb, "\\t", 2);
        else if (c < 0x20 || c == 0x7f)
            runner__sb_addf(sb, "\\x%02x", c);
        else
            runner__sb_add(sb, (const char *)&c, 1);
    }
    runner__sb_add(sb, "\"", 1);
    if (s[i])
        runner__sb_addf(sb, "... (%zu bytes)", strlen(s));
}

void runner__fail_streq(const char *file, int line, const char *op,
                        const char *ea, const char *eb, const char *a,
                        const char *b)
{
    struct runner_sb sb = {0};
    runner__sb_addf(&sb, "assertion failed: %s %s %s\n  left:  ", ea, op, eb);
    add_quoted(&sb, a, 1500);
    runner__sb_add(&sb, "\n  right: ", 10);
    add_quoted(&sb, b, 1500);
    runner__fail(file, line, "%s", sb.p);
}

/* Append up to 16 bytes of p around off as hex. */
static void add_hex(struct runner_sb *sb, const unsigned char *p, size_t n,
                    size_t off)
{
    size_t from = off >= 8 ? off - 8 : 0;
    size_t to = off + 8 < n ? off + 8 : n;
    runner__sb_addf(sb, "[%zu..%zu)", from, to);
    for (size_t i = from; i < to; i++)
        runner__sb_addf(sb, i == off ? " >%02x<" : " %02x", p[i]);
}

void runner__fail_memeq(const char *file, int line, const char *ea,
                        const char *eb, const void *a, const void *b, size_t n)
{
    const unsigned char *pa = a, *pb = b;
    size_t off = 0;
    while (off < n && pa[off] == pb[off])
        off++;
    struct runner_sb sb = {0};
    runner__sb_addf(&sb,
                    "assertion failed: memcmp(%s, %s, %zu) == 0: first "
                    "difference at offset %zu\n  left:  ",
                    ea, eb, n, off);
    add_hex(&sb, pa, n, off);
    runner__sb_add(&sb, "\n  right: ", 10);
    add_hex(&sb, pb, n, off);
    runner__fail(file, line, "%s", sb.p);
}

/* ---- running one test --------------------------------------------------- */

/* Run the body between leak snapshots; returns the number of leaks. */
static int run_body(const struct runner_test *t)
{
    struct runner_set fds = {0}, maps = {0};
    int leaks = 0;

    runner__fds_snapshot(&fds);
    runner__maps_snapshot(&maps);
    t->fn();
    fflush(NULL);
    leaks += runner__fds_check(&fds);
    leaks += runner__maps_check(&maps);
#if RUNNER_ASAN
    if (__lsan_do_recoverable_leak_check() != 0) {
        runner__report('F', "memory leaked (LeakSanitizer report on stderr)");
        leaks++;
    }
#endif
    runner__set_free(&fds);
    runner__set_free(&maps);
    return leaks;
}

static _Noreturn void child_main(const struct runner_test *t, int wfd)
{
    mode = MODE_CHILD;
    msg_fd = wfd;
    test_pid = getpid();
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != runner_pid)
        _exit(RUNNER_EXIT_FAIL);

    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* Keep the TAP stream clean: a test's stdout goes to stderr; its
     * stdin is empty. */
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul >= 0) {
        dup2(nul, 0);
        close(nul);
    }
    dup2(2, 1);
    setenv("RUNNER_TMPDIR", current_tmpdir, 1);

    if (run_body(t) > 0) {
        fflush(NULL);
        _exit(RUNNER_EXIT_FAIL);
    }
    runner__report('D', "%s", "");
    fflush(NULL);
    _exit(0);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what the verdict pipe holds; close it at end of file. */
static void read_msgs(int *fd, struct runner_sb *msgs)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n > 0) {
            runner__sb_add(msgs, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno != EAGAIN) {
            close(*fd);
            *fd = -1;
        }
        return;
    }
}

static void kill_test(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

static int make_tmpdir(const char *name)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    snprintf(current_tmpdir, sizeof current_tmpdir, "%s/runner-%.64s-XXXXXX",
             base, name);
    if (mkdtemp(current_tmpdir) == NULL) {
        fprintf(stderr, "runner: mkdtemp %s: %s\n", current_tmpdir,
                strerror(errno));
        current_tmpdir[0] = '\0';
        return -1;
    }
    return 0;
}

static void remove_tmpdir(struct runner_sb *diag)
{
    if (current_tmpdir[0] == '\0')
        return;
    if (getenv("RUNNER_KEEP_TMP"))
        runner__sb_addf(diag, "kept %s\n", current_tmpdir);
    else if (runner__rmtree(current_tmpdir) < 0)
        runner__sb_addf(diag, "could not remove %s: %s\n", current_tmpdir,
                        strerror(errno));
    current_tmpdir[0] = '\0';
}

/* Describe how the test process ended into diag. */
static void describe_status(int st, struct runner_sb *diag)
{
    if (WIFSIGNALED(st))
        runner__sb_addf(diag, "test process killed by signal %d (%s)%s\n",
                        WTERMSIG(st), strsignal(WTERMSIG(st)),
                        WCOREDUMP(st) ? ", core dumped" : "");
    else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        runner__sb_addf(diag, "test process exited with status 0 before the "
                              "test returned (exit() called inside it?)\n");
    else if (WIFEXITED(st))
        runner__sb_addf(diag, "test process exited with status %d\n",
                        WEXITSTATUS(st));
}

/* Stop on SIGINT/SIGTERM/SIGHUP: kill the running test and clean up. */
static _Noreturn void interrupted(pid_t pid)
{
    kill_test(pid);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    runner__reap_leftovers(NULL);
    if (current_tmpdir[0] && !getenv("RUNNER_KEEP_TMP"))
        runner__rmtree(current_tmpdir);
    printf("Bail out! interrupted by signal %d\n", (int)got_signal);
    fflush(stdout);
    exit(128 + got_signal);
}

/* A pidfd for pid, or -1 where pidfds are missing (old kernels, valgrind
 * 3.19, which also warns at each attempt: so ask once). */
static int open_pidfd(pid_t pid)
{
    static int works = -1;
    if (works < 0) {
        const char *pre = getenv("LD_PRELOAD");
        works = pre == NULL || strstr(pre, "vgpreload") == NULL;
    }
    if (!works)
        return -1;
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0 && errno == ENOSYS)
        works = 0;
    return fd;
}

/* Run test t in a child; fill diag and skip; return the verdict. */
static enum verdict run_one(const struct runner_test *t, struct runner_sb *diag,
                            struct runner_sb *skip, const sigset_t *wait_mask)
{
    struct runner_set shm_before = {0};
    struct runner_sb msgs = {0};
    int p[2], st = 0, timed_out = 0, failed = 0, done = 0, skipped = 0;

    current_name = t->name;
    if (make_tmpdir(t->name) < 0) {
        runner__sb_addf(diag, "cannot make a temporary directory\n");
        return V_FAIL;
    }
    runner__dir_snapshot("/dev/shm", &shm_before);
    if (pipe2(p, O_CLOEXEC) < 0) {
        runner__sb_addf(diag, "pipe: %s\n", strerror(errno));
        remove_tmpdir(diag);
        return V_FAIL;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        runner__sb_addf(diag, "fork: %s\n", strerror(errno));
        close(p[0]);
        close(p[1]);
        remove_tmpdir(diag);
        return V_FAIL;
    }
    if (pid == 0) {
        close(p[0]);
        child_main(t, p[1]);
    }
    setpgid(pid, pid); /* also done by the child: whoever runs first */
    close(p[1]);
    int rfd = p[0];
    fcntl(rfd, F_SETFL, O_NONBLOCK);
    int pidfd = open_pidfd(pid);

    /* The timeout is in the test's share of the machine: on a machine
     * busier than its CPUs, time counts at their share of the load (at
     * least 1/8), so a test slowed by other work is not taken for hung. */
    double budget = t->timeout * timeout_scale * 1000, used = 0;
    int64_t start = now_ms(), last = start, deadline = last + (int64_t)budget;
    for (;;) {
        if (got_signal)
            interrupted(pid);
        struct pollfd pfd[2];
        nfds_t n = 0;
        if (rfd >= 0)
            pfd[n++] = (struct pollfd){.fd = rfd, .events = POLLIN};
        if (pidfd >= 0)
            pfd[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        int64_t left = deadline - now_ms();
        if (left < 0)
            left = 0;
        if (left > 1000)
            left = 1000; /* weigh the load at least once a second */
        if (pidfd < 0 && left > 10)
            left = 10; /* no pidfd: poll for the child's exit */
        struct timespec ts = {left / 1000, (left % 1000) * 1000000};
        int r = ppoll(pfd, n, &ts, wait_mask);
        if (r < 0 && errno != EINTR)
            break;
        if (rfd >= 0 && r > 0 && pfd[0].revents)
            read_msgs(&rfd, &msgs);
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        int64_t t1 = now_ms();
        used += (double)(t1 - last) * machine_share();
        last = t1;
        deadline = t1 + (int64_t)(budget - used);
        if (used >= budget) {
            timed_out = 1;
            kill_test(pid);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            break;
        }
    }
    if (rfd >= 0)
        read_msgs(&rfd, &msgs);
    if (rfd >= 0)
        close(rfd);
    if (pidfd >= 0)
        close(pidfd);

    /* Messages: NUL-separated, first byte the type. */
    for (size_t off = 0; off < msgs.len;) {
        const char *m = msgs.p + off;
        size_t len = strnlen(m, msgs.len - off);
        if (len > 0) {
            switch (m[0]) {
            case 'F':
                failed = 1;
                runner__sb_addf(diag, "%.*s\n", (int)len - 1, m + 1);
                break;
            case 'N':
                runner__sb_addf(diag, "%.*s\n", (int)len - 1, m + 1);
                break;
            case 'S':
                skipped = 1;
                runner__sb_add(skip, m + 1, len - 1);
                break;
            case 'D':
                done = 1;
                break;
            }
        }
        off += len + 1;
    }
    runner__sb_free(&msgs);

    double wall = (double)(now_ms() - start);
    if (timed_out) {
        failed = 1;
        runner__sb_addf(diag, "timed out after %g s\n", budget / 1000);
        if (wall > 1.5 * budget) /* what the load stretched it to */
            runner__sb_addf(diag,
                            "(%.0f s of wall time: the machine was busy)\n",
                            wall / 1000);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && done) {
        /* passed, unless something below leaked */
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == RUNNER_EXIT_SKIP &&
               skipped) {
        /* skipped */
    } else if (!(WIFEXITED(st) && WEXITSTATUS(st) == RUNNER_EXIT_FAIL &&
                 failed)) {
        failed = 1;
        describe_status(st, diag);
    }

    /* Leftover processes and files fail the test even if it passed. */
    if (runner__reap_leftovers(diag) > 0)
        failed = 1;
    if (runner__shm_check("/dev/shm", &shm_before, diag) > 0)
        failed = 1;
    runner__set_free(&shm_before);
    remove_tmpdir(diag);
    current_name = NULL;

    if (failed)
        return V_FAIL;
    return skipped ? V_SKIP : V_PASS;
}

/* ---- TAP output and the command line ------------------------------------ */

/* Print text as TAP diagnostic lines. */
static void print_diag(const char *text)
{
    if (text == NULL)
        return;
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        printf("# %.*s\n", (int)len, text);
        text += len + (nl != NULL);
    }
}

static void on_signal(int sig)
{
    got_signal = sig;
}

static int run_all(struct runner_test **sel, size_t n)
{
    int passed = 0, failed = 0, skipped = 0;
    sigset_t block, wait_mask;

    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        fprintf(stderr,
                "runner: PR_SET_CHILD_SUBREAPER: %s (leaked "
                "processes may go unnoticed)\n",
                strerror(errno));

    /* Signals are blocked except while waiting in ppoll, so a signal is
     * never lost between the check and the wait. */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGHUP);

    printf("TAP version 13\n1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        struct runner_sb diag = {0}, skip = {0};
        enum verdict v = run_one(sel[i], &diag, &skip, &wait_mask);
        if (v == V_FAIL) {
            printf("not ok %zu - %s\n", i + 1, sel[i]->name);
            failed++;
        } else if (v == V_SKIP) {
            printf("ok %zu - %s # SKIP %s\n", i + 1, sel[i]->name,
                   skip.p ? skip.p : "");
            skipped++;
        } else {
            printf("ok %zu - %s\n", i + 1, sel[i]->name);
            passed++;
        }
        print_diag(diag.p);
        fflush(stdout);
        runner__sb_free(&diag);
        runner__sb_free(&skip);
    }
    printf("# %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    fflush(stdout);
    return failed ? 1 : 0;
}

/* Run one test in this process, for gdb and valgrind. */
static int run_nofork(const struct runner_test *t)
{
    mode = MODE_NOFORK;
    current_name = t->name;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        fprintf(stderr, "runner: PR_SET_CHILD_SUBREAPER: %s\n",
                strerror(errno));
    if (make_tmpdir(t->name) == 0)
        setenv("RUNNER_TMPDIR", current_tmpdir, 1);
    printf("TAP version 13\n1..1\n");
    fflush(stdout);
    int leaks = run_body(t);
    struct runner_sb diag = {0};
    leaks += runner__reap_leftovers(&diag);
    remove_tmpdir(&diag);
    if (leaks) {
        printf("not ok 1 - %s\n", t->name);
        print_diag(nofork_diag.p);
    } else {
        printf("ok 1 - %s\n", t->name);
    }
    print_diag(diag.p);
    runner__sb_free(&diag);
    runner__sb_free(&nofork_diag);
    return leaks ? 1 : 0;
}

static const struct runner_test *find_test(const char *name)
{
    for (const struct runner_test *t = tests_head; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

/* Put the tests in file order: files in the order they first registered
 * a test, tests by line within a file (constructors may run in any
 * order). */
static void sort_tests(void)
{
    size_t n = 0;
    for (struct runner_test *t = tests_head; t; t = t->next)
        n++;
    if (n < 2)
        return;
    struct runner_test **v = calloc(n, sizeof *v);
    size_t *rank = calloc(n, sizeof *rank);
    if (v == NULL || rank == NULL)
        goto free_arrays;
    size_t i = 0;
    for (struct runner_test *t = tests_head; t; t = t->next, i++) {
        v[i] = t;
        rank[i] = i;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(v[j]->file, t->file) == 0) {
                rank[i] = rank[j];
                break;
            }
        }
    }
    /* Insertion sort: stable, and n is small. */
    for (i = 1; i < n; i++) {
        struct runner_test *t = v[i];
        size_t r = rank[i], j = i;
        while (j > 0 && (rank[j - 1] > r ||
                         (rank[j - 1] == r && v[j - 1]->line > t->line))) {
            v[j] = v[j - 1];
            rank[j] = rank[j - 1];
            j--;
        }
        v[j] = t;
        rank[j] = r;
    }
    tests_head = NULL;
    tests_tail = &tests_head;
    for (i = 0; i < n; i++)
        runner__register_test(v[i]);
free_arrays:
    free(v);
    free(rank);
}

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [NAME...]          run all tests, or those named\n"
            "       %s -l                 list the tests\n"
            "       %s --no-fork NAME     run one test in this process\n"
            "       %s --helper NAME ARGS run a helper\n"
            "env: RUNNER_TIMEOUT_SCALE=N multiplies timeouts; "
            "RUNNER_KEEP_TMP=1 keeps temporary directories\n",
            argv0, argv0, argv0, argv0);
}

int main(int argc, char **argv)
{
    runner_pid = getpid();
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n > 0)
        self_path[n] = '\0';
    else
        snprintf(self_path, sizeof self_path, "%s", argv[0]);

    const char *scale = getenv("RUNNER_TIMEOUT_SCALE");
    if (scale != NULL && *scale != '\0') {
        char *end;
        double v = strtod(scale, &end);
        if (*end == '\0' && v > 0)
            timeout_scale = v;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    sort_tests();

    if (argc >= 2 && strcmp(argv[1], "--helper") == 0) {
        if (argc < 3) {
            usage(stderr, argv[0]);
            return 2;
        }
        for (struct runner_helper *h = helpers_head; h; h = h->next) {
            if (strcmp(h->name, argv[2]) == 0) {
                mode = MODE_HELPER;
                current_name = h->name;
                int rc = h->fn(argc - 2, argv + 2);
                fflush(NULL);
                return rc;
            }
        }
        fprintf(stderr, "%s: no helper named %s\n", argv[0], argv[2]);
        return 127;
    }
    if (argc >= 2 && strcmp(argv[1], "-l") == 0) {
        for (const struct runner_test *t = tests_head; t; t = t->next)
            printf("%s\n", t->name);
        return 0;
    }
    if (argc >= 2 &&
        (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout, argv[0]);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--no-fork") == 0) {
        const struct runner_test *t = argc == 3 ? find_test(argv[2]) : NULL;
        if (t == NULL) {
            fprintf(stderr, "%s: --no-fork takes one test name\n", argv[0]);
            return 2;
        }
        return run_nofork(t);
    }

    size_t count = 0;
    for (const struct runner_test *t = tests_head; t; t = t->next)
        count++;
    struct runner_test **sel = calloc(count + (size_t)argc, sizeof *sel);
    if (sel == NULL)
        return 2;
    size_t nsel = 0;
    if (argc < 2) {
        for (struct runner_test *t = tests_head; t; t = t->next)
            sel[nsel++] = t;
    }
    for (int i = 1; i < argc; i++) {
        const struct runner_test *t = find_test(argv[i]);
        if (t == NULL) {
            printf("Bail out! no test named %s\n", argv[i]);
            fprintf(stderr, "%s: no test named %s (try -l)\n", argv[0],
                    argv[i]);
            free(sel);
            return 2;
        }
        sel[nsel++] = (struct runner_test *)t;
    }
    int rc = run_all(sel, nsel);
    free(sel);
    return rc;
}
