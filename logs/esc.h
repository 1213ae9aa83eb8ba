/* esc.h - the one escaping path for strings pipefan did not make itself.
 *
 * Log fields (paths, referrers, agents...), file names and patterns come
 * from strangers (docs/SECURITY.md): every output and every message
 * writes them through one of these functions and never with a raw "%s".
 *
 * What a "piece" of such a string becomes, for the text outputs (the
 * terminal table, messages on stderr, the error lines on stdout):
 *   printable ASCII and valid UTF-8 text   as is
 *   C0 controls, DEL, C1 controls, bytes   \xHH per byte
 *   that are not valid UTF-8
 *   bidi controls (U+061C, U+200E-U+200F,  \uXXXX
 *   U+202A-U+202E, U+2066-U+2069), zero-
 *   width and invisible characters (U+200B-
 *   U+200D, U+2060-U+2064, U+FEFF) and the
 *   line/paragraph separators U+2028-2029
 * A backslash stays as it is (nginx logs escape bytes as \xHH already).
 * Columns are counted without the locale: East Asian Wide and Fullwidth
 * characters take two, combining marks none (lg_esc_cols).
 *
 * HTML text (lg_esc_html) escapes like the terminal, then writes & < > " '
 * as character references: the result is valid UTF-8 that no HTML parser
 * reads as markup, in element text and in a quoted attribute alike.
 *
 * JSON keeps the string (\u escapes, U+FFFD for invalid bytes) and CSV
 * escapes like the text outputs (but invalid UTF-8 as U+FFFD, a TAB as is),
 * plus the formula guard (LG_ESC_CSV_GUARD).
 */
#ifndef LOGS_ESC_H
#define LOGS_ESC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at p[0..n) (1..4), or 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, truncated...). */
size_t lg_utf8_len(const unsigned char *p, size_t n);

/* Display columns of code point c when shown as is: 2 for East Asian Wide
 * and Fullwidth, 0 for combining marks, else 1.  No locale involved. */
int lg_esc_cols(uint32_t c);

/* Write s as a JSON string with quotes: control characters (C0, DEL, C1),
 * bidi controls and invisible characters as \u escapes, invalid UTF-8
 * bytes as \ufffd. */
void lg_esc_json(FILE *f, const char *s, size_t n);

/* Write s escaped for a terminal, at most max_cols columns: a longer
 * string is cut on the right and ends with "...".  Returns the columns
 * written. */
int lg_esc_term(FILE *f, const char *s, size_t n, int max_cols);
/* The same, but a longer string is cut in the middle, keeping its end
 * (for file names: ".../access.log.1.gz"); the start is kept too while it
 * fits.  Returns the columns written. */
int lg_esc_term_mid(FILE *f, const char *s, size_t n, int max_cols);
/* Columns lg_esc_term would use for s without a limit. */
int lg_esc_term_width(const char *s, size_t n);

/* s (NUL-terminated) escaped as for the terminal into buf (cap bytes,
 * always NUL-terminated; cut with "..." when short); returns buf.  For
 * messages: pf_log(NULL, PF_LOG_WARN, "%s: ...", lg_esc_name(path, b,
 * sizeof b)). */
const char *lg_esc_name(const char *s, char *buf, size_t cap);
/* The same for s[0..n) (NUL bytes escaped too). */
const char *lg_esc_text(const char *s, size_t n, char *buf, size_t cap);

/* lg_esc_csv flags */
enum {
    /* the OWASP rule: a field starting with = + - @ TAB or CR gets a '
     * prefix so no spreadsheet reads it as a formula */
    LG_ESC_CSV_GUARD = 1,
};
/* Write s as one RFC 4180 CSV field: quoted when it holds a comma, quote,
 * CR or LF; controls, bidi and
 * invisible characters escaped as for the terminal; TAB as is; invalid
 * UTF-8 as U+FFFD. */
void lg_esc_csv(FILE *f, const char *s, size_t n, int flags);

/* Write s as HTML text: each piece as lg_esc_term shows it (controls and
 * bytes that are not UTF-8 as \xHH, bidi and invisible characters as
 * \uXXXX), then & < > " ' as &amp; &lt; &gt; &quot; &#39;.  At most
 * max_in bytes of s are written; a longer string is cut at a character and
 * ends with "\u2026" (an ellipsis).  Returns the bytes of s written. */
size_t lg_esc_html(FILE *f, const char *s, size_t n, size_t max_in);

/* Copy the JSON text json[0..n) (as lg_esc_json and the JSON writer make
 * it: valid UTF-8) for a <script type="application/json"> block: < > &
 * become \u003c \u003e \u0026 and U+2028, U+2029 \u2028 \u2029, so
 * no "</script>" or "<!--" can end or change the block.  Only valid inside
 * JSON strings, where these characters can be. */
void lg_esc_json_script(FILE *f, const char *json, size_t n);

#endif
