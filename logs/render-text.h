/* render-text.h - the report (report.h) as aligned terminal tables.
 * Every outside string goes through esc.h's terminal escaping.
 */
#ifndef LOGS_RENDER_TEXT_H
#define LOGS_RENDER_TEXT_H

#include <stdio.h>

#include <pipefan.h>

#include "report.h"

/* Write the report to out; color: ANSI colours; width: the line width
 * (at least 40).  0, or -EIO when writing failed. */
int lg_render_text(const lg_report *r, FILE *out, int color, int width);

/* --stats: the per-stage table of a finished run (records, bytes in the
 * report's KiB/MiB units, busy and wait shares, the bottleneck) to out.
 * 0, or -EIO. */
int lg_render_stats(const pf_pipeline *p, FILE *out);

#endif
