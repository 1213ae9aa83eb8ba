/* render-csv.h - report panels (report.h) as RFC 4180 CSV (docs/LOGS.md).
 * Every outside string goes through lg_esc_csv, with the formula guard
 * unless the job's configuration turns it off (--csv-raw).
 */
#ifndef LOGS_RENDER_CSV_H
#define LOGS_RENDER_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

/* target: a panel name (that panel to out), or a directory (created if
 * missing) that gets one <panel>.csv per shown panel, each written under
 * a temporary name in the directory and renamed, never through a
 * symlink (outfile.h).  0, or -errno with a message in err. */
int lg_render_csv(const lg_report *r, FILE *out, const char *target, char *err,
                  size_t errlen);

#endif
