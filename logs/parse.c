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

/* ---- small helpers ---- */

/* Bytes allowed in a client: IPv4, IPv6 (with a %zone), hostnames. */
static const unsigned char client_ok[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['.'] = 1, [':'] = 1, ['-'] = 1, ['_'] = 1,
    ['%'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['A'] = 1,
    ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
};

static int valid_client(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '-'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!client_ok[(unsigned char)s[i]])
            return 0;
    return 1;
}

static inline lg_str mkstr(const char *p, size_t n)
{
    lg_str s = {p, n};
    return s;
}

/* A field where "-" and "" both mean absent. */
static inline lg_str opt_str(const char *p, size_t n)
{
    if (n == 1 && p[0] == '-')
        n = 0;
    return mkstr(p, n);
}

/* A virtual host without a trailing ":port" (IPv6 literals keep theirs
 * unless bracketed: "[::1]:80" -> "[::1]"). */
static lg_str vhost_str(const char *p, size_t n)
{
    lg_str s = opt_str(p, n);
    size_t i = s.n;
    while (i > 0 && s.p[i - 1] >= '0' && s.p[i - 1] <= '9')
        i--;
    if (i > 0 && i < s.n && s.p[i - 1] == ':') {
        const char *first = memchr(s.p, ':', s.n);
        if (first == s.p + i - 1 || (i >= 2 && s.p[i - 2] == ']'))
            s.n = i - 1;
    }
    return s;
}

/* Non-zero if some byte is below 0x20 other than TAB. Sixteen bytes at a
 * time with SSE2 (baseline on x86-64), else eight with the SWAR test
 * (x - 0x20..) & ~x & 0x80.., which flags a word exactly when one of its
 * bytes is < 0x20; a rare hit is then checked byte by byte. */
static int has_control(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i c1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t');
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x);
        __m128i bad = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), low);
        if (_mm_movemask_epi8(bad))
            return 1;
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = ones * 0x80;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if ((x - ones * 0x20) & ~x & highs) {
            for (size_t k = i; k < i + 8; k++)
                if ((unsigned char)s[k] < 0x20 && s[k] != '\t')
                    return 1;
        }
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
            return 1;
    return 0;
}

static inline int isdig(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Recognise an Apache ("[Thu Oct 13 12:24:49.880562 2022] [error] ...")
 * or nginx ("2021/12/01 13:53:33 [error] 31#31: ...", possibly after a
 * syslog/journal prefix) error-log line. Only called for lines that did
 * not parse. */
static int looks_like_error_log(const char *p, const char *e)
{
    size_t n = (size_t)(e - p);
    static const char days[] = "SunMonTueWedThuFriSat";
    if (n > 5 && p[0] == '[' && p[4] == ' ')
        for (int d = 0; d < 7; d++)
            if (memcmp(p + 1, days + 3 * d, 3) == 0)
                return 1;
    size_t lim = n < 128 ? n : 128;
    for (size_t i = 0; i + 21 <= lim; i++) {
        const char *s = p + i;
        if (s[4] == '/' && s[7] == '/' && s[10] == ' ' && s[13] == ':' &&
            s[16] == ':' && s[19] == ' ' && s[20] == '[' && isdig(s[0]) &&
            isdig(s[3]) && isdig(s[5]) && isdig(s[9]) && isdig(s[12]) &&
            isdig(s[18]))
            return 1;
    }
    return 0;
}

/* Is the '"' at q (inside a quoted field starting at `open`) escaped by
 * an odd run of backslashes (Apache writes \" and \\)? */
static inline int quote_escaped(const char *open, const char *q)
{
    if (q == open || q[-1] != '\\')
        return 0;
    size_t bs = 0;
    while (q - bs > open && q[-(ptrdiff_t)bs - 1] == '\\')
        bs++;
    return bs & 1;
}

/* The method at the start of [p, e): 1..32 of [A-Z_-], starting with a
 * letter, ended by a space or by e. Returns its end, or NULL when the
 * first word is not a method. */
static const char *method_end(const char *p, const char *e)
{
    if ((unsigned char)(*p - 'A') >= 26)
        return NULL;
    const char *m = p + 1;
    while (m < e && m - p <= 32 &&
           ((unsigned char)(*m - 'A') < 26 || *m == '_' || *m == '-'))
        m++;
    if (m - p > 32 || (m < e && *m != ' '))
        return NULL;
    return m;
}

static inline __attribute__((always_inline)) void
split_request(lg_str req, lg_str *method, lg_str *target, lg_str *protocol)
{
    *method = *target = *protocol = mkstr(NULL, 0);
    const char *p = req.p, *e = req.p + req.n;
    if (req.n == 0)
        return;
    const char *mend = method_end(p, e);
    if (!mend)
        return;
    *method = mkstr(p, (size_t)(mend - p));
    if (mend == e)
        return;
    const char *t = mend;
    while (t < e && *t == ' ')
        t++;
    const char *te = e;
    while (te > t && te[-1] == ' ')
        te--;
    if (t == te)
        return;
    /* the protocol is the last word, if it looks like one; most often
     * it is " HTTP/d.d", found without walking back over it */
    const char *ls = te;
    if (te - t > 9 && te[-9] == ' ' && memcmp(te - 8, "HTTP/", 5) == 0 &&
        isdig(te[-3]) && te[-2] == '.' && isdig(te[-1]))
        ls = te - 8;
    else
        while (ls > t && ls[-1] != ' ')
            ls--;
    if (ls > t && te - ls >= 5 && memcmp(ls, "HTTP/", 5) == 0) {
        *protocol = mkstr(ls, (size_t)(te - ls));
        te = ls;
        while (te > t && te[-1] == ' ')
            te--;
    }
    *target = mkstr(t, (size_t)(te - t));
}

void lg_split_request(lg_str req, lg_str *method, lg_str *target,
                      lg_str *protocol)
{
    split_request(req, method, target, protocol);
}

static inline const char *skip_spaces(const char *q, const char *e)
{
    while (q < e && *q == ' ')
        q++;
    return q;
}

/* Parse a decimal into *v; the whole [p,e) must be digits, at most 19. */
static int parse_u64(const char *p, const char *e, uint64_t *v)
{
    size_t n = (size_t)(e - p);
    if (n == 0 || n > 19)
        return -1;
    uint64_t x = 0;
    for (; p < e; p++) {
        unsigned d = (unsigned char)*p - '0';
        if (d > 9)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

/* The end of the run of at most 19 digits at p, its value in *v. */
static inline const char *digits_end(const char *p, const char *e, uint64_t *v)
{
    const char *lim = e - p > 19 ? p + 19 : e;
    uint64_t x = 0;
    unsigned d;
    for (; p < lim && (d = (unsigned char)*p - '0') < 10; p++)
        x = x * 10 + d;
    *v = x;
    return p;
}

/* A status: exactly three digits, 100..999. */
static int parse_status(const char *p, size_t n)
{
    if (n != 3 || !isdig(p[0]) || !isdig(p[1]) || !isdig(p[2]) || p[0] == '0')
        return -1;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* Bytes: digits or "-". Returns 0 or -1. */
static int parse_bytes(const char *p, size_t n, lg_rec *r)
{
    if (n == 1 && p[0] == '-') {
        r->bytes = 0;
        r->flags |= LG_REC_NO_BYTES;
        return 0;
    }
    if (parse_u64(p, p + n, &r->bytes) < 0)
        return -1;
    r->flags &= ~LG_REC_NO_BYTES;
    return 0;
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
        rc = parse_items(f, p, e, out);
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

int lg__store_field(const lg_format *f, enum lg_fld fld, const char *p,
                    const char *e, lg_rec *r)
{
    return store_field(f, fld, p, e, r);
}

int lg__valid_client(const char *s, size_t n)
{
    return valid_client(s, n);
}

int lg__seconds_frac(const char *p, const char *e, int64_t *us)
{
    return parse_seconds_frac(p, e, us);
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
