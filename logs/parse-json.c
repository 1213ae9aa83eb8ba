/* parse-json.c - the JSON-lines engine (parse-json.h).
 *
 * A focused scanner rather than a DOM: it walks the object once, keeps
 * the key paths that can still match (a bit mask per nesting level),
 * skips every other value without looking inside it, and stores the
 * values it wants as byte ranges of the line. docs/LOG-FORMATS.md gives
 * the measurements against the Debian JSON libraries that led to it.
 */
#include "parse-json.h"

#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "parse-field.h"
#include "parse.h"

/* Which keys can match a member name, by its first byte and its length
 * (mod 32) at each depth: a member name then costs one or two AND
 * operations instead of a compare with every key. Built per thread for
 * the last format seen (formats are read-only and may be static). */
static _Thread_local struct {
    const lg_format *f;
    unsigned id;
    uint32_t first[LG_JSON_DEPTH][256];
    uint32_t len[LG_JSON_DEPTH][32];
} jx;

static void index_keys(const lg_format *f)
{
    memset(&jx, 0, sizeof jx);
    for (int i = 0; i < f->n_keys && i < 32; i++)
        for (int d = 0; d < f->keys[i].nseg; d++) {
            const lg_jseg *s = &f->keys[i].seg[d];
            jx.first[d][(unsigned char)s->p[0]] |= 1u << i;
            jx.len[d][s->n & 31] |= 1u << i;
        }
    jx.f = f;
    jx.id = f->id;
}

typedef struct jctx {
    const lg_format *f;
    lg_rec *r;
    lg_fstate st;
    int bad; /* first LG_BAD_* a value gave */
} jctx;

static inline const char *ws(const char *p, const char *e)
{
    if (p < e && (unsigned char)*p > ' ') /* the usual case: no blank */
        return p;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* The closing quote of the string whose first byte is s, or NULL: the
 * first '"' not escaped by a '\\'. Inline, sixteen bytes at a time with
 * SSE2: the strings of a log line are short, a call to memchr per string
 * cost more than the search. */
static inline const char *str_end(const char *s, const char *e)
{
    const char *p = s;
#ifdef __SSE2__
    const __m128i qt = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
    while (e - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, qt), _mm_cmpeq_epi8(x, bs)));
        if (!m) {
            p += 16;
            continue;
        }
        p += __builtin_ctz(m);
        if (*p == '"')
            return p;
        p += 2; /* an escape: skip the escaped byte */
    }
#endif
    for (; p < e; p++) {
        if (*p == '"')
            return p;
        if (*p == '\\')
            p++;
    }
    return NULL;
}

/* a[0..n) == b[0..n), inline: member names are short. */
static inline int key_eq(const char *a, const char *b, size_t n)
{
    for (; n >= 8; n -= 8, a += 8, b += 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return 0;
    }
    for (; n; n--)
        if (*a++ != *b++)
            return 0;
    return 1;
}

static inline int is_delim(char c)
{
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' ||
           c == ':';
}

/* The end of the value at p, or NULL when it is malformed. */
static const char *skip_value(const char *p, const char *e)
{
    if (*p == '"') {
        const char *q = str_end(p + 1, e);
        return q ? q + 1 : NULL;
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < e; p++) {
            char c = *p;
            if (c == '"') {
                p = str_end(p + 1, e);
                if (!p)
                    return NULL;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return p + 1;
            }
        }
        return NULL;
    }
    const char *q = p;
    while (q < e && !is_delim(*q))
        q++;
    return q == p ? NULL : q;
}

/* Store the scalar [vp,ve) into the fields of the keys in m that end at
 * this depth. */
static void store(jctx *c, uint32_t m, int depth, const char *vp,
                  const char *ve)
{
    const lg_jkey *keys = c->f->keys;
    for (; m; m &= m - 1) {
        const lg_jkey *k = &keys[__builtin_ctz(m)];
        if (k->nseg != depth + 1 || (c->st.got & (1ull << k->fld)))
            continue;
        int rc = lg__store_ext(c->f, k->fld, vp, ve, c->r, &c->st);
        if (rc && !c->bad)
            c->bad = rc;
    }
}

/* A value wanted by keys m: a string, number or literal, or an array
 * whose first element is one. Returns the end of the value or NULL. */
static const char *take_value(jctx *c, const char *p, const char *e, int depth,
                              uint32_t m)
{
    const char *v = p, *end = NULL;
    if (*p == '[') {
        end = skip_value(p, e);
        v = ws(p + 1, e);
        if (!end || v == e || *v == ']' || *v == '{' || *v == '[')
            return end;
    }
    const char *vp, *ve;
    if (*v == '"') {
        vp = v + 1;
        ve = str_end(vp, e);
        if (!ve)
            return NULL;
        if (v == p)
            end = ve + 1;
    } else {
        vp = v;
        ve = skip_value(v, e);
        if (!ve)
            return NULL;
        if (v == p)
            end = ve;
        if (ve - vp == 4 && memcmp(vp, "null", 4) == 0)
            return end;
    }
    store(c, m, depth, vp, ve);
    return end;
}

/* Scan the members of an object whose '{' is just before p; m holds the
 * keys still matching at this depth. Returns the end or NULL. */
static const char *scan_obj(jctx *c, const char *p, const char *e, int depth,
                            uint32_t mask)
{
    const lg_jkey *keys = c->f->keys;
    p = ws(p, e);
    if (p < e && *p == '}')
        return p + 1;
    for (;;) {
        if (p >= e || *p != '"')
            return NULL;
        const char *k = p + 1, *ke = str_end(k, e);
        if (!ke)
            return NULL;
        p = ws(ke + 1, e);
        if (p >= e || *p != ':')
            return NULL;
        p = ws(p + 1, e);
        if (p >= e)
            return NULL;
        uint32_t m = 0;
        size_t kn = (size_t)(ke - k);
        if (depth < LG_JSON_DEPTH && kn)
            for (uint32_t t = mask & jx.first[depth][(unsigned char)*k] &
                              jx.len[depth][kn & 31];
                 t; t &= t - 1) {
                int i = __builtin_ctz(t);
                const lg_jseg *s = &keys[i].seg[depth];
                if (s->n == kn && key_eq(s->p, k, kn))
                    m |= 1u << i;
            }
        if (!m)
            p = skip_value(p, e);
        else if (*p == '{')
            p = scan_obj(c, p + 1, e, depth + 1, m);
        else
            p = take_value(c, p, e, depth, m);
        if (!p)
            return NULL;
        p = ws(p, e);
        if (p < e && *p == ',') {
            p = ws(p + 1, e);
            continue;
        }
        if (p < e && *p == '}')
            return p + 1;
        return NULL;
    }
}

int lg__parse_json(const lg_format *f, const char *p, const char *e, lg_rec *r)
{
    jctx c = {.f = f, .r = r};
    if (*p != '{')
        return LG_BAD_FORMAT;
    uint32_t all = f->n_keys >= 32 ? ~0u : (1u << f->n_keys) - 1;
    if (jx.f != f || jx.id != f->id)
        index_keys(f);
    const char *q = scan_obj(&c, p + 1, e, 0, all);
    if (!q || ws(q, e) != e)
        return LG_BAD_FORMAT;
    if (c.bad)
        return c.bad;
    r->flags |= (c.st.got & (1ull << LG_F_BYTES)) ? 0 : LG_REC_NO_BYTES;
    return lg__finish_ext(r, &c.st);
}

/* ---- the --json-fields mapping ---- */

// clang-format off
static const struct {
    const char *name;
    uint8_t fld;
} jnames[] = {
    {"client", LG_F_CLIENT},     {"host", LG_F_VHOST},
    {"vhost", LG_F_VHOST},       {"user", LG_F_USER},
    {"time", LG_F_TIME_ANY},     {"request", LG_F_REQUEST_URL},
    {"method", LG_F_METHOD},     {"path", LG_F_TARGET_URL},
    {"target", LG_F_TARGET_URL}, {"uri", LG_F_TARGET_URL},
    {"protocol", LG_F_PROTOCOL}, {"status", LG_F_STATUS},
    {"bytes", LG_F_BYTES},       {"referer", LG_F_REFERER},
    {"referrer", LG_F_REFERER},  {"agent", LG_F_AGENT},
    {"user_agent", LG_F_AGENT},  {"duration", LG_F_RT_SEC},
};
// clang-format on

static int duration_unit(const char *u, uint8_t *fld)
{
    static const struct {
        const char *u;
        uint8_t fld;
    } units[] = {{"s", LG_F_RT_SEC},
                 {"ms", LG_F_RT_MS},
                 {"us", LG_F_RT_USEC},
                 {"ns", LG_F_RT_NS}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(u, units[i].u) == 0) {
            *fld = units[i].fld;
            return 0;
        }
    return -1;
}

/* One "name=a.b.c[:unit]" item into *k. */
static int map_item(char *item, lg_jkey *k, char *err, size_t errlen)
{
    char *eq = strchr(item, '=');
    if (!eq || eq == item || !eq[1]) {
        snprintf(err, errlen, "--json-fields: '%s' is not name=key", item);
        return -1;
    }
    *eq = '\0';
    char *path = eq + 1, *unit = strchr(path, ':');
    size_t i;
    for (i = 0; i < sizeof jnames / sizeof jnames[0]; i++)
        if (strcmp(item, jnames[i].name) == 0)
            break;
    if (i == sizeof jnames / sizeof jnames[0]) {
        snprintf(err, errlen,
                 "--json-fields: unknown field '%s' (client, host, user, "
                 "time, request, method, path, protocol, status, bytes, "
                 "referer, agent, duration)",
                 item);
        return -1;
    }
    k->fld = jnames[i].fld;
    if (unit) {
        *unit++ = '\0';
        if (k->fld != LG_F_RT_SEC || duration_unit(unit, &k->fld) < 0) {
            snprintf(err, errlen,
                     "--json-fields: '%s:%s': a unit (s, ms, us, ns) is "
                     "for duration only",
                     item, unit);
            return -1;
        }
    }
    k->nseg = 0;
    for (char *s = path;;) {
        char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (n == 0 || k->nseg == LG_JSON_DEPTH) {
            snprintf(err, errlen,
                     "--json-fields: bad key path for '%s' (empty part or "
                     "deeper than %d)",
                     item, LG_JSON_DEPTH);
            return -1;
        }
        k->seg[k->nseg++] = (lg_jseg){s, (uint32_t)n};
        if (!dot)
            break;
        s = dot + 1;
    }
    return 0;
}

int lg__json_map(char *spec, lg_jkey *keys, int max, char *err, size_t errlen)
{
    int n = 0;
    for (char *save = NULL, *t = strtok_r(spec, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (n == max) {
            snprintf(err, errlen, "--json-fields: more than %d keys", max);
            return -1;
        }
        if (map_item(t, &keys[n], err, errlen) < 0)
            return -1;
        n++;
    }
    int st = 0, rq = 0;
    for (int i = 0; i < n; i++) {
        st |= keys[i].fld == LG_F_STATUS;
        rq |= keys[i].fld == LG_F_REQUEST_URL || keys[i].fld == LG_F_TARGET_URL;
    }
    if (!st || !rq) {
        snprintf(err, errlen,
                 "--json-fields: the mapping needs status= and path= (or "
                 "request=)");
        return -1;
    }
    return n;
}
