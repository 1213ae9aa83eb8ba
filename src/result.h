/*
 * result.h - the pipeline's result, set in a worker and read by the
 * caller after pf_run (result.c).
 */
#ifndef PF_RESULT_H
#define PF_RESULT_H

#include "pipefan.h"

/* Before a run (before any fork): drop the last run's result and make
 * the shared slots the workers write.  0 or a PF_E* code. */
int pf__result_begin(pf_pipeline *p);
/* After a run (every worker reaped): copy the result into the caller's
 * heap and release the slots.  0 or a PF_E* code. */
int pf__result_end(pf_pipeline *p);
/* Free everything; at pf_pipeline_free. */
void pf__result_free(pf_pipeline *p);

#endif
