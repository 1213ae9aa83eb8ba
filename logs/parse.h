/* parse.h - the per-line access-log parser (the hot path).
 *
 * lg_parse_line() does no allocation, keeps no pointer to the line and
 * reads exactly `len` bytes: the line need not be NUL-terminated. Each
 * process/thread may call it concurrently (its only state is a
 * _Thread_local date cache). It never fails on any input bytes: a line
 * that is not a request gets a reason code instead.
 */
#ifndef LOGS_PARSE_H
#define LOGS_PARSE_H

#include <stddef.h>

#include "format.h"
#include "record.h"

/* Lines longer than this are LG_BAD_TOO_LONG without being scanned. */
#define LG_LINE_MAX (64 * 1024)

/* Why a line is not a request: X(ENUM, "json_key", "description").
 * The names are stable: they are the keys of the JSON "bad" object. */
#define LG_BAD_MAP(X)                                                          \
    X(EMPTY, "empty", "blank line")                                            \
    X(COMMENT, "comment", "comment line starting with '#'")                    \
    X(ERROR_LOG, "error_log", "web server error-log line, not an access line") \
    X(BINARY, "binary", "NUL or control bytes in the line")                    \
    X(TOO_LONG, "too_long", "line longer than LG_LINE_MAX bytes")              \
    X(TRUNCATED, "truncated", "line ends before the required fields")          \
    X(CLIENT, "client", "missing or malformed client address")                 \
    X(TIME, "time", "missing or malformed time")                               \
    X(REQUEST, "request", "malformed or unterminated request field")           \
    X(STATUS, "status", "missing or malformed status code")                    \
    X(BYTES, "bytes", "malformed bytes field")                                 \
    X(FORMAT, "format", "line does not match the log format")

enum lg_bad {
    LG_OK = 0,
#define LG_BAD_ENUM_(e, name, desc) LG_BAD_##e,
    LG_BAD_MAP(LG_BAD_ENUM_)
#undef LG_BAD_ENUM_
    LG_BAD_COUNT /* number of reasons + 1; size arrays [LG_BAD_COUNT] */
};

/* Parse one line (without its '\n'; trailing '\r' and blanks, leading
 * blanks and a UTF-8 byte-order mark are ignored) with
 * format f into *out. Returns LG_OK (0) and fills every field of *out, or
 * an LG_BAD_* reason (> 0) and leaves *out unspecified.
 *
 * A request line must yield the client, time, request and status fields
 * that the format has. When the line ends (or a final quote is missing)
 * after those, the record is kept with what was read and LG_REC_SALVAGED
 * set: a truncated last user agent still counts as a request, the way
 * other analysers count it. Malformed (not missing) fields are errors.
 * Strings in *out are borrowed from `line` (record.h). */
int lg_parse_line(const lg_format *f, const char *line, size_t len,
                  lg_rec *out);

/* lg_parse_line for a line the caller has checked with lg_line_scan (it
 * had clean set): the same result, without looking for control bytes
 * again. */
int lg_parse_line_clean(const lg_format *f, const char *line, size_t len,
                        lg_rec *out);

/* Find the end of the line starting at p (its '\n', or end) in one pass
 * that also looks for control bytes: *clean is set when the line holds
 * none other than TAB and a CR just before its '\n' (which lg_parse_line
 * trims), so lg_parse_line_clean may parse it. */
const char *lg_line_scan(const char *p, const char *end, int *clean);

/* Stable snake_case name of a reason ("time", "binary"...), "ok" for 0,
 * "unknown" out of range. Static storage. */
const char *lg_bad_name(int reason);

/* One-line English description of a reason. Static storage. */
const char *lg_bad_describe(int reason);

/* Non-zero for reasons that are not malformed data: blank and comment
 * lines. Callers usually skip these instead of counting them as bad. */
int lg_bad_is_ignorable(int reason);

/* Split a request field ("GET /x HTTP/1.1") into method, target and
 * protocol as lg_parse_line does (record.h describes the rules). The
 * results are borrowed from req. */
void lg_split_request(lg_str req, lg_str *method, lg_str *target,
                      lg_str *protocol);

#endif
