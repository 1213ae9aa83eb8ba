/* render.c - building the report and the escaping helpers shared by the
 * text, JSON and CSV writers.
 */
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

int lg_report_has(const lg_report *r, int panel)
{
    return (r->panels >> panel) & 1u;
}

static int cmp_country(const void *a, const void *b)
{
    const lg_country *x = a, *y = b;
    if (x->hits != y->hits)
        return x->hits > y->hits ? -1 : 1;
    return strcmp(x->code, y->code);
}

/* Look up every client's country and sum the countries panel. */
static int build_countries(lg_report *r)
{
    const lg_tab *t = &r->agg->tab[LG_TAB_CLIENTS];
    lg_geoip *g = r->job->geoip;
    if (!g || !t->n)
        return 0;
    r->client_cc = calloc(t->n, sizeof *r->client_cc);
    lg_country *cs = calloc(256, sizeof *cs);
    size_t nc = 0, capc = 256;
    if (!r->client_cc || !cs) {
        free(cs);
        return -ENOMEM;
    }
    for (size_t i = 0; i < t->n; i++) {
        const lg_ent *e = &t->ents[i];
        lg_str s = {e->key, e->klen};
        lg_geoip_country(g, s, r->client_cc[i]);
        size_t k;
        for (k = 0; k < nc; k++)
            if (strcmp(cs[k].code, r->client_cc[i]) == 0)
                break;
        if (k == nc) {
            if (nc == capc) {
                lg_country *n2 = realloc(cs, 2 * capc * sizeof *cs);
                if (!n2) {
                    free(cs);
                    return -ENOMEM;
                }
                cs = n2;
                capc *= 2;
            }
            memset(&cs[nc], 0, sizeof cs[nc]);
            memcpy(cs[nc].code, r->client_cc[i], 3);
            nc++;
        }
        cs[k].hits += e->hits;
        cs[k].bytes += e->bytes;
        cs[k].clients++;
    }
    qsort(cs, nc, sizeof *cs, cmp_country);
    r->countries = cs;
    r->ncountries = nc;
    return 0;
}

int lg_report_build(lg_report *r, const lg_job *job, lg_agg *agg)
{
    memset(r, 0, sizeof *r);
    r->job = job;
    r->agg = agg;
    r->panels = job->panels;
    r->top = job->cfg->top > 0 ? (size_t)job->cfg->top : 0;
    r->unique_clients = agg->tab[LG_TAB_CLIENTS].n;
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        if (!agg->tab[id].n)
            continue;
        /* ranked panels show their first --top rows: only those need
         * order (methods and protocols show every row) */
        size_t k = id == LG_TAB_METHODS || id == LG_TAB_PROTOCOLS ? 0 : r->top;
        r->rows[id] = lg_agg_ranked(agg, id, k, &r->nrows[id]);
        if (!r->rows[id])
            goto nomem;
    }
    if ((lg_report_has(r, LG_PANEL_COUNTRIES) ||
         lg_report_has(r, LG_PANEL_CLIENTS)) &&
        build_countries(r) < 0)
        goto nomem;
    r->format_desc = NULL;
    for (size_t i = 0; i < job->in.n; i++) {
        const lg_format *f = job->fmts[job->file_fmt[i]];
        const char *name = f ? lg_format_name(f) : "?";
        if (!r->format_desc)
            r->format_desc = name;
        else if (strcmp(r->format_desc, name) != 0)
            r->format_desc = "mixed";
    }
    if (!r->format_desc)
        r->format_desc = "none";
    return 0;
nomem:
    lg_report_destroy(r);
    return -ENOMEM;
}

void lg_report_destroy(lg_report *r)
{
    for (int id = 0; id < LG_TAB_COUNT; id++)
        free(r->rows[id]);
    free(r->client_cc);
    free(r->countries);
    memset(r, 0, sizeof *r);
}

size_t lg_report_shown(const lg_report *r, int id)
{
    size_t n = r->nrows[id];
    if (id == LG_TAB_HOURS || id == LG_TAB_DAYS || id == LG_TAB_METHODS ||
        id == LG_TAB_PROTOCOLS)
        return n;
    return r->top && r->top < n ? r->top : n;
}

const char *lg_report_country(const lg_report *r, const lg_ent *client)
{
    const lg_tab *t = &r->agg->tab[LG_TAB_CLIENTS];
    if (!r->client_cc || client < t->ents || client >= t->ents + t->n)
        return "";
    return r->client_cc[client - t->ents];
}

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
