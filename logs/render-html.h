/* render-html.h - the report (report.h) as one self-contained HTML page
 * (docs/HTML.md): tables and SVG charts written by pipefan, so the page
 * shows everything without JavaScript; a small script (logs/html/) only
 * sorts and filters the tables.  No network fetches: the stylesheet and
 * the script are inline, allowed by their SHA-256 in a strict
 * Content-Security-Policy (default-src 'none'); the JSON report
 * (docs/JSON.md) rides along in a <script type="application/json">.
 *
 * Every outside string goes through lg_esc_html (as text, never as a link
 * or an attribute that runs) and the embedded JSON through
 * lg_esc_json_script (esc.h).
 *
 * The page's size does not grow with the input: each ranked panel shows at
 * most min(--top, LG_HTML_MAX_ROWS) rows (--top 0 means LG_HTML_MAX_ROWS),
 * an hours or days table its last LG_HTML_MAX_BUCKETS rows, a chart at
 * most LG_SVG_MAX_BARS bars, and a table cell the first LG_HTML_KEY_MAX
 * bytes of its string.  The embedded JSON holds the same rows, strings
 * whole (a log line, and so a string, is at most 64 KiB).
 */
#ifndef LOGS_RENDER_HTML_H
#define LOGS_RENDER_HTML_H

#include <stdio.h>

#include "report.h"

#define LG_HTML_MAX_ROWS 1000
#define LG_HTML_MAX_BUCKETS 400
#define LG_HTML_KEY_MAX 1024

/* Write the page to out.  0, or -errno when writing failed (-ENOMEM when
 * the JSON could not be staged). */
int lg_render_html(const lg_report *r, FILE *out);

#endif
