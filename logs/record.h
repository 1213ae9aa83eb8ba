/* record.h - one parsed access-log line.
 *
 * An lg_rec is plain data filled by lg_parse_line() (parse.h). Every lg_str
 * in it is BORROWED from the line buffer given to the parser: it is valid
 * only while that buffer is, and it is NOT NUL-terminated. Strings are the
 * bytes as logged: escapes written by the web server (\xHH, \", \\) are not
 * decoded, and bytes may be any non-control value (Big5, Latin-1, invalid
 * UTF-8...). Whoever prints them must escape them for the output format.
 */
#ifndef LOGS_RECORD_H
#define LOGS_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* A borrowed byte range. n == 0 means "absent": empty fields and the
 * placeholder "-" of ident, user, vhost, referer and agent are both stored
 * as absent (p may then be NULL or point into the line). */
typedef struct lg_str {
    const char *p;
    size_t n;
} lg_str;

/* ts value when the line carries no time. */
#define LG_NO_TIME INT64_MIN

/* lg_rec.flags bits.
 * SALVAGED: the line ended early (e.g. an unterminated final quote) after
 *   all required fields parsed; later fields are partial or absent.
 * NO_BYTES: the bytes field was "-" or absent (bytes = 0).
 * NO_TZ: the time had no zone ("[31/Jan/2015:14:29:44 ]"): taken as UTC,
 *   tz_off = 0. */
#define LG_REC_SALVAGED (1u << 0)
#define LG_REC_NO_BYTES (1u << 1)
#define LG_REC_NO_TZ (1u << 2)

typedef struct lg_rec {
    lg_str client;  /* remote address as logged: IPv4, IPv6 or hostname */
    lg_str vhost;   /* virtual host, a trailing ":port" removed; often absent */
    lg_str ident;   /* RFC 1413 identity, almost always absent */
    lg_str user;    /* authenticated user */
    int64_t ts;     /* seconds since the epoch, UTC; LG_NO_TIME if absent */
    int32_t tz_off; /* seconds east of UTC, as logged (+0200 -> 7200) */
    uint32_t flags; /* LG_REC_* */
    lg_str request; /* the whole request field as logged, without quotes;
                       absent for "" and present as "-" for a bare "-" */
    lg_str method;  /* "GET"...; absent unless the request starts with
                       an upper-case word ([A-Z][A-Z_-]*, <= 32 bytes):
                       "-", "", TLS bytes, "batman" have no method */
    lg_str target;  /* request target as logged, query string included;
                       use lg_path_strip_query() (filter.h) for the path */
    lg_str protocol; /* "HTTP/1.1"...; present only if it starts with "HTTP/" */
    int status;      /* 100..999; 0 when the format has no status */
    uint64_t bytes;  /* response bytes (body bytes when logged); 0 for "-" */
    lg_str referer;  /* absent for "-" and "" */
    lg_str agent;    /* User-Agent; absent for "-" and "" */
    int64_t req_time_us; /* request duration in microseconds ($request_time,
                            %D, %T); -1 when not logged */
} lg_rec;

#endif
