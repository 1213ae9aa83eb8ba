/* parse.c - turn one access-log line into an lg_rec.
 *
 * Two engines share the pre-checks (length, blank, comment, control bytes)
 * and the field helpers: the tolerant NCSA parser used by every built-in
 * format, and the interpreter of compiled user formats. Both only move a
 * cursor forward between `p` and `e` (one past the last byte): every read
 * is bounded by `e`, the line is never assumed to be NUL-terminated.
 */
#include "parse.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "format-int.h"
#include "parse-cols.h"
#include "parse-help.h"
#include "parse-int.h"
#include "parse-json.h"
#include "timefmt.h"

static const struct {
    const char *name, *desc;
} bad_info[LG_BAD_COUNT] = {{"ok", "parsed"},
#define LG_BAD_INFO_(e, name, desc) {name, desc},
                            LG_BAD_MAP(LG_BAD_INFO_)
#undef LG_BAD_INFO_
};

const char *lg_bad_name(int reason)
{
    return reason >= 0 && reason < LG_BAD_COUNT ? bad_info[reason].name
                                                : "unknown";
}

const char *lg_bad_describe(int reason)
{
    return reason >= 0 && reason < LG_BAD_COUNT ? bad_info[reason].desc
                                                : "unknown reason";
}

int lg_bad_is_ignorable(int reason)
{
    return reason == LG_BAD_EMPTY || reason == LG_BAD_COMMENT;
}

void lg_split_request(lg_str req, lg_str *method, lg_str *target,
                      lg_str *protocol)
{
    split_request(req, method, target, protocol);
}

/* ---- the NCSA engine (built-in formats) ---- */

/* Find the closing quote of a quoted field opening at `open` (the byte
 * after the '"'). A closing quote is an unescaped '"' followed by the end
 * of the line or a space; for the request (status_next) the space must be
 * followed by a status-like byte, so that an unescaped quote inside a
 * request does not end it early. NULL when there is none. */
static const char *close_quote(const char *open, const char *e, int status_next)
{
    const char *q = open;
    for (;;) {
        q = memchr(q, '"', (size_t)(e - q));
        if (!q)
            return NULL;
        if (!quote_escaped(open, q)) {
            if (q + 1 == e)
                return q;
            if (q[1] == ' ') {
                if (!status_next)
                    return q;
                const char *s = skip_spaces(q + 1, e);
                if (s == e || isdig(*s) || *s == '-')
                    return q;
            }
        }
        q++;
    }
}

/* Assign the tokens before '[': [vhost] client [ident] [user] [extra]. */
static int ncsa_prefix(const char *p, const char *lb, lg_rec *r)
{
    const char *tok[5];
    size_t tn[5];
    int k = 0;
    const char *q = p;
    while (q < lb) {
        if (*q == ' ') {
            q++;
            continue;
        }
        if (k == 5)
            return LG_BAD_FORMAT;
        tok[k] = q;
        while (q < lb && *q != ' ')
            q++;
        tn[k] = (size_t)(q - tok[k]);
        k++;
    }
    int c = 0; /* index of the client token */
    switch (k) {
    case 0:
        return LG_BAD_CLIENT;
    case 1:
        break;
    case 2: /* ident missing: client user */
        r->user = opt_str(tok[1], tn[1]);
        break;
    case 3:
        r->ident = opt_str(tok[1], tn[1]);
        r->user = opt_str(tok[2], tn[2]);
        break;
    case 4:
        if (tn[1] == 1 && tok[1][0] == '-') { /* client - - -: Apache 2.2 */
            r->user = opt_str(tok[2], tn[2]);
        } else { /* vhost client ident user */
            c = 1;
            r->vhost = vhost_str(tok[0], tn[0]);
            r->ident = opt_str(tok[2], tn[2]);
            r->user = opt_str(tok[3], tn[3]);
        }
        break;
    default:
        return LG_BAD_FORMAT;
    }
    if (!valid_client(tok[c], tn[c]))
        return LG_BAD_CLIENT;
    r->client = mkstr(tok[c], tn[c]);
    return 0;
}

/* Read an optional quoted referer or agent at *qp into *dst. Returns 1
 * when the line ended inside the field (salvaged), 0 otherwise; 2 when
 * the next thing is not a quoted field (the rest is then ignored). */
static inline __attribute__((always_inline)) int
ncsa_quoted_opt(const char **qp, const char *e, lg_str *dst, lg_rec *r)
{
    const char *q = skip_spaces(*qp, e);
    if (q == e || *q != '"')
        return 2;
    const char *cq = close_quote(q + 1, e, 0);
    if (!cq) {
        *dst = opt_str(q + 1, (size_t)(e - q - 1));
        r->flags |= LG_REC_SALVAGED;
        *qp = e;
        return 1;
    }
    *dst = opt_str(q + 1, (size_t)(cq - q - 1));
    *qp = cq + 1;
    return 0;
}

/* The common prefix "client - - [" with a client of under 16 bytes, in one
 * vector: finds the client's end, checks its bytes (those of client_ok)
 * and the " - - [" after it.  Returns the '[', or NULL for the general
 * path (which then decides everything again). */
static inline const char *fast_prefix(const char *p, const char *e, lg_rec *r)
{
#ifdef __SSE2__
    if (e - p < 22)
        return NULL;
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    int sp = _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
    if (!sp)
        return NULL;
    int k = __builtin_ctz((unsigned)sp);
    if (k == 0 || memcmp(p + k, " - - [", 6) != 0 || (k == 1 && p[0] == '-'))
        return NULL;
#define IN_RANGE(v, lo, hi)                                                    \
    _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(lo)), v),       \
                  _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(hi)), v))
    __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
    __m128i ok = _mm_or_si128(IN_RANGE(x, '0', ':'), IN_RANGE(lower, 'a', 'z'));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('%')));
#undef IN_RANGE
    unsigned want = (1u << k) - 1;
    if (((unsigned)_mm_movemask_epi8(ok) & want) != want)
        return NULL;
    r->client = mkstr(p, (size_t)k);
    return p + k + 5;
#else
    (void)p;
    (void)e;
    (void)r;
    return NULL;
#endif
}

static int parse_ncsa(const char *p, const char *e, lg_rec *r)
{
    const char *lb = fast_prefix(p, e, r);
    int rc;
    if (!lb) {
        lb = memchr(p, '[', (size_t)(e - p));
        if (!lb)
            return memchr(p, '"', (size_t)(e - p)) ? LG_BAD_TIME
                                                   : LG_BAD_TRUNCATED;
        if (lb > p && lb[-1] != ' ')
            return LG_BAD_CLIENT;
        rc = ncsa_prefix(p, lb, r);
        if (rc)
            return rc;
    }

    /* [10/Oct/2000:13:55:36 -0700]: where the ']' most often is, then
     * (if what is before it is not a time) the first ']' */
    size_t room = (size_t)(e - lb - 1);
    const char *rb = lb + 27;
    rc = room > 26 && *rb == ']'
             ? lg_time_parse_clf(lb + 1, 26, &r->ts, &r->tz_off)
             : -1;
    if (rc < 0) {
        rb = memchr(lb + 1, ']', room < 32 ? room : 32);
        if (!rb)
            return room < 32 ? LG_BAD_TRUNCATED : LG_BAD_TIME;
        rc = lg_time_parse_clf(lb + 1, (size_t)(rb - lb - 1), &r->ts,
                               &r->tz_off);
        if (rc < 0)
            return LG_BAD_TIME;
    }
    if (rc == 1)
        r->flags |= LG_REC_NO_TZ;

    const char *q = skip_spaces(rb + 1, e);
    if (q == e)
        return LG_BAD_TRUNCATED;
    if (*q != '"') { /* "] vhost "GET ..." (an Apache 2.2 custom format) */
        const char *t = q;
        while (q < e && *q != ' ')
            q++;
        if (r->vhost.n == 0)
            r->vhost = vhost_str(t, (size_t)(q - t));
        q = skip_spaces(q, e);
        if (q == e)
            return LG_BAD_TRUNCATED;
        if (*q != '"')
            return LG_BAD_REQUEST;
    }
    const char *cq = close_quote(q + 1, e, 1);
    if (!cq)
        return LG_BAD_REQUEST;
    r->request = mkstr(q + 1, (size_t)(cq - q - 1));
    split_request(r->request, &r->method, &r->target, &r->protocol);

    q = skip_spaces(cq + 1, e);
    if (q == e)
        return LG_BAD_TRUNCATED;
    const char *t = q;
    if (e - q > 3 && q[3] == ' ') /* most statuses: three bytes, a space */
        q += 3;
    else
        while (q < e && *q != ' ')
            q++;
    r->status = parse_status(t, (size_t)(q - t));
    if (r->status < 0) {
        r->status = 0;
        return LG_BAD_STATUS;
    }

    r->flags |= LG_REC_NO_BYTES;
    q = skip_spaces(q, e);
    if (q == e) { /* required fields are all in: keep what we have */
        r->flags |= LG_REC_SALVAGED;
        return 0;
    }
    t = q;
    q = digits_end(q, e, &r->bytes);
    if (q > t && (q == e || *q == ' ')) {
        r->flags &= ~LG_REC_NO_BYTES;
    } else { /* "-", or not a number */
        r->bytes = 0;
        while (q < e && *q != ' ')
            q++;
        if (parse_bytes(t, (size_t)(q - t), r) < 0)
            return LG_BAD_BYTES;
    }

    if (ncsa_quoted_opt(&q, e, &r->referer, r) == 0)
        ncsa_quoted_opt(&q, e, &r->agent, r);
    return 0;
}

/* Reset a record to "nothing parsed". Field by field rather than one
 * memset: for this ~200-byte struct compilers emit `rep stos`, whose
 * start-up cost was an eighth of the parser's time. */
static inline void rec_clear(lg_rec *r)
{
    static const lg_str none;
    r->client = r->vhost = r->ident = r->user = none;
    r->request = r->method = r->target = r->protocol = none;
    r->referer = r->agent = none;
    r->ts = LG_NO_TIME;
    r->tz_off = 0;
    r->flags = 0;
    r->status = 0;
    r->bytes = 0;
    r->req_time_us = -1;
}

/* Both entry points: check_control 0 when the caller has checked there is
 * no control byte. */
static inline int parse_line(const lg_format *f, const char *line, size_t len,
                             lg_rec *out, int check_control)
{
    if (len > LG_LINE_MAX)
        return LG_BAD_TOO_LONG;
    const char *p = line, *e = line + len;
    while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (e - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 BOM */
        p += 3;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    if (p == e)
        return LG_BAD_EMPTY;
    if (*p == '#') {
        if (f->engine == LG_ENGINE_W3C)
            lg__w3c_comment(p, e);
        return LG_BAD_COMMENT;
    }
    if (check_control && has_control(p, (size_t)(e - p)))
        return LG_BAD_BINARY;

    rec_clear(out);
    int rc;
    switch (f->engine) {
    case LG_ENGINE_NCSA:
        rc = parse_ncsa(p, e, out);
        break;
    case LG_ENGINE_ITEMS:
        rc = lg__parse_items(f, p, e, out);
        break;
    case LG_ENGINE_JSON:
        rc = lg__parse_json(f, p, e, out);
        break;
    default:
        rc = lg__parse_cols(f, p, e, out);
        break;
    }
    if (rc && looks_like_error_log(p, e))
        rc = LG_BAD_ERROR_LOG;
    return rc;
}

int lg__valid_client(const char *s, size_t n)
{
    return valid_client(s, n);
}

lg_str lg__vhost_str(const char *p, size_t n)
{
    return vhost_str(p, n);
}

int lg_parse_line(const lg_format *f, const char *line, size_t len, lg_rec *out)
{
    return parse_line(f, line, len, out, 1);
}

int lg_parse_line_clean(const lg_format *f, const char *line, size_t len,
                        lg_rec *out)
{
    return parse_line(f, line, len, out, 0);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_AVX2_SCAN 1
#include <immintrin.h>

/* lg_line_scan's loop 32 bytes a step, on CPUs with AVX2: the first byte
 * below 0x20 other than TAB, or where fewer than 32 bytes are left. */
__attribute__((target("avx2"))) static const char *scan32(const char *q,
                                                          const char *end)
{
    const __m256i c1f = _mm256_set1_epi8(0x1f), tab = _mm256_set1_epi8('\t');
    for (; q + 32 <= end; q += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)q);
        __m256i low = _mm256_cmpeq_epi8(_mm256_min_epu8(x, c1f), x);
        unsigned m = (unsigned)_mm256_movemask_epi8(
            _mm256_andnot_si256(_mm256_cmpeq_epi8(x, tab), low));
        if (m)
            return q + __builtin_ctz(m);
    }
    return q;
}
#endif

const char *lg_line_scan(const char *p, const char *end, int *clean)
{
    const char *q = p;
#ifdef HAVE_AVX2_SCAN
    static int avx2 = -1;
    if (avx2 < 0)
        avx2 = __builtin_cpu_supports("avx2") != 0;
    if (avx2)
        q = scan32(q, end); /* the loop below finds what it stopped at */
#endif
#ifdef __SSE2__
    const __m128i c1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t');
    for (; q + 16 <= end; q += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x);
        int m =
            _mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), low));
        if (m) {
            q += __builtin_ctz((unsigned)m);
            goto found;
        }
    }
#endif
    while (q < end && !((unsigned char)*q < 0x20 && *q != '\t'))
        q++;
    if (q == end) {
        *clean = 1;
        return end;
    }
found:
    if (*q == '\n') {
        *clean = 1;
        return q;
    }
    if (*q == '\r' && q + 1 < end && q[1] == '\n') { /* CRLF: trimmed */
        *clean = 1;
        return q + 1;
    }
    *clean = 0;
    const char *nl = memchr(q, '\n', (size_t)(end - q));
    return nl ? nl : end;
}
