/* progress.h - the progress line of pipefan logs on a terminal:
 * bytes done / total, rate, ETA, drawn on stderr by the supervisor through
 * the runtime's progress callback, from the shared byte counter the parse
 * workers advance.
 *
 * A percentage and an ETA are shown only when every input is a plain
 * regular file, whose size is what the workers read: for a compressed
 * file or a stream the bytes to come are unknown (a small .zst can hold
 * gigabytes), so the line then says how much was read and for how long,
 * without a percentage.
 *
 * The report shares the terminal: the sink calls lg_progress_handoff
 * before it writes anything, which waits for a frame being drawn, draws
 * the last (100 %) frame, even when the run ended before the first one,
 * erases the line and stops the drawing for good,
 * so the report starts on a clean line.
 */
#ifndef LOGS_PROGRESS_H
#define LOGS_PROGRESS_H

#include <pipefan.h>

struct lg_job;

/* Values of lg_shared.term. */
#define LG_TERM_FREE 0    /* the supervisor may draw */
#define LG_TERM_DRAWING 1 /* it is drawing a frame */
#define LG_TERM_REPORT 2  /* the report has the terminal: no more frames */

/* State of one progress line; zero it, set job, then register
 * lg_progress_cb with it as arg. */
typedef struct lg_progress {
    const struct lg_job *job;
    uint64_t t0_ns;
} lg_progress;

/* pf_progress_fn: draw (final = 0) or erase (final = 1) the line, unless
 * the report took the terminal (then it drew the last frame). */
void lg_progress_cb(const pf_pipeline *p, int final, void *arg);

/* From the process about to write the report (any process of the run):
 * take the terminal from the progress line as described above.  Does
 * nothing when the job has no progress line. */
void lg_progress_handoff(const struct lg_job *job);

/* Format "1.5 GiB" into buf (cap bytes). */
void lg_progress_bytes(uint64_t v, char *buf, size_t cap);

#endif
