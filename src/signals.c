/*
 * signals.c - stop signals that land on another thread.
 *
 * pf_run blocks SIGINT/SIGTERM in the calling thread and reads them from
 * a signalfd.  A process-directed signal goes to any thread that does not
 * block it, though: a thread the host started before pf_run has the mask
 * it was born with, so the signal would run the host's action there -
 * kill the whole process by default, or vanish when ignored - and the
 * pipeline would never drain.  So during a run a small handler takes
 * SIGINT and SIGTERM in every thread and writes the signal's number to a
 * self-pipe the supervisor polls beside its signalfd: wherever a stop
 * signal lands, it stops the run the same way.  The host's actions come
 * back when pf_run returns.  (A signal that arrives while every thread
 * blocks it waits for the signalfd as before.)
 */
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "pipefan.h"

static const int stop_sigs[2] = {SIGINT, SIGTERM};

/* The pipe the handler writes to; -1 outside a run. */
static _Atomic int fwd_fd = -1;

/* Async-signal-safe: one byte per signal, never blocks, keeps errno. */
static void forward(int sig)
{
    int fd = atomic_load(&fwd_fd);
    if (fd < 0)
        return;
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(fd, &b, 1);
    (void)n; /* a full pipe already holds a stop request */
    errno = saved;
}

int pf__sigfwd_start(struct pf__sigfwd *f)
{
    memset(f, 0, sizeof *f);
    f->fd[0] = f->fd[1] = -1;
    if (pipe2(f->fd, O_CLOEXEC | O_NONBLOCK) != 0)
        return PF_ESYS;
    atomic_store(&fwd_fd, f->fd[1]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    for (int i = 0; i < 2; i++)
        sigaction(stop_sigs[i], &sa, &f->old[i]);
    f->active = 1;
    return 0;
}

int pf__sigfwd_next(struct pf__sigfwd *f)
{
    unsigned char b;
    if (!f->active || read(f->fd[0], &b, 1) != 1)
        return 0;
    return b;
}

void pf__sigfwd_child(struct pf__sigfwd *f)
{
    if (!f->active)
        return;
    close(f->fd[0]);
    close(f->fd[1]);
}

void pf__sigfwd_stop(struct pf__sigfwd *f)
{
    if (!f->active)
        return;
    for (int i = 0; i < 2; i++)
        sigaction(stop_sigs[i], &f->old[i], NULL);
    atomic_store(&fwd_fd, -1);
    close(f->fd[0]);
    close(f->fd[1]);
    f->active = 0;
}
