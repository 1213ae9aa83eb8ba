/*
 * worker.h - a worker process's life (worker.c).
 */
#ifndef PF_WORKER_H
#define PF_WORKER_H

#include "ctx.h"

/* Exit statuses of a worker process.  Informative only: the supervisor
 * reads the worker's state and error from its control block. */
#define PF__EXIT_DONE 0        /* finished its work */
#define PF__EXIT_STAGE_FAIL 70 /* a stage function or hook failed */
#define PF__EXIT_FAIL 71       /* any other failure */

/* Mirror the worker's counters into its shared control block. */
void pf__push_stats(pf_ctx *ctx);

/* Run worker w of stage s of a process-mode run; never returns. */
_Noreturn void pf__worker_main(pf_pipeline *p, struct pf__run *run, int s,
                               int w, int restart);

#endif
