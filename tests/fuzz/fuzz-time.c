/* fuzz-time.c - libFuzzer target for the time parser (logs/timefmt.c).
 *
 * Each line of the input, from an exactly sized copy, is parsed as a CLF
 * time ("10/Oct/2000:13:55:36 -0700") and as ISO-8601.  What a parser
 * accepts must mean what the text says: the time broken down again in the
 * offset found gives back the text's fields (a leap second, :60, is the
 * next minute's :00), the offset is within a day, the ISO period is one of
 * the four, and the ISO text lg_time_format_iso writes parses back to the
 * same time and offset.  The CLF parser keeps per-thread caches of the last
 * date and hour: a line parsed twice, and again after the next line, must
 * give the same answer.  Day numbers built from the input's bytes must
 * survive lg_days_from_civil(lg_civil_from_days()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../logs/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int num(const char *s, int w)
{
    int v = 0;
    for (int i = 0; i < w; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int month_number(const char *s)
{
    /* the parser's rule (timefmt.c): the first letter as written, the
     * other two case-blind ("OCt" is October) */
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char low[3] = {s[0], (char)(s[1] | 0x20), (char)(s[2] | 0x20)};
    for (int m = 0; m < 12; m++)
        if (memcmp(low, names + 3 * m, 3) == 0)
            return m + 1;
    return 0;
}

/* The civil time of ts in offset off must be y-mo-d h:mi:sec, or for
 * sec == 60 the second after y-mo-d h:mi:59. */
static void same_time(int64_t ts, int32_t off, int64_t y, int mo, int d, int h,
                      int mi, int sec)
{
    if (off <= -86400 || off >= 86400)
        abort();
    lg_tm tm;
    if (sec == 60) {
        lg_time_civil(ts - 1, off, &tm);
        sec = 59;
    } else {
        lg_time_civil(ts, off, &tm);
    }
    if (tm.year != y || tm.mon != mo || tm.mday != d || tm.hour != h ||
        tm.min != mi || tm.sec != sec)
        abort();
    if (tm.wday < 0 || tm.wday > 6)
        abort();
}

/* ts in off, written as ISO-8601 and parsed back, is ts in off. */
static void round_trip(int64_t ts, int32_t off)
{
    char buf[32];
    int64_t ts2, prec;
    int32_t off2;
    lg_tm tm;
    lg_time_civil(ts, off, &tm);
    if (tm.year > 9999)
        return; /* a leap second after 9999-12-31T23:59:59: no 4-digit year */
    int n = lg_time_format_iso(ts, off, 1, buf);
    if (n <= 0 || n >= 32)
        abort();
    if (lg_time_parse_iso(buf, (size_t)n, 12345, &ts2, &off2, &prec) != 0 ||
        ts2 != ts || off2 != off || prec != 1)
        abort();
}

static void clf(const char *s, size_t n)
{
    int64_t ts, ts2;
    int32_t off, off2;
    int rc = lg_time_parse_clf(s, n, &ts, &off);
    if (rc < -1 || rc > 1)
        abort();
    if (rc < 0)
        return;
    if (n < 20 || (rc == 1 && off != 0))
        abort();
    same_time(ts, off, num(s + 7, 4), month_number(s + 3), num(s, 2),
              num(s + 12, 2), num(s + 15, 2), num(s + 18, 2));
    round_trip(ts, off);
    if (lg_time_parse_clf(s, n, &ts2, &off2) != rc || ts2 != ts || off2 != off)
        abort();
}

static void iso(const char *s, size_t n)
{
    int64_t ts, prec;
    int32_t off;
    if (lg_time_parse_iso(s, n, 19800, &ts, &off, &prec) != 0)
        return;
    int h = 0, mi = 0, sec = 0;
    if (prec == 86400) {
    } else if (prec == 3600) {
        h = num(s + 11, 2);
    } else if (prec == 60) {
        h = num(s + 11, 2);
        mi = num(s + 14, 2);
    } else if (prec == 1) {
        h = num(s + 11, 2);
        mi = num(s + 14, 2);
        sec = num(s + 17, 2);
    } else {
        abort();
    }
    same_time(ts, off, num(s, 4), num(s + 5, 2), num(s + 8, 2), h, mi, sec);
    round_trip(ts, off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *e = p + size;
    char *prev = NULL;
    size_t prev_n = 0;
    int64_t prev_ts = 0;
    int32_t prev_off = 0;
    int prev_rc = -2;
    while (p < e) {
        const char *le = memchr(p, '\n', (size_t)(e - p));
        size_t n = le ? (size_t)(le - p) : (size_t)(e - p);
        char *line = malloc(n ? n : 1);
        if (!line)
            abort();
        memcpy(line, p, n);
        clf(line, n);
        iso(line, n);
        /* the previous line again, after this one filled the caches */
        if (prev) {
            int64_t ts;
            int32_t off;
            int rc = lg_time_parse_clf(prev, prev_n, &ts, &off);
            if (rc != prev_rc ||
                (rc >= 0 && (ts != prev_ts || off != prev_off)))
                abort();
            free(prev);
        }
        prev = line;
        prev_n = n;
        prev_rc = lg_time_parse_clf(line, n, &prev_ts, &prev_off);
        p = le ? le + 1 : e;
    }
    free(prev);
    /* day numbers from the input's first bytes, within +-2^40 days */
    if (size >= 8) {
        int64_t days;
        memcpy(&days, data, sizeof days);
        days %= (int64_t)1 << 40;
        int64_t y;
        int m, d;
        lg_civil_from_days(days, &y, &m, &d);
        if (m < 1 || m > 12 || d < 1 || d > 31 ||
            lg_days_from_civil(y, m, d) != days)
            abort();
    }
    return 0;
}
