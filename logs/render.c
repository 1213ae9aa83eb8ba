/* render.c - the escaping helpers shared by the text, JSON and CSV
 * writers, and bucket labels.
 */
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

void lg_bucket_text(int id, int64_t bucket, char buf[32])
{
    lg_tm tm;
    if (id == LG_TAB_HOURS) {
        lg_time_civil(bucket * 3600, 0, &tm);
        snprintf(buf, 32, "%04lld-%02d-%02dT%02d", (long long)tm.year, tm.mon,
                 tm.mday, tm.hour);
    } else {
        lg_time_civil(bucket * 86400, 0, &tm);
        snprintf(buf, 32, "%04lld-%02d-%02d", (long long)tm.year, tm.mon,
                 tm.mday);
    }
}

/* ---- escaping -------------------------------------------------------------
 */

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

void lg_json_str(FILE *f, const char *s, size_t n)
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
        switch (c) {
        case '"':
            fputs("\\\"", f);
            p++;
            continue;
        case '\\':
            fputs("\\\\", f);
            p++;
            continue;
        case '\n':
            fputs("\\n", f);
            p++;
            continue;
        case '\r':
            fputs("\\r", f);
            p++;
            continue;
        case '\t':
            fputs("\\t", f);
            p++;
            continue;
        default:
            break;
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
        } else {
            fwrite(p, 1, k, f);
            p += k;
        }
    }
    putc('"', f);
}

/* Columns of one character at p (valid UTF-8 of length k), escaped or not:
 * control characters become 4-column \xHH. */
static int term_piece(const unsigned char *p, size_t left, char *out,
                      size_t *outn)
{
    unsigned c = p[0];
    if (c >= 0x20 && c < 0x7f) {
        out[0] = (char)c;
        *outn = 1;
        return 1;
    }
    size_t k = c < 0x80 ? 0 : lg_utf8_len(p, left);
    /* C1 controls (U+0080..U+009F) are as dangerous as C0 on a terminal */
    if (k == 2 && c == 0xc2 && p[1] < 0xa0)
        k = 0;
    if (k == 0) {
        snprintf(out, 8, "\\x%02x", c);
        *outn = 4;
        return -4; /* 4 columns, 1 byte */
    }
    memcpy(out, p, k);
    *outn = k;
    return (int)(k * 16 + 1); /* 1 column, k bytes (packed) */
}

int lg_term_width(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    int cols = 0;
    char tmp[8];
    size_t tn;
    while (p < end) {
        int r = term_piece(p, (size_t)(end - p), tmp, &tn);
        if (r == 1) {
            cols++;
            p++;
        } else if (r == -4) {
            cols += 4;
            p++;
        } else {
            cols += 1;
            p += r / 16;
        }
    }
    return cols;
}

int lg_term_str(FILE *f, const char *s, size_t n, int max_cols)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    int cols = 0;
    int fits = lg_term_width(s, n) <= max_cols;
    int limit = fits ? max_cols : max_cols - 3;
    char tmp[8];
    size_t tn;
    while (p < end) {
        int r = term_piece(p, (size_t)(end - p), tmp, &tn);
        int w = r == -4 ? 4 : 1;
        size_t adv = r == 1 || r == -4 ? 1 : (size_t)(r / 16);
        if (cols + w > limit)
            break;
        fwrite(tmp, 1, tn, f);
        cols += w;
        p += adv;
    }
    if (!fits && max_cols >= 3) {
        fputs("...", f);
        cols += 3;
    }
    return cols;
}

void lg_csv_str(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    int quote = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') {
            quote = 1;
            break;
        }
    if (quote)
        putc('"', f);
    while (p < end) {
        if (*p == '"') {
            fputs("\"\"", f);
            p++;
            continue;
        }
        size_t k = lg_utf8_len(p, (size_t)(end - p));
        if (k == 0) {
            fputs("\xef\xbf\xbd", f);
            p++;
        } else {
            fwrite(p, 1, k, f);
            p += k;
        }
    }
    if (quote)
        putc('"', f);
}
