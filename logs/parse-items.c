/* parse-items.c - the interpreter of compiled user formats (format
 * strings, format-int.h's items): literals matched, fields stored; and
 * the field store the other engines share (parse-int.h). Like parse.c,
 * every read is bounded by the line's end `e`. */
#include <stdint.h>
#include <string.h>

#include "format-int.h"
#include "parse-help.h"
#include "parse-int.h"
#include "parse.h"
#include "timefmt.h"

/* ---- the user-format interpreter ---- */

/* Match literal it at q. Returns the position after it, or NULL with
 * *ended set when the line ran out before a mismatch. One space in the
 * literal matches any run of spaces. */
static const char *match_lit(const lg_item *it, const char *q, const char *e,
                             int *ended)
{
    *ended = 0;
    for (uint32_t i = 0; i < it->len; i++) {
        if (q == e) {
            *ended = 1;
            return NULL;
        }
        if (it->lit[i] == ' ') {
            if (*q != ' ')
                return NULL;
            q = skip_spaces(q, e);
        } else if (*q++ != it->lit[i]) {
            return NULL;
        }
    }
    return q;
}

/* The reason to report when a required item is missing or broken. */
static int reason_of(enum lg_fld fld)
{
    switch (fld) {
    case LG_F_CLIENT:
    case LG_F_XFF:
        return LG_BAD_CLIENT;
    case LG_F_TIME_CLF:
    case LG_F_TIME_ISO:
    case LG_F_TIME_MSEC:
        return LG_BAD_TIME;
    case LG_F_REQUEST:
    case LG_F_METHOD:
    case LG_F_TARGET:
    case LG_F_PROTOCOL:
        return LG_BAD_REQUEST;
    case LG_F_STATUS:
        return LG_BAD_STATUS;
    case LG_F_BYTES:
    case LG_F_BYTES_SENT:
        return LG_BAD_BYTES;
    default:
        return LG_BAD_FORMAT;
    }
}

/* "12.345" seconds, or "-", into microseconds. */
static int parse_seconds_frac(const char *p, const char *e, int64_t *us)
{
    if (e - p == 1 && *p == '-') {
        *us = -1;
        return 0;
    }
    const char *dot = memchr(p, '.', (size_t)(e - p));
    uint64_t sec, frac = 0;
    if (parse_u64(p, dot ? dot : e, &sec) < 0 || sec > INT64_MAX / 1000000 - 1)
        return -1;
    if (dot) {
        const char *f = dot + 1;
        if (f == e)
            return -1;
        uint64_t scale = 100000;
        for (; f < e; f++) {
            if (!isdig(*f))
                return -1;
            frac += (uint64_t)(*f - '0') * scale;
            scale /= 10;
        }
    }
    *us = (int64_t)(sec * 1000000 + frac);
    return 0;
}

/* Store one field value [p,e) into r. Returns 0 or an LG_BAD_* reason. */
static int store_field(const lg_format *f, enum lg_fld fld, const char *p,
                       const char *e, lg_rec *r)
{
    size_t n = (size_t)(e - p);
    uint64_t v;
    switch (fld) {
    case LG_F_SKIP:
        return 0;
    case LG_F_CLIENT:
        if (!valid_client(p, n))
            return LG_BAD_CLIENT;
        r->client = mkstr(p, n);
        return 0;
    case LG_F_XFF: {
        if (f->has_client)
            return 0;
        const char *c = memchr(p, ',', n);
        const char *ce = c ? c : e;
        while (ce > p && ce[-1] == ' ')
            ce--;
        if (!valid_client(p, (size_t)(ce - p)))
            return LG_BAD_CLIENT;
        r->client = mkstr(p, (size_t)(ce - p));
        return 0;
    }
    case LG_F_IDENT:
        r->ident = opt_str(p, n);
        return 0;
    case LG_F_USER:
        r->user = opt_str(p, n);
        return 0;
    case LG_F_VHOST:
        r->vhost = vhost_str(p, n);
        return 0;
    case LG_F_REFERER:
        r->referer = opt_str(p, n);
        return 0;
    case LG_F_AGENT:
        r->agent = opt_str(p, n);
        return 0;
    case LG_F_TIME_CLF: {
        int rc = lg_time_parse_clf(p, n, &r->ts, &r->tz_off);
        if (rc < 0)
            return LG_BAD_TIME;
        if (rc == 1)
            r->flags |= LG_REC_NO_TZ;
        return 0;
    }
    case LG_F_TIME_ISO: {
        int64_t prec;
        if (lg_time_parse_iso(p, n, 0, &r->ts, &r->tz_off, &prec) < 0 ||
            prec != 1)
            return LG_BAD_TIME;
        return 0;
    }
    case LG_F_TIME_MSEC: {
        int64_t us;
        if (n == 1 && *p == '-')
            return LG_BAD_TIME;
        if (parse_seconds_frac(p, e, &us) < 0)
            return LG_BAD_TIME;
        r->ts = us / 1000000;
        r->tz_off = 0;
        return 0;
    }
    case LG_F_REQUEST:
        r->request = mkstr(p, n);
        lg_split_request(r->request, &r->method, &r->target, &r->protocol);
        return 0;
    case LG_F_METHOD:
        r->method = n && method_end(p, e) == e ? mkstr(p, n) : mkstr(NULL, 0);
        return 0;
    case LG_F_TARGET:
        r->target = opt_str(p, n);
        return 0;
    case LG_F_PROTOCOL:
        r->protocol = opt_str(p, n);
        return 0;
    case LG_F_STATUS:
        r->status = parse_status(p, n);
        if (r->status < 0) {
            r->status = 0;
            return LG_BAD_STATUS;
        }
        return 0;
    case LG_F_BYTES_SENT:
        if (f->has_body)
            return 0;
        /* fall through */
    case LG_F_BYTES:
        return parse_bytes(p, n, r) < 0 ? LG_BAD_BYTES : 0;
    case LG_F_RT_SEC:
        return parse_seconds_frac(p, e, &r->req_time_us) < 0 ? LG_BAD_FORMAT
                                                             : 0;
    case LG_F_RT_USEC:
    case LG_F_RT_ISEC:
        if (n == 1 && *p == '-')
            return 0;
        if (parse_u64(p, e, &v) < 0 || v > INT64_MAX / 1000000)
            return LG_BAD_FORMAT;
        r->req_time_us = (int64_t)(fld == LG_F_RT_ISEC ? v * 1000000 : v);
        return 0;
    default: /* the other engines' fields: parse-field.c */
        break;
    }
    return 0;
}

/* Find the end of a quoted field opening at `open`: an unescaped '"'
 * where the next literal matches. Prefers a quote after which, if that
 * literal ends the format, only the line end follows. */
static const char *quoted_end(const lg_item *next, int next_is_last,
                              const char *open, const char *e)
{
    const char *first = NULL;
    for (const char *q = open; q < e; q++) {
        q = memchr(q, '"', (size_t)(e - q));
        if (!q)
            break;
        if (quote_escaped(open, q))
            continue;
        int ended;
        const char *after = match_lit(next, q, e, &ended);
        if (!after && !ended)
            continue;
        if (!next_is_last || (after && after == e) || ended)
            return q;
        if (!first)
            first = q;
    }
    return first;
}

static int parse_items(const lg_format *f, const char *p, const char *e,
                       lg_rec *r)
{
    const char *q = p;
    int n = f->n_items, i;
    r->flags |= LG_REC_NO_BYTES;
    for (i = 0; i < n; i++) {
        const lg_item *it = &f->items[i];
        if (!it->is_field) {
            int ended;
            const char *nq = match_lit(it, q, e, &ended);
            if (nq) {
                q = nq;
                continue;
            }
            if (!ended)
                return LG_BAD_FORMAT;
            goto line_ended;
        }
        enum lg_fld fld = (enum lg_fld)it->fld;
        const char *ve;
        if (it->quoted) {
            ve = quoted_end(&f->items[i + 1], i + 2 == n, q, e);
            if (!ve) { /* unterminated quote */
                if (it->required) {
                    int why = reason_of(fld);
                    return why == LG_BAD_FORMAT ? LG_BAD_TRUNCATED : why;
                }
                r->flags |= LG_REC_SALVAGED;
                return store_field(f, fld, q, e, r);
            }
        } else if (q == e) {
            goto line_ended;
        } else if (i + 1 < n) {
            ve = memchr(q, f->items[i + 1].lit[0], (size_t)(e - q));
            if (!ve)
                ve = e;
        } else if (fld == LG_F_REQUEST || fld == LG_F_REFERER ||
                   fld == LG_F_AGENT) {
            ve = e; /* may hold spaces: takes the rest of the line */
        } else {
            ve = memchr(q, ' ', (size_t)(e - q)); /* then: extra text */
            if (!ve)
                ve = e;
        }
        int rc = store_field(f, fld, q, ve, r);
        if (rc)
            return rc;
        q = ve;
    }
    if (q != e) /* trailing spaces were trimmed: this is extra text */
        return LG_BAD_FORMAT;
    return 0;

line_ended:
    /* The line stopped at item i: fine once every required item is in. */
    if (f->items[i].required)
        return LG_BAD_TRUNCATED;
    r->flags |= LG_REC_SALVAGED;
    return 0;
}

int lg__store_field(const lg_format *f, enum lg_fld fld, const char *p,
                    const char *e, lg_rec *r)
{
    return store_field(f, fld, p, e, r);
}

int lg__seconds_frac(const char *p, const char *e, int64_t *us)
{
    return parse_seconds_frac(p, e, us);
}

int lg__parse_items(const lg_format *f, const char *p, const char *e, lg_rec *r)
{
    return parse_items(f, p, e, r);
}
