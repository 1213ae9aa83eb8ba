/* merge.c - the sink: merge the parse workers' partial aggregates, rank,
 * and write the report.
 *
 * Partials may arrive in any order and from any number of workers; the
 * merged counts are exact and the ranking's tie-breaks depend only on the
 * keys (agg.h), so the report is the same for every -j and chunk size.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "agg-save.h"
#include "agg-wire.h"
#include "agg.h"
#include "rank.h"
#include "job.h"
#include "progress.h"
#include "render-csv.h"
#include "render-html.h"
#include "render-json.h"
#include "render-text.h"
#include "state-run.h"

typedef struct lg_sink {
    lg_agg *agg;
    uint64_t partials;
} lg_sink;

int lg_merge_init(pf_ctx *ctx, void *arg)
{
    lg_job *job = arg;
    lg_job_mem_limit(job);
    job->sink = calloc(1, sizeof *job->sink);
    if (!job->sink)
        return lg_job_oom(ctx, job, "in merge: starting the sink");
    /* the report shows the clients of its first --top paths only */
    job->sink->agg = lg_agg_new_sink(
        job->in.n, job->tabs_on, (job->panels & (1u << LG_PANEL_PATHS)) != 0,
        job->cfg->top > 0 ? (size_t)job->cfg->top : 0);
    if (!job->sink->agg) {
        free(job->sink);
        job->sink = NULL;
        return lg_job_oom(ctx, job, "in merge: starting the sink");
    }
    return 0;
}

void lg_merge_discard(lg_job *job)
{
    if (!job->sink)
        return;
    lg_agg_free(job->sink->agg);
    free(job->sink);
    job->sink = NULL;
}

int lg_merge_partial(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    lg_job *job = arg;
    int rc = lg_agg_merge(job->sink->agg, rec, len);
    if (rc == -ENOMEM)
        return lg_job_oom(ctx, job, "in merge: merging a partial aggregate");
    if (rc < 0) {
        pf_log(ctx, PF_LOG_ERROR,
               "merge: bad partial aggregate (%zu bytes): %s", len,
               lg_wire_strerror(rc));
        return rc;
    }
    job->sink->partials++;
    return 0;
}

/* Newlines in bytes [0, upto) of a plain file, or -1. */
static int64_t count_newlines(int fd, uint64_t from, uint64_t upto,
                              int64_t have)
{
    static char buf[1 << 16];
    uint64_t pos = from;
    int64_t n = have;
    while (pos < upto) {
        size_t want =
            upto - pos < sizeof buf ? (size_t)(upto - pos) : sizeof buf;
        ssize_t r = pread(fd, buf, want, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        for (const char *p = buf, *end = buf + r;
             (p = memchr(p, '\n', (size_t)(end - p))); p++)
            n++;
        pos += (uint64_t)r;
    }
    return n;
}

static int nsamples(lg_agg *a, int reason)
{
    int n;
    lg_agg_samples(a, reason, &n);
    return n;
}

static lg_sample *sample(lg_agg *a, int reason, int k)
{
    int n;
    return &lg_agg_samples(a, reason, &n)[k];
}

/* Turn chunk-relative line numbers of the kept samples into absolute ones:
 * count the newlines before each chunk start, once per input, in order. */
static void resolve_lines(const lg_job *job, lg_agg *a)
{
    for (size_t f = 0; f < job->in.n; f++) {
        int fd = -1;
        uint64_t pos = 0;
        int64_t nl = 0;
        for (;;) {
            /* the sample of this file with the smallest unresolved base */
            lg_sample *next = NULL;
            for (int r = 1; r < LG_BAD_COUNT; r++)
                for (int k = 0; k < nsamples(a, r); k++) {
                    lg_sample *s = sample(a, r, k);
                    if (s->file == f && s->line_base &&
                        (!next || s->line_base < next->line_base))
                        next = s;
                }
            if (!next)
                break;
            if (fd < 0 &&
                (fd = open(job->in.v[f].path, O_RDONLY | O_CLOEXEC)) < 0)
                nl = -1;
            if (nl >= 0) {
                nl = count_newlines(fd, pos, next->line_base, nl);
                pos = next->line_base;
            }
            uint64_t base = next->line_base;
            for (int r = 1; r < LG_BAD_COUNT; r++)
                for (int k = 0; k < nsamples(a, r); k++) {
                    lg_sample *s = sample(a, r, k);
                    if (s->file == f && s->line_base == base) {
                        s->line = nl >= 0 ? s->line + (uint64_t)nl : 0;
                        s->line_base = 0;
                    }
                }
        }
        if (fd >= 0)
            close(fd);
    }
}

/* Scale-out: the whole aggregate as one partial into job->export_fd,
 * for the rank process to send on (job.h). */
static int export_agg(const lg_job *job, lg_agg *a)
{
    lg_buf b = {0};
    int rc = lg_agg_save(a, job->export_fmap, job->export_nout, &b);
    for (size_t at = 0; rc == 0 && at < b.n;) {
        ssize_t w = pwrite(job->export_fd, b.p + at, b.n - at, (off_t)at);
        if (w < 0 && errno != EINTR)
            rc = -errno;
        else if (w > 0)
            at += (size_t)w;
    }
    lg_buf_free(&b);
    return rc;
}

static int term_width(int fd)
{
    const char *c = getenv("COLUMNS");
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if (c && atoi(c) > 0)
        return atoi(c);
    return 100;
}

int lg_merge_write_report(const lg_job *job, lg_agg *a, char *err,
                          size_t errlen)
{
    const lg_config *cfg = job->cfg;
    lg_report rep;
    int rc = lg_report_build(&rep, job, a);
    if (rc < 0)
        return rc;
    /* a reader that went away (| head) is not our error */
    signal(SIGPIPE, SIG_IGN);
    int fd = dup(job->out_fd);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
        lg_report_destroy(&rep);
        return rc;
    }
    lg_progress_handoff(job); /* no frame from now on, none left over */
    switch (cfg->output) {
    case LG_OUT_JSON:
        rc = lg_render_json(&rep, f);
        break;
    case LG_OUT_HTML:
        rc = lg_render_html(&rep, f);
        break;
    case LG_OUT_CSV:
        rc = lg_render_csv(&rep, f, cfg->csv_target ? cfg->csv_target : "paths",
                           err, errlen);
        break;
    default: {
        int color = cfg->color;
        if (color < 0)
            color = isatty(job->out_fd) && !getenv("NO_COLOR");
        int width = cfg->width            ? cfg->width
                    : isatty(job->out_fd) ? term_width(job->out_fd)
                                          : 100;
        rc = lg_render_text(&rep, f, color, width);
        break;
    }
    }
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    lg_report_destroy(&rep);
    return rc;
}

int lg_merge_finish(pf_ctx *ctx, void *arg)
{
    lg_job *job = arg;
    lg_sink *sk = job->sink;
    lg_agg *a = sk->agg;
    char err[512] = "";
    int rc;

    const lg_job *rjob = job;
    if (atomic_load(&job->sh->strict_hit))
        goto out; /* --strict: no report */
    resolve_lines(job, a);
    if (job->cfg->scale) { /* a rank of a scale-out job */
        if ((rc = export_agg(job, a)) < 0)
            goto fail;
        atomic_store(&job->sh->sink_done, 1);
        goto out;
    }
    if (job->st && (rc = lg_state_run_finish(ctx, job, &sk->agg, &rjob)) < 0)
        goto fail_said;
    a = sk->agg; /* --state: every input counted so far */
    if ((rc = lg_agg_finalize(a)) < 0)
        goto fail;
    if ((rc = lg_merge_write_report(rjob, a, err, sizeof err)) < 0)
        goto fail;
    atomic_store(&job->sh->sink_done, 1);
out:
    if (job->cfg->stats) {
        lg_peak_keys(&job->sh->peak, a);
        lg_peak_note(&job->sh->peak, LG_PEAK_SINK);
    }
    job->sh->requests = lg_agg_totals(a)->requests;
    job->sh->bad_lines = lg_agg_totals(a)->bad_lines;
    job->sh->ignored_lines = lg_agg_totals(a)->ignored;
    job->sh->file_errors = 0;
    size_t nf;
    const lg_file_stat *fst = lg_agg_files(a, &nf);
    for (size_t i = 0; i < nf; i++)
        job->sh->file_errors += fst[i].err != 0;
    lg_agg_free(a);
    free(sk);
    job->sink = NULL;
    return 0;
fail:
    if (rc == -ENOMEM) {
        lg_job_oom(ctx, job, "in merge: ranking and writing the report");
        goto fail_said;
    }
    if (rc != -EPIPE)
        pf_log(ctx, PF_LOG_ERROR, "writing the report: %s",
               err[0] ? err : strerror(-rc));
fail_said:
    job->sh->render_err = rc;
    a = sk->agg;
    lg_agg_free(a);
    free(sk);
    job->sink = NULL;
    return rc == -EPIPE ? 0 : rc;
}
