/* progress.h - the progress line of pipefan logs on a terminal:
 * bytes done / total, rate, ETA, drawn on stderr by the supervisor through
 * the runtime's progress callback, from the shared byte counter the parse
 * workers advance.
 */
#ifndef LOGS_PROGRESS_H
#define LOGS_PROGRESS_H

#include <pipefan.h>

/* State of one progress line; zero it, set job, then register
 * lg_progress_cb with it as arg. */
typedef struct lg_progress {
    const struct lg_job *job;
    uint64_t t0_ns;
    int drawn;
} lg_progress;

/* pf_progress_fn: draw (final = 0) or clear (final = 1) the line. */
void lg_progress_cb(const pf_pipeline *p, int final, void *arg);

/* Format "1.5 GiB" into buf (cap bytes). */
void lg_progress_bytes(uint64_t v, char *buf, size_t cap);

#endif
