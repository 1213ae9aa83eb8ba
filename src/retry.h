/*
 * retry.h - the failure policy with retries or a stall limit (retry.c):
 * restart, replay, quarantine, stall watch.
 */
#ifndef PF_RETRY_H
#define PF_RETRY_H

#include "supervisor.h"

/* A worker died with retries allowed; restart it, quarantining the
 * record it keeps failing on.  Returns 0 (restarted) or the run's
 * error. */
int pf__try_restart(struct pf__watch *wa, int g, int status, int err);

/* SIGKILL workers stuck in one call longer than the stall limit (reaping
 * then handles them as crashes). */
void pf__check_stalls(struct pf__watch *wa);

#endif
