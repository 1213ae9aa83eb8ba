/* state-run.c - a --state run: match the inputs to the state before the
 * run, combine and save after it (state-run.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "state-run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg-save.h"
#include "esc.h"
#include "panels.h"
#include "state.h"
#include "stream.h"

/* What the run knows of one input. */
typedef struct st_probe {
    unsigned char head[LG_STATE_FP_MAX];
    size_t have;  /* bytes in head */
    uint64_t end; /* content end: past the last newline (plain) */
    int ok;       /* probed */
} st_probe;

struct lg_state_run {
    lg_state st;     /* the state loaded, then the inputs of this run added */
    size_t nold;     /* inputs the loaded state had */
    st_probe *probe; /* per run input */
    uint32_t *fmap;  /* run input -> state input */
    lg_job rjob;     /* the report's job (sink) */
    char tmp[128];   /* the staged file's name */
    char *options;
};

/* ---- options ---------------------------------------------------------- */

static int cat(char **s, size_t *n, const char *k, const char *v)
{
    size_t add = strlen(k) + (v ? strlen(v) : 0) + 3;
    char *t = realloc(*s, *n + add);
    if (!t)
        return -1;
    *s = t;
    *n += (size_t)snprintf(t + *n, add, "%s=%s\n", k, v ? v : "");
    return 0;
}

char *lg_state_options(const lg_config *cfg)
{
    const lg_filter_opts *f = &cfg->filter;
    char *s = NULL, tz[16];
    size_t n = 0;
    int bad = 0;
    snprintf(tz, sizeof tz, "%d", (int)f->tz_off);
    bad |= cat(&s, &n, "format", cfg->format ? cfg->format : "auto");
    bad |= cat(&s, &n, "strip-query", cfg->strip_query ? "yes" : "no");
    if (f->since || f->until) {
        bad |= cat(&s, &n, "since", f->since);
        bad |= cat(&s, &n, "until", f->until);
        bad |= cat(&s, &n, "tz", tz);
    }
    for (size_t i = 0; i < f->n_status; i++)
        bad |= cat(&s, &n, "status", f->status[i]);
    for (size_t i = 0; i < f->n_include; i++)
        bad |= cat(&s, &n, "include", f->include[i]);
    for (size_t i = 0; i < f->n_exclude; i++)
        bad |= cat(&s, &n, "exclude", f->exclude[i]);
    if (f->exclude_static)
        bad |= cat(&s, &n, "exclude-static", "yes");
    for (size_t i = 0; i < f->n_clients; i++)
        bad |= cat(&s, &n, "client", f->clients[i]);
    if (bad) {
        free(s);
        return NULL;
    }
    return s;
}

/* ---- probing ------------------------------------------------------------ */

/* Just past the last newline of a plain file of size bytes, or 0. */
static uint64_t last_line_end(int fd, uint64_t size)
{
    char buf[1 << 16];
    uint64_t pos = size;
    while (pos > 0) {
        size_t want = pos < sizeof buf ? (size_t)pos : sizeof buf;
        ssize_t r = pread(fd, buf, want, (off_t)(pos - want));
        if (r != (ssize_t)want)
            return 0;
        char *nl = memrchr(buf, '\n', want);
        if (nl)
            return pos - want + (uint64_t)(nl - buf) + 1;
        pos -= want;
    }
    return 0;
}

/* Fingerprint bytes and content end of a regular file input. */
static void probe(const lg_input *in, st_probe *p)
{
    int fd = open(in->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (in->comp == LG_COMP_NONE) {
        ssize_t r = pread(fd, p->head, sizeof p->head, 0);
        p->have = r > 0 ? (size_t)r : 0;
        if (p->have > in->size)
            p->have = (size_t)in->size;
        p->end = last_line_end(fd, in->size);
        if (p->have > p->end)
            p->have = (size_t)p->end;
        p->ok = 1;
    } else {
        /* a compressed file is read whole to know its length: rotated
         * files are final, so all of it counts (docs/STATE.md) */
        static char buf[1 << 16];
        lg_stream *s = NULL;
        if (lg_stream_open(&s, fd, in->comp, 0, 0) == 0) {
            ssize_t r;
            while ((r = lg_stream_read(s, buf, sizeof buf)) > 0) {
                if (p->have < sizeof p->head) {
                    size_t k = sizeof p->head - p->have;
                    k = k < (size_t)r ? k : (size_t)r;
                    memcpy(p->head + p->have, buf, k);
                    p->have += k;
                }
                p->end += (uint64_t)r;
            }
            p->ok = r == 0;
        }
        lg_stream_close(s);
    }
    close(fd);
}

/* The loaded input that input p continues: the longest fingerprint that
 * matches its first bytes, then the furthest offset; -1 for none. */
static long find_match(const struct lg_state_run *sr, const st_probe *p)
{
    long best = -1;
    for (size_t e = 0; e < sr->nold; e++) {
        const lg_state_input *si = &sr->st.in[e];
        if ((si->flags & LG_STIN_STREAM) || si->fplen == 0 ||
            si->fplen > p->have || lg_state_fp(p->head, si->fplen) != si->fp)
            continue;
        if (best < 0 || si->fplen > sr->st.in[best].fplen ||
            (si->fplen == sr->st.in[best].fplen &&
             si->offset > sr->st.in[best].offset))
            best = (long)e;
    }
    return best;
}

/* Decide input i: which state input it is, and what of it to read. */
static int match_input(lg_job *job, struct lg_state_run *sr, size_t i,
                       uint8_t *claimed)
{
    lg_input *in = &job->in.v[i];
    st_probe *p = &sr->probe[i];
    long e = -1;
    char nb[512], ob[512]; /* the names, escaped for messages */
    const char *name = lg_esc_name(in->path, nb, sizeof nb);
    if (in->is_stream) {
        pf_log(NULL, PF_LOG_WARN,
               "%s: standard input and pipes cannot be recognised by a "
               "later run: counted now, and again if given again",
               name);
    } else if (!in->err) {
        probe(in, p);
        e = p->ok ? find_match(sr, p) : -1;
    }
    if (e >= 0 && claimed[e]) {
        pf_log(NULL, PF_LOG_WARN, "%s: the same content as %s, counted once",
               name, lg_esc_name(sr->st.in[e].name, ob, sizeof ob));
        in->skip = 1;
    } else if (e >= 0 && p->end < sr->st.in[e].offset) {
        pf_log(NULL, PF_LOG_WARN,
               "%s: shrank below what the state counted of it (%llu < %llu "
               "bytes): not counted again",
               name, (unsigned long long)p->end,
               (unsigned long long)sr->st.in[e].offset);
        in->skip = 1;
        claimed[e] = 1;
    } else if (e >= 0) {
        claimed[e] = 1;
        in->start = sr->st.in[e].offset;
        in->skip = in->start >= p->end;
    }
    if (p->ok && in->comp == LG_COMP_NONE)
        in->size = p->end; /* a partial last line waits for its newline */
    if (e < 0 && p->ok && p->end == 0 && in->comp == LG_COMP_NONE) {
        in->skip = 1; /* no whole line yet: nothing to remember */
        sr->fmap[i] = UINT32_MAX;
        return 0;
    }
    if (e < 0) {
        lg_state_input ni = {
            .name = in->path,
            .flags = in->is_stream || in->err || !p->ok ? LG_STIN_STREAM : 0};
        if ((e = lg_state_add(&sr->st, &ni)) < 0)
            return -ENOMEM;
    }
    sr->fmap[i] = (uint32_t)e;
    return 0;
}

int lg_state_run_prepare(lg_job *job, char *err, size_t errlen)
{
    const lg_config *cfg = job->cfg;
    if (!cfg->state)
        return 0;
    struct lg_state_run *sr = calloc(1, sizeof *sr);
    if (!sr)
        return -ENOMEM;
    job->st = sr;
    if (lg_state_clean_stale(cfg->state) > 0)
        pf_log(NULL, PF_LOG_INFO, "%s: removed what a killed run left",
               cfg->state);
    int rc = lg_state_read_head(cfg->state, &sr->st, err, errlen);
    if (rc < 0)
        return rc;
    int loaded = rc;
    sr->options = lg_state_options(cfg);
    if (!sr->options)
        return -ENOMEM;
    if (rc == 1 &&
        strcmp(sr->st.options ? sr->st.options : "", sr->options) != 0) {
        snprintf(err, errlen,
                 "%s: the state was counted with other options; its:\n%s"
                 "this run's:\n%s(use the same options, or another state)",
                 cfg->state, sr->st.options, sr->options);
        return -EINVAL;
    }
    /* a state keeps every table, whatever this run shows */
    job->tabs_on = lg_panels_tables(LG_PANELS_ALL);
    sr->st.tabs_on = job->tabs_on;
    sr->nold = sr->st.n;
    size_t n = job->in.n ? job->in.n : 1;
    uint8_t *claimed = calloc(sr->nold ? sr->nold : 1, 1);
    sr->probe = calloc(n, sizeof *sr->probe);
    sr->fmap = calloc(n, sizeof *sr->fmap);
    if (!claimed || !sr->probe || !sr->fmap) {
        free(claimed);
        return -ENOMEM;
    }
    for (size_t i = 0; i < job->in.n && rc >= 0; i++)
        rc = match_input(job, sr, i, claimed);
    free(claimed);
    if (rc < 0)
        return rc;
    if (loaded) {
        /* decoded once, straight into an aggregate of every input this
         * run will have counted: the run's counts are added to it at the
         * end (lg_state_run_finish) */
        char e[256];
        rc = lg_state_load_agg(&sr->st, sr->st.n, 0, e, sizeof e);
        if (rc < 0) {
            snprintf(err, errlen, "%s: %s",
                     lg_esc_name(cfg->state, (char[512]){0}, 512), e);
            return rc;
        }
    }
    return 0;
}

/* ---- after the run ------------------------------------------------------- */

/* Record what input i of the run counted in its state input. */
static void advance(const lg_job *job, struct lg_state_run *sr, size_t i,
                    const lg_file_stat *fs)
{
    const lg_input *in = &job->in.v[i];
    const st_probe *p = &sr->probe[i];
    lg_state_input *si = &sr->st.in[sr->fmap[i]];
    char *name = strdup(in->path);
    if (name) {
        free(si->name);
        si->name = name;
    }
    si->dev = in->dev;
    si->ino = in->ino;
    si->comp = (uint32_t)in->comp;
    si->fmt = job->file_fmt[i];
    if (in->skip)
        return;
    si->lines += fs->lines;
    if (si->flags & LG_STIN_STREAM) {
        si->offset = si->lines; /* unknown: never matched */
        return;
    }
    si->offset = p->end;
    if (si->fplen < LG_STATE_FP_MAX && si->fplen < p->have) {
        si->fplen = (uint32_t)p->have;
        si->fp = lg_state_fp(p->head, p->have);
    }
}

/* The report's job: the combined inputs by their last names. */
static int report_job(const lg_job *job, struct lg_state_run *sr)
{
    lg_job *r = &sr->rjob;
    size_t n = sr->st.n;
    *r = *job;
    memset(&r->in, 0, sizeof r->in);
    r->in.v = calloc(n ? n : 1, sizeof *r->in.v);
    r->file_fmt = calloc(n ? n : 1, 1);
    if (!r->in.v || !r->file_fmt)
        return -ENOMEM;
    r->in.n = r->in.cap = n;
    for (size_t e = 0; e < n; e++) {
        const lg_state_input *si = &sr->st.in[e];
        r->in.v[e].path = si->name;
        r->in.v[e].comp = (int)si->comp;
        r->in.v[e].size = si->offset;
        r->in.total_bytes += si->offset;
        r->file_fmt[e] =
            si->fmt < LG_FMT_SLOTS && job->fmts[si->fmt] ? (uint8_t)si->fmt : 1;
    }
    return 0;
}

/* --stats: the state's size and what it holds. */
static void say_stats(const lg_job *job, lg_agg *all, int bytes)
{
    const struct lg_state_run *sr = job->st;
    fprintf(stderr, "state: %s: %d bytes, %zu inputs (%zu new this run), keys:",
            job->cfg->state, bytes, sr->st.n, sr->st.n - sr->nold);
    static const char *const tn[LG_TAB_COUNT] = {
        "paths",  "clients",   "methods", "protocols", "referrers",
        "agents", "not_found", "vhosts",  "hours",     "days"};
    for (int id = 0; id < LG_TAB_COUNT; id++)
        fprintf(stderr, " %s %zu", tn[id], lg_agg_keys(all, id));
    fputc('\n', stderr);
}

/* Whether the run's inputs are the state's, one to one in order (a run
 * without a state whose every input is recorded as itself). */
static int same_inputs(const lg_job *job, const struct lg_state_run *sr)
{
    if (sr->nold != 0 || sr->st.n != job->in.n)
        return 0;
    for (size_t i = 0; i < job->in.n; i++)
        if (sr->fmap[i] != i)
            return 0;
    return 1;
}

int lg_state_run_finish(pf_ctx *ctx, lg_job *job, lg_agg **a,
                        const lg_job **rjob)
{
    struct lg_state_run *sr = job->st;
    size_t nf, nn = sr->st.n;
    const lg_file_stat *fs = lg_agg_files(*a, &nf);
    char err[1024];
    lg_agg *all = *a;
    int rc = 0;
    if (sr->st.agg || !same_inputs(job, sr)) {
        /* add the run's counts to the state's (decoded in prepare);
         * without a state the run's aggregate is the state unless some
         * inputs are not recorded or are one */
        all = sr->st.agg;
        if (!all)
            all = lg_agg_new_sink(nn, job->tabs_on, 1, 0);
        sr->st.agg = NULL;
        rc = all ? lg_agg_absorb(all, *a, sr->fmap) : -ENOMEM;
        if (rc < 0) {
            lg_agg_free(all);
            pf_log(ctx, PF_LOG_ERROR, "--state: combining the counts: %s",
                   rc == -ENOMEM ? "out of memory" : "internal error");
            return rc;
        }
    }
    for (size_t i = 0; i < job->in.n && i < nf; i++)
        if (sr->fmap[i] != UINT32_MAX)
            advance(job, sr, i, &fs[i]);
    if (all != *a) {
        lg_agg_free(*a);
        *a = all;
    }
    sr->st.agg = all; /* borrowed for the save below */
    free(sr->st.version);
    sr->st.version = NULL;
    free(sr->st.options);
    sr->st.options = strdup(sr->options);
    rc = sr->st.options ? lg_state_stage(job->cfg->state, &sr->st, sr->tmp,
                                         sizeof sr->tmp, err, sizeof err)
                        : -ENOMEM;
    sr->st.agg = NULL;
    if (rc < 0) {
        pf_log(ctx, PF_LOG_ERROR, "%s", err);
        return rc;
    }
    snprintf(job->sh->state_tmp, sizeof job->sh->state_tmp, "%s", sr->tmp);
    if (job->cfg->stats)
        say_stats(job, all, rc);
    if ((rc = report_job(job, sr)) < 0)
        return rc;
    *rjob = &sr->rjob;
    return 0;
}

int lg_state_run_commit(lg_job *job, int keep, char *err, size_t errlen)
{
    if (!job->st || !job->sh || !job->sh->state_tmp[0])
        return 0;
    return lg_state_commit(job->cfg->state, job->sh->state_tmp, keep, err,
                           errlen);
}

void lg_state_run_free(lg_job *job)
{
    struct lg_state_run *sr = job->st;
    if (!sr)
        return;
    lg_state_free(&sr->st);
    free(sr->probe);
    free(sr->fmap);
    free(sr->rjob.in.v);
    free(sr->rjob.file_fmt);
    free(sr->options);
    free(sr);
    job->st = NULL;
}
