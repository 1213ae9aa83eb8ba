/* render-svg.h - the charts of the HTML report (render-html.h) as inline
 * SVG, drawn by pipefan so the page needs no script to show them.
 *
 * Every string in a chart is pipefan's own (bucket labels, numbers,
 * status classes): no log-derived text reaches an SVG.  Geometry is in a
 * fixed viewBox that CSS scales to the width of the page; colours are
 * classes of the stylesheet (no style attributes: the page's CSP allows
 * none).
 */
#ifndef LOGS_RENDER_SVG_H
#define LOGS_RENDER_SVG_H

#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* Bars that a bucket chart draws at most: longer spans are summed into
 * bins of several buckets. */
#define LG_SVG_MAX_BARS 240

/* A bar chart of table id's buckets (LG_TAB_HOURS or LG_TAB_DAYS) over
 * the whole span from the first to the last bucket, empty buckets as
 * gaps: requests, or bytes when bytes is non-zero.  caption names it for
 * screen readers (pipefan's text).  Nothing without rows. */
void lg_svg_buckets(FILE *f, const lg_report *r, int id, int bytes,
                    const char *caption);

/* Horizontal bars of the status classes cls[1..5] ("1xx".."5xx"; cls[c]
 * hits of class c), the share of total each. */
void lg_svg_classes(FILE *f, const uint64_t cls[10], uint64_t total);

#endif
