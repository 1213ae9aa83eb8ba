/* state-run.h - a `pipefan logs --state FILE` run: load the state before
 * the run and tell the source what is new, combine and save after it
 * (docs/STATE.md).
 *
 * Before the run (caller): each input is fingerprinted (its first
 * LG_STATE_FP_MAX bytes, decompressed) and its content end found (just
 * past its last newline; a compressed file's whole length), then matched
 * to the state's inputs by content: a match counted up to offset O reads
 * [O, end) only (lg_input.start), a match with nothing new is skipped,
 * one that shrank below O is reported and not counted again.
 * At the end (the sink): the run's aggregate and the state's are combined
 * into one of every input ever counted, which is reported and staged as
 * the new state file (written and fsynced under a temporary name).
 * After the run (caller): the staged file replaces the state only when
 * the run counted every chunk (no crash, no quarantine, no --strict stop).
 */
#ifndef LOGS_STATE_RUN_H
#define LOGS_STATE_RUN_H

#include <stddef.h>

#include <pipefan.h>

#include "agg.h"
#include "job.h"

struct lg_state_run;

/* The canonical text of the options that shape the counts (format,
 * filters, --strip-query), malloc'ed; NULL when out of memory. */
char *lg_state_options(const lg_config *cfg);

/* Load cfg->state (if it exists) and match the inputs to it; sets
 * job->st.  0, or a negative errno with the reason in err.  Nothing to do
 * without cfg->state. */
int lg_state_run_prepare(lg_job *job, char *err, size_t errlen);

/* In the sink, before ranking: replace *a (the run's aggregate, freed)
 * with the combined one and *rjob with a job whose inputs are the
 * combined inputs (for the report); stage the new state file.  0 or a
 * negative errno (said through ctx). */
int lg_state_run_finish(pf_ctx *ctx, lg_job *job, lg_agg **a,
                        const lg_job **rjob);

/* In the caller, after the run: commit the staged state when the run was
 * whole (keep), else remove it.  0, or a negative errno with err set. */
int lg_state_run_commit(lg_job *job, int keep, char *err, size_t errlen);

/* Free job->st.  Accepts a job without one. */
void lg_state_run_free(lg_job *job);

#endif
