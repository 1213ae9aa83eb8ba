/* failshim.c - a failure shim for the state-save tests (crash-state.sh),
 * built for the tests only and loaded with LD_PRELOAD: it never reaches
 * the pipefan binary or library that is installed.
 *
 * It watches the steps of a state save (docs/STATE.md "Crash safety") and
 * makes one of them fail or kills the process there:
 *
 *   PF_FAILSHIM=STEP:ACTION
 *     STEP    create   openat of the temporary file ".NAME.PID.N.tmp"
 *             write    a write to that file
 *             fsync    its fsync
 *             close    its close
 *             rename   the renameat of it over the state
 *             dirsync  the fsync of a directory after that rename
 *     ACTION  fail     the call fails (ENOSPC for create and write, EIO for
 *                      fsync, close and dirsync, EACCES for rename) and
 *                      does nothing
 *             die      SIGKILL of the calling process before the call
 *             after    SIGKILL of the calling process after the call
 *
 * Other calls go through untouched.  Each process of the run has its own
 * copy of the shim; the save's steps are in the sink (create .. close)
 * and the calling process (rename, dirsync), and each step comes once per
 * run, so the first call at the step is the one acted on.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fds of temporary state files this process opened (small table). */
#define MAX_TMP 16
static int tmp_fd[MAX_TMP] = {-1, -1, -1, -1, -1, -1, -1, -1,
                              -1, -1, -1, -1, -1, -1, -1, -1};
static int renamed; /* a rename of a temporary file went through */

/* Whether name is a temporary state file's: ".NAME.PID.N.tmp". */
static int is_tmp(const char *name)
{
    const char *b = strrchr(name, '/');
    b = b ? b + 1 : name;
    size_t n = strlen(b);
    return b[0] == '.' && n > 5 && strcmp(b + n - 4, ".tmp") == 0;
}

static int is_tmp_fd(int fd)
{
    for (int i = 0; i < MAX_TMP; i++)
        if (fd >= 0 && tmp_fd[i] == fd)
            return 1;
    return 0;
}

static void set_tmp_fd(int fd, int on)
{
    for (int i = 0; i < MAX_TMP; i++)
        if (on ? tmp_fd[i] < 0 : tmp_fd[i] == fd) {
            tmp_fd[i] = on ? fd : -1;
            return;
        }
}

/* What to do at step: 0 nothing, 'f' fail, 'd' die before, 'a' after. */
static int action(const char *step)
{
    const char *e = getenv("PF_FAILSHIM");
    size_t n = strlen(step);
    if (!e || strncmp(e, step, n) != 0 || e[n] != ':')
        return 0;
    e += n + 1;
    if (strcmp(e, "fail") == 0)
        return 'f';
    if (strcmp(e, "die") == 0)
        return 'd';
    if (strcmp(e, "after") == 0)
        return 'a';
    return 0;
}

static void die(void)
{
    kill(getpid(), SIGKILL);
    for (;;)
        pause();
}

static void *real(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "failshim: no %s\n", name);
        abort();
    }
    return f;
}

int openat(int dfd, const char *path, int flags, ...)
{
    static int (*f)(int, const char *, int, ...);
    mode_t mode = 0;
    if (!f)
        f = (int (*)(int, const char *, int, ...))real("openat");
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    int tmp = (flags & O_CREAT) && is_tmp(path),
        act = tmp ? action("create") : 0;
    if (act == 'f') {
        errno = ENOSPC;
        return -1;
    }
    if (act == 'd')
        die();
    int fd = f(dfd, path, flags, mode);
    if (act == 'a')
        die();
    if (tmp && fd >= 0)
        set_tmp_fd(fd, 1);
    return fd;
}

ssize_t write(int fd, const void *p, size_t n)
{
    static ssize_t (*f)(int, const void *, size_t);
    if (!f)
        f = (ssize_t(*)(int, const void *, size_t))real("write");
    int act = is_tmp_fd(fd) ? action("write") : 0;
    if (act == 'f') {
        errno = ENOSPC;
        return -1;
    }
    if (act == 'd')
        die();
    /* "after": half the bytes reach the file, then the process dies */
    ssize_t r = f(fd, p, act == 'a' && n > 1 ? n / 2 : n);
    if (act == 'a')
        die();
    return r;
}

int fsync(int fd)
{
    static int (*f)(int);
    struct stat st;
    if (!f)
        f = (int (*)(int))real("fsync");
    int act = 0;
    if (is_tmp_fd(fd))
        act = action("fsync");
    else if (renamed && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        act = action("dirsync");
    if (act == 'f') {
        errno = EIO;
        return -1;
    }
    if (act == 'd')
        die();
    int r = f(fd);
    if (act == 'a')
        die();
    return r;
}

int close(int fd)
{
    static int (*f)(int);
    if (!f)
        f = (int (*)(int))real("close");
    int tmp = is_tmp_fd(fd), act = tmp ? action("close") : 0;
    if (tmp)
        set_tmp_fd(fd, 0);
    if (act == 'd')
        die();
    int r = f(fd);
    if (act == 'f') {
        errno = EIO; /* closed all the same, as close(2) does */
        return -1;
    }
    if (act == 'a')
        die();
    return r;
}

int renameat(int ofd, const char *old, int nfd, const char *new)
{
    static int (*f)(int, const char *, int, const char *);
    if (!f)
        f = (int (*)(int, const char *, int, const char *))real("renameat");
    int tmp = is_tmp(old), act = tmp ? action("rename") : 0;
    if (act == 'f') {
        errno = EACCES;
        return -1;
    }
    if (act == 'd')
        die();
    int r = f(ofd, old, nfd, new);
    if (tmp && r == 0)
        renamed = 1;
    if (act == 'a')
        die();
    return r;
}
