/* state-diff.h - `pipefan logs diff OLD NEW`: what changed between two
 * saved states (docs/STATE.md): totals, status-class shares, and for the
 * paths, clients, 404s and hours the new and vanished keys and the
 * biggest risers and fallers by hits, each with a Poisson z-score of its
 * change against the overall change in requests:
 *   z = (n - r o) / sqrt(n + r^2 o),  r = new requests / old requests.
 */
#ifndef LOGS_STATE_DIFF_H
#define LOGS_STATE_DIFF_H

#include <stddef.h>

#include "job.h"

/* Compare the states oldp and newp and write the differences to stdout,
 * text or JSON (cfg->output), cfg->top rows a list.  0, or a negative
 * errno with err set (a state that does not load; states of different
 * options: -EINVAL). */
int lg_logs_diff(const lg_config *cfg, const char *oldp, const char *newp,
                 char *err, size_t errlen);

/* Compare the state oldp with the live inputs files[0..nfiles): one run
 * of cfg over them (every line, as a run without a state would count
 * them) into a temporary state under $TMPDIR, removed after.  Returns as
 * lg_logs_diff; the live run's setup errors too. */
int lg_logs_diff_live(const lg_config *cfg, const char *oldp,
                      char *const *files, int nfiles, char *err, size_t errlen);

/* Whether path is a state file (begins with the LGST magic). */
int lg_state_is_file(const char *path);

#endif
