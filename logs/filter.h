/* filter.h - record filters (--since --until --status --include --exclude
 * --exclude-static --client) and the --strip-query transform.
 *
 * A filter is built once from options, before the workers fork, and then
 * used by each process through its own copy (fork duplicates it; PCRE2 JIT
 * code and match data are plain memory, so nothing has to be redone after
 * fork). One lg_filter must not be used by two threads at once: make one
 * per thread in a threaded program.
 */
#ifndef LOGS_FILTER_H
#define LOGS_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

typedef struct lg_filter lg_filter;

/* Filter options: zero-initialise, then set what the user asked for. All
 * strings are borrowed for the lg_filter_new() call only. */
typedef struct lg_filter_opts {
    /* --since / --until: ISO-8601 (timefmt.h, lg_time_parse_iso). Both are
     * inclusive at the precision written: --since 2015-05-19 keeps from
     * 00:00:00, --until 2015-05-19 keeps through 23:59:59 of that day,
     * --until "2015-05-19 14:00" through 14:00:59. NULL = unbounded. */
    const char *since;
    const char *until;
    int32_t tz_off; /* zone for since/until written without an offset,
                       seconds east of UTC (0 = UTC) */
    /* --status: comma list of 404, 5xx, 200-299; may be repeated. */
    const char *const *status;
    size_t n_status;
    /* --include / --exclude: PCRE2 regexes matched (unanchored, JIT) on the
     * request target as logged, query string included. A record is kept
     * if it matches any include (when there are includes) and no exclude.
     * Records without a target fail every include, pass every exclude. */
    const char *const *include;
    size_t n_include;
    const char *const *exclude;
    size_t n_exclude;
    /* --exclude-static: drop targets whose path (before '?' or '#') ends in
     * a static-asset extension, case-blind: css js mjs map png jpg jpeg
     * gif ico svg svgz webp avif bmp tif tiff woff woff2 ttf otf eot swf
     * mp4 webm mp3 ogg wav flac (documents such as pdf/txt are content and
     * are kept). */
    int exclude_static;
    /* --client: CIDRs or single addresses, IPv4 ("10.0.0.0/8", "1.2.3.4")
     * and IPv6 ("2001:db8::/32"). A record is kept if its client is in any
     * of them; IPv4-mapped IPv6 clients (::ffff:1.2.3.4) match IPv4
     * ranges; hostname clients match nothing. */
    const char *const *clients;
    size_t n_clients;
} lg_filter_opts;

/* Build a filter. Returns 0 and a new filter in *out (caller frees with
 * lg_filter_free), -EINVAL with a message in err (err may be NULL;
 * NUL-terminated, errlen bytes) naming the bad option and value (regex
 * errors include the PCRE2 message and offset), or -ENOMEM. */
int lg_filter_new(const lg_filter_opts *o, lg_filter **out, char *err,
                  size_t errlen);

/* Free a filter. Accepts NULL. */
void lg_filter_free(lg_filter *f);

/* Non-zero when the filter keeps every record (no option set), so callers
 * can skip calling lg_filter_match. */
int lg_filter_is_empty(const lg_filter *f);

/* Returned by lg_filter_match when a regex gave up on the record. */
#define LG_FILTER_UNDECIDED (-1)

/* 1 to keep the record, 0 to drop it. Records with no time are dropped by
 * since/until; records with status 0 are dropped by --status. f is not
 * const: it holds the PCRE2 match data.
 *
 * LG_FILTER_UNDECIDED (negative) when the answer hangs on a regex that
 * gave up on the target (PCRE2's match, depth or heap limit, the JIT
 * stack, memory): an include that gave up with no other include matching,
 * or an exclude that gave up on a record the includes keep, and no other
 * exclude matching. Such a record is DROPPED (it is not in the report),
 * but counted against the first regex that gave up (lg_filter_regex_stat,
 * lg_filter_undecided_last): it must never pass as a plain "no match".
 * Callers treat any negative value as "drop, and report": --strict stops
 * on it. */
int lg_filter_match(lg_filter *f, const lg_rec *r);

/* ---- regexes that gave up ----
 * The counters live in shared memory made by lg_filter_new, so that after
 * the workers (forked copies of the filter) are done, the process that
 * built the filter, and any other copy, reads every worker's count.  A
 * worker restarted after a crash replays its batch and may count a line
 * twice: the counts are for reporting, not for reconciling totals. */

/* Number of regexes: the includes first, then the excludes, in the order
 * given in lg_filter_opts. */
size_t lg_filter_regex_count(const lg_filter *f);

/* Regex i (0 <= i < lg_filter_regex_count): its option ("--include" or
 * "--exclude", static), its pattern as given (owned by f) and the number
 * of records it left undecided so far, over every process. Any out
 * pointer may be NULL. Returns 0, or -EINVAL when i is out of range. */
int lg_filter_regex_stat(const lg_filter *f, size_t i, const char **opt,
                         const char **pattern, uint64_t *undecided_lines);

/* Sum of the undecided counts of every regex. */
uint64_t lg_filter_undecided_total(const lg_filter *f);

/* Index of the regex behind this process's last LG_FILTER_UNDECIDED, or
 * -1 if none yet; for the --strict message. */
int lg_filter_undecided_last(const lg_filter *f);

/* "--include '<pattern>'" for regex i into out (len bytes, always
 * NUL-terminated, cut with "..." if short), the pattern escaped as any
 * outside string in a message (esc.h: controls as \xHH, bidi and
 * invisible characters as \uXXXX, a '\' as it is), safe for a
 * terminal. Returns 0 or -EINVAL. */
int lg_filter_describe(const lg_filter *f, size_t i, char *out, size_t len);

/* The warning for regex i into out (len bytes, always NUL-terminated):
 * "--include '<pattern>': N lines hit a PCRE2 limit (match, depth or
 * heap) and were dropped, neither matched nor unmatched". Returns N; when
 * N is 0 (or i is out of range) out is "" and nothing is to be said. */
uint64_t lg_filter_undecided_message(const lg_filter *f, size_t i, char *out,
                                     size_t len);

/* The target without its query string and fragment ("/a?b=1" -> "/a").
 * Borrowed from t. */
lg_str lg_path_strip_query(lg_str t);

/* Non-zero when the path of target t has a static-asset extension (the
 * --exclude-static list). */
int lg_path_is_static(lg_str t);

#endif
