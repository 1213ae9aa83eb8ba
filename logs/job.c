/* job.c - set up and run one pipefan logs job (job.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agg.h"
#include "detect.h"
#include "esc.h"
#include "hash.h"
#include "mem.h"
#include "progress.h"
#include "render-text.h"
#include "split.h"
#include "state-run.h"

/* Built-in formats of slots 1..LG_FMT_SLOTS-1. */
static const char *const slot_names[LG_FMT_SLOTS] = {
    NULL,           "combined",   "common",       "vhost_combined",
    "vhost_common", "w3c",        "alb",          "elb",
    "s3",           "squid",      "traefik",      "haproxy",
    "caddy",        "nginx_json", "traefik_json", "gandi",
};

const char *lg_job_slot_name(int slot)
{
    return slot > 0 && slot < LG_FMT_SLOTS ? slot_names[slot] : NULL;
}

int lg_job_fmt_slot(const lg_job *job, const lg_format *f)
{
    if (f && job->fmts[LG_FMT_USER] == f)
        return LG_FMT_USER;
    for (int i = 1; i < LG_FMT_SLOTS; i++)
        if (f && job->fmts[i] == f)
            return i;
    return 1;
}

/* Detect the format of input i from its first 64 KiB (decompressed). */
static int detect_file(lg_job *job, size_t i)
{
    const lg_input *in = &job->in.v[i];
    static char buf[64 * 1024];
    size_t n = 0;
    lg_stream *s = NULL;
    const lg_format *f = NULL;
    int fd = open(in->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    if (lg_stream_open(&s, fd, in->comp, 0, sizeof buf) == 0) {
        while (n < sizeof buf) {
            ssize_t r = lg_stream_read(s, buf + n, sizeof buf - n);
            if (r <= 0)
                break;
            n += (size_t)r;
        }
        lg_stream_close(s);
    }
    close(fd);
    /* cut at the last line end so detect sees whole lines */
    char *nl = n ? memrchr(buf, '\n', n) : NULL;
    if (nl && n == sizeof buf)
        n = (size_t)(nl - buf) + 1;
    int ok = lg_detect(buf, n, &f);
    if (ok == 0 && n > 0) {
        char name[512];
        pf_log(NULL, PF_LOG_WARN,
               "%s: format not recognised, assuming combined",
               lg_esc_name(in->path, name, sizeof name));
    }
    return lg_job_fmt_slot(job, f);
}

static int setup_formats(lg_job *job, char *err, size_t errlen)
{
    const lg_config *cfg = job->cfg;
    for (int i = 1; i < LG_FMT_SLOTS; i++)
        job->fmts[i] = lg_format_builtin(slot_names[i]);
    job->file_fmt = calloc(job->in.n ? job->in.n : 1, 1);
    if (!job->file_fmt)
        return -ENOMEM;
    if (cfg->format) {
        const lg_format *b = lg_format_builtin(cfg->format);
        if (b) {
            job->fmts[LG_FMT_USER] = b;
        } else {
            char e[256] = "";
            int rc =
                lg_format_compile(cfg->format, &job->user_fmt, e, sizeof e);
            if (rc < 0) {
                snprintf(err, errlen, "--format: %s", e[0] ? e : strerror(-rc));
                return rc;
            }
            job->fmts[LG_FMT_USER] = job->user_fmt;
        }
        /* LG_FMT_USER is 0: calloc already chose it for every input */
        return 0;
    }
    for (size_t i = 0; i < job->in.n; i++)
        job->file_fmt[i] = job->in.v[i].is_stream || job->in.v[i].err
                               ? 1
                               : (uint8_t)detect_file(job, i);
    return 0;
}

void lg_job_mem_limit(const lg_job *job)
{
    size_t max = job->cfg->max_memory;
    size_t parts = (size_t)(job->cfg->jobs > 0 ? job->cfg->jobs : 1) + 1;
    if (max)
        lg_mem_set_limit((int)getpid() == job->caller_pid ? max : max / parts);
}

int lg_job_oom(pf_ctx *ctx, const lg_job *job, const char *what)
{
    static int said;
    if (said++)
        return -ENOMEM;
    char cap[96] = "";
    if (lg_mem_limit_hit()) {
        snprintf(cap, sizeof cap, ", its --max-memory share is %.1f MiB",
                 (double)lg_mem_limit() / (1 << 20));
        if (job->sh)
            atomic_store(&job->sh->mem_capped, 1);
    }
    pf_log(ctx, PF_LOG_ERROR, "out of memory %s (%.1f MiB of tables held%s)",
           what, (double)lg_mem_in_use() / (1 << 20), cap);
    return -ENOMEM;
}

/* Name the chunks quarantined during the run: the dead-letter entries
 * written past byte `from` of the file (pf_dead_letter_next), decoded as
 * chunk descriptors. */
static void describe_dead_letters(const lg_job *job, const char *path,
                                  off_t from)
{
    pf_dead_letter_file *f;
    pf_dead_letter e;
    if (pf_dead_letter_open(path, (uint64_t)from, &f) != 0)
        return;
    while (pf_dead_letter_next(f, &e) == 1) {
        lg_chunk c;
        memset(&c, 0, sizeof c);
        if (e.len >= sizeof c)
            memcpy(&c, e.record, sizeof c);
        if (strcmp(e.stage, "parse") != 0 || c.magic != LG_CHUNK_MAGIC ||
            c.file >= job->in.n)
            continue;
        char name[512];
        lg_esc_name(job->in.v[c.file].path, name, sizeof name);
        if (c.kind == LG_CHUNK_RANGE)
            pf_log(NULL, PF_LOG_ERROR,
                   "quarantined, not counted: %s bytes %llu-%llu", name,
                   (unsigned long long)c.offset,
                   (unsigned long long)(c.offset + c.length));
        else if (c.kind == LG_CHUNK_FILE)
            pf_log(NULL, PF_LOG_ERROR,
                   "quarantined, not counted: %s (the whole file)", name);
        else
            pf_log(NULL, PF_LOG_ERROR,
                   "quarantined, not counted: standard input from line %llu",
                   (unsigned long long)c.line);
    }
    pf_dead_letter_close(f);
}

/* The plain input split four ways per worker, within the bounds. */
static size_t auto_chunk(const lg_job *job)
{
    uint64_t plain = 0;
    for (size_t i = 0; i < job->in.n; i++)
        if (job->in.v[i].comp == LG_COMP_NONE)
            plain += job->in.v[i].size;
    uint64_t c =
        plain / (4 * (uint64_t)(job->cfg->jobs > 0 ? job->cfg->jobs : 1));
    if (c < LG_CHUNK_MIN)
        c = LG_CHUNK_MIN;
    if (c > LG_CHUNK_MAX)
        c = LG_CHUNK_MAX;
    return (size_t)c;
}

static int filter_wanted(const lg_filter_opts *o)
{
    return o->since || o->until || o->n_status || o->n_include ||
           o->n_exclude || o->exclude_static || o->n_clients;
}

/* Expand the FILE arguments into job->in.  An argument that names nothing
 * readable is said on stderr and kept as an entry with its error, so the
 * report lists it and counts it in file_errors; a file named again is
 * said and counted once.  0, or -ENOMEM, or -ENOENT with err set when no
 * readable input is left. */
static int expand_inputs(lg_job *job, char *const *files, int nfiles, char *err,
                         size_t errlen)
{
    char e[512];
    for (int i = 0; i < nfiles; i++) {
        size_t dups = job->in.n_dups, from = job->in.n;
        e[0] = 0;
        int r = lg_inputs_add(&job->in, files[i], e, sizeof e);
        if (r == -ENOMEM)
            return r;
        if (r < 0) {
            fprintf(stderr, "pipefan logs: %s\n", e);
            if (lg_inputs_add_failed(&job->in, files[i], r) < 0)
                return -ENOMEM;
            continue;
        }
        if (job->in.n_dups > dups)
            fprintf(stderr, "pipefan logs: %s\n", e);
        for (size_t k = from; k < job->in.n; k++) /* of a directory, glob */
            if (job->in.v[k].err)
                fprintf(stderr, "pipefan logs: %s: %s (skipped)\n",
                        lg_esc_name(job->in.v[k].path, e, sizeof e),
                        strerror(-job->in.v[k].err));
    }
    if (job->in.n == job->in.n_failed) {
        snprintf(err, errlen,
                 job->in.n_failed ? "no readable input" : "no input files");
        return -ENOENT;
    }
    return 0;
}

/* What the run found, into res (res->rc already set). */
static void collect_result(lg_job *job, pf_pipeline *p, lg_result *res)
{
    res->signal = pf_run_signal(p);
    res->strict_failed = atomic_load(&job->sh->strict_hit);
    res->requests = job->sh->requests;
    res->bad_lines = job->sh->bad_lines;
    res->file_errors = job->sh->file_errors;
    res->report_written = atomic_load(&job->sh->sink_done);
    res->mem_capped = atomic_load(&job->sh->mem_capped);
    if (res->strict_failed)
        fprintf(stderr, "pipefan logs: --strict: %s\n", job->sh->strict_msg);
    for (size_t i = 0; job->filter && i < lg_filter_regex_count(job->filter);
         i++) { /* regexes that gave up on lines (issue 19) */
        char m[512];
        if (lg_filter_undecided_message(job->filter, i, m, sizeof m))
            pf_log(NULL, PF_LOG_WARN, "%s", m);
    }
    for (int i = 0; i < pf_pipeline_stages(p); i++) {
        pf_stage_stats ss;
        if (pf_pipeline_stage_stats(p, i, &ss) == 0) {
            res->restarts += ss.total.restarts;
            res->quarantined += ss.total.quarantined;
        }
    }
}

/* --state: keep the state the sink staged only when every chunk was
 * counted and the report written.  A rank of a scale-out job hands its
 * aggregate on instead. */
static void save_state(lg_job *job, lg_result *res)
{
    char e[1024];
    if (job->cfg->scale) { /* a rank of several: no state (SCALE-OUT.md) */
        job->cfg->scale->finish(job, res, job->cfg->scale->arg);
        return;
    }
    int keep = res->rc == 0 && !res->signal && !res->strict_failed &&
               res->report_written && !res->quarantined;
    if (lg_state_run_commit(job, keep, e, sizeof e) < 0) {
        pf_log(NULL, PF_LOG_ERROR, "%s", e);
        res->state_err = 1;
    } else if (job->st && keep && !job->sh->state_tmp[0]) {
        res->state_err = 1; /* the sink could not stage it (said) */
    }
}

/* The runtime's options for a logs job. */
static void set_options(const lg_config *cfg, pf_pipeline *p)
{
    pf_options o;
    pf_options_init(&o);
    o.retries = cfg->retries;
    o.stall_ms = cfg->stall_ms;
    o.dead_letter = cfg->dead_letter;
    o.poison = cfg->poison;
    o.max_record = 1u << 30; /* a partial aggregate is one record */
    o.batch_bytes = 64;      /* descriptors are small: deal them out at once */
    /* Queues of 1 MiB, not the automatic 4: a partial bigger than half a
     * queue goes as fragments, which the sink joins, but each 4 KiB of a
     * queue is a page that both sides map in (dear on a paravirtualised
     * MMU; with 4 MiB queues a 2-worker run maps 2,000 more pages, see
     * docs/BENCHMARKS-logs.md); a descriptor or a stdin chunk still fits
     * whole. */
    o.ring_bytes = LG_RING_BYTES;
    o.serial = cfg->serial;
    o.progress = 0; /* ours instead: input bytes, not records */
    o.stop_signals = 1;
    pf_pipeline_set_options(p, &o);
}

_Static_assert(LG_DATA_CHUNK + 4096 <= LG_RING_BYTES / 2,
               "a stdin chunk goes whole through a queue");

/* The pipeline of a job: split -> parse x jobs -> merge; NULL when out of
 * memory. */
static pf_pipeline *build_pipeline(lg_job *job)
{
    const lg_config *cfg = job->cfg;
    pf_pipeline *p = pf_pipeline_new();
    if (!p)
        return NULL;
    pf_stage *src = pf_source(p, "split", lg_split_source, job);
    pf_stage *parse = pf_stage_add(p, "parse", lg_scan_chunk, job);
    pf_stage *sink = pf_stage_add(p, "merge", lg_merge_partial, job);
    pf_stage_distribution(src, PF_DIST_LEAST_LOADED);
    pf_stage_workers(parse, cfg->jobs > 0 ? cfg->jobs : 1);
    /* a worker holds the chunk it counts and the next one, no more, so
     * the workers finish within a chunk of each other whatever each
     * chunk costs (the source deals descriptors by the hundred else) */
    pf_stage_prefetch(parse, 2);
    /* with a worker per CPU, bind each to its own: left to the scheduler,
     * two workers were seen sharing one CPU for milliseconds while the
     * other idled or ran the sink (docs/BENCHMARKS-logs.md) */
    pf_stage_pin(parse, 1);
    /* parse workers keep nothing across batches: restartable */
    pf_stage_hooks(parse, lg_scan_init, NULL);
    pf_stage_batch_hook(parse, lg_scan_batch);
    pf_stage_data_free(parse, lg_scan_free);
    pf_stage_hooks(sink, lg_merge_init, lg_merge_finish);
    for (size_t i = 0; i < job->in.n; i++)
        if (job->in.v[i].is_stream)
            pf_stage_restartable(src, 0); /* a stream cannot be read twice */
    set_options(cfg, p);
    return p;
}

int lg_logs_run(const lg_config *cfg, char *const *files, int nfiles,
                lg_result *res, char *err, size_t errlen)
{
    lg_job *job = calloc(1, sizeof *job);
    pf_pipeline *p = NULL;
    lg_progress prog = {0};
    int rc = 0;
    char e[512];

    memset(res, 0, sizeof *res);
    if (!job)
        return -ENOMEM;
    job->cfg = cfg;
    job->out_fd = cfg->out_fd > 0 ? cfg->out_fd : 1;
    job->caller_pid = (int)getpid();
    /* the tables' hash secret, drawn here so every worker forked from
     * this process shares it (hash.h) */
    if (lg_hash_seed_random() < 0)
        pf_log(NULL, PF_LOG_WARN, "no random hash secret: tables unkeyed");
    job->panels = cfg->panels ? cfg->panels : LG_PANELS_ALL;
    job->tabs_on = lg_panels_tables(job->panels);

    /* the options first: a mistake in one is said before any input
     * is looked at */
    if (filter_wanted(&cfg->filter)) {
        rc = lg_filter_new(&cfg->filter, &job->filter, e, sizeof e);
        if (rc < 0) {
            snprintf(err, errlen, "%s", e);
            goto out;
        }
        if (lg_filter_is_empty(job->filter)) {
            lg_filter_free(job->filter);
            job->filter = NULL;
        }
    }
    if (cfg->geoip_db) {
        rc = lg_geoip_open(cfg->geoip_db, &job->geoip, e, sizeof e);
        if (rc < 0) {
            snprintf(err, errlen, "--geoip-db: %s", e[0] ? e : strerror(-rc));
            goto out;
        }
    } else if (job->panels &
               ((1u << LG_PANEL_COUNTRIES) | (1u << LG_PANEL_CLIENTS))) {
        if (lg_geoip_open(NULL, &job->geoip, NULL, 0) < 0)
            job->geoip = NULL;
    }
    if ((rc = expand_inputs(job, files, nfiles, err, errlen)) < 0)
        goto out;
    if ((rc = setup_formats(job, err, errlen)) < 0)
        goto out;
    if (cfg->scale && /* a rank of several: its share (job.h) */
        (rc = cfg->scale->prepare(job, cfg->scale->arg, err, errlen)) < 0)
        goto out;
    if ((rc = lg_state_run_prepare(job, err, errlen)) < 0)
        goto out;
    job->chunk_size = cfg->chunk_size ? cfg->chunk_size : auto_chunk(job);
    job->sh = mmap(NULL, sizeof *job->sh, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (job->sh == MAP_FAILED) {
        job->sh = NULL;
        rc = -errno;
        goto out;
    }

    p = build_pipeline(job);
    if (!p) {
        rc = -ENOMEM;
        goto out;
    }
    int want_prog = cfg->progress < 0 ? isatty(2) : cfg->progress;
    if (want_prog) {
        job->progress = 1;
        prog.job = job;
        pf_pipeline_on_progress(p, lg_progress_cb, &prog);
    }

    struct stat dl_st;
    off_t dl_from = 0;
    if (cfg->dead_letter && stat(cfg->dead_letter, &dl_st) == 0)
        dl_from = dl_st.st_size;

    res->rc = pf_run(p);
    collect_result(job, p, res);
    save_state(job, res);
    if (res->quarantined && cfg->dead_letter)
        describe_dead_letters(job, cfg->dead_letter, dl_from);
    if (cfg->stats) {
        lg_render_stats(p, stderr);
        lg_peak_note(&job->sh->peak, LG_PEAK_CALLER);
        lg_peak_render(&job->sh->peak, stderr);
    }
    rc = 0;
out:
    pf_pipeline_free(p);
    lg_merge_discard(job); /* a failed serial run's sink */
    lg_state_run_free(job);
    if (job->sh)
        munmap(job->sh, sizeof *job->sh);
    lg_geoip_close(job->geoip);
    lg_filter_free(job->filter);
    lg_format_free(job->user_fmt);
    free(job->file_fmt);
    lg_inputs_free(&job->in);
    free(job);
    return rc;
}
