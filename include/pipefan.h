/*
 * pipefan.h - pipelines of processes joined by shared-memory queues.
 *
 * A pipeline is a source stage, any number of transform stages and a sink
 * stage.  Each stage runs in one or more worker processes; consecutive
 * stages are joined by bounded single-producer/single-consumer rings in
 * shared memory.  Write each stage as a plain function, check the chain in
 * one process (PIPEFAN_SERIAL=1), then scale any stage by changing one
 * number.
 *
 * Errors: every function returning int returns 0 (or a count) on success
 * and a negative PF_E* code on failure.  Where an errno fits, the code is
 * -errno.  The library never exits, aborts or prints on its own; messages
 * go through pf_log and a replaceable sink.  The two exceptions are asked
 * for: the progress line (pf_options.progress, by default only when stderr
 * is a TTY) and the end-of-run table (pf_options.summary), both on fd 2.
 * Builders and pf_pipeline_set_options return PF_EBUSY during a run.
 */
#ifndef PIPEFAN_H
#define PIPEFAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PF_EXTERN __attribute__((visibility("default")))
#define PF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PF_EXTERN
#define PF_PRINTF(a, b)
#endif

#define PF_VERSION_MAJOR 0
#define PF_VERSION_MINOR 1
#define PF_VERSION_PATCH 0
#define PF_VERSION_STRING "0.1.0"

/*
 * Error codes.  PF_E* == -errno where an errno fits; pipefan's own codes
 * live from -4000 down.  X(name, value, message).
 */
#define PF_ERRNO_MAP(X)                                                        \
    X(EINVAL, -22, "invalid argument")                                         \
    X(ENOMEM, -12, "out of memory")                                            \
    X(EINTR, -4, "interrupted by a signal")                                    \
    X(EIO, -5, "input/output error")                                           \
    X(ENOENT, -2, "no such file or directory")                                 \
    X(EPIPE, -32, "broken pipe")                                               \
    X(E2BIG, -7, "record larger than the configured limit")                    \
    X(ECANCELED, -125, "pipeline is stopping")                                 \
    X(EBUSY, -16, "pipeline is already running")                               \
    X(EWORKER, -4001, "a worker process died")                                 \
    X(ESTAGE, -4002, "a stage function failed")                                \
    X(ESTATE, -4003, "call not valid in this state")                           \
    X(ESYS, -4004, "a system call failed")                                     \
    X(EPOISON, -4005, "records were quarantined")                              \
    X(EREPLAY, -4006, "a worker died where its input cannot be replayed")

typedef enum pf_errno {
#define PF__ERR_ENUM(name, value, msg) PF_##name = (value),
    PF_ERRNO_MAP(PF__ERR_ENUM)
#undef PF__ERR_ENUM
} pf_errno;

/* Message for an error code; never NULL, static storage ("unknown error"
 * for a code not in the table).  Never fails. */
PF_EXTERN const char *pf_strerror(int err);
/* Symbolic name of an error code ("PF_EWORKER"; "PF_OK" for 0,
 * "PF_EUNKNOWN" for a code not in the table); never NULL, static
 * storage.  Never fails. */
PF_EXTERN const char *pf_err_name(int err);

/* Log levels, most severe first. */
#define PF_LOG_LEVEL_MAP(X)                                                    \
    X(ERROR, 0, "ERROR")                                                       \
    X(WARN, 1, "WARN")                                                         \
    X(INFO, 2, "INFO")                                                         \
    X(DEBUG, 3, "DEBUG")

enum pf_log_level {
#define PF__LOG_ENUM(name, value, text) PF_LOG_##name = (value),
    PF_LOG_LEVEL_MAP(PF__LOG_ENUM)
#undef PF__LOG_ENUM
};

typedef struct pf_pipeline pf_pipeline;
typedef struct pf_stage pf_stage;
typedef struct pf_ctx pf_ctx;

/* A source: calls pf_emit for each record it makes, then returns 0.  Once
 * the pipeline is stopping pf_emit fails; whatever the source returns
 * then counts as a clean stop. */
typedef int (*pf_source_fn)(pf_ctx *ctx, void *arg);
/* A transform or sink: called once per input record; the record is
 * borrowed for the call only.  Non-zero fails the record (and, by default,
 * the run). */
typedef int (*pf_record_fn)(pf_ctx *ctx, const void *rec, size_t len,
                            void *arg);
/* A per-worker init or finish hook; non-zero fails the worker. */
typedef int (*pf_hook_fn)(pf_ctx *ctx, void *arg);

/* ---- building a pipeline ---------------------------------------------- */

/* Make an empty pipeline.  NULL when out of memory.  Caller frees with
 * pf_pipeline_free. */
PF_EXTERN pf_pipeline *pf_pipeline_new(void);
/* Free a pipeline and its stages.  Safely does nothing on NULL. */
PF_EXTERN void pf_pipeline_free(pf_pipeline *p);

/* Set the source stage (exactly one, and it must be added first).  name is
 * copied; arg is borrowed until pf_pipeline_free.  Returns NULL on error and
 * the pipeline remembers the error: pf_run returns it. */
PF_EXTERN pf_stage *pf_source(pf_pipeline *p, const char *name, pf_source_fn fn,
                              void *arg);
/* Append a transform stage; the last stage added is the sink.  Same
 * ownership and error rules as pf_source. */
PF_EXTERN pf_stage *pf_stage_add(pf_pipeline *p, const char *name,
                                 pf_record_fn fn, void *arg);
/* Number of worker processes for a stage, 1..PF_MAX_WORKERS.  Returns 0,
 * PF_EINVAL for a NULL stage or n out of range (remembered: pf_run returns
 * it), PF_EBUSY during a run. */
#define PF_MAX_WORKERS 256
PF_EXTERN int pf_stage_workers(pf_stage *s, int n);
/* Per-worker hooks: init runs after fork before any record, finish after
 * the worker's input ended (it may pf_emit).  Either may be NULL.
 * Returns 0, PF_EINVAL for a NULL stage, PF_EBUSY during a run. */
PF_EXTERN int pf_stage_hooks(pf_stage *s, pf_hook_fn init, pf_hook_fn finish);
/* Make a stage's output leave in the order of its input (like parallel
 * --keep-order).  The stages before and after an ordered stage must have
 * one worker each; pf_run returns PF_EINVAL otherwise.  Returns 0,
 * PF_EINVAL for a NULL stage or the source (remembered), PF_EBUSY during a
 * run. */
PF_EXTERN int pf_stage_ordered(pf_stage *s, int ordered);

/* Declare whether a stage's workers may be restarted after a crash (see
 * pf_options.retries).  A restarted worker replays the input it had taken
 * but not committed, and everything it emitted for that input is
 * discarded, so it must keep no state across batches: outputs that depend
 * on several records leave from the batch hook.  Default: restartable
 * unless the stage has a finish hook.  Sinks are never restarted (their
 * effects cannot be rolled back), and a source is restarted by running it
 * again and dropping the records it had already committed: it must emit
 * the same records in the same order each time.  Give 0 for a source that
 * cannot (reading a pipe).  Returns 0, PF_EINVAL for a NULL stage,
 * PF_EBUSY during a run. */
PF_EXTERN int pf_stage_restartable(pf_stage *s, int restartable);
/* Free each worker's data (pf_worker_set_data) where it would outlive
 * the worker: in serial mode, where workers run in the caller, fn is
 * called for every non-NULL data when pf_run returns, whatever the
 * outcome.  A worker process exits without calling it (its memory goes
 * with the process; flush what must be flushed in a finish hook).  NULL:
 * nothing is freed.  Returns 0, PF_EINVAL for a NULL stage, PF_EBUSY
 * during a run. */
typedef void (*pf_free_fn)(void *data);
PF_EXTERN int pf_stage_data_free(pf_stage *s, pf_free_fn fn);
/* A hook called after each batch of input records is processed and
 * before the batch is committed; it may pf_emit (partial aggregates) and
 * its output is committed atomically with the batch.  Returns 0,
 * PF_EINVAL for a NULL stage or the source (remembered), PF_EBUSY during a
 * run. */
PF_EXTERN int pf_stage_batch_hook(pf_stage *s, pf_hook_fn fn);

/* How a stage's output is spread over the next stage's workers. */
#define PF_DIST_MAP(X)                                                         \
    X(ROUND_ROBIN, 0, "round-robin")                                           \
    X(LEAST_LOADED, 1, "least-loaded")

enum pf_dist {
#define PF__DIST_ENUM(name, value, text) PF_DIST_##name = (value),
    PF_DIST_MAP(PF__DIST_ENUM)
#undef PF__DIST_ENUM
};
/* Choose how records emitted by stage s are distributed to the next stage
 * (default PF_DIST_ROUND_ROBIN: whole batches dealt in turn, skipping a
 * worker whose queue is full).  pf_emit_key overrides it per record.
 * Returns 0, PF_EINVAL for a NULL stage or an unknown dist (remembered),
 * PF_EBUSY during a run. */
PF_EXTERN int pf_stage_distribution(pf_stage *s, int dist);

/* Let at most n records (1..PF_PREFETCH_MAX; 0 = no limit, the default)
 * wait for each worker of stage s: a record counts from when it is
 * published until the worker commits it, so with 1 a worker is handed its
 * next record only once it has finished the last, and an upstream stage
 * gives each record to whichever worker is free first.  For records that
 * are small but slow to process - work descriptors - where the queue's
 * bytes would otherwise let one worker be handed many.  Unkeyed records
 * then go to a worker with room (dealing and keys still choose the worker;
 * they wait for it).  Serial mode ignores it.  Returns 0, PF_EINVAL for
 * a NULL stage, n out of range or the source (remembered), PF_EBUSY
 * during a run. */
#define PF_PREFETCH_MAX 64
PF_EXTERN int pf_stage_prefetch(pf_stage *s, int n);

/* Ask that stage s's workers be bound each to a CPU of its own (1; 0,
 * the default, leaves them to the scheduler).  It takes effect only when
 * the workers of all stages that ask, together, are as many as the CPUs
 * the process may run on (sched_getaffinity): then worker after worker,
 * stage after stage, takes the next of those CPUs.  Two busy workers the
 * scheduler has put on one CPU wait their turns while another CPU runs a
 * short-lived stage or idles; bound, they never share.  With CPUs to
 * spare a fixed placement would only stack the workers of runs started
 * side by side, so nothing is bound.  A restarted worker returns to its
 * CPU.  Serial mode ignores it.  Returns 0, PF_EINVAL for a NULL stage,
 * PF_EBUSY during a run. */
PF_EXTERN int pf_stage_pin(pf_stage *s, int pin);

/* Run-time options; a plain struct that may grow.  Always start from
 * pf_options_init. */
typedef struct pf_options {
    size_t ring_bytes;  /* bytes per queue, a power of two <= 1 GiB;
                           0 = automatic (<= 4 MiB) */
    size_t batch_bytes; /* publish after this many bytes; 0 = automatic */
    unsigned flush_us;  /* publish a partial batch after this long */
    size_t max_record;  /* largest record, default 16 MiB, <= 1 GiB */
    int serial;         /* 1 one process, 0 processes, -1 PIPEFAN_SERIAL */
    int progress;       /* 1 on, 0 off, -1 only when stderr is a TTY */
    int summary;        /* 1 log a per-stage table at the end */
    int stop_signals;   /* 1 handle SIGINT/SIGTERM during pf_run */
    /* Fault tolerance (0 retries = fail fast on any worker death). */
    int retries;             /* restarts allowed per failing record */
    unsigned stall_ms;       /* kill a worker stuck this long in one call */
    const char *dead_letter; /* quarantine file, borrowed; NULL = none */
    int poison;              /* PF_POISON_SKIP or PF_POISON_FAIL */
    /* After SIGINT/SIGTERM, kill the workers that have not drained after
     * this long (a finish hook that never returns) and return PF_EINTR;
     * default 30000, 0 = wait as long as it takes. */
    unsigned drain_ms;
} pf_options;

/* What to do with a record that failed a worker more than retries times:
 * write it to the dead-letter file and go on (pf_run then returns
 * PF_EPOISON after finishing), or fail the run. */
#define PF_POISON_SKIP 0
#define PF_POISON_FAIL 1

/* Fill o with the defaults.  Safely does nothing on NULL. */
PF_EXTERN void pf_options_init(pf_options *o);
/* Copy o into the pipeline.  Returns 0, PF_EINVAL for NULL arguments or
 * a value out of range (ring_bytes not a power of two in 4 KiB..1 GiB,
 * max_record 0 or over 1 GiB, negative retries, an unknown poison; these
 * are remembered: pf_run returns them), PF_EBUSY during a run. */
PF_EXTERN int pf_pipeline_set_options(pf_pipeline *p, const pf_options *o);

/* ---- running ------------------------------------------------------------ */

/* Run the pipeline to completion.  Returns 0, or a negative PF_E* code:
 * the first builder error; PF_EBUSY if it is already running; PF_ENOMEM
 * or PF_ESYS when shared memory, a signalfd or a fork could not be had;
 * PF_EWORKER when a worker died; PF_ESTAGE when a stage function or hook
 * failed; PF_EINTR after SIGINT/SIGTERM (the data already in flight was
 * drained and finish hooks ran); with retries, PF_EPOISON when records
 * were quarantined (the run finished without them) or a poison record
 * failed the run, PF_EREPLAY when a worker died where its input cannot be
 * replayed.  Returns only after every worker process has been reaped.  A
 * pipeline may run more than once.  In serial mode there are no worker
 * processes: signals, retries and stall_ms do not apply. */
PF_EXTERN int pf_run(pf_pipeline *p);

/* The signal that stopped the last pf_run (SIGINT, SIGTERM) or 0.  0 also
 * for a NULL pipeline. */
PF_EXTERN int pf_run_signal(const pf_pipeline *p);

/* ---- failures ----------------------------------------------------------- */

/* How a worker failed (pf_failure.cause). */
#define PF_FAIL_CAUSE_MAP(X)                                                   \
    X(NONE, 0, "none")         /* no worker at fault: setup, a file */         \
    X(EXITED, 1, "exited")     /* exit_status holds its status */              \
    X(SIGNALED, 2, "signaled") /* signal holds the signal */                   \
    X(STAGE, 3, "stage")       /* its function or a hook returned non-zero */  \
    X(STALLED, 4, "stalled")   /* killed after stall_ms in one call */

enum pf_fail_cause {
#define PF__FAIL_CAUSE_ENUM(name, value, text) PF_FAIL_##name = (value),
    PF_FAIL_CAUSE_MAP(PF__FAIL_CAUSE_ENUM)
#undef PF__FAIL_CAUSE_ENUM
};

/* What the run did about it (pf_failure.action). */
#define PF_FAIL_ACTION_MAP(X)                                                  \
    X(STOPPED, 0, "stopped")         /* it failed the run */                   \
    X(RESTARTED, 1, "restarted")     /* the worker was forked again */         \
    X(QUARANTINED, 2, "quarantined") /* its record was skipped, and the        \
                                        worker restarted */

enum pf_fail_action {
#define PF__FAIL_ACTION_ENUM(name, value, text) PF_FAIL_##name = (value),
    PF_FAIL_ACTION_MAP(PF__FAIL_ACTION_ENUM)
#undef PF__FAIL_ACTION_ENUM
};

/* One failure of the last run, as data: a plain struct that may grow.
 * Workers the supervisor killed itself after a failure that stopped the
 * run are not failures of their own and are not listed. */
typedef struct pf_failure {
    int stage;              /* stage index, -1 when no stage was at fault */
    const char *stage_name; /* borrowed until pf_pipeline_free; "" */
    int worker;             /* index within the stage, -1 */
    int32_t pid;            /* the worker's pid, 0 when none */
    int cause;              /* enum pf_fail_cause */
    int exit_status;        /* PF_FAIL_EXITED: its exit status */
    int signal;             /* the signal that ended it, or 0 */
    int error;              /* PF_E* the failure meant for the run */
    uint64_t record;        /* 1-based index, among the worker's input
                               records, of the one whose call failed;
                               0 when unknown (a crash, a hook, a source) */
    uint32_t restarts;      /* times the worker had been restarted before */
    int action;             /* enum pf_fail_action */
    char message[512];      /* the line pf_log wrote about it, without
                               time, level and newline */
    int code;               /* PF_FAIL_STAGE: what the stage function or
                               hook returned; else 0 */
    int stream_worker;      /* the worker of the previous stage that
                               emitted the failing record, -1 unknown */
    uint64_t stream_record; /* 1-based index of the failing record among
                               all records stream_worker emitted: the
                               source's 3000th record is 3000, in every
                               run, whichever worker took it.  0 when
                               unknown: a crash, a hook, a source, a
                               worker restarted on either side, or
                               keyed routing that spread the records so
                               thin the place was forgotten */
} pf_failure;

/* Number of failures recorded by the last pf_run (in order), 0 for a
 * NULL pipeline or before any run.  Recording stops at 1,024. */
PF_EXTERN int pf_pipeline_failures(const pf_pipeline *p);
/* Copy failure i (0 = the first) of the last run into *out.  Returns 0,
 * PF_ENOENT when there is no failure i, PF_EINVAL for a NULL argument or
 * a negative i.  The first failure whose action is PF_FAIL_STOPPED is
 * the one that failed the run. */
PF_EXTERN int pf_pipeline_failure(const pf_pipeline *p, int i, pf_failure *out);

/* ---- dead-letter files -------------------------------------------------- */

/* One entry of a dead-letter file (format in docs/RELIABILITY.md): a
 * record quarantined by pf_options.poison = PF_POISON_SKIP. */
typedef struct pf_dead_letter {
    uint64_t offset;    /* where the entry starts in the file */
    char stage[128];    /* the stage's name (cut to 127 bytes) */
    int worker;         /* the worker it failed */
    int32_t pid;        /* that worker's pid when it last failed */
    char reason[128];   /* how it ended, in words */
    int cause;          /* enum pf_fail_cause, read from the reason */
    int exit_status;    /* PF_FAIL_EXITED: its status */
    int signal;         /* PF_FAIL_SIGNALED: the signal */
    const void *record; /* the record's bytes; borrowed until the next
                           pf_dead_letter_next or pf_dead_letter_close */
    size_t len;         /* its length */
} pf_dead_letter;

typedef struct pf_dead_letter_file pf_dead_letter_file;

/* Open the dead-letter file at path for reading from byte offset (0, or
 * where an earlier run's entries end).  path is borrowed for the call.
 * Returns 0 with *out set, PF_EINVAL for NULL arguments, PF_ENOENT when
 * there is no such file, PF_EIO when it cannot be opened or sought,
 * PF_ENOMEM.  Caller frees with pf_dead_letter_close. */
PF_EXTERN int pf_dead_letter_open(const char *path, uint64_t offset,
                                  pf_dead_letter_file **out);
/* Read the next entry into *e.  Returns 1 with *e filled, 0 at the end
 * of the file, PF_EIO for a read error or an entry that is not in the
 * format (a file cut short), PF_ENOMEM, PF_EINVAL for NULL arguments. */
PF_EXTERN int pf_dead_letter_next(pf_dead_letter_file *f, pf_dead_letter *e);
/* Close a dead-letter file.  Safely does nothing on NULL. */
PF_EXTERN void pf_dead_letter_close(pf_dead_letter_file *f);

/* ---- inside a stage function -------------------------------------------- */

/* Emit a record to the next stage; rec is copied.  From a source, a
 * transform, or a finish hook.  The sink has no next stage: PF_ESTATE.
 * Returns PF_ECANCELED when the pipeline is stopping (a source should then
 * return), PF_E2BIG past max_record, PF_EINVAL for a NULL ctx or a NULL
 * rec with len > 0. */
PF_EXTERN int pf_emit(pf_ctx *ctx, const void *rec, size_t len);
/* Emit a record routed by key: the same key bytes always reach the same
 * worker of the next stage.  The key is not part of the record.  Errors
 * as for pf_emit; PF_EINVAL also for a NULL key with klen > 0. */
PF_EXTERN int pf_emit_key(pf_ctx *ctx, const void *key, size_t klen,
                          const void *rec, size_t len);
/* Index of this worker within its stage, 0..workers-1; PF_EINVAL for a
 * NULL ctx (so for the accessors below that return int). */
PF_EXTERN int pf_worker_index(const pf_ctx *ctx);
/* Number of workers of this worker's stage. */
PF_EXTERN int pf_worker_count(const pf_ctx *ctx);
/* Name of this worker's stage; borrowed for the run; "" for a NULL ctx. */
PF_EXTERN const char *pf_stage_name(const pf_ctx *ctx);
/* Number of workers of the next stage (0 from the sink). */
PF_EXTERN int pf_next_workers(const pf_ctx *ctx);
/* How many times this worker was restarted after a crash (0 at first). */
PF_EXTERN int pf_worker_restarts(const pf_ctx *ctx);
/* Non-zero once the pipeline was asked to stop (SIGINT/SIGTERM or a
 * failure elsewhere): a long-running source should return.  0 for a NULL
 * ctx and in serial mode. */
PF_EXTERN int pf_stopping(const pf_ctx *ctx);

/* Attach data to this worker (libuv's handle->data habit): the state one
 * worker keeps across records, in place of a process-wide global or an
 * array indexed by pf_worker_index.  Borrowed: the library never reads
 * nor frees it, except through the stage's free function
 * (pf_stage_data_free).  It lives as long as the worker: in process mode
 * its process, in serial mode until pf_run returns; a restarted worker
 * starts with NULL.  Returns 0, or PF_EINVAL when ctx is NULL.
 *
 * The serial-mode rule: with PIPEFAN_SERIAL=1 every stage runs in the
 * calling process, so a global or static variable is one copy shared by
 * all stages (two stages that each fill "their" static table fill the
 * same one) and it outlives pf_run (a second run starts where the first
 * left off), where each worker process has its own fresh copy.  State
 * kept in worker data, allocated by the init hook, gives the same
 * results in both modes (examples/wordcount.c). */
PF_EXTERN int pf_worker_set_data(pf_ctx *ctx, void *data);
/* The data set by pf_worker_set_data, or NULL (also when ctx is NULL). */
PF_EXTERN void *pf_worker_data(const pf_ctx *ctx);

/* ---- logging ------------------------------------------------------------ */

/* Log one line, from any process: ISO-8601 time with milliseconds, level,
 * stage[worker], pid, message.  ctx may be NULL (the caller's own process).
 * A line is written with one write(2) and is never interleaved.  Lines
 * are kept whole up to 4096 bytes (PIPE_BUF, the most a pipe takes in
 * one piece); a longer one is cut and ends "[cut: N more bytes]". */
PF_EXTERN void pf_log(pf_ctx *ctx, int level, const char *fmt, ...)
    PF_PRINTF(3, 4);
/* The same with a va_list. */
PF_EXTERN void pf_logv(pf_ctx *ctx, int level, const char *fmt, va_list ap)
    PF_PRINTF(3, 0);
/* Set the most verbose level written (default PF_LOG_WARN, or PIPEFAN_LOG:
 * error|warn|info|debug); out-of-range levels are clamped.  The logging
 * calls never fail: a line that cannot be written is dropped. */
PF_EXTERN void pf_log_set_level(int level);
/* Current level. */
PF_EXTERN int pf_log_level(void);
/* Send log lines to fd (borrowed; default 2). */
PF_EXTERN void pf_log_set_fd(int fd);
/* Replace the log sink: fn gets each formatted line (with its newline),
 * in whatever process logged it.  NULL restores the fd sink. */
typedef void (*pf_log_fn)(int level, const char *line, size_t len, void *arg);
PF_EXTERN void pf_log_set_sink(pf_log_fn fn, void *arg);

/* ---- statistics --------------------------------------------------------- */

/* Counters of one worker (or, summed, of one stage).  Times in ns. */
typedef struct pf_worker_stats {
    uint64_t records_in, bytes_in;
    uint64_t records_out, bytes_out;
    uint64_t ns_busy;     /* running user code or moving records */
    uint64_t ns_wait_in;  /* waiting for input */
    uint64_t ns_wait_out; /* blocked on a full output queue */
    uint32_t restarts;
    int32_t pid;          /* last pid, 0 in serial mode */
    uint64_t quarantined; /* records sent to the dead-letter file */
} pf_worker_stats;

typedef struct pf_stage_stats {
    const char *name; /* borrowed until pf_pipeline_free */
    int workers;
    pf_worker_stats total; /* sum over the stage's workers */
} pf_stage_stats;

/* Number of stages; 0 for a NULL pipeline. */
PF_EXTERN int pf_pipeline_stages(const pf_pipeline *p);
/* Stats of stage i after (or, from a progress callback, during) a run.
 * Returns 0, or PF_EINVAL for NULL arguments or i out of range. */
PF_EXTERN int pf_pipeline_stage_stats(const pf_pipeline *p, int i,
                                      pf_stage_stats *out);
/* Stats of worker w of stage i.  Returns 0, or PF_EINVAL for NULL
 * arguments, i or w out of range, or before any run. */
PF_EXTERN int pf_pipeline_worker_stats(const pf_pipeline *p, int i, int w,
                                       pf_worker_stats *out);
/* Index of the stage that limited the last run (highest busy share), or -1
 * before any run. */
PF_EXTERN int pf_pipeline_bottleneck(const pf_pipeline *p);
/* Called by the supervisor up to 5 times a second during pf_run (and once
 * at the end with final=1); read stats with the calls above.  fn may be
 * NULL (none); arg is borrowed until the next call.  Returns 0, or
 * PF_EINVAL for a NULL pipeline. */
typedef void (*pf_progress_fn)(const pf_pipeline *p, int final, void *arg);
PF_EXTERN int pf_pipeline_on_progress(pf_pipeline *p, pf_progress_fn fn,
                                      void *arg);
/* Write the per-stage table (records, bytes, busy/wait shares, bottleneck)
 * to fd (borrowed).  Returns 0, PF_EINVAL for a NULL pipeline, PF_EIO
 * when a write failed (a full disk, a closed fd): the table is then
 * incomplete. */
PF_EXTERN int pf_pipeline_write_summary(const pf_pipeline *p, int fd);
/* Write the stats as a JSON document to fd (borrowed).  Errors as for
 * pf_pipeline_write_summary. */
PF_EXTERN int pf_pipeline_write_stats_json(const pf_pipeline *p, int fd);

/* Library version, "0.1.0"; static storage.  Never fails. */
PF_EXTERN const char *pf_version(void);

/* ---- results, shared memory, pool map, ticks ----------------------------- */

/* Hand a value back to pf_run's caller, from any worker (usually the
 * sink, from its finish hook): the caller reads it with
 * pf_pipeline_result once pf_run has returned.  data is copied.  One
 * value per run: each call replaces the last one whole (the last write
 * wins), so a worker that is replayed after a crash (pf_options.retries)
 * and sets its value again does not add to it, and a writer killed
 * half-way leaves the value before it in place.  Several workers calling
 * it race: the last one wins; to combine, send the parts on to one sink.
 * The same in serial mode.  Inside a pf_map function it sets that item's
 * result instead.  Returns 0, PF_EINVAL for a NULL ctx or NULL data with
 * len > 0, PF_ENOMEM, PF_EIO. */
PF_EXTERN int pf_result_set(pf_ctx *ctx, const void *data, size_t len);
/* The value the last run's workers set with pf_result_set: *data
 * borrowed until the next pf_run or pf_pipeline_free (copy it to keep
 * it); it is followed by a 0 byte not counted in *len, so text may be
 * used as a string.  Set also after a run that failed, if a worker set it
 * before.  Returns 0, PF_ENOENT when no worker set one, PF_EINVAL for
 * NULL arguments, PF_EBUSY during a run. */
PF_EXTERN int pf_pipeline_result(const pf_pipeline *p, const void **data,
                                 size_t *len);

/* Memory shared by the caller and every worker of p: size bytes,
 * zero-filled, mapped MAP_SHARED|MAP_ANONYMOUS now, before any worker is
 * forked, so that a store by one process is seen by all (the seeds'
 * Manager().list() or shared Value).  Valid until pf_pipeline_free, which
 * unmaps it; it keeps its contents from one run to the next.  Owned by
 * the pipeline: do not free it.  Call it before pf_run; returns NULL
 * during a run, for size 0 (PF_EINVAL) or when it cannot be mapped
 * (PF_ENOMEM); those errors are remembered: pf_run returns them.
 * Update it with C11 atomics (counters) or under a pf_mutex that lives
 * inside it.  In serial mode it is plain memory of the one process.
 * Retries: a restarted worker replays the records its predecessor had
 * not committed, so its stores into shared memory happen again;
 * exactly-once covers what flows through the pipeline (records,
 * pf_result_set), not user memory.  Make such updates idempotent
 * (store a value, not add to it) or keep them out of restartable stages
 * (pf_stage_restartable(s, 0)). */
PF_EXTERN void *pf_shared(pf_pipeline *p, size_t size);

/* A lock for memory from pf_shared, usable by all its processes: a
 * process-shared robust mutex.  Put it inside the shared memory. */
typedef struct pf_mutex {
    union {
        unsigned char bytes[64];
        long long align;
    } u;
} pf_mutex;
/* Make m ready (once, before pf_run, in memory from pf_shared).
 * Returns 0, PF_EINVAL for NULL, PF_ENOMEM, PF_ESYS. */
PF_EXTERN int pf_mutex_init(pf_mutex *m);
/* Take m, waiting for it.  Returns 0; 1 when the process that held it
 * died holding it (killed, or a worker that crashed): m is now held by
 * the caller and usable again, but what it guards may be half-updated -
 * check or repair it before pf_shared_unlock.  PF_EINVAL for NULL or an
 * m not made by pf_mutex_init, PF_ESYS.  Not recursive: do not hold it
 * across pf_emit (in serial mode pf_emit calls the next stage, which
 * would wait for the lock forever).  The progress callback, in the
 * caller, may take it to read a consistent view. */
PF_EXTERN int pf_shared_lock(pf_mutex *m);
/* Release m.  Returns 0, PF_EINVAL for NULL, PF_ESTATE when the caller
 * does not hold it. */
PF_EXTERN int pf_shared_unlock(pf_mutex *m);

/* An item for pf_map: in, data and len (index unused); out, the result
 * of item index (data NULL and len 0 when its function set none or the
 * item was quarantined). */
typedef struct pf_item {
    const void *data;
    size_t len;
    size_t index;
} pf_item;

/* How pf_map runs; start from pf_map_options_init. */
typedef struct pf_map_options {
    int workers;          /* 1..PF_MAX_WORKERS; 0 = one per online CPU */
    int completion_order; /* 0: results in input order; 1: as they end */
    pf_options run;       /* retries, stall_ms, serial, ... as for pf_run */
} pf_map_options;
/* Fill o with the defaults.  Safely does nothing on NULL. */
PF_EXTERN void pf_map_options_init(pf_map_options *o);
/* Python's Pool.map: call fn once per item (rec = the item's data, len
 * its length), spread over o->workers worker processes, and return the
 * results.  fn hands back an item's result with pf_result_set(ctx, ...)
 * (copied; the last call wins; none leaves the item's result empty) and
 * must not pf_emit.  Items are read where they are, in memory the workers
 * inherit: they are borrowed for the call and not copied.  On success
 * *out is an array of n pf_item, in input order (out[i] belongs to
 * items[i]) or, with completion_order, in the order the items finished,
 * each with its index; result data is 16-byte aligned; one allocation:
 * the caller frees with free(*out).  Crashes are handled as in pf_run:
 * fail fast, or with o->run.retries a crashed worker is restarted and
 * each item's result still appears once.  o may be NULL (defaults).
 * Returns 0 (*out NULL when n is 0); PF_EPOISON with *out set when items
 * were quarantined (their results empty); otherwise pf_run's error with
 * *out NULL; PF_EINVAL for a NULL fn or out, or NULL items with n > 0. */
PF_EXTERN int pf_map(const pf_item *items, size_t n, pf_record_fn fn, void *arg,
                     const pf_map_options *o, pf_item **out);

/* Call fn in each worker of stage s at least every ms milliseconds,
 * whether records arrive or not: to emit a partial result on time when
 * input is idle, or to refresh shared memory.  It runs between batches
 * (never inside a record's call: a record that takes longer delays it)
 * and while the worker waits for input; it may pf_emit, as a batch hook
 * may.  In serial mode it runs after a record of the stage when due.
 * fn NULL removes it.  Returns 0, PF_EINVAL for a NULL stage, the source
 * (which runs its own loop) or ms 0 with a fn (remembered), PF_EBUSY
 * during a run. */
PF_EXTERN int pf_stage_tick(pf_stage *s, unsigned ms, pf_hook_fn fn);

/* Watching a run from the caller: the progress callback
 * (pf_pipeline_on_progress) is the caller's one live hook during pf_run.
 * It runs in the calling process, up to 5 times a second and once at the
 * end with final=1, in process mode and in serial mode alike (there after
 * a record, when due).  From it, read the live stats and pf_shared memory
 * (under its pf_mutex for a consistent view) and draw a display; keep it
 * short, as the workers are watched in between. */

/* Mark a callback parameter the function does not use, so that -Wextra
 * stays quiet without (void)arg lines:
 *   static int add(pf_ctx *ctx PF_UNUSED, const void *rec, size_t len,
 *                  void *arg PF_UNUSED) */
#if defined(__GNUC__)
#define PF_UNUSED __attribute__((unused))
#else
#define PF_UNUSED
#endif

/* ---- standard output from stage functions -------------------------------- */

/*
 * What a worker's stdout guarantees: it is the caller's stdout, inherited
 * at fork, and each worker process buffers its stdio (printf, puts) on
 * its own - in 4 KiB blocks when stdout is not a terminal - flushing at
 * the worker's end.  Blocks of different workers reach the file in any
 * order, so a line can be cut where a block ends and another worker's
 * output lands inside it.  For output that stays whole, write lines with
 * pf_print or pf_write_line (or let one stage - the sink - print).  They
 * bypass stdio: each line is one write(2) on fd 1, which a pipe keeps
 * whole up to 4096 bytes (PIPE_BUF) and a terminal or regular file at
 * any size.  They flush this process's stdout first, so its earlier
 * printf output stays before.  In serial mode they behave the same.
 */

/* Print one line (printf format; a newline is added when the text has
 * none) to stdout with one write.  ctx may be NULL.  Returns 0, PF_EIO
 * when the write failed, PF_ENOMEM, PF_EINVAL for a NULL fmt. */
PF_EXTERN int pf_print(pf_ctx *ctx, const char *fmt, ...) PF_PRINTF(2, 3);
/* The same with a va_list. */
PF_EXTERN int pf_printv(pf_ctx *ctx, const char *fmt, va_list ap)
    PF_PRINTF(2, 0);
/* Write buf[0..len) as one line to stdout with one write (a newline is
 * added when it does not end with one); buf is borrowed for the call.
 * Returns 0, PF_EIO, PF_ENOMEM, PF_EINVAL for a NULL buf with len > 0. */
PF_EXTERN int pf_write_line(pf_ctx *ctx, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PIPEFAN_H */
