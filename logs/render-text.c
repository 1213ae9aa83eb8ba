/* render-text.c - the report as aligned terminal tables.
 *
 * Each panel is a table whose number columns are sized to their widest
 * value; the one text column (path, client, agent...) gets what is left of
 * the width and longer strings are cut with "..." (file names in the
 * middle, keeping their end).  Log strings and file names are escaped
 * (esc.h) so a hostile line or name cannot drive the terminal.
 * Colour only when asked (the caller checks the TTY and NO_COLOR).
 */
#include "render-text.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "rank.h"
#include "render.h"
#include "timefmt.h"

#define MAXCOLS 6

typedef struct tctx {
    FILE *f;
    int color;
    int width;
} tctx;

static const char *c_head(const tctx *t)
{
    return t->color ? "\033[1;36m" : "";
}
static const char *c_dim(const tctx *t)
{
    return t->color ? "\033[2m" : "";
}
static const char *c_off(const tctx *t)
{
    return t->color ? "\033[0m" : "";
}

static void fmt_pct(uint64_t part, uint64_t whole, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.1f%%",
             whole ? 100.0 * (double)part / (double)whole : 0.0);
}

static void title(const tctx *t, const char *name, size_t shown, size_t total)
{
    fprintf(t->f, "\n%s%s%s", c_head(t), name, c_off(t));
    if (total > shown)
        fprintf(t->f, " %s(top %zu of %zu)%s", c_dim(t), shown, total,
                c_off(t));
    fputc('\n', t->f);
}

/* A table: ncols right-aligned number columns, then one text column. */
typedef struct table {
    int ncols;
    const char *head[MAXCOLS];
    const char *text_head;
    size_t nrows;
    char (*cells)[MAXCOLS][32];
    int w[MAXCOLS];
    /* a second text column after the first (--resolve's host), or NULL */
    const char *text2_head;
    const char *const *text2;
    const size_t *tlen2;
} table;

/* Width of the first of two text columns: its widest cell, leaving the
 * second at least half of rest. */
static int first_width(const table *tb, const char *const *text,
                       const size_t *tlen, int rest)
{
    int w = (int)strlen(tb->text_head);
    for (size_t r = 0; r < tb->nrows; r++) {
        int l = lg_esc_term_width(text[r], tlen[r]);
        if (l > w)
            w = l;
    }
    return w > rest / 2 ? rest / 2 : w;
}

static void table_print(const tctx *t, table *tb, const char *const *text,
                        const size_t *tlen)
{
    int used = 2;
    for (int c = 0; c < tb->ncols; c++) {
        tb->w[c] = (int)strlen(tb->head[c]);
        for (size_t r = 0; r < tb->nrows; r++) {
            int l = (int)strlen(tb->cells[r][c]);
            if (l > tb->w[c])
                tb->w[c] = l;
        }
        used += tb->w[c] + 2;
    }
    int rest = t->width - used;
    if (rest < 10)
        rest = 10;
    int w1 = tb->text2 ? first_width(tb, text, tlen, rest) : rest;
    fprintf(t->f, "%s ", c_dim(t));
    for (int c = 0; c < tb->ncols; c++)
        fprintf(t->f, " %*s ", tb->w[c], tb->head[c]);
    if (tb->text2)
        fprintf(t->f, " %-*s  %s%s\n", w1, tb->text_head, tb->text2_head,
                c_off(t));
    else
        fprintf(t->f, " %s%s\n", tb->text_head, c_off(t));
    for (size_t r = 0; r < tb->nrows; r++) {
        fputc(' ', t->f);
        for (int c = 0; c < tb->ncols; c++)
            fprintf(t->f, " %*s ", tb->w[c], tb->cells[r][c]);
        fputc(' ', t->f);
        int used1 = lg_esc_term(t->f, text[r], tlen[r], w1);
        if (tb->text2) {
            fprintf(t->f, "%*s  ", w1 - used1, "");
            if (tb->text2[r])
                lg_esc_term(t->f, tb->text2[r], tb->tlen2[r], rest - w1 - 2);
            else
                fputc('-', t->f);
        }
        fputc('\n', t->f);
    }
}

/* One ranked table panel: hits, %, bytes (+ clients or country). */
static void ranked(const tctx *t, const lg_report *r, int id, const char *name,
                   const char *what)
{
    size_t n = lg_report_shown(r, id);
    title(t, name, n, r->nrows[id]);
    if (!n) {
        fprintf(t->f, "  %s(none)%s\n", c_dim(t), c_off(t));
        return;
    }
    table tb = {0};
    const char **text = malloc(n * sizeof *text);
    size_t *tlen = malloc(n * sizeof *tlen);
    tb.cells = calloc(n, sizeof *tb.cells);
    if (!tb.cells || !text || !tlen) {
        free(tb.cells);
        free(text);
        free(tlen);
        return;
    }
    tb.nrows = n;
    tb.text_head = what;
    tb.head[tb.ncols++] = "hits";
    tb.head[tb.ncols++] = "%";
    tb.head[tb.ncols++] = "bytes";
    int extra = id == LG_TAB_PATHS && r->path_clients  ? 1
                : id == LG_TAB_CLIENTS && r->client_cc ? 2
                                                       : 0;
    if (extra == 1)
        tb.head[tb.ncols++] = "clients";
    for (size_t i = 0; i < n; i++) {
        const lg_ent *e = r->rows[id][i];
        lg_fmt_count(e->hits, tb.cells[i][0], 32);
        fmt_pct(e->hits, r->tot->requests, tb.cells[i][1], 32);
        lg_fmt_bytes(e->bytes, tb.cells[i][2], 32);
        if (extra == 1)
            lg_fmt_count(e->aux, tb.cells[i][3], 32);
        text[i] = e->key;
        tlen[i] = e->klen;
        if (extra == 2) {
            const char *c = lg_report_country(r, e);
            snprintf(tb.cells[i][3], 32, "%s", *c ? c : "--");
        }
    }
    if (extra == 2)
        tb.head[tb.ncols++] = "cc";
    const char **host = NULL;
    size_t *hlen = NULL;
    if (id == LG_TAB_CLIENTS && r->hosts) { /* --resolve */
        host = calloc(n, sizeof *host);
        hlen = calloc(n, sizeof *hlen);
        if (host && hlen) {
            for (size_t i = 0; i < n; i++)
                if (!lg_report_host(r, r->rows[id][i], &host[i], &hlen[i]))
                    host[i] = NULL;
            tb.text2_head = "host";
            tb.text2 = host;
            tb.tlen2 = hlen;
        }
    }
    table_print(t, &tb, text, tlen);
    free(host);
    free(hlen);
    free(tb.cells);
    free(text);
    free(tlen);
}

static void totals(const tctx *t, const lg_report *r)
{
    const lg_totals *a = r->tot;
    char v[8][48], first[32] = "-", last[32] = "-";
    uint64_t ferr = lg_report_file_errors(r);
    if (a->first_ts != LG_NO_TIME) {
        lg_time_format_iso(a->first_ts, a->first_off, 0, first);
        lg_time_format_iso(a->last_ts, a->last_off, 0, last);
    }
    lg_fmt_count(a->requests, v[0], 48);
    lg_fmt_count(r->unique_clients, v[1], 48);
    lg_fmt_bytes(a->bytes, v[2], 48);
    if (r->has_paths)
        lg_fmt_count(r->unique_paths, v[3], 48);
    else
        snprintf(v[3], 48, "-");
    lg_fmt_count(a->bad_lines, v[4], 48);
    lg_fmt_count(a->lines, v[5], 48);
    lg_fmt_count(a->ignored, v[6], 48);
    lg_fmt_count(a->filtered, v[7], 48);
    title(t, lg_panel_table[LG_PANEL_TOTALS].title, 0, 0);
    fprintf(t->f, "  %-15s %14s    %-15s %14s\n", "requests", v[0],
            "unique clients", v[1]);
    fprintf(t->f, "  %-15s %14s    %-15s %14s\n", "bytes", v[2], "unique paths",
            v[3]);
    fprintf(t->f, "  %-15s %14s    %-15s %14s\n", "bad lines", v[4],
            "lines read", v[5]);
    if (a->ignored || a->filtered)
        fprintf(t->f, "  %-15s %14s    %-15s %14s\n", "ignored lines", v[6],
                "filtered out", v[7]);
    fprintf(t->f, "  %-15s %s\n  %-15s %s\n", "first", first, "last", last);
    if (ferr)
        fprintf(t->f, "  %-15s %14" PRIu64 "\n", "file errors", ferr);
}

static void status(const tctx *t, const lg_report *r)
{
    const lg_status_cnt *st = r->status;
    uint64_t cls[10] = {0};
    title(t, lg_panel_table[LG_PANEL_STATUS].title, 0, 0);
    fprintf(t->f, "%s  %-6s %12s %7s %12s%s\n", c_dim(t), "code", "hits", "%",
            "bytes", c_off(t));
    for (int c = 0; c < LG_STATUS_MAX; c++) {
        char h[32], p[32], b[32];
        if (!st[c].hits)
            continue;
        cls[c / 100] += st[c].hits;
        lg_fmt_count(st[c].hits, h, sizeof h);
        fmt_pct(st[c].hits, r->tot->requests, p, sizeof p);
        lg_fmt_bytes(st[c].bytes, b, sizeof b);
        const char *col = !t->color  ? ""
                          : c >= 500 ? "\033[31m"
                          : c >= 400 ? "\033[33m"
                          : c >= 300 ? "\033[36m"
                                     : "\033[32m";
        fprintf(t->f, "  %s%-6d%s %12s %7s %12s\n", col, c, c_off(t), h, p, b);
    }
    fputs("  classes:", t->f);
    for (int c = 1; c < 10; c++)
        if (cls[c]) {
            char h[32];
            lg_fmt_count(cls[c], h, sizeof h);
            fprintf(t->f, "  %dxx %s", c, h);
        }
    fputc('\n', t->f);
}

/* Hours: the timeline when short, else requests by hour of day. */
static void hours(const tctx *t, const lg_report *r, int id, const char *name)
{
    size_t n = r->nrows[id];
    uint64_t max = 0, byhour[24] = {0}, bybytes[24] = {0};
    int of_day = id == LG_TAB_HOURS && n > 48;
    for (size_t i = 0; i < n; i++) {
        const lg_ent *e = r->rows[id][i];
        if (of_day) {
            int64_t b = lg_ent_bucket(e);
            int h = (int)(((b % 24) + 24) % 24);
            byhour[h] += e->hits;
            lg_bytes_add(&bybytes[h], e->bytes);
        } else if (e->hits > max) {
            max = e->hits;
        }
    }
    if (of_day)
        for (int h = 0; h < 24; h++)
            if (byhour[h] > max)
                max = byhour[h];
    title(t, of_day ? "Requests by hour of day (as logged)" : name, 0, 0);
    int bar = t->width - 50;
    if (bar < 10)
        bar = 10;
    size_t rows = of_day ? 24 : n;
    for (size_t i = 0; i < rows; i++) {
        char label[32], h[32], b[32];
        uint64_t hits, bytes;
        if (of_day) {
            snprintf(label, sizeof label, "%02zu:00", i);
            hits = byhour[i];
            bytes = bybytes[i];
        } else {
            lg_bucket_text(id, lg_ent_bucket(r->rows[id][i]), label);
            hits = r->rows[id][i]->hits;
            bytes = r->rows[id][i]->bytes;
        }
        lg_fmt_count(hits, h, sizeof h);
        lg_fmt_bytes(bytes, b, sizeof b);
        fprintf(t->f, "  %-14s %12s %12s  ", label, h, b);
        int k = max ? (int)((double)hits * bar / (double)max + 0.5) : 0;
        for (int j = 0; j < k; j++)
            fputs(t->color ? "\xe2\x96\x88" : "#", t->f);
        fputc('\n', t->f);
    }
}

static void countries(const tctx *t, const lg_report *r)
{
    size_t n = r->ncountries;
    if (r->top && r->top < n)
        n = r->top;
    title(t, lg_panel_table[LG_PANEL_COUNTRIES].title, n, r->ncountries);
    if (!r->job->geoip) {
        fprintf(t->f, "  %s(no GeoIP database: use --geoip-db FILE.mmdb)%s\n",
                c_dim(t), c_off(t));
        return;
    }
    fprintf(t->f, "%s  %-8s %12s %7s %12s %10s%s\n", c_dim(t), "country",
            "hits", "%", "bytes", "clients", c_off(t));
    for (size_t i = 0; i < n; i++) {
        const lg_country *c = &r->countries[i];
        char h[32], p[32], b[32], cl[32];
        lg_fmt_count(c->hits, h, sizeof h);
        fmt_pct(c->hits, r->tot->requests, p, sizeof p);
        lg_fmt_bytes(c->bytes, b, sizeof b);
        lg_fmt_count(c->clients, cl, sizeof cl);
        fprintf(t->f, "  %-8s %12s %7s %12s %10s\n",
                c->code[0] ? c->code : "--", h, p, b, cl);
    }
}

static void bad(const tctx *t, const lg_report *r)
{
    const lg_totals *a = r->tot;
    title(t, lg_panel_table[LG_PANEL_BAD].title, 0, 0);
    if (!a->bad_lines) {
        fprintf(t->f, "  %s(none)%s\n", c_dim(t), c_off(t));
    }
    for (int b = 1; b < LG_BAD_COUNT; b++) {
        char h[32];
        if (!a->bad[b])
            continue;
        lg_fmt_count(a->bad[b], h, sizeof h);
        fprintf(t->f, "  %-10s %12s  %s%s%s\n", lg_bad_name(b), h, c_dim(t),
                lg_bad_describe(b), c_off(t));
        for (int k = 0; k < r->nsamples[b]; k++) {
            const lg_sample *s = &r->samples[b][k];
            const char *path = r->job->in.v[s->file].path;
            fputs("      ", t->f);
            int w = 6 + lg_esc_term(t->f, path, strlen(path), INT_MAX);
            w += fprintf(t->f, ":%" PRIu64 ": ", s->line);
            lg_esc_term(t->f, s->text, s->text_len,
                        t->width - w > 20 ? t->width - w : 20);
            fputc('\n', t->f);
        }
    }
    for (size_t i = 0; i < r->nfiles; i++)
        if (r->files[i].err) {
            const char *path = r->job->in.v[i].path;
            const char *msg = r->files[i].errmsg;
            fprintf(t->f, "  %serror%s ", t->color ? "\033[31m" : "", c_off(t));
            lg_esc_term(t->f, path, strlen(path), INT_MAX);
            fputs(": ", t->f);
            lg_esc_term(t->f, msg, strlen(msg), INT_MAX);
            fputc('\n', t->f);
        }
}

/* Files: number columns sized to their values, the path last, cut in the
 * middle so the names that tell files apart (access.log.1.gz) stay. */
static void files(const tctx *t, const lg_report *r)
{
    size_t n = r->nfiles;
    char(*c)[3][32] = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return;
    int w[5] = {5, 8, 3, 6, 4}; /* lines requests bad format comp */
    for (size_t i = 0; i < n; i++) {
        const lg_file_stat *fs = &r->files[i];
        const lg_format *fm = r->job->fmts[r->job->file_fmt[i]];
        lg_fmt_count(fs->lines, c[i][0], 32);
        lg_fmt_count(fs->requests, c[i][1], 32);
        lg_fmt_count(fs->bad, c[i][2], 32);
        int l[5] = {(int)strlen(c[i][0]), (int)strlen(c[i][1]),
                    (int)strlen(c[i][2]),
                    (int)strlen(fm ? lg_format_name(fm) : "?"),
                    (int)strlen(lg_comp_name(r->job->in.v[i].comp))};
        for (int k = 0; k < 5; k++)
            if (l[k] > w[k])
                w[k] = l[k];
    }
    int used = 2 + w[0] + 1 + w[1] + 1 + w[2] + 2 + w[3] + 1 + w[4] + 1;
    int rest = t->width - used > 10 ? t->width - used : 10;
    title(t, lg_panel_table[LG_PANEL_FILES].title, 0, 0);
    fprintf(t->f, "%s  %*s %*s %*s  %-*s %-*s %s%s\n", c_dim(t), w[0], "lines",
            w[1], "requests", w[2], "bad", w[3], "format", w[4], "comp", "path",
            c_off(t));
    for (size_t i = 0; i < n; i++) {
        const lg_format *fm = r->job->fmts[r->job->file_fmt[i]];
        const char *p = r->job->in.v[i].path;
        fprintf(t->f, "  %*s %*s %*s  %-*s %-*s ", w[0], c[i][0], w[1], c[i][1],
                w[2], c[i][2], w[3], fm ? lg_format_name(fm) : "?", w[4],
                lg_comp_name(r->job->in.v[i].comp));
        lg_esc_term_mid(t->f, p, strlen(p), rest);
        fputc('\n', t->f);
    }
    free(c);
}

int lg_render_text(const lg_report *r, FILE *f, int color, int width)
{
    tctx t = {f, color, width > 40 ? width : 40};
    char sz[32];
    lg_fmt_bytes(r->job->in.total_bytes, sz, sizeof sz);
    fprintf(f, "%spipefan logs%s  %zu input%s, %s, format %s\n", c_head(&t),
            c_off(&t), r->job->in.n, r->job->in.n == 1 ? "" : "s", sz,
            r->format_desc);
    for (int p = 0; p < LG_PANEL_COUNT; p++) {
        const lg_panel_info *pi = &lg_panel_table[p];
        if (!lg_report_has(r, p))
            continue;
        if (pi->kind == LG_PANEL_KIND_RANKED) {
            /* a log without virtual hosts gets no empty vhosts table */
            if (p != LG_PANEL_VHOSTS || r->nrows[pi->table])
                ranked(&t, r, pi->table, pi->title, pi->text_col);
        } else if (pi->kind == LG_PANEL_KIND_BUCKETS) {
            hours(&t, r, pi->table, pi->title);
        } else if (p == LG_PANEL_TOTALS) {
            totals(&t, r);
        } else if (p == LG_PANEL_STATUS) {
            status(&t, r);
        } else if (p == LG_PANEL_COUNTRIES) {
            countries(&t, r);
        } else if (p == LG_PANEL_BAD) {
            bad(&t, r);
        } else if (p == LG_PANEL_FILES && r->job->in.n > 1) {
            files(&t, r);
        }
    }
    if (fflush(f) != 0 || ferror(f))
        return -EIO;
    return 0;
}

int lg_render_stats(const pf_pipeline *p, FILE *f)
{
    int best = pf_pipeline_bottleneck(p);
    fprintf(f, "%-16s %7s %12s %12s %10s %10s %6s %6s %6s\n", "stage",
            "workers", "records in", "records out", "bytes in", "bytes out",
            "busy", "w-in", "w-out");
    for (int i = 0; i < pf_pipeline_stages(p); i++) {
        pf_stage_stats st;
        char bi[32], bo[32];
        if (pf_pipeline_stage_stats(p, i, &st) < 0)
            continue;
        const pf_worker_stats *w = &st.total;
        uint64_t all = w->ns_busy + w->ns_wait_in + w->ns_wait_out;
        double d = all ? (double)all / 100.0 : 1.0;
        lg_fmt_bytes(w->bytes_in, bi, sizeof bi);
        lg_fmt_bytes(w->bytes_out, bo, sizeof bo);
        fprintf(f,
                "%-16.16s %7d %12" PRIu64 " %12" PRIu64
                " %10s %10s %5.1f%% %5.1f%% %5.1f%%%s\n",
                st.name, st.workers, (uint64_t)w->records_in,
                (uint64_t)w->records_out, bi, bo, (double)w->ns_busy / d,
                (double)w->ns_wait_in / d, (double)w->ns_wait_out / d,
                i == best ? "  <- bottleneck" : "");
    }
    fflush(f);
    return ferror(f) ? -EIO : 0;
}
