/* render-html.c - the report as one self-contained HTML page
 * (render-html.h, docs/HTML.md): the head with its CSP, one <section>
 * per panel of panels.h in its order, the embedded JSON and the script.
 *
 * Markup is pipefan's own; what came from outside (log fields, file
 * names, error texts, country codes) is written only through esc() -
 * lg_esc_html, as element text - and the JSON only through
 * lg_esc_json_script.  No log-derived string is ever a link, an
 * attribute value or a style.
 */
#define _GNU_SOURCE /* open_memstream */
#include "render-html.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "lg-html-assets.h"
#include "rank.h"
#include "render-json.h"
#include "render-svg.h"
#include "render.h"
#include "timefmt.h"

typedef struct hctx {
    FILE *f;
    const lg_report *r; /* the report as built */
    size_t top;         /* rows per ranked panel here */
} hctx;

/* An outside (or any) string as HTML text, cut at LG_HTML_KEY_MAX. */
static void esc(FILE *f, const char *s, size_t n)
{
    lg_esc_html(f, s, n, LG_HTML_KEY_MAX);
}

static void escz(FILE *f, const char *s)
{
    esc(f, s, strlen(s));
}

/* lg_fmt_bytes as HTML text: its ">=" escaped. */
static void fmt_bytes(uint64_t v, char *buf, size_t cap)
{
    if (v == LG_BYTES_SATURATED)
        snprintf(buf, cap, "&gt;= 16 EiB");
    else
        lg_fmt_bytes(v, buf, cap);
}

/* Number cells: the exact value in data-v (sorting, tests), shown
 * formatted. */
static void td_count(FILE *f, uint64_t v)
{
    char b[40];
    lg_fmt_count(v, b, sizeof b);
    fprintf(f, "<td class=\"n\" data-v=\"%" PRIu64 "\">%s</td>", v, b);
}

static void td_bytes(FILE *f, uint64_t v)
{
    char b[40];
    fmt_bytes(v, b, sizeof b);
    fprintf(f, "<td class=\"n\" data-v=\"%" PRIu64 "\">%s</td>", v, b);
}

static void td_pct(FILE *f, uint64_t part, uint64_t whole)
{
    double p = whole ? 100.0 * (double)part / (double)whole : 0.0;
    fprintf(f, "<td class=\"n\" data-v=\"%.3f\">%.1f%%</td>", p, p);
}

/* <section> of panel p with its title and "shown of total". */
static void open_panel(const hctx *h, int p, size_t shown, size_t total,
                       int wide)
{
    const lg_panel_info *pi = &lg_panel_table[p];
    char a[40], b[40];
    fprintf(h->f, "<section id=\"p-%s\" data-panel=\"%s\"%s><h2>", pi->name,
            pi->name, wide ? " class=\"wide\"" : "");
    escz(h->f, pi->title);
    if (total > shown) {
        lg_fmt_count(shown, a, sizeof a);
        lg_fmt_count(total, b, sizeof b);
        fprintf(h->f, " <small>%s of %s</small>", a, b);
    }
    fputs("</h2>\n", h->f);
}

/* A table's head: heads[i] is right-aligned (a number) when num has bit
 * i set. */
static void open_table(FILE *f, const char *const *heads, int n, unsigned num)
{
    fputs("<div class=\"scroll\"><table class=\"t\"><thead><tr>", f);
    for (int i = 0; i < n; i++) {
        fputs(num & (1u << i) ? "<th class=\"n\">" : "<th>", f);
        escz(f, heads[i]);
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
}

static void close_table(FILE *f)
{
    fputs("</tbody></table></div>\n", f);
}

static void none(FILE *f, const char *why)
{
    fputs("<p class=\"note\">", f);
    escz(f, why);
    fputs("</p>\n", f);
}

/* A panel of ranked rows: rank, key, hits, share, bytes, and the
 * distinct clients of a path or the country of a client. */
static void ranked(const hctx *h, int p)
{
    const lg_panel_info *pi = &lg_panel_table[p];
    const lg_report *r = h->r;
    int id = pi->table;
    size_t n = lg_report_shown(r, id);
    size_t cap = pi->all_rows ? LG_HTML_MAX_ROWS : h->top;
    if (n > cap)
        n = cap;
    int extra = id == LG_TAB_PATHS && r->path_clients  ? 1
                : id == LG_TAB_CLIENTS && r->client_cc ? 2
                                                       : 0;
    const char *heads[6] = {"#",     pi->text_col,
                            "hits",  "%",
                            "bytes", extra == 1 ? "clients" : "country"};
    open_panel(h, p, n, r->nrows[id], 0);
    if (!n) {
        none(h->f, "(none)");
        fputs("</section>\n", h->f);
        return;
    }
    open_table(h->f, heads, extra ? 6 : 5, extra == 1 ? 0x3d : 0x1d);
    for (size_t i = 0; i < n; i++) {
        const lg_ent *e = r->rows[id][i];
        fprintf(h->f,
                "<tr><td class=\"n r\" data-v=\"%zu\">%zu</td><td class=\"k\">",
                i + 1, i + 1);
        esc(h->f, e->key, e->klen);
        fputs("</td>", h->f);
        td_count(h->f, e->hits);
        td_pct(h->f, e->hits, r->tot->requests);
        td_bytes(h->f, e->bytes);
        if (extra == 1)
            td_count(h->f, e->aux);
        if (extra == 2) {
            const char *cc = lg_report_country(r, e);
            fputs("<td>", h->f);
            escz(h->f, *cc ? cc : "--");
            fputs("</td>", h->f);
        }
        fputs("</tr>\n", h->f);
    }
    close_table(h->f);
    fputs("</section>\n", h->f);
}

/* Hours or days: a chart of requests and one of bytes over the whole
 * span, then the table of the last LG_HTML_MAX_BUCKETS buckets. */
static void buckets(const hctx *h, int p)
{
    const lg_panel_info *pi = &lg_panel_table[p];
    const lg_report *r = h->r;
    int id = pi->table;
    size_t n = r->nrows[id], skip = 0;
    if (n > LG_HTML_MAX_BUCKETS)
        skip = n - LG_HTML_MAX_BUCKETS;
    open_panel(h, p, n - skip, n, 1);
    if (!n) {
        none(h->f, "(no time stamps)");
        fputs("</section>\n", h->f);
        return;
    }
    lg_svg_buckets(h->f, r, id, 0,
                   id == LG_TAB_HOURS ? "requests per hour"
                                      : "requests per day");
    lg_svg_buckets(h->f, r, id, 1,
                   id == LG_TAB_HOURS ? "bytes per hour" : "bytes per day");
    const char *heads[3] = {id == LG_TAB_HOURS ? "hour" : "day", "hits",
                            "bytes"};
    open_table(h->f, heads, 3, 0x6);
    for (size_t i = skip; i < n; i++) {
        char lab[32];
        lg_bucket_text(id, lg_ent_bucket(r->rows[id][i]), lab);
        fprintf(h->f, "<tr><td>%s</td>", lab);
        td_count(h->f, r->rows[id][i]->hits);
        td_bytes(h->f, r->rows[id][i]->bytes);
        fputs("</tr>\n", h->f);
    }
    close_table(h->f);
    fputs("</section>\n", h->f);
}

/* One card of the totals: its JSON key, label and shown value. */
static void card(FILE *f, const char *key, const char *label, uint64_t v,
                 const char *shown)
{
    fprintf(f, "<div><dt>%s</dt><dd data-k=\"%s\" data-v=\"%" PRIu64 "\">%s",
            label, key, v, shown);
    fputs("</dd></div>", f);
}

static void time_card(FILE *f, const char *key, int64_t ts, int32_t off)
{
    char buf[40] = "-";
    if (ts != LG_NO_TIME)
        lg_time_format_iso(ts, off, 0, buf);
    fprintf(f, "<div><dt>%s</dt><dd class=\"t\" data-k=\"%s\">%s</dd></div>",
            key, key, buf);
}

static void totals(const hctx *h)
{
    const lg_report *r = h->r;
    const lg_totals *a = r->tot;
    char b[40];
    open_panel(h, LG_PANEL_TOTALS, 0, 0, 1);
    fputs("<dl class=\"tot\">", h->f);
#define COUNT(k, label, v)                                                     \
    (lg_fmt_count(v, b, sizeof b), card(h->f, k, label, v, b))
    COUNT("requests", "requests", a->requests);
    COUNT("unique_clients", "unique clients", r->unique_clients);
    fmt_bytes(a->bytes, b, sizeof b);
    card(h->f, "bytes", "bytes", a->bytes, b);
    if (r->has_paths)
        COUNT("unique_paths", "unique paths", r->unique_paths);
    COUNT("bad_lines", "bad lines", a->bad_lines);
    COUNT("lines", "lines read", a->lines);
    COUNT("ignored_lines", "ignored lines", a->ignored);
    COUNT("filtered", "filtered out", a->filtered);
    COUNT("files", "files", (uint64_t)r->nfiles);
    COUNT("file_errors", "file errors", lg_report_file_errors(r));
#undef COUNT
    time_card(h->f, "first", a->first_ts, a->first_off);
    time_card(h->f, "last", a->last_ts, a->last_off);
    fputs("</dl>\n</section>\n", h->f);
}

static void status(const hctx *h)
{
    const lg_report *r = h->r;
    uint64_t cls[10] = {0};
    const char *heads[4] = {"status", "hits", "%", "bytes"};
    open_panel(h, LG_PANEL_STATUS, 0, 0, 0);
    for (int c = 0; c < LG_STATUS_MAX; c++)
        cls[c / 100] += r->status[c].hits;
    lg_svg_classes(h->f, cls, r->tot->requests);
    open_table(h->f, heads, 4, 0xe);
    for (int c = 0; c < LG_STATUS_MAX; c++) {
        if (!r->status[c].hits)
            continue;
        fprintf(h->f, "<tr><td class=\"s%d\" data-v=\"%d\">%d</td>", c / 100, c,
                c);
        td_count(h->f, r->status[c].hits);
        td_pct(h->f, r->status[c].hits, r->tot->requests);
        td_bytes(h->f, r->status[c].bytes);
        fputs("</tr>\n", h->f);
    }
    close_table(h->f);
    fputs("</section>\n", h->f);
}

static void countries(const hctx *h)
{
    const lg_report *r = h->r;
    size_t n = r->ncountries;
    if (n > h->top)
        n = h->top;
    const char *heads[5] = {"country", "hits", "%", "bytes", "clients"};
    open_panel(h, LG_PANEL_COUNTRIES, n, r->ncountries, 0);
    if (!r->job->geoip) {
        none(h->f, "(no GeoIP database: use --geoip-db FILE.mmdb)");
        fputs("</section>\n", h->f);
        return;
    }
    open_table(h->f, heads, 5, 0x1e);
    for (size_t i = 0; i < n; i++) {
        const lg_country *c = &r->countries[i];
        fputs("<tr><td>", h->f);
        escz(h->f, c->code[0] ? c->code : "--");
        fputs("</td>", h->f);
        td_count(h->f, c->hits);
        td_pct(h->f, c->hits, r->tot->requests);
        td_bytes(h->f, c->bytes);
        td_count(h->f, c->clients);
        fputs("</tr>\n", h->f);
    }
    close_table(h->f);
    fputs("</section>\n", h->f);
}

/* Bad lines by reason, then the kept samples and the inputs' errors,
 * each as preformatted text. */
static void bad(const hctx *h)
{
    const lg_report *r = h->r;
    const char *heads[3] = {"reason", "lines", "meaning"};
    open_panel(h, LG_PANEL_BAD, 0, 0, 1);
    if (!r->tot->bad_lines)
        none(h->f, "(none)");
    else
        open_table(h->f, heads, 3, 0x2);
    for (int b = 1; b < LG_BAD_COUNT && r->tot->bad_lines; b++) {
        if (!r->tot->bad[b])
            continue;
        fprintf(h->f, "<tr><td>%s</td>", lg_bad_name(b));
        td_count(h->f, r->tot->bad[b]);
        fputs("<td>", h->f);
        escz(h->f, lg_bad_describe(b));
        fputs("</td></tr>\n", h->f);
    }
    if (r->tot->bad_lines)
        close_table(h->f);
    for (int b = 1; b < LG_BAD_COUNT; b++)
        for (int k = 0; k < r->nsamples[b]; k++) {
            const lg_sample *s = &r->samples[b][k];
            fprintf(h->f, "<pre class=\"sample\" data-reason=\"%s\">",
                    lg_bad_name(b));
            escz(h->f, r->job->in.v[s->file].path);
            fprintf(h->f, ":%" PRIu64 ": ", s->line);
            esc(h->f, s->text, s->text_len);
            fputs("</pre>\n", h->f);
        }
    for (size_t i = 0; i < r->nfiles; i++)
        if (r->files[i].err) {
            fputs("<pre class=\"sample s5\">error ", h->f);
            escz(h->f, r->job->in.v[i].path);
            fputs(": ", h->f);
            escz(h->f, r->files[i].errmsg);
            fputs("</pre>\n", h->f);
        }
    fputs("</section>\n", h->f);
}

static void files(const hctx *h)
{
    const lg_report *r = h->r;
    const lg_job *job = r->job;
    const char *heads[7] = {"path",     "format", "compression", "lines",
                            "requests", "bad",    "error"};
    open_panel(h, LG_PANEL_FILES, 0, 0, 1);
    open_table(h->f, heads, 7, 0x38);
    for (size_t i = 0; i < r->nfiles; i++) {
        const lg_format *fm = job->fmts[job->file_fmt[i]];
        fputs("<tr><td class=\"k\">", h->f);
        escz(h->f, job->in.v[i].path);
        fputs("</td><td>", h->f);
        escz(h->f, fm ? lg_format_name(fm) : "?");
        fputs("</td><td>", h->f);
        escz(h->f, lg_comp_name(job->in.v[i].comp));
        fputs("</td>", h->f);
        td_count(h->f, r->files[i].lines);
        td_count(h->f, r->files[i].requests);
        td_count(h->f, r->files[i].bad);
        fputs("<td>", h->f);
        if (r->files[i].err)
            escz(h->f, r->files[i].errmsg);
        fputs("</td></tr>\n", h->f);
    }
    close_table(h->f);
    fputs("</section>\n", h->f);
}

/* The head: charset first, the CSP naming the two inline assets by hash,
 * the stylesheet; then the page's header and the panel links. */
static void head(const hctx *h)
{
    const lg_report *r = h->r;
    const lg_totals *a = r->tot;
    char sz[40], first[40] = "-", last[40] = "-";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
          "'none'; style-src 'sha256-" LG_HTML_CSS_SHA256 "'; script-src "
          "'sha256-" LG_HTML_JS_SHA256 "'; base-uri 'none'; form-action "
          "'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light "
          "dark\">\n<title>pipefan logs report</title>\n<style>",
          h->f);
    fputs(lg_html_css, h->f);
    fputs("</style>\n</head>\n<body>\n<header><h1>pipefan logs report</h1>"
          "<p class=\"meta\">",
          h->f);
    fmt_bytes(r->job->in.total_bytes, sz, sizeof sz);
    if (a->first_ts != LG_NO_TIME) {
        lg_time_format_iso(a->first_ts, a->first_off, 0, first);
        lg_time_format_iso(a->last_ts, a->last_off, 0, last);
    }
    fprintf(h->f, "%zu input%s, %s, format ", r->job->in.n,
            r->job->in.n == 1 ? "" : "s", sz);
    escz(h->f, r->format_desc);
    fprintf(h->f, " &middot; %s &ndash; %s &middot; pipefan ", first, last);
    escz(h->f, pf_version());
    fputs("</p></header>\n<nav>", h->f);
    for (int p = 0; p < LG_PANEL_COUNT; p++)
        if (lg_report_has(r, p)) {
            fprintf(h->f, "<a href=\"#p-%s\">", lg_panel_table[p].name);
            escz(h->f, lg_panel_table[p].title);
            fputs("</a>", h->f);
        }
    fputs("</nav>\n<main>\n", h->f);
}

/* The JSON report of what the page shows (the rows of r capped as the
 * tables are), staged in memory and copied into a data block. */
static int data_block(const hctx *h)
{
    lg_report v = *h->r;
    char *buf = NULL;
    size_t len = 0;
    v.top = h->top;
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        int p = lg_panel_of_table(id);
        if (p < 0 || !lg_panel_table[p].all_rows)
            continue;
        size_t cap = lg_panel_table[p].kind == LG_PANEL_KIND_BUCKETS
                         ? LG_HTML_MAX_BUCKETS
                         : LG_HTML_MAX_ROWS;
        if (v.nrows[id] > cap) {
            if (lg_panel_table[p].kind == LG_PANEL_KIND_BUCKETS)
                v.rows[id] += v.nrows[id] - cap; /* the last ones */
            v.nrows[id] = cap;
        }
    }
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return -ENOMEM;
    int rc = lg_render_json(&v, m);
    if (fclose(m) != 0 && rc == 0)
        rc = -ENOMEM;
    if (rc == 0) {
        fputs("<script type=\"application/json\" id=\"report-data\">", h->f);
        lg_esc_json_script(h->f, buf, len);
        fputs("</script>\n", h->f);
    }
    free(buf);
    return rc;
}

int lg_render_html(const lg_report *r, FILE *f)
{
    hctx h = {f, r,
              r->top && r->top < LG_HTML_MAX_ROWS ? r->top : LG_HTML_MAX_ROWS};
    head(&h);
    for (int p = 0; p < LG_PANEL_COUNT; p++) {
        const lg_panel_info *pi = &lg_panel_table[p];
        if (!lg_report_has(r, p))
            continue;
        if (pi->kind == LG_PANEL_KIND_RANKED)
            ranked(&h, p);
        else if (pi->kind == LG_PANEL_KIND_BUCKETS)
            buckets(&h, p);
        else if (p == LG_PANEL_TOTALS)
            totals(&h);
        else if (p == LG_PANEL_STATUS)
            status(&h);
        else if (p == LG_PANEL_COUNTRIES)
            countries(&h);
        else if (p == LG_PANEL_BAD)
            bad(&h);
        else if (p == LG_PANEL_FILES)
            files(&h);
    }
    fputs("</main>\n<footer>Made by pipefan logs. The JSON report "
          "(docs/JSON.md) of these rows is in this page, in "
          "#report-data.</footer>\n",
          f);
    int rc = data_block(&h);
    fprintf(f, "<script>%s</script>\n</body></html>\n", lg_html_js);
    if (fflush(f) != 0 || ferror(f))
        return -(errno ? errno : EIO);
    return rc;
}
