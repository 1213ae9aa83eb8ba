/* render-json.c - the report as one JSON document (schema: docs/JSON.md).
 *
 * The document holds no timing or host detail, so the same input gives
 * byte-identical JSON whatever the worker count or chunk size.
 */
#include "render-json.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "esc.h"
#include "filter.h"
#include "rank.h"
#include "render.h"
#include "timefmt.h"

static void key(FILE *f, int *first, const char *k)
{
    fprintf(f, "%s\n  \"%s\": ", *first ? "" : ",", k);
    *first = 0;
}

static void time_or_null(FILE *f, int64_t ts, int32_t off)
{
    char buf[32];
    if (ts == LG_NO_TIME) {
        fputs("null", f);
        return;
    }
    lg_time_format_iso(ts, off, 0, buf);
    fprintf(f, "\"%s\"", buf);
}

/* An array of {<name>: key, hits, bytes} rows of table id. */
static void ranked(FILE *f, const lg_report *r, int id, const char *name)
{
    size_t n = lg_report_shown(r, id);
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        const lg_ent *e = r->rows[id][i];
        fprintf(f, "%s\n    {\"%s\": ", i ? "," : "", name);
        lg_esc_json(f, e->key, e->klen);
        fprintf(f, ", \"hits\": %" PRIu64 ", \"bytes\": %" PRIu64, e->hits,
                e->bytes);
        if (id == LG_TAB_PATHS && r->path_clients)
            fprintf(f, ", \"clients\": %" PRIu32, e->aux);
        if (id == LG_TAB_CLIENTS) {
            const char *cc = lg_report_country(r, e);
            fputs(", \"country\": ", f);
            if (*cc)
                fprintf(f, "\"%s\"", cc);
            else
                fputs("null", f);
            const char *h;
            size_t hn;
            if (r->hosts) { /* --resolve */
                fputs(", \"host\": ", f);
                if (lg_report_host(r, e, &h, &hn))
                    lg_esc_json(f, h, hn);
                else
                    fputs("null", f);
            }
        }
        fputc('}', f);
    }
    fputs(n ? "\n  ]" : "]", f);
}

static void buckets(FILE *f, const lg_report *r, int id, const char *name)
{
    size_t n = r->nrows[id];
    char buf[32];
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        const lg_ent *e = r->rows[id][i];
        lg_bucket_text(id, lg_ent_bucket(e), buf);
        fprintf(f,
                "%s\n    {\"%s\": \"%s\", \"hits\": %" PRIu64
                ", \"bytes\": %" PRIu64 "}",
                i ? "," : "", name, buf, e->hits, e->bytes);
    }
    fputs(n ? "\n  ]" : "]", f);
}

static void totals(FILE *f, const lg_report *r)
{
    const lg_totals *a = r->tot;
    /* distinct paths are known only when the paths table was filled */
    char paths[48] = "";
    if (r->has_paths)
        snprintf(paths, sizeof paths, ", \"unique_paths\": %" PRIu64,
                 r->unique_paths);
    fprintf(f,
            "{\"requests\": %" PRIu64 ", \"bad_lines\": %" PRIu64
            ", \"bytes\": %" PRIu64 "%s, \"unique_clients\": %" PRIu64
            "%s, \"lines\": %" PRIu64 ", \"ignored_lines\": %" PRIu64
            ", \"filtered\": %" PRIu64 ", \"first\": ",
            a->requests, a->bad_lines, a->bytes,
            a->bytes == LG_BYTES_SATURATED ? ", \"bytes_saturated\": true" : "",
            r->unique_clients, paths, a->lines, a->ignored, a->filtered);
    time_or_null(f, a->first_ts, a->first_off);
    fputs(", \"last\": ", f);
    time_or_null(f, a->last_ts, a->last_off);
    fprintf(f, ", \"files\": %zu, \"file_errors\": %" PRIu64 "}", r->nfiles,
            lg_report_file_errors(r));
}

static void status(FILE *f, const lg_report *r, int *first)
{
    int n = 0;
    uint64_t cls[10] = {0};
    fputc('{', f);
    for (int c = 0; c < LG_STATUS_MAX; c++)
        if (r->status[c].hits) {
            fprintf(f, "%s\"%d\": %" PRIu64, n++ ? ", " : "", c,
                    r->status[c].hits);
            cls[c / 100] += r->status[c].hits;
        }
    fputc('}', f);
    key(f, first, "status_classes");
    fputc('{', f);
    n = 0;
    for (int c = 1; c < 10; c++)
        if (cls[c])
            fprintf(f, "%s\"%dxx\": %" PRIu64, n++ ? ", " : "", c, cls[c]);
    fputc('}', f);
}

static void countries(FILE *f, const lg_report *r)
{
    size_t n = r->ncountries;
    if (r->top && r->top < n)
        n = r->top;
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        const lg_country *c = &r->countries[i];
        fprintf(f, "%s\n    {\"country\": ", i ? "," : "");
        if (c->code[0])
            fprintf(f, "\"%s\"", c->code);
        else
            fputs("null", f);
        fprintf(f,
                ", \"hits\": %" PRIu64 ", \"bytes\": %" PRIu64
                ", \"clients\": %" PRIu64 "}",
                c->hits, c->bytes, c->clients);
    }
    fputs(n ? "\n  ]" : "]", f);
}

static void bad(FILE *f, const lg_report *r, int *first)
{
    int n = 0;
    fputc('{', f);
    for (int b = 1; b < LG_BAD_COUNT; b++)
        if (r->tot->bad[b])
            fprintf(f, "%s\"%s\": %" PRIu64, n++ ? ", " : "", lg_bad_name(b),
                    r->tot->bad[b]);
    fputc('}', f);
    key(f, first, "bad_samples");
    fputc('[', f);
    n = 0;
    for (int b = 1; b < LG_BAD_COUNT; b++)
        for (int k = 0; k < r->nsamples[b]; k++) {
            const lg_sample *s = &r->samples[b][k];
            const char *path = r->job->in.v[s->file].path;
            fprintf(f,
                    "%s\n    {\"reason\": \"%s\", \"file\": ", n++ ? "," : "",
                    lg_bad_name(b));
            lg_esc_json(f, path, strlen(path));
            fprintf(f, ", \"line\": %" PRIu64 ", \"text\": ", s->line);
            lg_esc_json(f, s->text, s->text_len);
            fputc('}', f);
        }
    fputs(n ? "\n  ]" : "]", f);
}

static void files(FILE *f, const lg_report *r)
{
    const lg_job *job = r->job;
    fputc('[', f);
    for (size_t i = 0; i < r->nfiles; i++) {
        const lg_file_stat *fs = &r->files[i];
        const lg_input *in = &job->in.v[i];
        const lg_format *fm = job->fmts[job->file_fmt[i]];
        fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
        lg_esc_json(f, in->path, strlen(in->path));
        fprintf(f,
                ", \"format\": \"%s\", \"compression\": \"%s\", \"lines\": "
                "%" PRIu64 ", \"requests\": %" PRIu64
                ", \"bad_lines\": %" PRIu64 ", \"error\": ",
                fm ? lg_format_name(fm) : "?", lg_comp_name(in->comp),
                fs->lines, fs->requests, fs->bad);
        if (fs->err)
            lg_esc_json(f, fs->errmsg, strlen(fs->errmsg));
        else
            fputs("null", f);
        fputc('}', f);
    }
    fputs(r->nfiles ? "\n  ]" : "]", f);
}

/* "filters": one entry per --include/--exclude regex with the lines it
 * could not decide (a PCRE2 limit); only when a regex was given. */
static void filters(FILE *f, const lg_report *r, int *first)
{
    const lg_filter *flt = r->job->filter;
    size_t n = flt ? lg_filter_regex_count(flt) : 0;
    if (!n)
        return;
    key(f, first, "filters");
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        const char *opt = "", *pat = "";
        uint64_t und = 0;
        lg_filter_regex_stat(flt, i, &opt, &pat, &und);
        fprintf(f, "%s\n    {\"option\": ", i ? "," : "");
        lg_esc_json(f, opt, strlen(opt));
        fputs(", \"pattern\": ", f);
        lg_esc_json(f, pat, strlen(pat));
        fprintf(f, ", \"undecided\": %" PRIu64 "}", und);
    }
    fputs("\n  ]", f);
}

int lg_render_json(const lg_report *r, FILE *f)
{
    int first = 1;

    fputc('{', f);
    key(f, &first, "pipefan");
    fprintf(f, "\"%s\"", pf_version());
    key(f, &first, "format");
    lg_esc_json(f, r->format_desc, strlen(r->format_desc));
    for (int p = 0; p < LG_PANEL_COUNT; p++) {
        const lg_panel_info *pi = &lg_panel_table[p];
        if (!lg_report_has(r, p))
            continue;
        key(f, &first, pi->name);
        if (pi->kind == LG_PANEL_KIND_RANKED)
            ranked(f, r, pi->table, pi->row_key);
        else if (pi->kind == LG_PANEL_KIND_BUCKETS)
            buckets(f, r, pi->table, pi->row_key);
        else if (p == LG_PANEL_TOTALS)
            totals(f, r);
        else if (p == LG_PANEL_STATUS)
            status(f, r, &first);
        else if (p == LG_PANEL_COUNTRIES)
            countries(f, r);
        else if (p == LG_PANEL_BAD)
            bad(f, r, &first);
        else if (p == LG_PANEL_FILES)
            files(f, r);
    }
    filters(f, r, &first);
    fputs("\n}\n", f);
    if (fflush(f) != 0 || ferror(f))
        return -(errno ? errno : EIO);
    return 0;
}
