/* state-merge.c - `pipefan logs merge STATE...`: combine saved states
 * into one report, and optionally one state (state-merge.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "state-merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg-save.h"
#include "hash.h"
#include "panels.h"
#include "rank.h"
#include "state.h"

/* The format a state's options name: a built-in, or compiled into *own
 * (the slot of user formats), or NULL for auto. */
static int options_format(const char *opts, lg_format **own,
                          const lg_format **out)
{
    *out = NULL;
    if (!opts || strncmp(opts, "format=", 7) != 0)
        return 0;
    const char *v = opts + 7, *nl = strchr(v, '\n');
    char *name = strndup(v, nl ? (size_t)(nl - v) : strlen(v));
    int rc = 0;
    if (!name)
        return -ENOMEM;
    if (strcmp(name, "auto") != 0) {
        *out = lg_format_builtin(name);
        if (!*out && lg_format_compile(name, own, NULL, 0) == 0)
            *out = *own;
    }
    free(name);
    return rc;
}

/* Warn about inputs two states both counted (the same fingerprint). */
static void warn_twice(lg_state *st, const char *const *names, size_t n)
{
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            for (size_t i = 0; i < st[a].n; i++)
                for (size_t j = 0; j < st[b].n; j++) {
                    const lg_state_input *x = &st[a].in[i], *y = &st[b].in[j];
                    if (x->fplen && x->fplen == y->fplen && x->fp == y->fp)
                        fprintf(stderr,
                                "pipefan logs merge: %s (in %s) and %s (in "
                                "%s) begin with the same bytes: counted in "
                                "both states, so counted twice here\n",
                                x->name, names[a], y->name, names[b]);
                }
}

/* Combine the loaded states into out (its inputs and aggregate). */
static int combine(lg_state *st, size_t n, size_t top, lg_state *out)
{
    size_t total = 0;
    int rc = 0;
    for (size_t k = 0; k < n; k++) {
        total += st[k].n;
        out->tabs_on |= st[k].tabs_on;
    }
    out->agg = lg_agg_new_sink(total, out->tabs_on, 1, top);
    if (!out->agg)
        return -ENOMEM;
    for (size_t k = 0; k < n && rc == 0; k++) {
        uint32_t *fmap = calloc(st[k].n ? st[k].n : 1, sizeof *fmap);
        if (!fmap)
            return -ENOMEM;
        for (size_t i = 0; i < st[k].n && rc == 0; i++) {
            long e = lg_state_add(out, &st[k].in[i]);
            rc = e < 0 ? (int)e : 0;
            fmap[i] = (uint32_t)e;
        }
        if (rc == 0)
            rc = lg_agg_absorb(out->agg, st[k].agg, fmap);
        free(fmap);
    }
    return rc;
}

/* The report's job over the combined inputs. */
static int merge_job(lg_job *job, const lg_config *cfg, const lg_state *all,
                     const lg_format *user)
{
    job->cfg = cfg;
    job->out_fd = cfg->out_fd > 0 ? cfg->out_fd : 1;
    job->panels = cfg->panels ? cfg->panels : LG_PANELS_ALL;
    job->tabs_on = all->tabs_on;
    job->fmts[LG_FMT_USER] = user;
    for (int i = 1; i < LG_FMT_SLOTS; i++)
        job->fmts[i] = lg_format_builtin(lg_job_slot_name(i));
    job->in.v = calloc(all->n ? all->n : 1, sizeof *job->in.v);
    job->file_fmt = calloc(all->n ? all->n : 1, 1);
    if (!job->in.v || !job->file_fmt)
        return -ENOMEM;
    job->in.n = job->in.cap = all->n;
    for (size_t e = 0; e < all->n; e++) {
        const lg_state_input *si = &all->in[e];
        job->in.v[e].path = si->name;
        job->in.v[e].comp = (int)si->comp;
        job->in.v[e].size = si->offset;
        job->in.total_bytes += si->offset;
        job->file_fmt[e] =
            si->fmt < LG_FMT_SLOTS && job->fmts[si->fmt] ? (uint8_t)si->fmt : 1;
    }
    if (cfg->geoip_db)
        lg_geoip_open(cfg->geoip_db, &job->geoip, NULL, 0);
    else if (job->panels &
             ((1u << LG_PANEL_COUNTRIES) | (1u << LG_PANEL_CLIENTS)))
        lg_geoip_open(NULL, &job->geoip, NULL, 0);
    return 0;
}

/* Load every state; they must agree on the options that shape counts. */
static int load_all(const char *const *paths, size_t n, lg_state *st, char *err,
                    size_t errlen)
{
    for (size_t k = 0; k < n; k++) {
        int rc = lg_state_read(paths[k], &st[k], 0, err, errlen);
        if (rc == 0) {
            snprintf(err, errlen, "%s: no such state file", paths[k]);
            return -ENOENT;
        }
        if (rc < 0)
            return rc;
        if (k > 0 && strcmp(st[k].options, st[0].options) != 0) {
            snprintf(err, errlen,
                     "%s and %s were counted with different options, so "
                     "their counts do not add up; %s:\n%s%s:\n%s",
                     paths[0], paths[k], paths[0], st[0].options, paths[k],
                     st[k].options);
            return -EINVAL;
        }
    }
    return 0;
}

int lg_logs_merge(const lg_config *cfg, char *const *paths, int n,
                  lg_result *res, char *err, size_t errlen)
{
    lg_state *st = calloc((size_t)(n > 0 ? n : 1), sizeof *st);
    lg_state all = {0};
    lg_job job = {0};
    lg_format *own = NULL;
    const lg_format *user = NULL;
    char e[512] = "";
    int rc;
    memset(res, 0, sizeof *res);
    if (!st)
        return -ENOMEM;
    lg_hash_seed_random();
    rc = load_all((const char *const *)paths, (size_t)n, st, err, errlen);
    if (rc == 0) {
        warn_twice(st, (const char *const *)paths, (size_t)n);
        rc = combine(st, (size_t)n, cfg->top > 0 ? (size_t)cfg->top : 0, &all);
        if (rc < 0)
            snprintf(err, errlen, "combining the states: %s", strerror(-rc));
    }
    if (rc == 0) {
        all.options = strdup(st[0].options ? st[0].options : "");
        rc = all.options ? options_format(all.options, &own, &user) : -ENOMEM;
    }
    if (rc == 0 && cfg->state &&
        (rc = lg_state_write(cfg->state, &all, err, errlen)) < 0)
        goto out;
    if (rc == 0)
        rc = merge_job(&job, cfg, &all, user);
    if (rc == 0 && (rc = lg_agg_finalize(all.agg)) == 0)
        rc = lg_merge_write_report(&job, all.agg, e, sizeof e);
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "writing the report: %s",
                 e[0] ? e : strerror(-rc));
    if (rc == -EPIPE)
        rc = 0;
    if (rc == 0) {
        const lg_totals *t = lg_agg_totals(all.agg);
        res->report_written = 1;
        res->requests = t->requests;
        res->bad_lines = t->bad_lines;
    }
out:
    lg_geoip_close(job.geoip);
    free(job.in.v);
    free(job.file_fmt);
    lg_format_free(own);
    for (int k = 0; k < n; k++)
        lg_state_free(&st[k]);
    free(st);
    lg_state_free(&all);
    return rc;
}
