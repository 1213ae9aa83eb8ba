/*
 * supervisor.h - the supervisor's state while it watches the workers,
 * shared by supervisor.c (layout, fork, signals, reaping) and retry.c (the
 * failure policy when retries or a stall limit are set: restart, replay,
 * quarantine, stall watch).
 */
#ifndef PF_SUPERVISOR_H
#define PF_SUPERVISOR_H

#include <signal.h>
#include <stdint.h>

#include "ctx.h"
#include "pipeline.h"
#include "signals.h"

/* What the supervisor remembers of each worker's failures. */
struct pf__failure {
    int32_t ring;   /* ring of the record in progress, or PF__RING_* */
    uint64_t pos;   /* its position, or the worker's beats */
    int count;      /* failures at that same point */
    uint64_t beats; /* stall watch: last beats seen ... */
    uint64_t since; /* ... and since when */
    int stalled;    /* we killed it for stalling */
};

/* The supervisor's state while it watches the workers. */
struct pf__watch {
    pf_pipeline *p;
    struct pf__run *run;
    int alive;                /* forked, not yet reaped */
    int err;                  /* first failure */
    int nsignals;             /* SIGINT/SIGTERM seen */
    uint64_t t_drain;         /* when the first of them came, or 0 */
    int aborted;              /* everyone was SIGKILLed */
    struct pf__failure *fail; /* [nworkers], with retries or a stall limit */
    int sfd;
    struct pf__sigfwd fwd; /* stop signals that land on other threads */
    sigset_t host_mask;
    int dl_fd; /* dead-letter file, -1 until needed */
    uint64_t quarantined;
};

/* Run p in worker processes; 0 or a PF_E* code. */
int pf__run_processes(pf_pipeline *p);

/* Refresh p->stats from the live region (supervisor, during a run). */
void pf__stats_pull(pf_pipeline *p);

/* Stage s and worker index w of worker id g. */
void pf__worker_of(const struct pf__run *run, int nstages, int g, int *s,
                   int *w);

/* Record the run's first error and SIGKILL every worker (once). */
void pf__fail_fast(struct pf__watch *wa, int err);

/* Fork worker w of stage s (id g) again after a crash; 0 or an error. */
int pf__respawn(struct pf__watch *wa, int g, int s, int w);

#endif
