/* filter.c - decide whether a parsed record is kept.
 *
 * Everything costly is done once in lg_filter_new: time bounds become two
 * integers, status lists a 1000-entry table, CIDRs 16-byte masks, regexes
 * JIT-compiled PCRE2 code. lg_filter_match runs the cheap tests first.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "esc.h"
#include "timefmt.h"

typedef struct lg_cidr {
    uint8_t addr[16]; /* IPv4 in the first 4 bytes */
    uint8_t v6;
    uint8_t plen; /* prefix length in bits */
} lg_cidr;

typedef struct lg_regex {
    pcre2_code *code;
    int jit;         /* JIT compilation succeeded: use pcre2_jit_match */
    const char *opt; /* "--include" or "--exclude", static */
    char *pat;       /* the pattern as given, owned */
} lg_regex;

struct lg_filter {
    int empty;
    int has_since, has_until;
    int64_t since; /* keep ts >= since */
    int64_t until; /* keep ts < until */
    int has_status;
    uint8_t status_ok[1000];
    lg_regex *inc, *exc;
    size_t n_inc, n_exc;
    pcre2_match_data *md;
    /* One counter per regex (includes first), in a MAP_SHARED page made
     * before the workers fork, so the caller sees every worker's count. */
    _Atomic uint64_t *shared;
    size_t shared_len;  /* bytes mapped */
    int last_undecided; /* index of the regex that last returned
                           LG_FILTER_UNDECIDED in this process, or -1 */
    int exclude_static;
    lg_cidr *cidrs;
    size_t n_cidrs;
};

static int ferr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Store a message for the caller and return -EINVAL. */
static int ferr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* Append s to out[*k..), escaped as every outside string in a message
 * (esc.h), so a pattern cannot put control bytes on the terminal. */
static void put_escaped(char *out, size_t len, size_t *k, const char *s)
{
    if (*k >= len)
        return;
    lg_esc_name(s, out + *k, len - *k);
    *k += strlen(out + *k);
}

/* s escaped as by put_escaped, in buf (n bytes); returns buf. */
static const char *esc(const char *s, char *buf, size_t n)
{
    return lg_esc_name(s, buf, n);
}

/* ---- static assets ---- */

static const char *const static_exts[] = {
    "css", "js",   "mjs",  "map",   "png",  "jpg",  "jpeg",
    "gif", "ico",  "svg",  "svgz",  "webp", "avif", "bmp",
    "tif", "tiff", "woff", "woff2", "ttf",  "otf",  "eot",
    "swf", "mp4",  "webm", "mp3",   "ogg",  "wav",  "flac",
};

lg_str lg_path_strip_query(lg_str t)
{
    for (size_t i = 0; i < t.n; i++)
        if (t.p[i] == '?' || t.p[i] == '#') {
            t.n = i;
            break;
        }
    return t;
}

int lg_path_is_static(lg_str t)
{
    lg_str path = lg_path_strip_query(t);
    size_t i = path.n, lim = path.n > 6 ? path.n - 6 : 0;
    while (i > lim && path.p[i - 1] != '.' && path.p[i - 1] != '/')
        i--;
    if (i == 0 || path.p[i - 1] != '.')
        return 0;
    size_t n = path.n - i;
    for (size_t k = 0; k < sizeof static_exts / sizeof static_exts[0]; k++)
        if (strlen(static_exts[k]) == n &&
            strncasecmp(static_exts[k], path.p + i, n) == 0)
            return 1;
    return 0;
}

/* ---- addresses ---- */

/* Parse an IPv4 or IPv6 address (a "%zone" suffix ignored) of n bytes.
 * IPv4-mapped IPv6 comes back as IPv4. Returns 4, 6, or 0 if not one. */
static int parse_addr(const char *s, size_t n, uint8_t out[16])
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *pct = strchr(buf, '%');
    if (pct)
        *pct = '\0';
    if (!strchr(buf, ':'))
        return inet_pton(AF_INET, buf, out) == 1 ? 4 : 0;
    if (inet_pton(AF_INET6, buf, out) != 1)
        return 0;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, 12) == 0) {
        memmove(out, out + 12, 4);
        return 4;
    }
    return 6;
}

static int parse_cidr(const char *s, lg_cidr *c)
{
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    memset(c, 0, sizeof *c);
    int fam = parse_addr(s, n, c->addr);
    if (!fam)
        return -1;
    int max = fam == 4 ? 32 : 128;
    int plen = max;
    if (slash) {
        char *end;
        errno = 0;
        long v = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || v < 0 || v > max)
            return -1;
        plen = (int)v;
    }
    c->v6 = fam == 6;
    c->plen = (uint8_t)plen;
    for (int b = plen; b < 128; b++) /* clear host bits */
        c->addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
    return 0;
}

static int cidr_contains(const lg_cidr *c, int fam, const uint8_t a[16])
{
    if ((fam == 6) != c->v6)
        return 0;
    int full = c->plen / 8, rest = c->plen % 8;
    if (memcmp(c->addr, a, (size_t)full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff00u >> rest);
        if ((a[full] & mask) != c->addr[full])
            return 0;
    }
    return 1;
}

/* ---- status lists ---- */

/* Add "404", "5xx" or "200-299" items of a comma list to the table. */
static int parse_status_list(const char *s, uint8_t ok[1000])
{
    const char *p = s;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *t = p;
        while (*p && *p != ',')
            p++;
        const char *te = p;
        while (te > t && te[-1] == ' ')
            te--;
        size_t n = (size_t)(te - t);
        if (n == 3 && t[0] >= '1' && t[0] <= '9' && (t[1] | 0x20) == 'x' &&
            (t[2] | 0x20) == 'x') {
            int base = (t[0] - '0') * 100;
            memset(ok + base, 1, 100);
        } else {
            char buf[16];
            if (n == 0 || n >= sizeof buf)
                return -1;
            memcpy(buf, t, n);
            buf[n] = '\0';
            char *end;
            long a = strtol(buf, &end, 10), b = a;
            if (end == buf)
                return -1;
            if (*end == '-') {
                char *e2;
                b = strtol(end + 1, &e2, 10);
                if (e2 == end + 1 || *e2)
                    return -1;
            } else if (*end) {
                return -1;
            }
            if (a < 100 || b > 999 || a > b)
                return -1;
            memset(ok + a, 1, (size_t)(b - a + 1));
        }
        if (!*p)
            return 0;
        p++;
    }
}

/* ---- regexes ---- */

static int compile_regexes(const char *const *pats, size_t n, lg_regex **out,
                           const char *opt, char *err, size_t errlen)
{
    *out = NULL;
    if (n == 0)
        return 0;
    lg_regex *rx = calloc(n, sizeof *rx);
    if (!rx)
        return -ENOMEM;
    *out = rx;
    for (size_t i = 0; i < n; i++) {
        int ec;
        PCRE2_SIZE eo;
        rx[i].opt = opt;
        rx[i].pat = strdup(pats[i]);
        if (!rx[i].pat)
            return -ENOMEM;
        rx[i].code = pcre2_compile((PCRE2_SPTR)pats[i], PCRE2_ZERO_TERMINATED,
                                   0, &ec, &eo, NULL);
        if (!rx[i].code) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(ec, msg, sizeof msg);
            char e[200];
            return ferr(err, errlen, "%s '%s': %s at offset %zu", opt,
                        esc(pats[i], e, sizeof e), (const char *)msg,
                        (size_t)eo);
        }
        rx[i].jit = pcre2_jit_compile(rx[i].code, PCRE2_JIT_COMPLETE) == 0;
    }
    return 0;
}

static void free_regexes(lg_regex *rx, size_t n)
{
    if (!rx)
        return;
    for (size_t i = 0; i < n; i++) {
        pcre2_code_free(rx[i].code);
        free(rx[i].pat);
    }
    free(rx);
}

/* Does any of the n regexes match the subject?  1 yes, 0 no, or
 * LG_FILTER_UNDECIDED when none matched and one of them gave up (a match,
 * depth or heap limit, the JIT stack, memory); *gave_up is then the index
 * of the first that gave up.  When another regex matches, the answer is
 * known and the one that gave up does not matter. */
static int any_match(lg_filter *f, const lg_regex *rx, size_t n, lg_str s,
                     size_t *gave_up)
{
    PCRE2_SPTR subj = (PCRE2_SPTR)(s.n ? s.p : "");
    *gave_up = n;
    for (size_t i = 0; i < n; i++) {
        int rc = rx[i].jit
                     ? pcre2_jit_match(rx[i].code, subj, s.n, 0, 0, f->md, NULL)
                     : pcre2_match(rx[i].code, subj, s.n, 0, 0, f->md, NULL);
        if (rc >= 0)
            return 1;
        if (rc != PCRE2_ERROR_NOMATCH && *gave_up == n)
            *gave_up = i;
    }
    return *gave_up == n ? 0 : LG_FILTER_UNDECIDED;
}

/* ---- the filter ---- */

void lg_filter_free(lg_filter *f)
{
    if (!f)
        return;
    free_regexes(f->inc, f->n_inc);
    free_regexes(f->exc, f->n_exc);
    pcre2_match_data_free(f->md);
    if (f->shared)
        munmap(f->shared, f->shared_len);
    free(f->cidrs);
    free(f);
}

int lg_filter_new(const lg_filter_opts *o, lg_filter **out, char *err,
                  size_t errlen)
{
    int rc;
    char e[200]; /* a user string, escaped for a message */
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    lg_filter *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->last_undecided = -1;
    if (o->since) {
        int64_t prec;
        if (lg_time_parse_iso(o->since, strlen(o->since), o->tz_off, &f->since,
                              NULL, &prec) < 0) {
            rc = ferr(err, errlen,
                      "--since '%s': not an ISO-8601 time "
                      "(e.g. 2015-05-19T14:00:00+02:00)",
                      esc(o->since, e, sizeof e));
            goto fail;
        }
        f->has_since = 1;
    }
    if (o->until) {
        int64_t prec;
        if (lg_time_parse_iso(o->until, strlen(o->until), o->tz_off, &f->until,
                              NULL, &prec) < 0) {
            rc = ferr(err, errlen,
                      "--until '%s': not an ISO-8601 time "
                      "(e.g. 2015-05-19T14:00:00+02:00)",
                      esc(o->until, e, sizeof e));
            goto fail;
        }
        f->until += prec; /* inclusive at the precision written */
        f->has_until = 1;
    }
    for (size_t i = 0; i < o->n_status; i++) {
        if (parse_status_list(o->status[i], f->status_ok) < 0) {
            rc = ferr(err, errlen,
                      "--status '%s': expected codes like 404, "
                      "5xx or 200-299, comma separated",
                      esc(o->status[i], e, sizeof e));
            goto fail;
        }
        f->has_status = 1;
    }
    rc = compile_regexes(o->include, o->n_include, &f->inc, "--include", err,
                         errlen);
    f->n_inc = o->n_include;
    if (rc)
        goto fail;
    rc = compile_regexes(o->exclude, o->n_exclude, &f->exc, "--exclude", err,
                         errlen);
    f->n_exc = o->n_exclude;
    if (rc)
        goto fail;
    if (f->n_inc || f->n_exc) {
        f->md = pcre2_match_data_create(1, NULL);
        if (!f->md) {
            rc = -ENOMEM;
            goto fail;
        }
        f->shared_len = (f->n_inc + f->n_exc) * sizeof *f->shared;
        void *m = mmap(NULL, f->shared_len, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            rc = -ENOMEM;
            goto fail;
        }
        f->shared = m; /* zero-filled */
    }
    if (o->n_clients) {
        f->cidrs = calloc(o->n_clients, sizeof *f->cidrs);
        if (!f->cidrs) {
            rc = -ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < o->n_clients; i++)
            if (parse_cidr(o->clients[i], &f->cidrs[i]) < 0) {
                rc = ferr(err, errlen,
                          "--client '%s': expected an IPv4 or "
                          "IPv6 address or CIDR (10.0.0.0/8, "
                          "2001:db8::/32)",
                          esc(o->clients[i], e, sizeof e));
                goto fail;
            }
        f->n_cidrs = o->n_clients;
    }
    f->exclude_static = o->exclude_static != 0;
    f->empty = !f->has_since && !f->has_until && !f->has_status && !f->n_inc &&
               !f->n_exc && !f->n_cidrs && !f->exclude_static;
    *out = f;
    return 0;

fail:
    lg_filter_free(f);
    return rc;
}

int lg_filter_is_empty(const lg_filter *f)
{
    return f->empty;
}

/* Count an undecided line against regex i (includes first) and remember
 * it for lg_filter_undecided_last. */
static int undecided(lg_filter *f, size_t i)
{
    atomic_fetch_add_explicit(&f->shared[i], 1, memory_order_relaxed);
    f->last_undecided = (int)i;
    return LG_FILTER_UNDECIDED;
}

int lg_filter_match(lg_filter *f, const lg_rec *r)
{
    if (f->empty)
        return 1;
    if (f->has_since && (r->ts == LG_NO_TIME || r->ts < f->since))
        return 0;
    if (f->has_until && (r->ts == LG_NO_TIME || r->ts >= f->until))
        return 0;
    if (f->has_status &&
        (r->status < 100 || r->status > 999 || !f->status_ok[r->status]))
        return 0;
    if (f->n_cidrs) {
        uint8_t a[16];
        int fam = parse_addr(r->client.p, r->client.n, a), hit = 0;
        for (size_t i = 0; fam && i < f->n_cidrs && !hit; i++)
            hit = cidr_contains(&f->cidrs[i], fam, a);
        if (!hit)
            return 0;
    }
    if (f->exclude_static && lg_path_is_static(r->target))
        return 0;
    /* An include that gives up leaves the line undecided unless an
     * exclude drops it anyway; an exclude that gives up on a line the
     * includes keep leaves it undecided. */
    size_t gi = 0, ge = 0;
    int inc = 1, exc = 0;
    if (f->n_inc)
        inc = r->target.n == 0 ? 0
                               : any_match(f, f->inc, f->n_inc, r->target, &gi);
    if (inc == 0)
        return 0;
    if (f->n_exc && r->target.n)
        exc = any_match(f, f->exc, f->n_exc, r->target, &ge);
    if (exc == 1)
        return 0;
    if (inc == LG_FILTER_UNDECIDED)
        return undecided(f, gi);
    if (exc == LG_FILTER_UNDECIDED)
        return undecided(f, f->n_inc + ge);
    return 1;
}

size_t lg_filter_regex_count(const lg_filter *f)
{
    return f->n_inc + f->n_exc;
}

int lg_filter_regex_stat(const lg_filter *f, size_t i, const char **opt,
                         const char **pattern, uint64_t *undecided_lines)
{
    if (i >= f->n_inc + f->n_exc)
        return -EINVAL;
    const lg_regex *rx = i < f->n_inc ? &f->inc[i] : &f->exc[i - f->n_inc];
    if (opt)
        *opt = rx->opt;
    if (pattern)
        *pattern = rx->pat;
    if (undecided_lines)
        *undecided_lines =
            atomic_load_explicit(&f->shared[i], memory_order_relaxed);
    return 0;
}

uint64_t lg_filter_undecided_total(const lg_filter *f)
{
    uint64_t n = 0;
    for (size_t i = 0; i < f->n_inc + f->n_exc; i++)
        n += atomic_load_explicit(&f->shared[i], memory_order_relaxed);
    return n;
}

int lg_filter_describe(const lg_filter *f, size_t i, char *out, size_t len)
{
    const char *opt, *pat;
    if (!len || lg_filter_regex_stat(f, i, &opt, &pat, NULL) < 0)
        return -EINVAL;
    int n = snprintf(out, len, "%s '", opt);
    size_t k = n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
    put_escaped(out, len, &k, pat);
    if (k + 1 < len) {
        out[k++] = '\'';
        out[k] = '\0';
    }
    return 0;
}

int lg_filter_undecided_last(const lg_filter *f)
{
    return f->last_undecided;
}

uint64_t lg_filter_undecided_message(const lg_filter *f, size_t i, char *out,
                                     size_t len)
{
    uint64_t n = 0;
    if (len)
        out[0] = '\0';
    if (lg_filter_regex_stat(f, i, NULL, NULL, &n) < 0 || n == 0 || !len)
        return 0;
    char what[300];
    lg_filter_describe(f, i, what, sizeof what);
    snprintf(out, len,
             "%s: %llu line%s hit a PCRE2 limit (match, depth or heap) and "
             "%s dropped, neither matched nor unmatched",
             what, (unsigned long long)n, n == 1 ? "" : "s",
             n == 1 ? "was" : "were");
    return n;
}
