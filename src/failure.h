/*
 * failure.h - the failures of a run as data (pf_pipeline_failure): each
 * one is logged and kept, so a host learns what failed without reading
 * log text.
 */
#ifndef PF_FAILURE_H
#define PF_FAILURE_H

#include "pipefan.h"
#include "shm.h"

/* Forget the failures of an earlier run. */
void pf__failures_reset(pf_pipeline *p);

/* Start a failure of worker w of stage s (s < 0: no stage) with pid; the
 * cause is PF_FAIL_NONE and the action PF_FAIL_STOPPED until set. */
void pf__failure_init(pf_failure *f, const pf_pipeline *p, int s, int w,
                      int pid);

/* Fill f's cause, signal and exit status from how a worker ended: its
 * wait status, its last state, whether the supervisor killed it for
 * stalling. */
void pf__failure_cause(pf_failure *f, int status, int failed, int stalled);

/* Fill what worker control block c says about the call that failed:
 * the record, the code the function returned, its place in the stream
 * (no stream index when the worker was not at a record). */
void pf__failure_detail(pf_failure *f, const struct pf__wctl *c);

/* Format f's message, log it at level and keep f (up to the limit). */
void pf__failure_log(pf_pipeline *p, pf_failure *f, int level, const char *fmt,
                     ...) PF_PRINTF(4, 5);

#endif
