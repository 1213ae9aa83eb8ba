/* parse-cols.c - the column engines (parse-cols.h).
 *
 * A line is cut into tokens: a run of bytes up to a blank (space or
 * TAB), a "quoted" token (an unescaped '"' followed by a blank or the line
 * end closes it) or a [bracketed] one. Column i then goes to field
 * cols[i]; columns past the map are ignored (AWS adds fields at the end
 * over the years), a line that ends early is LG_BAD_TRUNCATED.
 */
#include "parse-cols.h"

#include <strings.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "parse-field.h"
#include "parse.h"

/* The W3C layout of this thread: the fields of the last "#Fields:" line. */
static _Thread_local struct {
    int n; /* -1: no "#Fields:" line seen */
    uint8_t cols[LG_W3C_MAX_COLS];
} w3c = {.n = -1};

static inline int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The first blank (space or TAB) at or after p, or e. Sixteen bytes at a
 * time with SSE2: the tokens of these logs are mostly longer than that. */
static inline const char *find_blank(const char *p, const char *e)
{
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
    for (; e - p >= 16; p += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        int m = _mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, tab)));
        if (m)
            return p + __builtin_ctz((unsigned)m);
    }
#endif
    while (p < e && !is_blank(*p))
        p++;
    return p;
}

/* The next token at or after *q: its bytes in [*tp, *te); *q moves past
 * it. Returns 0 when the line has ended, 1 for a token, -1 for an
 * unterminated quote or bracket (the token then runs to the line end). */
static int next_token(const char **q, const char *e, const char **tp,
                      const char **te)
{
    const char *p = *q;
    while (p < e && is_blank(*p))
        p++;
    if (p == e)
        return 0;
    if (*p == '"') {
        const char *s = p + 1;
        for (const char *c = s; c < e; c++) {
            c = memchr(c, '"', (size_t)(e - c));
            if (!c)
                break;
            size_t bs = 0;
            while (c - bs > s && c[-1 - (ptrdiff_t)bs] == '\\')
                bs++;
            if (bs % 2 == 0 && (c + 1 == e || is_blank(c[1]))) {
                *tp = s;
                *te = c;
                *q = c + 1;
                return 1;
            }
        }
        *tp = s;
        *te = *q = e;
        return -1;
    }
    if (*p == '[') {
        const char *c = memchr(p, ']', (size_t)(e - p));
        *tp = p + 1;
        *te = c ? c : e;
        *q = c ? c + 1 : e;
        return c ? 1 : -1;
    }
    const char *c = find_blank(p, e);
    *tp = p;
    *te = *q = c;
    return 1;
}

/* Read the columns of [q,e) into r by map cols[0..n). */
static int parse_map(const lg_format *f, const uint8_t *cols, int n,
                     const char *q, const char *e, lg_rec *r)
{
    lg_fstate st = {0};
    r->flags |= LG_REC_NO_BYTES;
    for (int i = 0; i < n; i++) {
        const char *tp, *te;
        int t = next_token(&q, e, &tp, &te);
        if (t == 0) /* trailing columns may be missing */
            return lg__finish_ext(r, &st) ? LG_BAD_TRUNCATED : 0;
        if (cols[i] == LG_F_SKIP)
            continue;
        int rc = lg__store_ext(f, cols[i], tp, te, r, &st);
        if (rc)
            return rc;
    }
    return lg__finish_ext(r, &st);
}

/* ---- HAProxy ---- */

/* client:port [date] frontend backend/server timers status bytes ...
 * "request", after an optional syslog prefix. */
static int parse_haproxy(const lg_format *f, const char *p, const char *e,
                         lg_rec *r)
{
    static const uint8_t after[] = {LG_F_SKIP, LG_F_SKIP, LG_F_RT_SLASH,
                                    LG_F_STATUS, LG_F_BYTES};
    lg_fstate st = {0};
    const char *lb = p, *tp, *te, *q;
    /* the client is the token before the first " [dd/Mon/" */
    for (;;) {
        lb = memchr(lb, '[', (size_t)(e - lb));
        if (!lb)
            return LG_BAD_FORMAT;
        if (lb > p && lb[-1] == ' ' && e - lb > 4 && lb[3] == '/')
            break;
        lb++;
    }
    const char *ce = lb - 1, *cp = ce;
    while (cp > p && !is_blank(cp[-1]))
        cp--;
    int rc = lg__store_ext(f, LG_F_CLIENT_PORT, cp, ce, r, &st);
    if (rc)
        return rc;
    q = lb;
    if (next_token(&q, e, &tp, &te) <= 0)
        return LG_BAD_TIME;
    if ((rc = lg__store_ext(f, LG_F_TIME_CLFMS, tp, te, r, &st)))
        return rc;
    r->flags |= LG_REC_NO_BYTES;
    for (size_t i = 0; i < sizeof after; i++) {
        if (next_token(&q, e, &tp, &te) <= 0)
            return LG_BAD_TRUNCATED;
        if (after[i] != LG_F_SKIP &&
            (rc = lg__store_ext(f, after[i], tp, te, r, &st)))
            return rc;
    }
    const char *rq = memchr(q, '"', (size_t)(e - q));
    if (!rq)
        return LG_BAD_REQUEST;
    const char *re = e > rq + 1 && e[-1] == '"' ? e - 1 : e;
    if (re == e)
        r->flags |= LG_REC_SALVAGED;
    lg__store_ext(f, LG_F_REQUEST, rq + 1, re, r, &st);
    return lg__finish_ext(r, &st);
}

/* ---- W3C ---- */

// clang-format off
static const struct {
    const char *name;
    uint8_t fld;
} w3c_names[] = {
    {"date", LG_F_DATE},              {"date-local", LG_F_DATE},
    {"time", LG_F_HMS},               {"time-local", LG_F_HMS},
    {"c-ip", LG_F_CLIENT_OPT},            {"cs-username", LG_F_USER},
    {"cs-method", LG_F_METHOD},       {"cs-uri-stem", LG_F_TARGET},
    {"cs-uri", LG_F_URI_HOST},        {"cs-version", LG_F_PROTOCOL},
    {"cs-protocol-version", LG_F_PROTOCOL},
    {"sc-status", LG_F_STATUS},       {"c-status", LG_F_STATUS},
    {"sc-bytes", LG_F_BYTES},         {"cs(user-agent)", LG_F_AGENT},
    {"cs(referer)", LG_F_REFERER},    {"cs(referrer)", LG_F_REFERER},
    {"cs-host", LG_F_VHOST},          {"cs(host)", LG_F_VHOST},
    {"x-host-header", LG_F_VHOST},    {"time-taken", LG_F_RT_AUTO},
    {"timetakenms", LG_F_RT_MS},      {"x-duration", LG_F_RT_SEC},
};
// clang-format on

static uint8_t w3c_field(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof w3c_names / sizeof w3c_names[0]; i++)
        if (strlen(w3c_names[i].name) == n &&
            strncasecmp(w3c_names[i].name, p, n) == 0)
            return w3c_names[i].fld;
    return LG_F_SKIP;
}

int lg_w3c_is_fields(const char *line, size_t len)
{
    return len >= 8 && strncasecmp(line, "#Fields:", 8) == 0;
}

int lg_w3c_begin(const char *hdr, size_t len)
{
    const char *e = hdr + len;
    while (e > hdr && (e[-1] == '\r' || is_blank(e[-1])))
        e--;
    w3c.n = -1;
    if (!lg_w3c_is_fields(hdr, (size_t)(e - hdr)))
        return -1;
    const char *q = hdr + 8;
    int n = 0;
    while (n < LG_W3C_MAX_COLS) {
        while (q < e && is_blank(*q))
            q++;
        if (q == e)
            break;
        const char *t = q;
        while (q < e && !is_blank(*q))
            q++;
        w3c.cols[n++] = w3c_field(t, (size_t)(q - t));
    }
    w3c.n = n;
    return n;
}

void lg__w3c_comment(const char *p, const char *e)
{
    if (lg_w3c_is_fields(p, (size_t)(e - p)))
        lg_w3c_begin(p, (size_t)(e - p));
}

int lg__parse_cols(const lg_format *f, const char *p, const char *e, lg_rec *r)
{
    switch (f->engine) {
    case LG_ENGINE_W3C:
        if (w3c.n <= 0)
            return LG_BAD_FORMAT;
        return parse_map(f, w3c.cols, w3c.n, p, e, r);
    case LG_ENGINE_HAPROXY:
        return parse_haproxy(f, p, e, r);
    default:
        return parse_map(f, f->cols, f->n_cols, p, e, r);
    }
}
