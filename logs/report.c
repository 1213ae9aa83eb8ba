/* report.c - the report view of a ranked aggregate (report.h). */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rank.h"
#include "resolve.h"

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
    lg_geoip *g = r->job->geoip;
    if (!g || !r->nclients)
        return 0;
    r->client_cc = calloc(r->nclients, sizeof *r->client_cc);
    lg_country *cs = calloc(256, sizeof *cs);
    size_t nc = 0, capc = 256;
    if (!r->client_cc || !cs) {
        free(cs);
        return -ENOMEM;
    }
    for (size_t i = 0; i < r->nclients; i++) {
        const lg_ent *e = &r->clients[i];
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
        lg_bytes_add(&cs[k].bytes, e->bytes);
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
    r->panels = job->panels;
    r->top = job->cfg->top > 0 ? (size_t)job->cfg->top : 0;
    r->tot = lg_agg_totals(agg);
    r->status = lg_agg_status(agg);
    r->files = lg_agg_files(agg, &r->nfiles);
    for (int b = 1; b < LG_BAD_COUNT; b++)
        r->samples[b] = lg_agg_samples(agg, b, &r->nsamples[b]);
    r->unique_clients = lg_agg_keys(agg, LG_TAB_CLIENTS);
    r->unique_paths = lg_agg_keys(agg, LG_TAB_PATHS);
    r->has_paths = lg_agg_has_table(agg, LG_TAB_PATHS);
    r->path_clients = lg_agg_tracks_pairs(agg);
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        if (!lg_agg_keys(agg, id))
            continue;
        /* ranked panels show their first --top rows: only those need
         * order (methods and protocols show every row) */
        int p = lg_panel_of_table(id);
        size_t k = p >= 0 && lg_panel_table[p].all_rows ? 0 : r->top;
        r->rows[id] = lg_agg_ranked(agg, id, k, &r->nrows[id]);
        if (!r->rows[id])
            goto nomem;
    }
    r->clients = lg_agg_entries(agg, LG_TAB_CLIENTS, &r->nclients);
    if ((lg_report_has(r, LG_PANEL_COUNTRIES) ||
         lg_report_has(r, LG_PANEL_CLIENTS)) &&
        build_countries(r) < 0)
        goto nomem;
    if (job->cfg->resolve && lg_report_has(r, LG_PANEL_CLIENTS) &&
        lg_resolve_report(r) < 0)
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
    lg_hosts_free(r->hosts, r->nclients);
    memset(r, 0, sizeof *r);
}

size_t lg_report_shown(const lg_report *r, int id)
{
    size_t n = r->nrows[id];
    int p = lg_panel_of_table(id);
    if (p >= 0 && lg_panel_table[p].all_rows)
        return n;
    return r->top && r->top < n ? r->top : n;
}

const char *lg_report_country(const lg_report *r, const lg_ent *client)
{
    if (!r->client_cc || client < r->clients ||
        client >= r->clients + r->nclients)
        return "";
    return r->client_cc[client - r->clients];
}

uint64_t lg_report_file_errors(const lg_report *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->nfiles; i++)
        n += r->files[i].err != 0;
    return n;
}

int lg_report_host(const lg_report *r, const lg_ent *client, const char **name,
                   size_t *len)
{
    if (!r->hosts || client < r->clients || client >= r->clients + r->nclients)
        return 0;
    const lg_host *h = &r->hosts[client - r->clients];
    if (!h->name)
        return 0;
    *name = h->name;
    *len = h->len;
    return 1;
}
