/* parse-field.c - field values of the column and JSON engines.
 *
 * The NCSA-family fields go to parse.c's store_field; this file adds
 * what the formats of load balancers, CDNs and JSON loggers write
 * differently: a client with its port, an absolute URL as the request
 * target, a date and a time in separate columns, durations in
 * milliseconds or nanoseconds, a status after a slash.
 */
#include "parse-field.h"

#include <string.h>

#include "parse-int.h"
#include "parse.h"
#include "timefmt.h"

static int isdig(char c)
{
    return c >= '0' && c <= '9';
}

/* Split an absolute URL "https://host:443/path?q" into the vhost (the
 * port dropped) and the target "/path?q". A target without "://" is kept
 * as it is. */
static void split_url(lg_rec *r, const char *p, const char *e)
{
    const char *s = memchr(p, ':', (size_t)(e - p));
    if (!s || e - s < 3 || s[1] != '/' || s[2] != '/' ||
        memchr(p, '/', (size_t)(s - p))) {
        r->target = (lg_str){p, (size_t)(e - p)};
        return;
    }
    const char *h = s + 3;
    const char *slash = memchr(h, '/', (size_t)(e - h));
    const char *he = slash ? slash : e;
    r->vhost = lg__vhost_str(h, (size_t)(he - h));
    /* "http://x" without a path: the target is the URL as logged */
    r->target = slash ? (lg_str){slash, (size_t)(e - slash)}
                      : (lg_str){p, (size_t)(e - p)};
}

/* "1.2.3.4:2817" -> "1.2.3.4"; "[::1]:80" -> "::1"; IPv6 kept whole. */
static int client_port(lg_rec *r, const char *p, const char *e)
{
    const char *c = memchr(p, ':', (size_t)(e - p));
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(e - p));
        if (!rb)
            return LG_BAD_CLIENT;
        p++;
        e = rb;
    } else if (c && !memchr(c + 1, ':', (size_t)(e - c - 1))) {
        e = c;
    }
    if (!lg__valid_client(p, (size_t)(e - p)))
        return LG_BAD_CLIENT;
    r->client = (lg_str){p, (size_t)(e - p)};
    return 0;
}

/* "00:00:13" or "17:00:00.363" -> second of the day. */
static int parse_hms(const char *p, const char *e, int64_t *sod)
{
    if (e - p < 8 || p[2] != ':' || p[5] != ':')
        return -1;
    for (int i = 0; i < 8; i++)
        if (i != 2 && i != 5 && !isdig(p[i]))
            return -1;
    int h = (p[0] - '0') * 10 + p[1] - '0';
    int m = (p[3] - '0') * 10 + p[4] - '0';
    int s = (p[6] - '0') * 10 + p[7] - '0';
    if (h > 23 || m > 59 || s > 60)
        return -1;
    for (p += 8; p < e; p++)
        if (!isdig(*p) && *p != '.')
            return -1;
    *sod = h * 3600 + m * 60 + s;
    return 0;
}

/* A number of seconds (JSON "ts") or an ISO or CLF time. */
static int time_any(lg_rec *r, const char *p, const char *e)
{
    size_t n = (size_t)(e - p);
    int64_t us, prec;
    if (n && isdig(*p) && memchr(p, '-', n) == NULL &&
        memchr(p, '/', n) == NULL) {
        if (lg__seconds_frac(p, e, &us) < 0)
            return LG_BAD_TIME;
        r->ts = us / 1000000;
        r->tz_off = 0;
        return 0;
    }
    if (n >= 10 && p[4] == '-') {
        /* consecutive lines mostly share their second: keep the last */
        static _Thread_local struct {
            char s[40];
            size_t n;
            int64_t ts;
            int32_t off;
        } last;
        if (n == last.n && memcmp(p, last.s, n) == 0) {
            r->ts = last.ts;
            r->tz_off = last.off;
            return 0;
        }
        if (lg_time_parse_iso(p, n, 0, &r->ts, &r->tz_off, &prec) < 0 ||
            prec != 1)
            return LG_BAD_TIME;
        if (n <= sizeof last.s) {
            memcpy(last.s, p, n);
            last.n = n;
            last.ts = r->ts;
            last.off = r->tz_off;
        }
        return 0;
    }
    int rc = lg_time_parse_clf(p, n, &r->ts, &r->tz_off);
    if (rc < 0)
        return LG_BAD_TIME;
    if (rc == 1)
        r->flags |= LG_REC_NO_TZ;
    return 0;
}

/* "25/Sep/2018:06:05:27.584", no zone: taken as UTC. */
static int time_clfms(lg_rec *r, const char *p, const char *e)
{
    char buf[32];
    if (e - p < 20)
        return LG_BAD_TIME;
    memcpy(buf, p, 20);
    memcpy(buf + 20, " +0000", 6);
    if (lg_time_parse_clf(buf, 26, &r->ts, &r->tz_off) != 0)
        return LG_BAD_TIME;
    r->flags |= LG_REC_NO_TZ;
    return 0;
}

/* Milliseconds (fraction allowed) or "-" into microseconds. */
static int millis(const char *p, const char *e, int64_t *us)
{
    int64_t v;
    if (lg__seconds_frac(p, e, &v) < 0)
        return -1;
    *us = v < 0 ? -1 : v / 1000;
    return 0;
}

static int store_rt(int fld, const char *p, const char *e, lg_rec *r)
{
    int64_t us = -1;
    uint64_t ns = 0;
    const char *q;
    switch (fld) {
    case LG_F_RT_MS:
        return millis(p, e, &r->req_time_us) < 0 ? LG_BAD_FORMAT : 0;
    case LG_F_RT_NS:
        for (q = p; q < e && isdig(*q) && q - p < 19; q++)
            ns = ns * 10 + (uint64_t)(*q - '0');
        if (q != e || q == p)
            return LG_BAD_FORMAT;
        r->req_time_us = (int64_t)(ns / 1000);
        return 0;
    case LG_F_RT_AUTO:
        if (memchr(p, '.', (size_t)(e - p)))
            return lg__seconds_frac(p, e, &r->req_time_us) < 0 ? LG_BAD_FORMAT
                                                               : 0;
        return millis(p, e, &r->req_time_us) < 0 ? LG_BAD_FORMAT : 0;
    case LG_F_RT_ADD:
        if (*p == '-') /* "-1": the target did not answer */
            return 0;
        if (lg__seconds_frac(p, e, &us) < 0)
            return LG_BAD_FORMAT;
        r->req_time_us = (r->req_time_us < 0 ? 0 : r->req_time_us) + us;
        return 0;
    case LG_F_RT_MSSUF:
        if (e - p > 2 && e[-1] == 's' && e[-2] == 'm')
            e -= 2;
        return millis(p, e, &r->req_time_us) < 0 ? LG_BAD_FORMAT : 0;
    case LG_F_RT_SLASH:
        q = memrchr(p, '/', (size_t)(e - p));
        if (!q)
            return LG_BAD_FORMAT;
        for (const char *c = p; c < e; c++)
            if (!isdig(*c) && *c != '/' && *c != '-' && *c != '+')
                return LG_BAD_FORMAT;
        p = q + 1;
        if (*p == '-' || *p == '+')
            p++; /* "-1" aborted, "+72" with option logasap */
        return millis(p, e, &r->req_time_us) < 0 ? LG_BAD_FORMAT : 0;
    }
    return 0;
}

int lg__store_ext(const lg_format *f, int fld, const char *p, const char *e,
                  lg_rec *r, lg_fstate *st)
{
    const char *q;
    int64_t prec;
    st->got |= 1ull << fld;
    switch (fld) {
    case LG_F_CLIENT_PORT:
        return client_port(r, p, e);
    case LG_F_CLIENT_OPT:
        if (e - p == 1 && *p == '-') {
            r->client = (lg_str){p, 1};
            return 0;
        }
        return lg__store_field(f, LG_F_CLIENT, p, e, r);
    case LG_F_TIME_ISOF:
        if (lg_time_parse_iso(p, (size_t)(e - p), 0, &r->ts, &r->tz_off,
                              &prec) < 0 ||
            prec != 1)
            return LG_BAD_TIME;
        return 0;
    case LG_F_TIME_ANY:
        return time_any(r, p, e);
    case LG_F_TIME_CLFMS:
        return time_clfms(r, p, e);
    case LG_F_DATE:
        if (e - p != 10 ||
            lg_time_parse_iso(p, 10, 0, &st->day, NULL, &prec) < 0)
            return LG_BAD_TIME;
        return 0;
    case LG_F_HMS:
        return parse_hms(p, e, &st->sod) < 0 ? LG_BAD_TIME : 0;
    case LG_F_REQUEST_URL:
        r->request = (lg_str){p, (size_t)(e - p)};
        lg_split_request(r->request, &r->method, &r->target, &r->protocol);
        if (r->target.n)
            split_url(r, r->target.p, r->target.p + r->target.n);
        return 0;
    case LG_F_TARGET_URL:
        if (e - p == 1 && *p == '-')
            return 0;
        split_url(r, p, e);
        return 0;
    case LG_F_URI_HOST:
        q = memchr(p, '/', (size_t)(e - p));
        if (q && q > p && q[-1] == ':') {
            split_url(r, p, e);
        } else if (q) {
            r->vhost = lg__vhost_str(p, (size_t)(q - p));
            r->target = (lg_str){q, (size_t)(e - q)};
        } else if (e > p) { /* a host alone: the target as logged */
            r->vhost = lg__vhost_str(p, (size_t)(e - p));
            r->target = (lg_str){p, (size_t)(e - p)};
        }
        return 0;
    case LG_F_STATUS_SLASH:
        q = memchr(p, '/', (size_t)(e - p));
        return lg__store_field(f, LG_F_STATUS, q ? q + 1 : p, e, r);
    case LG_F_RT_MS:
    case LG_F_RT_NS:
    case LG_F_RT_AUTO:
    case LG_F_RT_ADD:
    case LG_F_RT_MSSUF:
    case LG_F_RT_SLASH:
        if (e - p == 1 && *p == '-')
            return 0;
        return store_rt(fld, p, e, r);
    default:
        return lg__store_field(f, (enum lg_fld)fld, p, e, r);
    }
}

int lg__finish_ext(lg_rec *r, lg_fstate *st)
{
    if (st->got & (1ull << LG_F_DATE)) {
        r->ts = st->day + ((st->got & (1ull << LG_F_HMS)) ? st->sod : 0);
        r->tz_off = 0;
    }
    if (!r->status)
        return LG_BAD_STATUS;
    if (!r->target.n && !r->request.p)
        return LG_BAD_REQUEST;
    return 0;
}
