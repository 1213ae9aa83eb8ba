/* state-diff.c - `pipefan logs diff OLD NEW`: what changed between two
 * saved states, or a saved state and live inputs, panel by panel
 * (state-diff.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "state-diff.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rank.h"
#include "esc.h"
#include "render.h"
#include "state.h"

/* One key of a table in both periods. */
typedef struct dkey {
    const lg_ent *o, *n; /* NULL when absent in that period */
    double z;            /* hits change against the overall change */
} dkey;

typedef struct dtab {
    dkey *v;
    size_t n;
} dtab;

static int cmp_ent_key(const void *a, const void *b)
{
    const lg_ent *x = *(const lg_ent *const *)a, *y = *(const lg_ent *const *)b;
    size_t m = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, m);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* Entries of table id by key. */
static const lg_ent **by_key(lg_agg *a, int id, size_t *n)
{
    const lg_ent *e = lg_agg_entries(a, id, n);
    const lg_ent **v = malloc((*n ? *n : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < *n; i++)
        v[i] = &e[i];
    qsort(v, *n, sizeof *v, cmp_ent_key);
    return v;
}

/* Poisson z-score of n hits against o hits scaled by r (the ratio of the
 * periods' requests): (n - r o) / sqrt(n + r^2 o). */
static double zscore(uint64_t o, uint64_t n, double r)
{
    double d = (double)n - r * (double)o, v = (double)n + r * r * (double)o;
    return v > 0 ? d / sqrt(v) : 0;
}

/* Join table id of both periods by key. */
static int join(lg_agg *ao, lg_agg *an, int id, double r, dtab *t)
{
    size_t no, nn, i = 0, j = 0;
    const lg_ent **vo = by_key(ao, id, &no), **vn = by_key(an, id, &nn);
    t->v = calloc(no + nn + 1, sizeof *t->v);
    t->n = 0;
    if (!vo || !vn || !t->v) {
        free(vo);
        free(vn);
        return -ENOMEM;
    }
    while (i < no || j < nn) {
        int c = i == no ? 1 : j == nn ? -1 : cmp_ent_key(&vo[i], &vn[j]);
        dkey *k = &t->v[t->n++];
        k->o = c <= 0 ? vo[i++] : NULL;
        k->n = c >= 0 ? vn[j++] : NULL;
        k->z = zscore(k->o ? k->o->hits : 0, k->n ? k->n->hits : 0, r);
    }
    free(vo);
    free(vn);
    return 0;
}

static uint64_t hits_o(const dkey *k)
{
    return k->o ? k->o->hits : 0;
}

static uint64_t hits_n(const dkey *k)
{
    return k->n ? k->n->hits : 0;
}

static int by_new_hits(const void *a, const void *b)
{
    uint64_t x = hits_n(a), y = hits_n(b);
    return (x < y) - (x > y);
}

static int by_old_hits(const void *a, const void *b)
{
    uint64_t x = hits_o(a), y = hits_o(b);
    return (x < y) - (x > y);
}

static int by_z_desc(const void *a, const void *b)
{
    double x = ((const dkey *)a)->z, y = ((const dkey *)b)->z;
    return (x < y) - (x > y);
}

static int by_z_asc(const void *a, const void *b)
{
    return by_z_desc(b, a);
}

/* The keys of t passing keep, sorted by cmp, at most top of them. */
static size_t pick(const dtab *t, int (*keep)(const dkey *),
                   int (*cmp)(const void *, const void *), size_t top,
                   dkey *out)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (keep(&t->v[i]))
            out[n++] = t->v[i];
    qsort(out, n, sizeof *out, cmp);
    return n < top ? n : top;
}

static int is_new(const dkey *k)
{
    return !k->o && k->n;
}
static int is_gone(const dkey *k)
{
    return k->o && !k->n;
}
static int is_riser(const dkey *k)
{
    return k->o && k->n && k->z > 0;
}
static int is_faller(const dkey *k)
{
    return k->o && k->n && k->z < 0;
}

enum {
    L_NEW,
    L_GONE,
    L_RISE,
    L_FALL,
    L_COUNT
};
static const char *const list_name[L_COUNT] = {"new", "vanished", "risers",
                                               "fallers"};

static void put_key(FILE *f, int json, const lg_ent *e, int id)
{
    char b[32];
    if (id == LG_TAB_HOURS || id == LG_TAB_DAYS) {
        lg_bucket_text(id, lg_ent_bucket(e), b);
        json ? lg_esc_json(f, b, strlen(b)) : (void)fputs(b, f);
    } else if (json) {
        lg_esc_json(f, e->key, e->klen);
    } else {
        lg_esc_term(f, e->key, e->klen, 60);
    }
}

/* One table's four lists. */
static int write_table(FILE *f, int json, int id, const dtab *t, size_t top,
                       int *first)
{
    static int (*const keep[L_COUNT])(const dkey *) = {is_new, is_gone,
                                                       is_riser, is_faller};
    static int (*const cmp[L_COUNT])(const void *, const void *) = {
        by_new_hits, by_old_hits, by_z_desc, by_z_asc};
    dkey *v = malloc((t->n ? t->n : 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    static const char *const tn[] = {
        "paths",  "clients",   "methods", "protocols", "referrers",
        "agents", "not_found", "vhosts",  "hours",     "days"};
    if (json)
        fprintf(f, "%s\n  \"%s\": {", *first ? "" : ",", tn[id]);
    else
        fprintf(f, "\n%s\n", tn[id]);
    *first = 0;
    for (int l = 0; l < L_COUNT; l++) {
        size_t n = pick(t, keep[l], cmp[l], top, v);
        if (json)
            fprintf(f, "%s\"%s\": [", l ? ", " : "", list_name[l]);
        else if (n)
            fprintf(f, "  %s\n", list_name[l]);
        for (size_t i = 0; i < n; i++) {
            const dkey *k = &v[i];
            const lg_ent *e = k->n ? k->n : k->o;
            if (json) {
                fprintf(f, "%s{\"key\": ", i ? ", " : "");
                put_key(f, 1, e, id);
                fprintf(f,
                        ", \"old_hits\": %" PRIu64 ", \"new_hits\": %" PRIu64
                        ", \"old_bytes\": %" PRIu64 ", \"new_bytes\": %" PRIu64
                        ", \"z\": %.2f}",
                        hits_o(k), hits_n(k), k->o ? k->o->bytes : 0,
                        k->n ? k->n->bytes : 0, k->z);
            } else {
                fprintf(f, "    %12" PRIu64 " -> %-12" PRIu64 " z %+8.2f  ",
                        hits_o(k), hits_n(k), k->z);
                put_key(f, 0, e, id);
                fputc('\n', f);
            }
        }
        if (json)
            fputc(']', f);
    }
    if (json)
        fputc('}', f);
    free(v);
    return 0;
}

/* Totals and status classes. */
static void write_totals(FILE *f, int json, lg_agg *ao, lg_agg *an)
{
    const lg_totals *o = lg_agg_totals(ao), *n = lg_agg_totals(an);
    const lg_status_cnt *so = lg_agg_status(ao), *sn = lg_agg_status(an);
    uint64_t co[6] = {0}, cn[6] = {0};
    for (int c = 100; c < 600; c++) {
        co[c / 100] += so[c].hits;
        cn[c / 100] += sn[c].hits;
    }
    size_t uo = lg_agg_keys(ao, LG_TAB_CLIENTS),
           un = lg_agg_keys(an, LG_TAB_CLIENTS);
    if (json) {
        fprintf(f,
                "{\n  \"totals\": {\"requests\": [%" PRIu64 ", %" PRIu64
                "], \"bytes\": [%" PRIu64 ", %" PRIu64
                "], \"unique_clients\": [%zu, %zu], \"bad_lines\": [%" PRIu64
                ", %" PRIu64 "]},\n  \"status_classes\": {",
                o->requests, n->requests, o->bytes, n->bytes, uo, un,
                o->bad_lines, n->bad_lines);
        for (int c = 1; c < 6; c++)
            fprintf(f, "%s\"%dxx\": [%" PRIu64 ", %" PRIu64 "]",
                    c > 1 ? ", " : "", c, co[c], cn[c]);
        fputc('}', f);
        return;
    }
    fputs("Totals (old -> new)\n", f);
    fprintf(f, "  requests        %14" PRIu64 " -> %-14" PRIu64 "\n",
            o->requests, n->requests);
    fprintf(f, "  bytes           %14" PRIu64 " -> %-14" PRIu64 "\n", o->bytes,
            n->bytes);
    fprintf(f, "  unique clients  %14zu -> %-14zu\n", uo, un);
    fprintf(f, "  bad lines       %14" PRIu64 " -> %-14" PRIu64 "\n",
            o->bad_lines, n->bad_lines);
    fprintf(f, "\nStatus classes (share of requests, old -> new)\n");
    for (int c = 1; c < 6; c++) {
        double po = o->requests ? 100.0 * (double)co[c] / (double)o->requests
                                : 0,
               pn = n->requests ? 100.0 * (double)cn[c] / (double)n->requests
                                : 0;
        fprintf(f, "  %dxx  %6.2f%% -> %6.2f%%  (%+.2f points)\n", c, po, pn,
                pn - po);
    }
}

/* lg_logs_diff, with newname naming newp in messages. */
static int diff_states(const lg_config *cfg, const char *oldp, const char *newp,
                       const char *newname, char *err, size_t errlen)
{
    lg_state so = {0}, sn = {0};
    static const int tabs[] = {LG_TAB_PATHS, LG_TAB_CLIENTS, LG_TAB_NOT_FOUND,
                               LG_TAB_HOURS};
    size_t top = cfg->top > 0 ? (size_t)cfg->top : SIZE_MAX;
    int rc = lg_state_read(oldp, &so, 0, err, errlen), json;
    if (rc == 0) {
        snprintf(err, errlen, "%s: no such state file", oldp);
        return -ENOENT;
    }
    if (rc > 0 && (rc = lg_state_read(newp, &sn, 0, err, errlen)) == 0) {
        snprintf(err, errlen, "%s: no such state file", newname);
        rc = -ENOENT;
    }
    if (rc > 0 && strcmp(so.options, sn.options) != 0) {
        snprintf(
            err, errlen,
            "%s and %s were counted with different options; %s:\n%s%s:\n%s",
            oldp, newname, oldp, so.options, newname, sn.options);
        rc = -EINVAL;
    }
    if (rc > 0 && ((rc = lg_agg_finalize(so.agg)) < 0 ||
                   (rc = lg_agg_finalize(sn.agg)) < 0))
        snprintf(err, errlen, "out of memory");
    if (rc >= 0) {
        const lg_totals *to = lg_agg_totals(so.agg),
                        *tn = lg_agg_totals(sn.agg);
        double r =
            to->requests ? (double)tn->requests / (double)to->requests : 1;
        int first = 0;
        json = cfg->output == LG_OUT_JSON;
        write_totals(stdout, json, so.agg, sn.agg);
        for (size_t i = 0; i < sizeof tabs / sizeof tabs[0] && rc >= 0; i++) {
            dtab t = {0};
            rc = join(so.agg, sn.agg, tabs[i], r, &t);
            if (rc == 0)
                rc = write_table(stdout, json, tabs[i], &t, top, &first);
            free(t.v);
        }
        if (json)
            fputs("\n}\n", stdout);
        if (rc < 0)
            snprintf(err, errlen, "out of memory");
        else if (fflush(stdout) != 0)
            rc = -errno;
    }
    lg_state_free(&so);
    lg_state_free(&sn);
    return rc < 0 ? rc : 0;
}

int lg_logs_diff(const lg_config *cfg, const char *oldp, const char *newp,
                 char *err, size_t errlen)
{
    return diff_states(cfg, oldp, newp, newp, err, errlen);
}

int lg_state_is_file(const char *path)
{
    char m[4];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    ssize_t r = read(fd, m, 4);
    close(fd);
    return r == 4 && memcmp(m, "LGST", 4) == 0;
}

/* Run cfg over the live inputs into a fresh state at path, its report
 * thrown away (standard output is /dev/null for the run).  0 or a
 * negative errno with err set. */
static int live_state(const lg_config *cfg, const char *path,
                      char *const *files, int nfiles, char *err, size_t errlen)
{
    lg_config c = *cfg;
    lg_result res;
    c.state = path;
    c.output = LG_OUT_JSON;
    c.stats = 0;
    fflush(stdout);
    int saved = dup(1), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved < 0 || null < 0 || dup2(null, 1) < 0) {
        int e = -errno;
        snprintf(err, errlen, "diff: redirecting the live run: %s",
                 strerror(-e));
        if (saved >= 0)
            close(saved);
        if (null >= 0)
            close(null);
        return e;
    }
    close(null);
    int rc = lg_logs_run(&c, files, nfiles, &res, err, errlen);
    dup2(saved, 1);
    close(saved);
    if (rc == 0 && (res.rc != 0 || res.signal || res.strict_failed ||
                    !res.report_written || res.state_err || res.quarantined)) {
        snprintf(err, errlen, "diff: the live run over the inputs failed");
        rc = -EIO;
    }
    return rc;
}

int lg_logs_diff_live(const lg_config *cfg, const char *oldp,
                      char *const *files, int nfiles, char *err, size_t errlen)
{
    const char *td = getenv("TMPDIR");
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/pipefan-diff.XXXXXX",
             td && *td ? td : "/tmp");
    if (!mkdtemp(dir)) {
        int e = -errno;
        snprintf(err, errlen, "diff: a temporary directory in %s: %s",
                 td && *td ? td : "/tmp", strerror(-e));
        return e;
    }
    snprintf(path, sizeof path, "%s/live.state", dir);
    /* the old state first: a missing or corrupt one is said before any
     * input is read */
    lg_state so = {0};
    int rc = lg_state_read_head(oldp, &so, err, errlen);
    lg_state_free(&so);
    if (rc == 0) {
        snprintf(err, errlen, "%s: no such state file", oldp);
        rc = -ENOENT;
    }
    if (rc > 0)
        rc = live_state(cfg, path, files, nfiles, err, errlen);
    if (rc == 0)
        rc = diff_states(cfg, oldp, path, "the live inputs", err, errlen);
    unlink(path);
    rmdir(dir);
    return rc;
}
