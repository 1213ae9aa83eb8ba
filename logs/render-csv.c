/* render-csv.c - report panels as RFC 4180 CSV: one panel to stdout, or
 * every shown panel as <dir>/<panel>.csv.  Rows end with CRLF as the RFC
 * says; the first row names the columns.  Strings from logs and file
 * names go through lg_esc_csv (formula guard unless --csv-raw); numbers,
 * times and names pipefan makes are written as they are.
 */
#include "render-csv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"
#include "outfile.h"
#include "rank.h"
#include "render.h"
#include "timefmt.h"

#define EOL "\r\n"

static void time_cell(FILE *f, int64_t ts, int32_t off)
{
    char buf[32];
    if (ts != LG_NO_TIME) {
        lg_time_format_iso(ts, off, 0, buf);
        fputs(buf, f);
    }
}

/* A panel of rows: key, hits, bytes (+ clients or country). */
static void write_rows(const lg_report *r, const lg_panel_info *pi, FILE *f,
                       int esc)
{
    int id = pi->table;
    size_t n = lg_report_shown(r, id);
    int clients = id == LG_TAB_PATHS && r->path_clients;
    int hosts = id == LG_TAB_CLIENTS && r->hosts; /* --resolve */
    fprintf(f, "%s,hits,bytes%s%s%s" EOL, pi->row_key,
            clients ? ",clients" : "", id == LG_TAB_CLIENTS ? ",country" : "",
            hosts ? ",host" : "");
    for (size_t i = 0; i < n; i++) {
        const lg_ent *e = r->rows[id][i];
        if (pi->kind == LG_PANEL_KIND_BUCKETS) {
            char buf[32];
            lg_bucket_text(id, lg_ent_bucket(e), buf);
            fputs(buf, f);
        } else {
            lg_esc_csv(f, e->key, e->klen, esc);
        }
        fprintf(f, ",%" PRIu64 ",%" PRIu64, e->hits, e->bytes);
        if (clients)
            fprintf(f, ",%" PRIu32, e->aux);
        if (id == LG_TAB_CLIENTS)
            fprintf(f, ",%s", lg_report_country(r, e));
        const char *h;
        size_t hn;
        if (hosts) {
            fputc(',', f);
            if (lg_report_host(r, e, &h, &hn))
                lg_esc_csv(f, h, hn, esc);
        }
        fputs(EOL, f);
    }
}

static void write_totals(const lg_report *r, FILE *f)
{
    const lg_totals *a = r->tot;
    fprintf(f,
            "requests,%" PRIu64 EOL "bad_lines,%" PRIu64 EOL
            "bytes,%" PRIu64 EOL "%sunique_clients,%" PRIu64 EOL
            "unique_paths,%" PRIu64 EOL "lines,%" PRIu64 EOL
            "ignored_lines,%" PRIu64 EOL "filtered,%" PRIu64 EOL "first,",
            a->requests, a->bad_lines, a->bytes,
            a->bytes == LG_BYTES_SATURATED ? "bytes_saturated,1" EOL : "",
            r->unique_clients, r->unique_paths, a->lines, a->ignored,
            a->filtered);
    time_cell(f, a->first_ts, a->first_off);
    fputs(EOL "last,", f);
    time_cell(f, a->last_ts, a->last_off);
    fputs(EOL, f);
}

static void write_files(const lg_report *r, FILE *f, int esc)
{
    for (size_t i = 0; i < r->nfiles; i++) {
        const lg_file_stat *fs = &r->files[i];
        const lg_input *in = &r->job->in.v[i];
        const lg_format *fm = r->job->fmts[r->job->file_fmt[i]];
        lg_esc_csv(f, in->path, strlen(in->path), esc);
        fprintf(f, ",%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
                fm ? lg_format_name(fm) : "", lg_comp_name(in->comp), fs->lines,
                fs->requests, fs->bad);
        lg_esc_csv(f, fs->errmsg, strlen(fs->errmsg), esc);
        fputs(EOL, f);
    }
}

static void write_panel(const lg_report *r, int panel, FILE *f)
{
    const lg_panel_info *pi = &lg_panel_table[panel];
    int esc = r->job->cfg->csv_raw ? 0 : LG_ESC_CSV_GUARD;
    if (pi->kind != LG_PANEL_KIND_OTHER) {
        write_rows(r, pi, f, esc);
        return;
    }
    fputs(pi->csv_head, f);
    fputs(EOL, f);
    switch (panel) {
    case LG_PANEL_TOTALS:
        write_totals(r, f);
        break;
    case LG_PANEL_STATUS:
        for (int c = 0; c < LG_STATUS_MAX; c++)
            if (r->status[c].hits)
                fprintf(f, "%d,%" PRIu64 ",%" PRIu64 EOL, c, r->status[c].hits,
                        r->status[c].bytes);
        break;
    case LG_PANEL_COUNTRIES: {
        size_t n = r->ncountries;
        if (r->top && r->top < n)
            n = r->top;
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 EOL,
                    r->countries[i].code, r->countries[i].hits,
                    r->countries[i].bytes, r->countries[i].clients);
        break;
    }
    case LG_PANEL_BAD:
        for (int b = 1; b < LG_BAD_COUNT; b++)
            if (r->tot->bad[b])
                fprintf(f, "%s,%" PRIu64 EOL, lg_bad_name(b), r->tot->bad[b]);
        break;
    case LG_PANEL_FILES:
        write_files(r, f, esc);
        break;
    default:
        break;
    }
}

int lg_render_csv(const lg_report *r, FILE *out, const char *target, char *err,
                  size_t errlen)
{
    int panel = lg_panel_find(target);
    if (panel >= 0) {
        write_panel(r, panel, out);
        if (fflush(out) != 0 || ferror(out))
            return -EIO;
        return 0;
    }
    char shown[512]; /* the target as messages show it */
    lg_esc_name(target, shown, sizeof shown);
    int dir = lg_outdir_open(target);
    if (dir < 0) {
        snprintf(err, errlen, "%s: %s", shown, strerror(-dir));
        return dir;
    }
    int rc = 0;
    for (int p = 0; p < LG_PANEL_COUNT && rc == 0; p++) {
        char name[64];
        lg_outfile o;
        if (!lg_report_has(r, p))
            continue;
        snprintf(name, sizeof name, "%s.csv", lg_panel_name(p));
        rc = lg_outfile_open(&o, dir, name);
        if (rc == 0) {
            write_panel(r, p, o.f);
            rc = lg_outfile_commit(&o);
        }
        if (rc < 0)
            snprintf(err, errlen, "%s/%s: %s", shown, name, strerror(-rc));
    }
    close(dir);
    return rc;
}
