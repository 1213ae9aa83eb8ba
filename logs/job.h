/* job.h - one run of pipefan logs: configuration, the pipeline
 * split -> N x parse -> merge, and what the run reports back.
 *
 * The job is built in the calling process before pf_run; every worker
 * process inherits a copy through fork and only reads it, except for the
 * per-process worker state and the small lg_shared block, which lives in
 * shared memory so the caller sees what the workers and the sink found.
 */
#ifndef LOGS_JOB_H
#define LOGS_JOB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <pipefan.h>

#include "filter.h"
#include "format.h"
#include "geoip.h"
#include "input.h"
#include "panels.h"
#include "peak.h"

enum lg_output {
    LG_OUT_TEXT,
    LG_OUT_JSON,
    LG_OUT_CSV,
    LG_OUT_HTML /* render-html.h */
};

/* What the user asked for; plain data, zero it then set fields. */
typedef struct lg_config {
    const char *format;    /* NULL or "auto": detect per input */
    int jobs;              /* parse workers, >= 1 */
    int top;               /* rows per panel, 0 = all */
    unsigned panels;       /* 1u << LG_PANEL_*; 0 = all */
    lg_filter_opts filter; /* borrowed strings */
    int strip_query;
    const char *geoip_db;   /* NULL: the usual Debian paths, if present */
    int output;             /* LG_OUT_* */
    const char *csv_target; /* CSV: a panel name, or a directory */
    int csv_raw;            /* CSV: no ' before a leading = + - @ TAB CR */
    int strict;             /* stop at the first bad line */
    size_t chunk_size;      /* 0 = automatic (split.h) */
    int progress;           /* 1 on, 0 off, -1 when stderr is a TTY */
    int stats;              /* per-stage table on stderr at the end */
    int color;              /* 1 on, 0 off, -1 when stdout is a TTY */
    int width;              /* text width; 0 = the terminal's or 100 */
    int serial;             /* -1 PIPEFAN_SERIAL, 0 processes, 1 serial */
    /* fault tolerance (pf_options): restart a crashed parse worker up to
     * `retries` times per chunk; its batch is replayed, counted once */
    int retries;             /* 0 = fail fast */
    unsigned stall_ms;       /* kill a worker stuck this long on a chunk */
    const char *dead_letter; /* quarantine file for poison chunks, or NULL */
    int poison;              /* PF_POISON_SKIP or PF_POISON_FAIL */
    const char *state;       /* --state FILE (state-run.h), or NULL */
    int out_fd;              /* where the report goes; 0 = stdout (1) */
    size_t max_memory;       /* --max-memory: the tables' bytes, 0 = no cap */
    /* --resolve (resolve.h): host names of the clients by reverse DNS;
     * 0 in the numbers means the default */
    int resolve;                 /* LG_RESOLVE_OFF, _TOP, _ALL */
    int resolve_jobs;            /* lookup workers */
    unsigned resolve_timeout_ms; /* per query */
    unsigned resolve_total_ms;   /* the whole lookup stage */
    const char *resolve_cache;   /* --resolve-cache FILE, or NULL */
    const char *resolve_server;  /* ADDR[:PORT], or NULL: resolv.conf */
    int resolve_confirm;         /* keep only forward-confirmed names */
    /* one rank of a scale-out job (docs/SCALE-OUT.md), or NULL */
    const struct lg_scale *scale;
} lg_config;

/* Shared between the caller and every worker (MAP_SHARED, made before
 * fork).  Writers noted per field. */
typedef struct lg_shared {
    _Atomic uint64_t bytes_done;  /* parse workers: input bytes consumed */
    _Atomic int strict_hit;       /* parse worker that saw the first bad
                                     line under --strict sets it to 1 */
    _Atomic int sink_done;        /* sink: 1 once the report was written */
    _Atomic int mem_capped;       /* any process: --max-memory was hit */
    uint64_t requests, bad_lines; /* sink: final totals */
    uint64_t ignored_lines;       /* sink */
    uint64_t file_errors;         /* sink: inputs that failed part way */
    int render_err;               /* sink: writing the report failed */
    char strict_msg[1024];        /* the strict_hit winner */
    _Atomic int term;             /* the progress line's hold on the
                                     terminal: LG_TERM_* (progress.h) */
    _Atomic int bar_drawn;        /* a progress frame is on the screen */
    char state_tmp[128];          /* sink: the staged state file's name */
    lg_peak peak; /* --stats: every process's peak RSS, the sink's keys */
} lg_shared;

/* Format slots: chunk descriptors carry a slot, not a pointer. */
#define LG_FMT_USER 0
#define LG_FMT_SLOTS 16

struct lg_worker;
struct lg_sink;
struct lg_job;
struct lg_result;

/* A run that is one rank of several (logs/mpi-logs.c): the hooks the
 * job calls in the calling process, never in a worker.  prepare, after
 * the inputs were expanded and their formats found, takes this rank's
 * share of job->in and sets job->export_fd (a file it owns),
 * export_nout and export_fmap; the sink then writes its aggregate
 * (lg_agg_save) to export_fd instead of a report, and finish, after
 * pf_run, reads it there.  prepare returns 0 or a negative errno with
 * err set. */
typedef struct lg_scale {
    int (*prepare)(struct lg_job *job, void *arg, char *err, size_t errlen);
    void (*finish)(struct lg_job *job, struct lg_result *res, void *arg);
    void *arg;
} lg_scale;
struct lg_state_run;

typedef struct lg_job {
    const lg_config *cfg;
    lg_inputs in;
    uint8_t *file_fmt; /* per input: format slot */
    const lg_format *fmts[LG_FMT_SLOTS];
    lg_format *user_fmt; /* owned, when --format was a spec */
    lg_filter *filter;   /* NULL when no filter option */
    lg_geoip *geoip;     /* NULL without a database */
    lg_shared *sh;
    unsigned panels;
    unsigned tabs_on; /* agg tables to fill */
    size_t chunk_size;
    int out_fd;              /* where the report goes (1) */
    int progress;            /* the supervisor draws a progress line */
    struct lg_sink *sink;    /* this process's */
    struct lg_state_run *st; /* --state: the state and the inputs' match */
    int caller_pid;          /* the process that made the job */
    /* scale-out (only with cfg->scale, set by its prepare): the sink's
     * aggregate goes to export_fd as one partial of export_nout inputs, input i
     * as export_fmap[i] (NULL: as it is, export_nout = in.n) */
    int export_fd;
    const uint32_t *export_fmap;
    size_t export_nout;
} lg_job;

/* Slot of a built-in or user format of the job (LG_FMT_USER for a user
 * format), or 1 ("combined") when unknown. */
int lg_job_fmt_slot(const lg_job *job, const lg_format *f);
/* The built-in format name of slot 1..LG_FMT_SLOTS-1, else NULL. */
const char *lg_job_slot_name(int slot);

/* Cap this process's tables (mem.h) at its share of --max-memory: the
 * whole cap in the caller's process (--serial), else an equal share for
 * each parse worker and the sink.  No cap without --max-memory. */
void lg_job_mem_limit(const lg_job *job);
/* Say, once, that this process ran out of memory doing `what` (a
 * message the command turns into its "out of memory" line), with the
 * tables' bytes it held and, when --max-memory's share was what ran out,
 * that share; marks the run as capped then.  Returns -ENOMEM. */
int lg_job_oom(pf_ctx *ctx, const lg_job *job, const char *what);

/* What a run found, for the exit status. */
typedef struct lg_result {
    int rc;     /* pf_run's result */
    int signal; /* SIGINT/SIGTERM that stopped it, or 0 */
    int strict_failed;
    uint64_t requests, bad_lines, file_errors;
    int report_written;
    uint64_t restarts;    /* parse workers restarted after a crash */
    uint64_t quarantined; /* chunks skipped as poison (rc PF_EPOISON) */
    int state_err;        /* --state: the state could not be saved */
    int mem_capped;       /* --max-memory was reached: no report */
} lg_result;

/* Analyse the inputs named by files[0..nfiles) with cfg and write the
 * report to stdout.  Returns 0 when the run happened (see res), or
 * a negative errno with a message in err for setup errors (bad format
 * spec, filter, unreadable input, GeoIP database). */
int lg_logs_run(const lg_config *cfg, char *const *files, int nfiles,
                lg_result *res, char *err, size_t errlen);

/* Parse-stage callbacks (scan.c); arg is the lg_job. */
int lg_scan_init(pf_ctx *ctx, void *arg);
int lg_scan_chunk(pf_ctx *ctx, const void *rec, size_t len, void *arg);
/* The batch hook: send this batch's partial aggregate, empty the tables. */
int lg_scan_batch(pf_ctx *ctx, void *arg);
/* Free one parse worker's state (its pf_worker_data), for
 * pf_stage_data_free: serial mode ran the workers in the caller. */
void lg_scan_free(void *data);

/* Sink callbacks (merge.c); arg is the lg_job. */
int lg_merge_init(pf_ctx *ctx, void *arg);
int lg_merge_partial(pf_ctx *ctx, const void *rec, size_t len, void *arg);
int lg_merge_finish(pf_ctx *ctx, void *arg);
/* Free the sink's state when its finish hook never ran: a serial run
 * (the sink lived in this process) that failed.  Safe when there is none. */
void lg_merge_discard(lg_job *job);
/* Rank the aggregate a (finalised) and write the report of job to
 * job->out_fd in job->cfg's output.  0 or a negative errno (a CSV
 * target's problem said in err). */
int lg_merge_write_report(const lg_job *job, lg_agg *a, char *err,
                          size_t errlen);

#endif
