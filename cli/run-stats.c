/*
 * run-stats.c - what pipefan run shows about a run: the live progress line
 * on stderr, the per-stage table of --stats and the JSON of --stats-json,
 * and the last words of a run that failed or skipped blocks.
 *
 * The counters are pipefan run's own (struct run_counters, in the state
 * every process of the run shares), in records and bytes of the commands'
 * data; the busy and waiting shares and the bottleneck come from the
 * runtime's stats.  After a worker was restarted, a stage's counters
 * include the work it did again; what reached stdout is counted once.
 */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void run_human(char *buf, size_t n, double v)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (v >= 1024 && i < 4) {
        v /= 1024;
        i++;
    }
    snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

double run_elapsed(const struct run_view *v)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - v->t0.tv_sec) +
           (double)(t.tv_nsec - v->t0.tv_nsec) / 1e9;
}

/* The live line: input read, per command stage bytes in, output. */
void run_progress(const pf_pipeline *p, int final, void *arg)
{
    struct run_view *v = arg;
    struct run_config *cfg = v->cfg;
    struct run_shared *sh = cfg->sh;
    (void)p;
    /* A frame and the output to a terminal take turns under out_lock:
     * the writer erases a frame before it writes (run_stdout_write), no
     * frame goes over a half-written line; no frame at all while the
     * writer holds the lock. */
    int lk = final ? pthread_mutex_lock(&sh->out_lock)
                   : pthread_mutex_trylock(&sh->out_lock);
    if (lk == EOWNERDEAD)
        pthread_mutex_consistent(&sh->out_lock);
    else if (lk != 0)
        return;
    /* The last frame stays, on a line of its own, when the output goes
     * elsewhere; on a terminal stdout it is erased, as every frame is
     * before output. */
    if ((final && sh->out_tty) || (!final && sh->out_tty && sh->out_midline)) {
        if (sh->bar_drawn && write(2, "\r\033[K", 4) == 4)
            sh->bar_drawn = 0;
        pthread_mutex_unlock(&sh->out_lock);
        return;
    }
    char line[512], a[32], b[32];
    double t = run_elapsed(v);
    /* Byte ranges are handed out ahead: count what stage 1 took. */
    uint64_t in = cfg->in_ranges ? atomic_load(&cfg->ctr[1].bytes_in)
                                 : atomic_load(&cfg->sh->in_bytes);
    run_human(a, sizeof a, (double)in);
    int n = snprintf(line, sizeof line, "\r\033[K%5.1fs in %s", t, a);
    if (cfg->in_ranges && cfg->in_end > cfg->in_off) { /* a known size */
        uint64_t total = cfg->in_end - cfg->in_off;
        n += snprintf(line + n, sizeof line - (size_t)n, " %3d%%",
                      in >= total ? 100 : (int)(in * 100 / total));
    }
    if (t >= 0.5 && in > 0) { /* no "0 B/s" before there is a rate */
        run_human(b, sizeof b, (double)in / t);
        n += snprintf(line + n, sizeof line - (size_t)n, " (%s/s)", b);
    }
    for (int k = 1; k < cfg->nstages && n < 400; k++) {
        const struct run_stage *st = &cfg->stages[k];
        if (st->role != RUN_ROLE_COMMAND)
            continue;
        run_human(a, sizeof a, (double)atomic_load(&cfg->ctr[k].bytes_in));
        n += snprintf(line + n, sizeof line - (size_t)n, " | %.14s x%d %s",
                      st->name, st->workers, a);
    }
    run_human(a, sizeof a, (double)atomic_load(&cfg->sh->out_bytes));
    n += snprintf(line + n, sizeof line - (size_t)n, " | out %s%s", a,
                  final ? "\n" : "");
    if (write(2, line, (size_t)n) > 0)
        sh->bar_drawn = !final;
    pthread_mutex_unlock(&sh->out_lock);
}

/* Records and bytes into and out of pipefan stage k. */
static void stage_io(const struct run_config *cfg, int k, uint64_t *rin,
                     uint64_t *bin, uint64_t *rout, uint64_t *bout)
{
    const struct run_stage *st = &cfg->stages[k];
    const struct run_counters *c = &cfg->ctr[k];
    if (st->role == RUN_ROLE_INPUT) {
        *rin = *rout = cfg->in_ranges ? UINT64_MAX : cfg->sh->in_records;
        *bin = *bout = cfg->sh->in_bytes;
        return;
    }
    uint64_t pr, pb, dummy;
    stage_io(cfg, k - 1, &dummy, &dummy, &pr, &pb);
    *rin = pr;
    *bin = pb;
    if (st->role == RUN_ROLE_RELAY) {
        *rout = pr;
        *bout = pb;
    } else {
        *rout = c->records_out;
        *bout = c->bytes_out;
    }
}

void run_print_stats(const struct run_config *cfg, const pf_pipeline *p,
                     double secs)
{
    int bn = pf_pipeline_bottleneck(p);
    fprintf(stderr, "%-14s %7s %8s %12s %12s %10s %10s %6s %6s %6s\n", "stage",
            "workers", "runs", "records in", "records out", "bytes in",
            "bytes out", "busy", "w-in", "w-out");
    for (int k = 0; k < cfg->nstages; k++) {
        const struct run_stage *st = &cfg->stages[k];
        uint64_t rin, bin, rout, bout;
        stage_io(cfg, k, &rin, &bin, &rout, &bout);
        char ri[24] = "-", ro[24] = "-", bi[32], bo[32], runs[24] = "-";
        if (rin != UINT64_MAX)
            snprintf(ri, sizeof ri, "%llu", (unsigned long long)rin);
        if (rout != UINT64_MAX)
            snprintf(ro, sizeof ro, "%llu", (unsigned long long)rout);
        if (st->role == RUN_ROLE_COMMAND)
            snprintf(runs, sizeof runs, "%llu",
                     (unsigned long long)cfg->ctr[k].commands);
        run_human(bi, sizeof bi, (double)bin);
        run_human(bo, sizeof bo, (double)bout);
        pf_stage_stats ss;
        pf_pipeline_stage_stats(p, k, &ss);
        uint64_t all =
            ss.total.ns_busy + ss.total.ns_wait_in + ss.total.ns_wait_out;
        double d = all ? (double)all / 100.0 : 1.0;
        fprintf(stderr,
                "%-14.14s %7d %8s %12s %12s %10s %10s %5.1f%% %5.1f%% "
                "%5.1f%%%s\n",
                st->name, st->workers, runs, ri, ro, bi, bo,
                (double)ss.total.ns_busy / d, (double)ss.total.ns_wait_in / d,
                (double)ss.total.ns_wait_out / d,
                k == bn ? "  <- bottleneck" : "");
    }
    char a[32], b[32];
    run_human(a, sizeof a, (double)cfg->sh->in_bytes);
    run_human(b, sizeof b, secs > 0 ? (double)cfg->sh->in_bytes / secs : 0);
    fprintf(stderr, "%.2f s, %s in (%s/s)\n", secs, a, b);
}

int run_write_stats_json(const struct run_config *cfg, const pf_pipeline *p,
                         const char *path, double secs)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int bn = pf_pipeline_bottleneck(p);
    fprintf(f, "{\"seconds\":%.6f,\"bottleneck\":", secs);
    if (bn >= 0)
        fprintf(f, "\"%s\"", cfg->stages[bn].name);
    else
        fprintf(f, "null");
    fprintf(f, ",\"stages\":[");
    for (int k = 0; k < cfg->nstages; k++) {
        const struct run_stage *st = &cfg->stages[k];
        const struct run_counters *c = &cfg->ctr[k];
        uint64_t rin, bin, rout, bout;
        stage_io(cfg, k, &rin, &bin, &rout, &bout);
        pf_stage_stats ss;
        pf_pipeline_stage_stats(p, k, &ss);
        fprintf(f, "%s{\"name\":\"", k ? "," : "");
        for (const char *s = st->name; *s; s++)
            fprintf(f, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
        fprintf(f, "\",\"role\":\"%s\",\"workers\":%d,",
                st->role == RUN_ROLE_INPUT     ? "input"
                : st->role == RUN_ROLE_COMMAND ? "command"
                                               : "relay",
                st->workers);
        if (rin != UINT64_MAX)
            fprintf(f, "\"records_in\":%llu,\"records_out\":%llu,",
                    (unsigned long long)rin, (unsigned long long)rout);
        fprintf(f,
                "\"bytes_in\":%llu,\"bytes_out\":%llu,\"commands\":%llu,"
                "\"blocks\":%llu,\"failures\":%llu,\"retries\":%llu,"
                "\"ns_busy\":%llu,\"ns_wait_in\":%llu,\"ns_wait_out\":%llu}",
                (unsigned long long)bin, (unsigned long long)bout,
                (unsigned long long)c->commands, (unsigned long long)c->blocks,
                (unsigned long long)c->failures, (unsigned long long)c->retries,
                (unsigned long long)ss.total.ns_busy,
                (unsigned long long)ss.total.ns_wait_in,
                (unsigned long long)ss.total.ns_wait_out);
    }
    fprintf(f, "]}\n");
    return fclose(f);
}

/* ---- the last words ---------------------------------------------------- */

/* What the log sink needs to know. */
static struct {
    const struct run_config *cfg;
    pid_t main; /* pipefan itself: the runtime's supervisor */
} last_words;

/* Write all of buf to stderr. */
static void err_write(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(2, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

/*
 * pf_log's sink during a run: each line goes to stderr in one write, as
 * with the default sink.  Two exceptions make the end of a failed run
 * readable.  Once a failed command has stopped the run (--halt now), it
 * has been reported, with stage, worker, command and status, and the
 * runtime's error lines that follow only repeat it in general words (a
 * stage function failed, a worker failed): they are shown only with -v.
 * (What failed is read afterwards from pf_pipeline_failure, not from these
 * lines.)
 */
static void log_sink(int level, const char *line, size_t len, void *arg)
{
    const struct run_config *cfg = last_words.cfg;
    int supervisor = getpid() == last_words.main;
    (void)arg;
    if (level == PF_LOG_ERROR && pf_log_level() < PF_LOG_INFO &&
        (supervisor ? cfg->halt == RUN_HALT_NOW && atomic_load(&cfg->sh->failed)
                    : run_failed_here()))
        return;
    err_write(line, len);
}

void run_log_start(const struct run_config *cfg)
{
    last_words.cfg = cfg;
    last_words.main = getpid();
    pf_log_set_sink(log_sink, NULL);
}

void run_log_end(void)
{
    pf_log_set_sink(NULL, NULL);
}

/* The failure that stopped the run: the first the runtime gave up on. */
static int stopping_failure(const pf_pipeline *p, pf_failure *f)
{
    for (int i = 0; pf_pipeline_failure(p, i, f) == 0; i++)
        if (f->action == PF_FAIL_STOPPED)
            return 1;
    return 0;
}

void run_say_crash(const struct run_config *cfg, const pf_pipeline *p, int rc)
{
    pf_failure f;
    if (!stopping_failure(p, &f)) {
        fprintf(stderr, "pipefan run: %s\n", pf_strerror(rc));
        return;
    }
    const struct run_stage *st = NULL;
    if (f.stage >= 0 && f.stage < cfg->nstages &&
        cfg->stages[f.stage].role == RUN_ROLE_COMMAND)
        st = &cfg->stages[f.stage];
    fprintf(stderr, "pipefan run: %s%s",
            rc == PF_EPOISON ? "a poison block (--poison fail): " : "",
            f.message);
    if (st != NULL) {
        fprintf(stderr, "; its command: '%s'", st->cmd);
        /* The worker ended itself with SIGALRM for a stalled block. */
        if (cfg->stall_ms != 0 && f.signal == SIGALRM)
            fprintf(stderr,
                    ", which made no progress for %.1f s "
                    "(--stall-timeout)",
                    cfg->stall_ms / 1e3);
        else if (rc == PF_EWORKER && st->block != 0 && st->retries == 0)
            fprintf(stderr, "; --retries N restarts a crashed worker and "
                            "replays its block");
    }
    fputc('\n', stderr);
}

/* The entries are a header line, the record - a chunk: its header, then
 * its records - and a newline (docs/RELIABILITY.md). */
void run_say_quarantined(const struct run_config *cfg, uint64_t n, off_t at)
{
    pf_dead_letter_file *f = NULL;
    if (cfg->dead_letter != NULL)
        pf_dead_letter_open(cfg->dead_letter, (uint64_t)at, &f);
    pf_dead_letter e;
    for (int shown = 0; f != NULL && pf_dead_letter_next(f, &e) == 1; shown++) {
        struct run_hdr h;
        memset(&h, 0, sizeof h);
        if (e.len == 0)
            break;
        memcpy(&h, e.record, e.len < sizeof h ? e.len : sizeof h);
        if (shown >= 10) {
            if (shown == 10)
                fprintf(stderr, "pipefan run: ...\n");
            continue;
        }
        /* The worker ended itself with SIGALRM for a stalled block. */
        const char *why =
            cfg->stall_ms != 0 && e.signal == SIGALRM ? "stalled" : e.reason;
        fprintf(stderr,
                "pipefan run: quarantined block %llu of stage %s (%s): ",
                (unsigned long long)h.seq, e.stage, why);
        if (h.flags & RUN_F_RANGE)
            fprintf(stderr, "%llu bytes of stdin at offset %llu\n",
                    (unsigned long long)h.len, (unsigned long long)h.off);
        else
            fprintf(stderr, "%zu bytes of records\n",
                    e.len > sizeof h ? e.len - sizeof h : 0);
    }
    pf_dead_letter_close(f);
    fprintf(
        stderr,
        "pipefan run: %llu block%s quarantined after crashing %s "
        "worker more than %d time%s (%s); the output lacks %s\n",
        (unsigned long long)n, n == 1 ? " was" : "s were",
        n == 1 ? "its" : "their", cfg->retries, cfg->retries == 1 ? "" : "s",
        cfg->dead_letter != NULL ? cfg->dead_letter : "no --dead-letter file",
        n == 1 ? "it" : "them");
}

int run_say_input_trouble(const struct run_config *cfg)
{
    const struct run_shared *sh = cfg->sh;
    if (atomic_load(&sh->shrank)) {
        fprintf(stderr,
                "pipefan run: standard input shrank during the run: "
                "byte %llu of the %llu bytes its size promised is gone "
                "(truncated while read, as logrotate's copytruncate "
                "does?); the run was stopped\n",
                (unsigned long long)atomic_load(&sh->shrank_at),
                (unsigned long long)cfg->in_end);
        return 1;
    }
    int k = atomic_load(&sh->too_long) - 1;
    if (k < 0 || k >= cfg->nstages)
        return 0;
    const struct run_stage *st = &cfg->stages[k];
    fprintf(stderr,
            "pipefan run: a record longer than --max-record (%zu "
            "bytes) ",
            cfg->max_record);
    if (st->role == RUN_ROLE_COMMAND)
        fprintf(stderr, "in the output of stage %d (%s) '%s'", st->num,
                st->name, st->cmd);
    else if (st->role == RUN_ROLE_INPUT)
        fprintf(stderr, "on standard input");
    else
        fprintf(stderr, "reached the %s stage", st->name);
    fprintf(stderr, "; the run was stopped (raise --max-record, or check "
                    "the framing: -0, --fixed)\n");
    return 1;
}

void run_say_failure(const struct run_config *cfg)
{
    const struct run_failure *f = &cfg->sh->fail;
    if (f->stage == 0) {
        fprintf(stderr, "%s\n", f->what);
        return;
    }
    const struct run_stage *st = NULL;
    for (int k = 0; k < cfg->nstages; k++)
        if (cfg->stages[k].role == RUN_ROLE_COMMAND &&
            cfg->stages[k].num == f->stage)
            st = &cfg->stages[k];
    fprintf(stderr, "stage %d (%s) worker %d: '%s' %s", f->stage, st->name,
            f->worker, st->cmd, f->what);
    if (f->block != 0)
        fprintf(stderr, " on block %llu", (unsigned long long)f->block);
    fprintf(stderr, " (pid %d)\n", f->pid);
}
