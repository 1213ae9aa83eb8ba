/* timefmt.c - CLF and ISO-8601 time parsing, civil-date arithmetic.
 *
 * The CLF parser is on the per-line hot path: it reads fixed positions,
 * never calls the C library's time functions (they consult the zone
 * database and take locks) and remembers the last date and hour it
 * converted, since consecutive lines almost always share them.
 */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>

/* Days from 1970-01-01, by counting 400-year eras from 0000-03-01 so that
 * the leap day is the last day of the shifted year. */
int64_t lg_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                  /* 0..399 */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return era * 146097 + doe - 719468;
}

void lg_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Two ASCII digits at s, or -1. */
static inline int dig2(const char *s)
{
    unsigned a = (unsigned char)s[0] - '0', b = (unsigned char)s[1] - '0';
    if (a > 9 || b > 9)
        return -1;
    return (int)(a * 10 + b);
}

/* Month number 1..12 of an English three-letter abbreviation, else 0.
 * Case-blind on the last two letters only as logs write "Jan". */
static int month_of(const char *s)
{
    unsigned c0 = (unsigned char)s[0], c1 = (unsigned char)s[1] | 0x20,
             c2 = (unsigned char)s[2] | 0x20;
    switch (c0) {
    case 'J':
        if (c1 == 'a' && c2 == 'n')
            return 1;
        if (c1 == 'u' && c2 == 'n')
            return 6;
        if (c1 == 'u' && c2 == 'l')
            return 7;
        return 0;
    case 'F':
        return c1 == 'e' && c2 == 'b' ? 2 : 0;
    case 'M':
        if (c1 == 'a' && c2 == 'r')
            return 3;
        if (c1 == 'a' && c2 == 'y')
            return 5;
        return 0;
    case 'A':
        if (c1 == 'p' && c2 == 'r')
            return 4;
        if (c1 == 'u' && c2 == 'g')
            return 8;
        return 0;
    case 'S':
        return c1 == 'e' && c2 == 'p' ? 9 : 0;
    case 'O':
        return c1 == 'c' && c2 == 't' ? 10 : 0;
    case 'N':
        return c1 == 'o' && c2 == 'v' ? 11 : 0;
    case 'D':
        return c1 == 'e' && c2 == 'c' ? 12 : 0;
    default:
        return 0;
    }
}

/* The last "dd/Mon/yyyy" converted by this thread, and its day number. */
static _Thread_local char clf_key[11];
static _Thread_local int64_t clf_days;

/* Days since the epoch of "dd/Mon/yyyy" at s, or INT64_MIN if invalid. */
static int64_t clf_date(const char *s)
{
    if (s[2] == '/' && memcmp(s, clf_key, 11) == 0) /* the zeroed key never
                                                        has '/' at 2 */
        return clf_days;
    int d = dig2(s), y1 = dig2(s + 7), y2 = dig2(s + 9);
    int m = month_of(s + 3);
    if (d < 1 || y1 < 0 || y2 < 0 || m == 0 || s[2] != '/' || s[6] != '/')
        return INT64_MIN;
    int64_t y = y1 * 100 + y2;
    if (d > days_in_month(y, m))
        return INT64_MIN;
    int64_t days = lg_days_from_civil(y, m, d);
    memcpy(clf_key, s, 11);
    clf_days = days;
    return days;
}

/* Parse "+hhmm" / "-hhmm" (5 bytes) into seconds, -1 on error (and the
 * value written through *off is untouched). */
static int zone_hhmm(const char *s, int32_t *off)
{
    if (s[0] != '+' && s[0] != '-')
        return -1;
    int h = dig2(s + 1), mi = dig2(s + 3);
    if (h < 0 || mi < 0 || h > 23 || mi > 59)
        return -1;
    int32_t v = h * 3600 + mi * 60;
    *off = s[0] == '-' ? -v : v;
    return 0;
}

/* The last "dd/Mon/yyyy:hh" and " +hhmm" converted by this thread, as
 * loaded by clf_hour_key, and their time: one compare for the next line of
 * the same hour, which is most lines of a busy log. (This code is linked
 * into programs, never loaded at run time: the fast TLS model holds.) */
#define CLF_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static CLF_TLS uint64_t clf_hkey[3];
static CLF_TLS int clf_hvalid;
static CLF_TLS int64_t clf_hbase; /* UTC of hh:00:00 */
static CLF_TLS int32_t clf_hzone;

static void clf_hour_key(const char *s, uint64_t k[3])
{
    memcpy(&k[0], s, 8);      /* "10/Oct/2" */
    memcpy(&k[1], s + 6, 8);  /* "/2000:13" */
    memcpy(&k[2], s + 18, 8); /* "36 -0700", then the seconds dropped */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    k[2] <<= 16;
#else
    k[2] >>= 16;
#endif
}

/* lg_time_parse_clf for a time not in the last hour seen. */
static __attribute__((noinline)) int clf_parse(const char *s, size_t n,
                                               int64_t *ts, int32_t *off)
{
    if (n < 20)
        return -1;
    int64_t days = clf_date(s);
    if (days == INT64_MIN || s[11] != ':' || s[14] != ':' || s[17] != ':')
        return -1;
    int h = dig2(s + 12), mi = dig2(s + 15), sec = dig2(s + 18);
    if (h < 0 || mi < 0 || sec < 0 || h > 23 || mi > 59 || sec > 60)
        return -1;
    int64_t local = days * 86400 + h * 3600 + mi * 60 + sec;
    int32_t z = 0;
    int rc = 0;
    if (n == 26) {
        if (s[20] != ' ' || zone_hhmm(s + 21, &z) < 0)
            return -1;
        clf_hour_key(s, clf_hkey);
        clf_hbase = days * 86400 + h * 3600 - z;
        clf_hzone = z;
        clf_hvalid = 1;
    } else if (n == 27 && s[20] == ' ' && s[24] == ':') {
        char hhmm[5] = {s[21], s[22], s[23], s[25], s[26]}; /* "+01:00" */
        if (zone_hhmm(hhmm, &z) < 0)
            return -1;
    } else if (n == 20 || (n == 21 && s[20] == ' ')) {
        rc = 1;
    } else {
        return -1;
    }
    *ts = local - z;
    *off = z;
    return rc;
}

int lg_time_parse_clf(const char *s, size_t n, int64_t *ts, int32_t *off)
{
    /* 10/Oct/2000:13:55:36 -0700
     * 0         1         2
     * 012345678901234567890123456 */
    if (n == 26 && clf_hvalid && s[14] == ':' && s[17] == ':') {
        uint64_t k[3];
        clf_hour_key(s, k);
        if (k[0] == clf_hkey[0] && k[1] == clf_hkey[1] && k[2] == clf_hkey[2]) {
            int mi = dig2(s + 15), sec = dig2(s + 18);
            if (mi < 0 || sec < 0 || mi > 59 || sec > 60)
                return -1;
            *ts = clf_hbase + mi * 60 + sec;
            *off = clf_hzone;
            return 0;
        }
    }
    return clf_parse(s, n, ts, off);
}

/* Read exactly `w` digits at s[*i] into *v. */
static int digits(const char *s, size_t n, size_t *i, int w, int *v)
{
    int x = 0;
    if (*i + (size_t)w > n)
        return -1;
    for (int k = 0; k < w; k++) {
        unsigned c = (unsigned char)s[*i + (size_t)k] - '0';
        if (c > 9)
            return -1;
        x = x * 10 + (int)c;
    }
    *i += (size_t)w;
    *v = x;
    return 0;
}

int lg_time_parse_iso(const char *s, size_t n, int32_t def_off, int64_t *ts,
                      int32_t *off, int64_t *prec)
{
    size_t i = 0;
    /* y, m, d start at 0 only because gcc -O3 cannot see that digits()
     * sets them before they are read */
    int y = 0, m = 0, d = 0, h = 0, mi = 0, sec = 0;
    int64_t p = 86400;
    if (digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' ||
        digits(s, n, &i, 2, &m) || i >= n || s[i++] != '-' ||
        digits(s, n, &i, 2, &d))
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && i + 1 < n &&
        s[i + 1] >= '0' && s[i + 1] <= '9') {
        i++;
        if (digits(s, n, &i, 2, &h) || h > 23)
            return -1;
        p = 3600;
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &mi) || mi > 59)
                return -1;
            p = 60;
            if (i < n && s[i] == ':') {
                i++;
                if (digits(s, n, &i, 2, &sec) || sec > 60)
                    return -1;
                p = 1;
                if (i < n && (s[i] == '.' || s[i] == ',')) {
                    i++;
                    size_t f0 = i;
                    while (i < n && s[i] >= '0' && s[i] <= '9')
                        i++;
                    if (i == f0)
                        return -1;
                }
            }
        }
    }
    int32_t z = def_off;
    if (i < n) {
        if (s[i] == 'Z' || s[i] == 'z') {
            z = 0;
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int neg = s[i] == '-', zh, zm = 0;
            i++;
            if (digits(s, n, &i, 2, &zh) || zh > 23)
                return -1;
            if (i < n && s[i] == ':')
                i++;
            if (i < n && digits(s, n, &i, 2, &zm))
                return -1;
            if (zm > 59)
                return -1;
            z = (int32_t)(zh * 3600 + zm * 60);
            if (neg)
                z = -z;
        }
    }
    if (i != n)
        return -1;
    *ts = lg_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec - z;
    if (off)
        *off = z;
    if (prec)
        *prec = p;
    return 0;
}

/* Floor division and modulo for negative times. */
static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void lg_time_civil(int64_t ts, int32_t off, lg_tm *out)
{
    int64_t t = ts + off;
    int64_t days = floordiv(t, 86400);
    int64_t rem = t - days * 86400;
    lg_civil_from_days(days, &out->year, &out->mon, &out->mday);
    out->hour = (int)(rem / 3600);
    out->min = (int)(rem / 60 % 60);
    out->sec = (int)(rem % 60);
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    out->wday = (int)(w < 0 ? w + 7 : w);
}

int lg_time_format_iso(int64_t ts, int32_t off, int utc_z, char buf[32])
{
    lg_tm tm;
    lg_time_civil(ts, off, &tm);
    if (utc_z && off == 0)
        return snprintf(buf, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
                        (long long)tm.year, tm.mon, tm.mday, tm.hour, tm.min,
                        tm.sec);
    int32_t a = off < 0 ? -off : off;
    return snprintf(buf, 32, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                    (long long)tm.year, tm.mon, tm.mday, tm.hour, tm.min,
                    tm.sec, off < 0 ? '-' : '+', (int)(a / 3600),
                    (int)(a / 60 % 60));
}
