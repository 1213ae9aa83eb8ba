/*
 * runner-capture.c - run a command with given input and capture what it
 * prints: how tests drive helpers and the pipefan CLI.
 */
#include "runner.h"
#include "runner-private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* In the child: wire up stdin/stdout/stderr, apply env, exec. */
static _Noreturn void exec_child(char *const argv[], char *const env[],
                                 int in_fd, int out_fd, int err_fd,
                                 const sigset_t *mask)
{
    sigprocmask(SIG_SETMASK, mask, NULL);
    if (in_fd < 0)
        in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out_fd < 0)
        out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (err_fd < 0)
        err_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    /* dup2 clears close-on-exec on the new descriptor; the originals keep
     * it and vanish at exec. */
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(127);
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        putenv(env[i]);
    execvp(argv[0], argv);
    dprintf(2, "runner_capture: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Read what is available on *fd into buf; close it at end of file. */
static void drain(int *fd, char **buf, size_t *len, size_t *cap)
{
    for (;;) {
        if (*cap - *len < 4096) {
            size_t ncap = *cap ? *cap * 2 : 8192;
            char *p = realloc(*buf, ncap);
            if (p == NULL) {
                close_fd(fd);
                return;
            }
            *buf = p;
            *cap = ncap;
        }
        ssize_t n = read(*fd, *buf + *len, *cap - *len - 1);
        if (n > 0) {
            *len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno != EAGAIN)
            close_fd(fd);
        return;
    }
}

int runner_capture(char *const argv[], char *const env[], const void *in,
                   size_t inlen, struct runner_output *o)
{
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    char *bufs[2] = {NULL, NULL};
    size_t lens[2] = {0, 0}, caps[2] = {0, 0};
    int status = -1, saved;
    sigset_t pipe_set, old_mask, pending;

    if (o != NULL)
        memset(o, 0, sizeof *o);
    if ((in != NULL && pipe2(pin, O_CLOEXEC) < 0) ||
        (o != NULL && pipe2(pout, O_CLOEXEC) < 0) ||
        (o != NULL && pipe2(perr, O_CLOEXEC) < 0))
        goto close_pipes;

    /* Writing to a child that exited early must not kill the test with
     * SIGPIPE: block it while we feed stdin, discard it afterwards. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
    sigpending(&pending);
    int pipe_was_pending = sigismember(&pending, SIGPIPE);

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        goto restore_mask;
    if (pid == 0)
        exec_child(argv, env, pin[0], pout[1], perr[1], &old_mask);

    close_fd(&pin[0]);
    close_fd(&pout[1]);
    close_fd(&perr[1]);
    if (pin[1] >= 0)
        fcntl(pin[1], F_SETFL, O_NONBLOCK);
    if (pout[0] >= 0)
        fcntl(pout[0], F_SETFL, O_NONBLOCK);
    if (perr[0] >= 0)
        fcntl(perr[0], F_SETFL, O_NONBLOCK);

    size_t off = 0;
    if (pin[1] >= 0 && inlen == 0)
        close_fd(&pin[1]);
    while (pin[1] >= 0 || pout[0] >= 0 || perr[0] >= 0) {
        struct pollfd p[3];
        int n = 0;
        if (pin[1] >= 0)
            p[n++] = (struct pollfd){.fd = pin[1], .events = POLLOUT};
        if (pout[0] >= 0)
            p[n++] = (struct pollfd){.fd = pout[0], .events = POLLIN};
        if (perr[0] >= 0)
            p[n++] = (struct pollfd){.fd = perr[0], .events = POLLIN};
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < n; i++) {
            if (p[i].revents == 0)
                continue;
            if (p[i].fd == pin[1]) {
                ssize_t w = write(pin[1], (const char *)in + off, inlen - off);
                if (w > 0)
                    off += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
                    off == inlen)
                    close_fd(&pin[1]);
            } else if (p[i].fd == pout[0]) {
                drain(&pout[0], &bufs[0], &lens[0], &caps[0]);
            } else {
                drain(&perr[0], &bufs[1], &lens[1], &caps[1]);
            }
        }
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1;
            break;
        }
    }

restore_mask:
    saved = errno;
    sigpending(&pending);
    if (!pipe_was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    errno = saved;
close_pipes:
    saved = errno;
    close_fd(&pin[0]);
    close_fd(&pin[1]);
    close_fd(&pout[0]);
    close_fd(&pout[1]);
    close_fd(&perr[0]);
    close_fd(&perr[1]);
    if (o != NULL && status != -1) {
        for (int i = 0; i < 2; i++) {
            if (bufs[i] == NULL)
                bufs[i] = malloc(1);
            if (bufs[i] != NULL)
                bufs[i][lens[i]] = '\0';
        }
        o->out = bufs[0];
        o->out_len = lens[0];
        o->err = bufs[1];
        o->err_len = lens[1];
    } else {
        free(bufs[0]);
        free(bufs[1]);
    }
    errno = saved;
    return status;
}

void runner_output_free(struct runner_output *o)
{
    if (o == NULL)
        return;
    free(o->out);
    free(o->err);
    memset(o, 0, sizeof *o);
}
