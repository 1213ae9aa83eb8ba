/* parse-help.h - the small field helpers of the parse engines (parse.c,
 * parse-items.c), inline: each is a few instructions on the hot path.
 * Every read is bounded by the end pointer or length given. Private to
 * the parse files. */
#ifndef LOGS_PARSE_HELP_H
#define LOGS_PARSE_HELP_H

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "record.h"

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

static inline int valid_client(const char *s, size_t n)
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
static inline lg_str vhost_str(const char *p, size_t n)
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
static inline int has_control(const char *s, size_t n)
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
static inline int looks_like_error_log(const char *p, const char *e)
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
static inline const char *method_end(const char *p, const char *e)
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

static inline const char *skip_spaces(const char *q, const char *e)
{
    while (q < e && *q == ' ')
        q++;
    return q;
}

/* Parse a decimal into *v; the whole [p,e) must be digits, at most 19. */
static inline int parse_u64(const char *p, const char *e, uint64_t *v)
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
static inline int parse_status(const char *p, size_t n)
{
    if (n != 3 || !isdig(p[0]) || !isdig(p[1]) || !isdig(p[2]) || p[0] == '0')
        return -1;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* Bytes: digits or "-". Returns 0 or -1. */
static inline int parse_bytes(const char *p, size_t n, lg_rec *r)
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

#endif
