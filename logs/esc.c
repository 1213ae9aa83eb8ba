/* esc.c - the one escaping path for outside strings (esc.h): pieces of a
 * string, their columns, and the JSON, terminal, CSV and HTML writers.
 */
#include "esc.h"

#include <stdlib.h>
#include <string.h>

size_t lg_utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xc2)
        return 0;
    if (c < 0xe0) {
        if (n < 2 || (p[1] & 0xc0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xf0) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && p[1] < 0xa0)
            return 0; /* overlong */
        if (c == 0xed && p[1] >= 0xa0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xf5) {
        if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
            (p[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && p[1] < 0x90)
            return 0;
        if (c == 0xf4 && p[1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

/* The code point of a valid sequence of k bytes. */
static uint32_t decode(const unsigned char *p, size_t k)
{
    switch (k) {
    case 1:
        return p[0];
    case 2:
        return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
    case 3:
        return (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 |
               (p[2] & 0x3f);
    default:
        return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
               (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
    }
}

/* Bidi controls, zero-width and invisible characters, line separators:
 * harmless bytes that change what a reader sees. */
static int invisible(uint32_t c)
{
    return c == 0x061c || c == 0x180e || (c >= 0x200b && c <= 0x200f) ||
           (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2064) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

typedef struct range {
    uint32_t lo, hi;
} range;

/* East Asian Wide (W) and Fullwidth (F) ranges of Unicode 15, the emoji
 * blocks taken whole. */
static const range wide[] = {
    {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},
    {0x23e9, 0x23ec},   {0x23f0, 0x23f0},   {0x23f3, 0x23f3},
    {0x25fd, 0x25fe},   {0x2614, 0x2615},   {0x2648, 0x2653},
    {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
    {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},
    {0x26ce, 0x26ce},   {0x26d4, 0x26d4},   {0x26ea, 0x26ea},
    {0x26f2, 0x26f3},   {0x26f5, 0x26f5},   {0x26fa, 0x26fa},
    {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
    {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},
    {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27b0, 0x27b0},   {0x27bf, 0x27bf},   {0x2b1b, 0x2b1c},
    {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x303e},
    {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},
    {0xa000, 0xa4cf},   {0xa960, 0xa97f},   {0xac00, 0xd7a3},
    {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},
    {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x16fe0, 0x16fe4},
    {0x17000, 0x18aff}, {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004},
    {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a},
    {0x1f200, 0x1f251}, {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff},
    {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};

/* Combining marks (no column of their own). */
static const range zero[] = {
    {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x0610, 0x061a},
    {0x064b, 0x065f}, {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff}, {0x20d0, 0x20ff},
    {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f},
};

static int in_ranges(const range *r, size_t n, uint32_t c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < r[mid].lo)
            hi = mid;
        else if (c > r[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

int lg_esc_cols(uint32_t c)
{
    if (c < 0x300)
        return 1;
    if (in_ranges(zero, sizeof zero / sizeof zero[0], c))
        return 0;
    if (in_ranges(wide, sizeof wide / sizeof wide[0], c))
        return 2;
    return 1;
}

/* ---- pieces ---------------------------------------------------------------
 * A piece is one character as shown: its bytes in the input (adv), its
 * text in the output (out, outn) and its columns. */
typedef struct piece {
    char out[12];
    size_t outn;
    size_t adv;
    int cols;
} piece;

static void hex_piece(piece *pc, unsigned c)
{
    snprintf(pc->out, sizeof pc->out, "\\x%02x", c);
    pc->outn = 4;
    pc->adv = 1;
    pc->cols = 4;
}

/* The terminal's piece at p (left > 0 bytes). */
static void term_piece(const unsigned char *p, size_t left, piece *pc)
{
    unsigned c = p[0];
    if (c >= 0x20 && c < 0x7f) {
        pc->out[0] = (char)c;
        pc->outn = pc->adv = 1;
        pc->cols = 1;
        return;
    }
    size_t k = c < 0x80 ? 0 : lg_utf8_len(p, left);
    /* C1 controls (U+0080..U+009F) are as dangerous as C0 on a terminal:
     * each byte as \xHH, like any byte that is not text */
    if (k == 0 || (k == 2 && c == 0xc2 && p[1] < 0xa0)) {
        hex_piece(pc, c);
        return;
    }
    uint32_t u = decode(p, k);
    pc->adv = k;
    if (invisible(u)) {
        snprintf(pc->out, sizeof pc->out, "\\u%04x", (unsigned)u);
        pc->outn = 6;
        pc->cols = 6;
        return;
    }
    memcpy(pc->out, p, k);
    pc->outn = k;
    pc->cols = lg_esc_cols(u);
}

/* Where escaped text goes: a FILE, or a buffer that keeps what fits. */
typedef struct sink {
    FILE *f;
    char *buf;
    size_t cap, len;
} sink;

static void put(sink *o, const char *s, size_t n)
{
    if (o->f) {
        fwrite(s, 1, n, o->f);
        return;
    }
    if (o->len + n < o->cap) {
        memcpy(o->buf + o->len, s, n);
        o->len += n;
    }
}

int lg_esc_term_width(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    int cols = 0;
    piece pc;
    while (p < end) {
        term_piece(p, (size_t)(end - p), &pc);
        cols += pc.cols;
        p += pc.adv;
    }
    return cols;
}

/* The pieces of s[0..n) from p while they fit in limit columns; returns
 * the columns written, *stop the byte where it stopped. */
static int put_pieces(sink *o, const unsigned char *p, const unsigned char *end,
                      int limit, const unsigned char **stop)
{
    int cols = 0;
    piece pc;
    while (p < end) {
        term_piece(p, (size_t)(end - p), &pc);
        if (cols + pc.cols > limit)
            break;
        put(o, pc.out, pc.outn);
        cols += pc.cols;
        p += pc.adv;
    }
    if (stop)
        *stop = p;
    return cols;
}

static int term_cut(sink *o, const char *s, size_t n, int max_cols)
{
    const unsigned char *p = (const unsigned char *)s;
    int fits = lg_esc_term_width(s, n) <= max_cols;
    int cols = put_pieces(o, p, p + n, fits ? max_cols : max_cols - 3, NULL);
    if (!fits && max_cols >= 3) {
        put(o, "...", 3);
        cols += 3;
    }
    return cols;
}

int lg_esc_term(FILE *f, const char *s, size_t n, int max_cols)
{
    sink o = {.f = f};
    return term_cut(&o, s, n, max_cols);
}

const char *lg_esc_name(const char *s, char *buf, size_t cap)
{
    return lg_esc_text(s, strlen(s), buf, cap);
}

const char *lg_esc_text(const char *s, size_t n, char *buf, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0, all = 0;
    piece pc;
    if (!cap)
        return buf;
    for (size_t i = 0; i < n; i += pc.adv) {
        term_piece(p + i, n - i, &pc);
        all += pc.outn;
    }
    for (size_t i = 0; i < n; i += pc.adv) {
        term_piece(p + i, n - i, &pc);
        /* when it is cut, room for "..." */
        if (len + pc.outn + (all < cap ? 0 : 3) >= cap) {
            if (len + 3 < cap) {
                memcpy(buf + len, "...", 3);
                len += 3;
            }
            break;
        }
        memcpy(buf + len, pc.out, pc.outn);
        len += pc.outn;
    }
    buf[len] = 0;
    return buf;
}

int lg_esc_term_mid(FILE *f, const char *s, size_t n, int max_cols)
{
    int total = lg_esc_term_width(s, n);
    if (total <= max_cols || max_cols < 5)
        return lg_esc_term(f, s, n, max_cols);
    /* cumulative columns before each byte that starts a piece */
    int *before = malloc((n + 1) * sizeof *before);
    if (!before)
        return lg_esc_term(f, s, n, max_cols);
    const unsigned char *p = (const unsigned char *)s;
    size_t slash = n; /* the last '/' (its own piece: ASCII) */
    int cols = 0;
    piece pc;
    for (size_t i = 0; i < n; i += pc.adv) {
        term_piece(p + i, n - i, &pc);
        before[i] = cols;
        for (size_t j = 1; j < pc.adv; j++)
            before[i + j] = -1; /* not a piece start */
        if (p[i] == '/')
            slash = i;
        cols += pc.cols;
    }
    before[n] = cols;
    int budget = max_cols - 3;
    /* keep the last component whole when it fits, the start in front */
    int head = slash < n && total - before[slash] <= budget
                   ? budget - (total - before[slash])
                   : 0;
    sink o = {.f = f};
    const unsigned char *stop;
    int used = put_pieces(&o, p, p + n, head, &stop);
    put(&o, "...", 3);
    size_t t = (size_t)(stop - p);
    while (t < n && (before[t] < 0 || total - before[t] > budget - used))
        t++;
    used += 3 + put_pieces(&o, p + t, p + n, budget - used, NULL);
    free(before);
    return used;
}

/* ---- JSON ---------------------------------------------------------------- */

void lg_esc_json(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    putc('"', f);
    while (p < end) {
        /* copy a run of plain ASCII in one go */
        const unsigned char *q = p;
        while (q < end && *q >= 0x20 && *q < 0x7f && *q != '"' && *q != '\\')
            q++;
        if (q > p) {
            fwrite(p, 1, (size_t)(q - p), f);
            p = q;
            continue;
        }
        unsigned c = *p;
        const char *e = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                                    : NULL;
        if (e) {
            fputs(e, f);
            p++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            p++;
            continue;
        }
        size_t k = lg_utf8_len(p, (size_t)(end - p));
        if (k == 0) {
            fputs("\\ufffd", f);
            p++;
            continue;
        }
        uint32_t u = decode(p, k);
        if (u < 0xa0 || invisible(u))
            fprintf(f, "\\u%04x", (unsigned)u);
        else
            fwrite(p, 1, k, f);
        p += k;
    }
    putc('"', f);
}

/* ---- CSV ----------------------------------------------------------------- */

static int csv_guarded(const char *s, size_t n)
{
    return n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                     s[0] == '\t' || s[0] == '\r');
}

void lg_esc_csv(FILE *f, const char *s, size_t n, int flags)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    int guard = (flags & LG_ESC_CSV_GUARD) && csv_guarded(s, n);
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote)
        putc('"', f);
    if (guard)
        putc('\'', f);
    while (p < end) {
        if (*p == '"') {
            fputs("\"\"", f);
            p++;
            continue;
        }
        if (*p == '\t' || (*p >= 0x20 && *p < 0x7f)) {
            putc(*p++, f);
            continue;
        }
        size_t k = lg_utf8_len(p, (size_t)(end - p));
        if (k == 0 && *p >= 0x80) {
            fputs("\xef\xbf\xbd", f); /* not text: U+FFFD, as before */
            p++;
            continue;
        }
        if (k == 2 && p[0] == 0xc2 && p[1] < 0xa0) { /* a C1 control */
            fprintf(f, "\\xc2\\x%02x", p[1]);
            p += 2;
            continue;
        }
        piece pc;
        term_piece(p, (size_t)(end - p), &pc);
        fwrite(pc.out, 1, pc.outn, f);
        p += pc.adv;
    }
    if (quote)
        putc('"', f);
}

/* ---- HTML ---------------------------------------------------------------- */

size_t lg_esc_html(FILE *f, const char *s, size_t n, size_t max_in)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    piece pc;
    while (p < end) {
        term_piece(p, (size_t)(end - p), &pc);
        if ((size_t)(p - (const unsigned char *)s) + pc.adv > max_in) {
            fputs("\xe2\x80\xa6", f); /* U+2026: cut here */
            break;
        }
        for (size_t i = 0; i < pc.outn; i++) {
            char c = pc.out[i];
            const char *e = c == '&'    ? "&amp;"
                            : c == '<'  ? "&lt;"
                            : c == '>'  ? "&gt;"
                            : c == '"'  ? "&quot;"
                            : c == '\'' ? "&#39;"
                                        : NULL;
            if (e)
                fputs(e, f);
            else
                putc(c, f);
        }
        p += pc.adv;
    }
    return (size_t)(p - (const unsigned char *)s);
}

void lg_esc_json_script(FILE *f, const char *json, size_t n)
{
    const unsigned char *p = (const unsigned char *)json, *end = p + n;
    while (p < end) {
        const unsigned char *q = p;
        while (q < end && *q != '<' && *q != '>' && *q != '&' && *q != 0xe2)
            q++;
        fwrite(p, 1, (size_t)(q - p), f);
        if (q == end)
            break;
        p = q;
        if (*p == 0xe2 && end - p >= 3 && p[1] == 0x80 &&
            (p[2] == 0xa8 || p[2] == 0xa9)) {
            fprintf(f, "\\u%04x", p[2] == 0xa8 ? 0x2028u : 0x2029u);
            p += 3;
        } else if (*p == 0xe2) {
            putc(*p++, f);
        } else {
            fprintf(f, "\\u%04x", (unsigned)*p++);
        }
    }
}
