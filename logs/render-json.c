/* render-json.c - the report as one JSON document (schema: docs/JSON.md).
 *
 * The document holds no timing or host detail, so the same input gives
 * byte-identical JSON whatever the worker count or chunk size.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

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
        lg_json_str(f, e->key, e->klen);
        fprintf(f, ", \"hits\": %" PRIu64 ", \"bytes\": %" PRIu64, e->hits,
                e->bytes);
        if (id == LG_TAB_PATHS && r->agg->track_pairs)
            fprintf(f, ", \"clients\": %" PRIu32, e->aux);
        if (id == LG_TAB_CLIENTS) {
            const char *cc = lg_report_country(r, e);
            fputs(", \"country\": ", f);
            if (*cc)
                fprintf(f, "\"%s\"", cc);
            else
                fputs("null", f);
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

int lg_render_json(const lg_report *r, FILE *f)
{
    const lg_agg *a = r->agg;
    const lg_job *job = r->job;
    int first = 1;

    fputc('{', f);
    key(f, &first, "pipefan");
    fprintf(f, "\"%s\"", pf_version());
    key(f, &first, "format");
    lg_json_str(f, r->format_desc, strlen(r->format_desc));
    if (lg_report_has(r, LG_PANEL_TOTALS)) {
        /* distinct paths are known only when the paths table was filled */
        char paths[48] = "";
        if (a->tabs_on & (1u << LG_TAB_PATHS))
            snprintf(paths, sizeof paths, ", \"unique_paths\": %zu",
                     a->tab[LG_TAB_PATHS].n);
        key(f, &first, "totals");
        fprintf(f,
                "{\"requests\": %" PRIu64 ", \"bad_lines\": %" PRIu64
                ", \"bytes\": %" PRIu64 ", \"unique_clients\": %" PRIu64
                "%s, \"lines\": %" PRIu64 ", \"ignored_lines\": %" PRIu64
                ", \"filtered\": %" PRIu64 ", \"first\": ",
                a->requests, a->bad_lines, a->bytes, r->unique_clients, paths,
                a->lines, a->ignored, a->filtered);
        time_or_null(f, a->first_ts, a->first_off);
        fputs(", \"last\": ", f);
        time_or_null(f, a->last_ts, a->last_off);
        uint64_t ferr = 0;
        for (size_t i = 0; i < a->nfiles; i++)
            ferr += a->files[i].err != 0;
        fprintf(f, ", \"files\": %zu, \"file_errors\": %" PRIu64 "}", a->nfiles,
                ferr);
    }
    if (lg_report_has(r, LG_PANEL_STATUS)) {
        int n = 0;
        uint64_t cls[10] = {0};
        key(f, &first, "status");
        fputc('{', f);
        for (int c = 0; c < 1000; c++)
            if (a->status[c].hits) {
                fprintf(f, "%s\"%d\": %" PRIu64, n++ ? ", " : "", c,
                        a->status[c].hits);
                cls[c / 100] += a->status[c].hits;
            }
        fputc('}', f);
        key(f, &first, "status_classes");
        fputc('{', f);
        n = 0;
        for (int c = 1; c < 10; c++)
            if (cls[c])
                fprintf(f, "%s\"%dxx\": %" PRIu64, n++ ? ", " : "", c, cls[c]);
        fputc('}', f);
    }
    if (lg_report_has(r, LG_PANEL_METHODS)) {
        key(f, &first, "methods");
        ranked(f, r, LG_TAB_METHODS, "method");
    }
    if (lg_report_has(r, LG_PANEL_PROTOCOLS)) {
        key(f, &first, "protocols");
        ranked(f, r, LG_TAB_PROTOCOLS, "protocol");
    }
    if (lg_report_has(r, LG_PANEL_PATHS)) {
        key(f, &first, "paths");
        ranked(f, r, LG_TAB_PATHS, "path");
    }
    if (lg_report_has(r, LG_PANEL_CLIENTS)) {
        key(f, &first, "clients");
        ranked(f, r, LG_TAB_CLIENTS, "client");
    }
    if (lg_report_has(r, LG_PANEL_COUNTRIES)) {
        size_t n = r->ncountries;
        if (r->top && r->top < n)
            n = r->top;
        key(f, &first, "countries");
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
    if (lg_report_has(r, LG_PANEL_HOURS)) {
        key(f, &first, "hours");
        buckets(f, r, LG_TAB_HOURS, "hour");
    }
    if (lg_report_has(r, LG_PANEL_DAYS)) {
        key(f, &first, "days");
        buckets(f, r, LG_TAB_DAYS, "day");
    }
    if (lg_report_has(r, LG_PANEL_REFERRERS)) {
        key(f, &first, "referrers");
        ranked(f, r, LG_TAB_REFERRERS, "referrer");
    }
    if (lg_report_has(r, LG_PANEL_AGENTS)) {
        key(f, &first, "agents");
        ranked(f, r, LG_TAB_AGENTS, "agent");
    }
    if (lg_report_has(r, LG_PANEL_NOT_FOUND)) {
        key(f, &first, "not_found");
        ranked(f, r, LG_TAB_NOT_FOUND, "path");
    }
    if (lg_report_has(r, LG_PANEL_VHOSTS)) {
        key(f, &first, "vhosts");
        ranked(f, r, LG_TAB_VHOSTS, "vhost");
    }
    if (lg_report_has(r, LG_PANEL_BAD)) {
        int n = 0;
        key(f, &first, "bad");
        fputc('{', f);
        for (int b = 1; b < LG_BAD_COUNT; b++)
            if (a->bad[b])
                fprintf(f, "%s\"%s\": %" PRIu64, n++ ? ", " : "",
                        lg_bad_name(b), a->bad[b]);
        fputc('}', f);
        key(f, &first, "bad_samples");
        fputc('[', f);
        n = 0;
        for (int b = 1; b < LG_BAD_COUNT; b++)
            for (int k = 0; k < a->nsamples[b]; k++) {
                const lg_sample *s = &a->samples[b][k];
                const char *path = job->in.v[s->file].path;
                fprintf(f, "%s\n    {\"reason\": \"%s\", \"file\": ",
                        n++ ? "," : "", lg_bad_name(b));
                lg_json_str(f, path, strlen(path));
                fprintf(f, ", \"line\": %" PRIu64 ", \"text\": ", s->line);
                lg_json_str(f, s->text, s->text_len);
                fputc('}', f);
            }
        fputs(n ? "\n  ]" : "]", f);
    }
    if (lg_report_has(r, LG_PANEL_FILES)) {
        key(f, &first, "files");
        fputc('[', f);
        for (size_t i = 0; i < a->nfiles; i++) {
            const lg_file_stat *fs = &a->files[i];
            const lg_input *in = &job->in.v[i];
            const lg_format *fm = job->fmts[job->file_fmt[i]];
            fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
            lg_json_str(f, in->path, strlen(in->path));
            fprintf(f,
                    ", \"format\": \"%s\", \"compression\": \"%s\", \"lines\": "
                    "%" PRIu64 ", \"requests\": %" PRIu64
                    ", \"bad_lines\": %" PRIu64 ", \"error\": ",
                    fm ? lg_format_name(fm) : "?", lg_comp_name(in->comp),
                    fs->lines, fs->requests, fs->bad);
            if (fs->err)
                lg_json_str(f, fs->errmsg, strlen(fs->errmsg));
            else
                fputs("null", f);
            fputc('}', f);
        }
        fputs(a->nfiles ? "\n  ]" : "]", f);
    }
    fputs("\n}\n", f);
    if (fflush(f) != 0 || ferror(f))
        return -(errno ? errno : EIO);
    return 0;
}
