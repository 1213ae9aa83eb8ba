/* timefmt.h - fast time parsing and civil-date arithmetic.
 *
 * All arithmetic is proleptic Gregorian, in UTC plus a fixed offset: no
 * time-zone database and no DST rules are consulted (a log line carries
 * its own offset). No function here allocates or reads past its length.
 */
#ifndef LOGS_TIMEFMT_H
#define LOGS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Days from 1970-01-01 to y-m-d (m 1..12, d 1..31; not range checked). */
int64_t lg_days_from_civil(int64_t y, int m, int d);

/* Inverse of lg_days_from_civil. */
void lg_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Parse the CLF time "10/Oct/2000:13:55:36 -0700" (the text between the
 * brackets: 20 bytes, 21 with an empty zone, 26, or 27 for "+01:00"). Stores
 * UTC seconds in *ts and the offset in *off (seconds east of UTC). Returns 0,
 * 1 when the zone was empty (*off = 0, time taken as UTC), or -1 when
 * malformed (bad month name, day 32, hour 24, zone +2500...). Caches the
 * last date seen per thread, so lines of the same day cost a compare. */
int lg_time_parse_clf(const char *s, size_t n, int64_t *ts, int32_t *off);

/* Parse ISO-8601 as found in logs ($time_iso8601) and in --since/--until:
 *   2015-05-19  2015-05-19T14:00  2015-05-19 14:00  2015-05-19T14:00:05
 *   with optional fractional seconds (ignored) and optional zone
 *   Z, +02, +0200, +02:00, -05:30.
 * Without a zone, def_off (seconds east of UTC) is assumed. Stores UTC
 * seconds in *ts, the offset used in *off (may be NULL), and in *prec
 * (may be NULL) the length in seconds of the period the text names: 86400
 * for a date, 3600 for "T14", 60 for minutes, 1 for seconds. So the
 * period covered is [*ts, *ts + *prec). Returns 0 or -1 if malformed. */
int lg_time_parse_iso(const char *s, size_t n, int32_t def_off, int64_t *ts,
                      int32_t *off, int64_t *prec);

/* Format ts as "2015-05-19T14:00:05+02:00" in the given offset (or "Z"
 * form "2015-05-19T12:00:05Z" when utc_z is non-zero and off is 0).
 * buf needs 32 bytes. Returns the length written (NUL-terminated). */
int lg_time_format_iso(int64_t ts, int32_t off, int utc_z, char buf[32]);

/* Broken-down local time for bucketing (traffic per hour/day). */
typedef struct lg_tm {
    int64_t year;
    int mon, mday; /* 1..12, 1..31 */
    int hour, min, sec;
    int wday; /* 0 = Sunday */
} lg_tm;

/* ts + off seconds broken down (off = the line's tz_off gives the time
 * "as logged"; off = 0 gives UTC). */
void lg_time_civil(int64_t ts, int32_t off, lg_tm *out);

#endif
