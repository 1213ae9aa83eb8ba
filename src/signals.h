/*
 * signals.h - the stop signals (SIGINT, SIGTERM) during a run, wherever
 * they land (signals.c).
 */
#ifndef PF_SIGNALS_H
#define PF_SIGNALS_H

#include <signal.h>

/* The forwarding of stop signals that reach another thread of the
 * caller's process while pf_run blocks them in its own. */
struct pf__sigfwd {
    int fd[2];               /* self-pipe: [0] read by the supervisor */
    struct sigaction old[2]; /* the host's SIGINT and SIGTERM actions */
    int active;
};

/* Catch SIGINT/SIGTERM delivered to any thread and forward them to the
 * pipe.  0, or PF_ESYS (nothing changed). */
int pf__sigfwd_start(struct pf__sigfwd *f);

/* The next forwarded signal, or 0 when none is waiting. */
int pf__sigfwd_next(struct pf__sigfwd *f);

/* Close the pipe in a child after fork (its dispositions are reset by
 * the child itself). */
void pf__sigfwd_child(struct pf__sigfwd *f);

/* Restore the host's actions and close the pipe; safe when not active. */
void pf__sigfwd_stop(struct pf__sigfwd *f);

#endif
