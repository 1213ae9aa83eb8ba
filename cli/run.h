/*
 * run.h - what the files of `pipefan run` share: the plan of a run, the
 * chunk header that travels between stages, the state all processes of a
 * run share, and the entry points of each file.
 *
 *   cmd-run.c     command line, plan, --dry-run, building and running the
 *                 pipeline, exit status and the last words on stderr
 *   run-stats.c   the progress line, --stats and --stats-json
 *   run-input.c   the source: pipefan's stdin as chunks or byte ranges
 *   run-exec.c    a command stage's worker (stream and block mode)
 *   run-pipe.c    its bytes to and from its command, the companion thread
 *   run-relay.c   the relay stage that keeps order between ordered stages
 *   run-output.c  the shared state, output framing, stdout
 *   run-joblog.c  the joblog (GNU parallel's format), --resume
 *   run-spawn.c   starting `sh -c CMD` with pipes, and judging its end
 *
 * Records travel between stages in chunks of whole records: a chunk never
 * splits a record, so a record is never split across workers.  Only the
 * last chunk a command (or the input) produces may end without the
 * terminator; whoever appends more data after such a chunk puts the
 * terminator in between first.
 */
#ifndef CLI_RUN_H
#define CLI_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <pipefan.h>

/* How records are delimited, on every edge alike. */
enum run_framing {
    RUN_LINES, /* terminated by '\n' (default) */
    RUN_NUL,   /* terminated by '\0' (-0) */
    RUN_FIXED, /* SIZE bytes each, the last may be shorter (--fixed) */
};

/* --halt: what a failed command does to the run. */
enum run_halt {
    RUN_HALT_NOW,   /* stop every worker at once, exit 1 (default) */
    RUN_HALT_SOON,  /* stop the input and new blocks, let the running
                       commands finish, exit 1 */
    RUN_HALT_NEVER, /* go on, report at the end, exit 3 */
};

/* What a pipefan stage does. */
enum run_role {
    RUN_ROLE_INPUT,   /* the source */
    RUN_ROLE_COMMAND, /* runs a shell command */
    RUN_ROLE_RELAY,   /* one worker passing chunks on in order (-k) */
};

struct run_config;
struct run_worker;

/* One stage of the pipefan pipeline, as planned.  Lives in the main
 * process before pf_run; each worker has its own copy after fork, and
 * keeps its own state (struct run_worker) as its pf_worker_data. */
struct run_stage {
    enum run_role role;
    struct run_config *cfg;
    char name[40];   /* "2:grep", "input", "merge3", "output" */
    const char *cmd; /* RUN_ROLE_COMMAND: borrowed from argv */
    int num;         /* command stages: 1..N; others: see feeds */
    int workers;
    size_t block;      /* block mode: bytes per block; 0 stream */
    int implied;       /* block mode chosen for -k / --retries */
    int retries;       /* block mode: extra tries of a failed block */
    int ordered;       /* pf_stage_ordered */
    int restartable;   /* crash-proof: restarted after a crash, its
                          block replayed; so it keeps no output
                          across blocks */
    int feeds;         /* the command stage number it feeds (N+1 for
                          stdout): useless once cut >= feeds */
    int ranges;        /* receives byte ranges of stdin, not data */
    int to_stdout;     /* writes pipefan's stdout itself */
    size_t out_target; /* emit when this many output bytes wait */
    int out_hold;      /* hold output until out_target (next stage is
                          in block mode) */
    int stats;         /* index into run_shared.stage */
    int log_via_out;   /* its joblog lines go to the output relay, which
                          writes them after the block's output */
};

/* Counters of one stage, summed over its workers (shared). */
struct run_counters {
    _Atomic uint64_t seq_in; /* last chunk number sent to this stage */
    _Atomic uint64_t records_out, bytes_in, bytes_out;
    _Atomic uint64_t commands, blocks, failures, retries;
    _Atomic int dead; /* workers whose command stopped reading */
};

/* The first failure, for the final message. */
struct run_failure {
    int stage; /* command stage number */
    int worker;
    int pid;
    uint64_t block; /* 0 in stream mode */
    char what[200]; /* "exited with status 1" */
};

/* The state every process of a run shares: a MAP_SHARED anonymous mapping
 * made before pf_run, so every worker inherits it. */
struct run_shared {
    pthread_mutex_t out_lock; /* one writer of stdout at a time */
    int out_unterm;           /* under out_lock: stdout's last record
                                 has no terminator yet */
    _Atomic int out_closed;   /* stdout gave EPIPE */
    _Atomic int halting;      /* a command failed: RUN_HALTING_* */
    _Atomic int cut;          /* highest command stage whose workers
                                 all stopped reading; N+1 = stdout */
    _Atomic int failed;       /* claims fail */
    struct run_failure fail;
    _Atomic uint64_t in_records, in_bytes;   /* what the source read */
    _Atomic uint64_t out_records, out_bytes; /* what reached stdout */
    /* The progress line (run_progress) and stdout on one terminal: */
    int out_tty;     /* set before the run: stdout is a terminal */
    int bar_drawn;   /* under out_lock: a progress frame is on stderr */
    int out_midline; /* under out_lock: stdout's last byte was no '\n' */
    _Atomic int report_failed;  /* the joblog could not be written */
    _Atomic int shrank;         /* stdin, a file, lost bytes mid-run */
    _Atomic uint64_t shrank_at; /* the first offset found missing */
    _Atomic int too_long;       /* a record passed --max-record: 1 + the
                                   index of the stage whose output (or
                                   input) held it */
};

/* Values of run_shared.halting. */
#define RUN_HALTING_SOON 1 /* stop the input, start no new block */
#define RUN_HALTING_NOW                                                        \
    2 /* crash-proof --halt now: the run is cut, and                           \
         running commands are killed */

/* --resume and --resume-failed. */
#define RUN_RESUME_ALL 1    /* skip every block in the joblog */
#define RUN_RESUME_FAILED 2 /* skip the blocks that succeeded */

/* Everything the command line decided. */
struct run_config {
    enum run_framing framing;
    size_t fixed; /* RUN_FIXED record size */
    char delim;   /* '\n' or '\0' */
    int keep_order;
    enum run_halt halt;
    const char *joblog;
    int joblog_fd;            /* -1 without --joblog */
    int resume;               /* RUN_RESUME_* or 0 */
    unsigned char *done;      /* --resume: bit per block number done in
                                 the joblog read (owned; NULL: none) */
    uint64_t done_bits;       /* bits in done */
    size_t chunk;             /* stream-mode chunk bytes */
    size_t max_record;        /* longest record */
    int crashproof;           /* some stage has --retries: workers that
                                 crash are restarted (pf_options.retries) */
    int retries;              /* the largest --retries */
    unsigned stall_ms;        /* --stall-timeout, block mode; 0 none */
    int poison;               /* --poison: PF_POISON_SKIP or _FAIL */
    const char *dead_letter;  /* --dead-letter FILE or NULL */
    int in_ranges;            /* stdin is a regular file: byte ranges */
    int in_fd;                /* 0 */
    uint64_t in_off, in_end;  /* ranges: where the input is */
    int ncommands;            /* N */
    struct run_stage *stages; /* the pipefan stages, in order */
    int nstages;
    struct run_shared *sh;
    struct run_counters *ctr; /* [nstages], inside sh's mapping */
    size_t sh_size;
};

/* The header in front of every chunk on every edge (8-byte aligned). */
struct run_hdr {
    uint64_t seq; /* chunk number on this edge, from 1 */
    uint64_t off; /* RUN_F_RANGE: offset of the bytes in stdin */
    uint64_t len; /* RUN_F_RANGE: their length */
    uint32_t flags;
    uint32_t pad;
};
#define RUN_F_RANGE (1u << 0)  /* the data is a byte range of stdin */
#define RUN_F_UNTERM (1u << 1) /* the data ends without a terminator */
#define RUN_F_JOBLOG                                                           \
    (1u << 2) /* the data is a joblog line for the                             \
                 output relay; empty: a block not run */

/* ---- run-output.c ------------------------------------------------------- */

/* Map the shared state for cfg's stages; 0 or -1 (errno set). */
int run_shared_init(struct run_config *cfg);
void run_shared_free(struct run_config *cfg);

/* Whether a stage that feeds stage `feeds` is no longer needed. */
int run_useless(const struct run_config *cfg, int feeds);
/* Raise the cut to stage k (its feeders stop, as upstream of a shell
 * pipeline when a command exits). */
void run_cut(struct run_config *cfg, int k);

/* Record a command failure: the first one is kept for the final message;
 * logs it.  Returns 1 when the run must stop (--halt now). */
int run_failure(struct run_stage *st, pf_ctx *ctx, int pid, uint64_t block,
                const char *what);
/* Whether this process reported a failure that stops the run (the
 * runtime's own error lines that follow are consequences). */
int run_failed_here(void);

/* Number of records that end in data[0..n). */
uint64_t run_count_records(const struct run_config *cfg, const void *data,
                           size_t n);
/* Length of the longest prefix of data[0..n) made of whole records. */
size_t run_whole(const struct run_config *cfg, const void *data, size_t n);

/* Write data to stdout as one piece, whole records only, under the lock;
 * unterm: it ends without a terminator.  0, or -1 when stdout is gone
 * (EPIPE: the run is cut) or failed (logged, the run must fail). */
int run_stdout_write(struct run_config *cfg, const void *data, size_t n,
                     int unterm);

/* What a stage does with the output of its commands: frames it into whole
 * records and emits chunks to the next stage or writes them to stdout. */
struct run_out {
    struct run_stage *st;
    pf_ctx *ctx;        /* NULL when writing stdout from a thread */
    unsigned char *buf; /* [struct run_hdr][data] */
    size_t len;         /* data bytes held */
    size_t whole;       /* data[0..whole) are whole records */
    size_t cap;         /* data capacity */
    int unterm;         /* data[0..whole) ends without terminator */
    int error;          /* a write or emit failed */
};
int run_out_init(struct run_out *o, struct run_stage *st, pf_ctx *ctx);
void run_out_free(struct run_out *o);
/* Room for at least `want` more bytes at data + len; NULL when past the
 * record limit (logged, o->error set). */
unsigned char *run_out_space(struct run_out *o, size_t want, size_t *room);
/* n bytes were placed at data + len (raw command output). */
int run_out_added(struct run_out *o, size_t n);
/* Append a chunk of whole records (from an upstream stage). */
int run_out_put_chunk(struct run_out *o, const void *data, size_t n,
                      int unterm);
/* The command ended: a partial last record becomes a whole one. */
void run_out_end(struct run_out *o);
/* Emit or write what is whole; all: even below the hold target. */
int run_out_flush(struct run_out *o, int all);

/* The run stops at once (crash-proof --halt now): the failing worker
 * cannot fail itself, or it would be restarted and its block replayed;
 * it cuts every stage instead and running commands are killed. */
void run_halt_now(struct run_config *cfg);

/* Stdin, a regular file, ends before the offset at that its size promised
 * (truncated during the run, as logrotate's copytruncate does): the run
 * stops at once, in every mode, and fails with a message saying so. */
void run_input_shrank(struct run_config *cfg, uint64_t at);

/* ---- run-joblog.c ------------------------------------------------------- */

/* One command run, as the joblog has it. */
struct run_job {
    int worker;
    uint64_t block; /* 0: a stream command */
    double start, runtime;
    uint64_t sent, received;
    int status; /* wait status */
};

/* Wall-clock seconds (for the joblog). */
double run_now(void);
/* --resume: read the joblog into cfg->done; then open it for the run (to
 * append when resuming, else truncated).  0, or -1 (said on stderr). */
int run_joblog_open(struct run_config *cfg);
/* The header line, unless the file has lines already (resuming). */
void run_joblog_header(struct run_config *cfg);
/* Write one line (a full disk is logged and fails the run at its end). */
void run_joblog_write(struct run_config *cfg, const char *line, size_t n);
/* A job is done (its output passed on): its line, written now or sent to
 * the output relay (st->log_via_out).  0, or -1 when the emit failed. */
int run_joblog_done(struct run_stage *st, pf_ctx *ctx, const struct run_job *j);
/* With -k and the relay writing the lines: a block was not run. */
int run_joblog_skipped(struct run_stage *st, pf_ctx *ctx);
/* A relay got a RUN_F_JOBLOG chunk line[0..n), everything before it being
 * written: the output relay writes it (unless *gap: a block before it was
 * not run); 1: a middle relay passes it on. */
int run_joblog_relay(struct run_stage *st, int *gap, const void *line,
                     size_t n);
/* --resume: whether block seq is done already (skipped by the input). */
int run_resume_done(const struct run_config *cfg, uint64_t seq);

/* ---- run-stats.c -------------------------------------------------------- */

/* What the progress callback needs. */
struct run_view {
    struct run_config *cfg;
    struct timespec t0;
};
/* "1.5 MiB". */
void run_human(char *buf, size_t n, double v);
/* Seconds since v->t0. */
double run_elapsed(const struct run_view *v);
/* The pf_progress_fn of the live line; arg is a struct run_view. */
void run_progress(const pf_pipeline *p, int final, void *arg);
/* The --stats table on stderr. */
void run_print_stats(const struct run_config *cfg, const pf_pipeline *p,
                     double secs);
/* The --stats-json document; 0, or -1 with errno set. */
int run_write_stats_json(const struct run_config *cfg, const pf_pipeline *p,
                         const char *path, double secs);

/* Send the runtime's log lines through pipefan run's sink for the run,
 * which keeps the end of a failed run readable; then back to the default
 * sink. */
void run_log_start(const struct run_config *cfg);
void run_log_end(void);
/* The last line when the run stopped on its own input: stdin shrank, or
 * a record passed --max-record; 1 if said (the run failed), else 0. */
int run_say_input_trouble(const struct run_config *cfg);
/* The failed command kept in run_shared.fail, as the end of a line. */
void run_say_failure(const struct run_config *cfg);
/* The last line after the runtime stopped the run itself (rc): the
 * failure that stopped it (pf_pipeline_failure) - stage, worker, pid, how
 * it ended - with the command and what would have helped. */
void run_say_crash(const struct run_config *cfg, const pf_pipeline *p, int rc);
/* Name the n blocks a run quarantined, from the dead-letter entries the
 * runtime appended from offset at (pf_dead_letter_next). */
void run_say_quarantined(const struct run_config *cfg, uint64_t n, off_t at);

/* ---- run-spawn.c -------------------------------------------------------- */

struct run_proc {
    pid_t pid;
    int in_fd;  /* write end of the command's stdin */
    int out_fd; /* read end of its stdout */
    int pidfd;  /* readable once it exited; -1 if unsupported */
    int status; /* wait status once reaped */
    int reaped;
};

/* Environment additions for one command run. */
struct run_env {
    const char *stage;
    int worker;
    uint64_t block; /* 0: stream mode */
    int try;
};

/* Start `sh -c cmd` with its stdin and stdout on pipes (ours are
 * non-blocking and close-on-exec); the child gets default signal
 * dispositions, an empty mask and PR_SET_PDEATHSIG.  p->pid is the
 * command's guardian, which leads the command's process group (kill
 * -p->pid reaches all of it), ends as the shell ends, and kills the group
 * when the worker dies.  0 or -errno. */
int run_spawn(const char *cmd, const struct run_env *env, struct run_proc *p);
/* Wait for the command to end (blocking); fills p->status.  Closes the
 * pidfd. */
void run_reap(struct run_proc *p);
/* Wait up to ms milliseconds for the command to end; 1 if it has. */
int run_ended(struct run_proc *p, int ms);
/* 1 when p's command has ended (or was reaped already), without reaping
 * it: safe from another thread than the one that reaps. */
int run_exited_nowait(const struct run_proc *p);
/* "exited with status 3", "killed by signal 9 (SIGKILL)". */
void run_status_text(int status, char *buf, size_t n);
/* Close fd if open and set it to -1. */
void run_close(int *fd);
/* --stall-timeout: kill p's command (its group), reap it and end this
 * worker by SIGALRM, so the runtime handles it as a crash on block. */
_Noreturn void run_stall_crash(pf_ctx *ctx, const struct run_stage *st,
                               struct run_proc *p, uint64_t block);

/* ---- run-input.c -------------------------------------------------------- */

/* The source stage function: stdin as chunks or byte ranges. */
int run_input(pf_ctx *ctx, void *arg);

/* ---- run-exec.c --------------------------------------------------------- */

/* A worker of a command stage: one per process (and, in serial
 * mode, one per stage). */
struct run_worker {
    struct run_stage *st;
    struct run_config *cfg;
    struct run_counters *c;
    pf_ctx *ctx;
    int widx;
    struct run_out out;

    struct run_proc proc; /* the command running now */
    int running;          /* proc holds a command not yet reaped */
    _Atomic int dead;     /* stream: its stdin takes no more data */
    int torn;             /* torn down after a cut: status ignored */
    int in_unterm;        /* last byte fed lacks its terminator */
    int judged;           /* stream: the command's end was judged */
    _Atomic int fatal;    /* the worker must fail */
    double t_start;
    double t_moved; /* block mode: when the command last moved a byte */
    double t_idle;  /* stream mode: when the worker last took input */
    uint64_t block; /* block mode: the block being run, and its try */
    int try;
    uint64_t sent, received;

    /* Block mode with retries: output held until the command succeeds. */
    unsigned char *hold;
    size_t hold_len, hold_cap;
    int holding;
    int feed_cut; /* block mode: a stop cut its block's input short */

    char *range_buf; /* pread fallback for byte ranges */
    int no_splice;

    /* The companion thread (stream mode, first or last stage). */
    pthread_t thr;
    int thr_on;
    int thr_out;   /* it owns proc.out_fd */
    int thr_watch; /* it watches for the command's end */
    int wake_fd;   /* eventfd: stop watching */
};

/* A command stage. */
int run_exec_init(pf_ctx *ctx, void *arg);
int run_exec_record(pf_ctx *ctx, const void *rec, size_t len, void *arg);
int run_exec_finish(pf_ctx *ctx, void *arg);
/* The command stopped reading: count it once; the last of its stage to
 * stop cuts the stages before it. */
void run_worker_mark_dead(struct run_worker *w);
/* A cut made this stage useless: let its command go (or kill it when the
 * run halts now). */
void run_worker_teardown(struct run_worker *w);
/* Block mode with --stall-timeout: the command moved no byte for long. */
int run_worker_stalled(const struct run_worker *w);
/* Its stdin is closed (EPIPE); stream: judge its end. */
void run_worker_input_closed(struct run_worker *w, int stream);

/* ---- run-pipe.c --------------------------------------------------------- */

/* Take what the command has written: 1 at its end of output, 0 when no
 * more is ready, -1 on error. */
int run_pipe_drain(struct run_worker *w);
/* Take the command's output until its end (main thread owns stdout). */
int run_pipe_drain_all(struct run_worker *w);
/* Start or stop the companion thread (stream mode, first or last stage);
 * start: 0 or -1. */
int run_pipe_thread_start(struct run_worker *w);
void run_pipe_thread_stop(struct run_worker *w);
/* Write data[0..n) - or, with range, n bytes of stdin at off - to the
 * command's stdin, taking its output whenever stdin is full: 0 (written,
 * or the command stopped reading, or the stage was cut) or -1 (the worker
 * must fail). */
int run_pipe_feed(struct run_worker *w, const unsigned char *data, uint64_t off,
                  size_t n, int range, int stream);
/* Feed one chunk: its data, or its byte range of stdin. */
int run_pipe_feed_chunk(struct run_worker *w, const struct run_hdr *h,
                        const unsigned char *data, size_t n, int stream);
/* ---- run-relay.c -------------------------------------------------------- */

/* A relay or the ordered output stage. */
int run_relay_init(pf_ctx *ctx, void *arg);
int run_relay_record(pf_ctx *ctx, const void *rec, size_t len, void *arg);
int run_relay_finish(pf_ctx *ctx, void *arg);

#endif
