/* detect.h - pick a built-in format from the first lines of a log. */
#ifndef LOGS_DETECT_H
#define LOGS_DETECT_H

#include <stddef.h>

#include "format.h"

/* How many lines of the sample lg_detect() looks at, at most. */
#define LG_DETECT_LINES 50

/* Look at the first LG_DETECT_LINES lines of buf[0..len) (a final line
 * without '\n' may be cut short by the caller's read, so it is used only
 * when there is no complete line; blank, comment and error-log lines are
 * skipped and not counted) and store in *out the built-in
 * format that fits best: "combined" if the lines carry referer and agent,
 * "common" if they end after the bytes field, the vhost_ variants if most
 * lines start with a virtual host. *out is borrowed, static.
 * Returns the number of sampled lines that parse (>= 0). When none parse
 * (or buf holds no line), *out is still set to "combined" and 0 is
 * returned, so the caller can warn "format not recognised". */
int lg_detect(const char *buf, size_t len, const lg_format **out);

#endif
