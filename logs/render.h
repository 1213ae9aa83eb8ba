/* render.h - the report's three writers and their escaping helpers.
 *
 * The sink builds an lg_report (report.h) from the merged aggregate and
 * hands it to one writer:
 * aligned text tables, JSON (docs/JSON.md), or CSV.  Writers escape every
 * string that came from a log for their output; the escaping helpers live
 * here so all writers agree on what a log string may contain.
 */
#ifndef LOGS_RENDER_H
#define LOGS_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* Writers: 0, or -errno when writing failed. */
int lg_render_text(const lg_report *r, FILE *out, int color, int width);
int lg_render_json(const lg_report *r, FILE *out);
/* target: a panel name (that panel to out), or a directory (created if
 * missing) that gets one <panel>.csv per shown panel. */
int lg_render_csv(const lg_report *r, FILE *out, const char *target, char *err,
                  size_t errlen);

/* ---- escaping helpers ---------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p[0..n) (1..4), or 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, truncated...). */
size_t lg_utf8_len(const unsigned char *p, size_t n);

/* Write s as a JSON string with quotes: control characters and DEL as
 * \u escapes, invalid UTF-8 bytes as U+FFFD. */
void lg_json_str(FILE *f, const char *s, size_t n);

/* Write s for a terminal: control characters, DEL, C1 controls and
 * invalid bytes as \xHH, at most max_cols columns (a longer string is cut
 * and ends with "..."); returns the columns written. */
int lg_term_str(FILE *f, const char *s, size_t n, int max_cols);
/* Columns lg_term_str would use for s without a limit. */
int lg_term_width(const char *s, size_t n);

/* Write s as one RFC 4180 CSV field (quoted when it holds a comma, quote,
 * CR or LF; invalid UTF-8 as U+FFFD). */
void lg_csv_str(FILE *f, const char *s, size_t n);

/* Display text of an HOURS/DAYS bucket: "2015-05-19T14" / "2015-05-19". */
void lg_bucket_text(int id, int64_t bucket, char buf[32]);

#endif
