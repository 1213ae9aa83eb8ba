/* state-merge.h - `pipefan logs merge STATE... [--state OUT]`: the
 * report of several saved states together (docs/STATE.md).
 *
 * Every state must have been counted with the same options (format,
 * filters, --strip-query); the aggregates are added exactly (totals,
 * unique clients and paths, every table), the inputs listed one after
 * the other.  An input two states both counted (the same fingerprint) is
 * said on stderr: its lines are in both, so in the merge twice.
 */
#ifndef LOGS_STATE_MERGE_H
#define LOGS_STATE_MERGE_H

#include "job.h"

/* Merge the states paths[0..n) and write the report of cfg to stdout;
 * with cfg->state, save the merged state there too.  0 when the report
 * was written (res filled), or a negative errno with err set (a state
 * that does not load, states of different options: -EINVAL). */
int lg_logs_merge(const lg_config *cfg, char *const *paths, int n,
                  lg_result *res, char *err, size_t errlen);

#endif
