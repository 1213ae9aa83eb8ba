/*
 * run-joblog.c - the joblog of pipefan run, in GNU parallel's format, and
 * --resume / --resume-failed, which read it back.
 *
 * One line per block (its last try, as parallel writes one per job) and
 * per stream command, tab-separated, under parallel's header:
 *
 *   Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
 *
 * Seq is the block number (the input's block number for the first stage,
 * so it names the same block again in a run over the same input), 0 for
 * a stream command; Host is where it ran, the stage and worker (1:gzip/0).
 * A killed command has Exitval 0 and its signal, as parallel writes it.
 *
 * A line means "done": for the stage that writes stdout, it is written
 * only once the block's output is on stdout.  Where a relay writes stdout
 * (-k, --retries), the worker sends the line after the block's output as
 * a chunk of its own (RUN_F_JOBLOG), and the relay writes it once it has
 * written what came before.  With -k, a block the worker did not run (the
 * run was stopping) sends an empty such chunk: from there on, the relay
 * writes neither output nor lines, so that what a stopped run wrote is
 * the output of blocks 1..K, all of them in the joblog, and a resumed run
 * appends the rest in order.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define HDR sizeof(struct run_hdr)
#define LINE_MAX_BYTES 4096

static const char head[] = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\t"
                           "Exitval\tSignal\tCommand\n";

double run_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void run_joblog_write(struct run_config *cfg, const char *line, size_t n)
{
    if (cfg->joblog_fd < 0)
        return;
    ssize_t k = write(cfg->joblog_fd, line, n);
    if (k == (ssize_t)n)
        return;
    if (k >= 0)
        errno = ENOSPC; /* a short write on a regular file */
    if (!atomic_exchange(&cfg->sh->report_failed, 1))
        pf_log(NULL, PF_LOG_ERROR, "joblog %s: %s", cfg->joblog,
               strerror(errno));
}

void run_joblog_header(struct run_config *cfg)
{
    struct stat sb;
    if (cfg->joblog_fd < 0)
        return;
    /* Resuming appends to the log it read, whose header is there. */
    if (fstat(cfg->joblog_fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        sb.st_size > 0)
        return;
    run_joblog_write(cfg, head, sizeof head - 1);
}

/* The line for job j of stage st into line[LINE_MAX_BYTES]; its length. */
static size_t format_line(const struct run_stage *st, const struct run_job *j,
                          char *line)
{
    int exitval = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : 0;
    int sig = WIFSIGNALED(j->status) ? WTERMSIG(j->status) : 0;
    int n = snprintf(line, LINE_MAX_BYTES,
                     "%llu\t%s/%d\t%.3f\t%10.3f\t%llu\t%llu\t%d\t%d\t",
                     (unsigned long long)j->block, st->name, j->worker,
                     j->start, j->runtime, (unsigned long long)j->sent,
                     (unsigned long long)j->received, exitval, sig);
    /* The command, with tabs, newlines and backslashes escaped, so one
     * line stays one line. */
    for (const char *c = st->cmd; *c && n < LINE_MAX_BYTES - 4; c++) {
        if (*c == '\t' || *c == '\n' || *c == '\\') {
            line[n++] = '\\';
            line[n++] = *c == '\t' ? 't' : *c == '\n' ? 'n' : '\\';
        } else {
            line[n++] = *c;
        }
    }
    line[n++] = '\n';
    return (size_t)n;
}

/* Send a RUN_F_JOBLOG chunk holding line[0..n) to the relay. */
static int send_marker(pf_ctx *ctx, const char *line, size_t n)
{
    unsigned char buf[HDR + LINE_MAX_BYTES];
    struct run_hdr h = {0};
    h.flags = RUN_F_JOBLOG;
    h.len = n;
    memcpy(buf, &h, HDR);
    memcpy(buf + HDR, line, n);
    int rc = pf_emit(ctx, buf, HDR + n);
    if (rc == 0 || rc == PF_ECANCELED)
        return 0;
    if (rc != PF_ESTAGE)
        pf_log(ctx, PF_LOG_ERROR, "emit: %s", pf_strerror(rc));
    return -1;
}

int run_joblog_done(struct run_stage *st, pf_ctx *ctx, const struct run_job *j)
{
    struct run_config *cfg = st->cfg;
    if (cfg->joblog_fd < 0)
        return 0;
    char line[LINE_MAX_BYTES];
    size_t n = format_line(st, j, line);
    if (st->log_via_out && ctx != NULL)
        return send_marker(ctx, line, n);
    run_joblog_write(cfg, line, n);
    return 0;
}

int run_joblog_skipped(struct run_stage *st, pf_ctx *ctx)
{
    if (st->cfg->joblog_fd < 0 || !st->log_via_out || !st->cfg->keep_order)
        return 0;
    return send_marker(ctx, "", 0);
}

int run_joblog_relay(struct run_stage *st, int *gap, const void *line, size_t n)
{
    if (!st->to_stdout)
        return 1; /* a middle relay passes it on */
    if (n == 0)
        *gap = 1; /* a block not run: the rest must wait for --resume */
    else if (!*gap)
        run_joblog_write(st->cfg, line, n);
    return 0;
}

/* ---- --resume ----------------------------------------------------------- */

int run_resume_done(const struct run_config *cfg, uint64_t seq)
{
    return cfg->done != NULL && seq < cfg->done_bits &&
           (cfg->done[seq / 8] >> (seq % 8) & 1);
}

/* Mark block seq done, growing the map. */
static int mark_done(struct run_config *cfg, uint64_t seq)
{
    if (seq >= cfg->done_bits) {
        uint64_t bits = cfg->done_bits ? cfg->done_bits : 1024;
        while (bits <= seq)
            bits *= 2;
        unsigned char *m = realloc(cfg->done, (size_t)(bits / 8));
        if (m == NULL)
            return -1;
        memset(m + cfg->done_bits / 8, 0,
               (size_t)((bits - cfg->done_bits) / 8));
        cfg->done = m;
        cfg->done_bits = bits;
    }
    cfg->done[seq / 8] |= (unsigned char)(1u << (seq % 8));
    return 0;
}

/* One line of an earlier joblog: mark its block done if it counts.
 * 0, or -1 for a line that is not one of the joblog's. */
static int read_line(struct run_config *cfg, char *line)
{
    char *f[9];
    int k = 0;
    f[k++] = line;
    for (char *p = line; *p && k < 9; p++)
        if (*p == '\t') {
            *p = '\0';
            f[k++] = p + 1;
        }
    if (k < 9)
        return -1;
    char *end;
    errno = 0;
    unsigned long long seq = strtoull(f[0], &end, 10);
    if (errno != 0 || end == f[0] || *end != '\0')
        return -1;
    long exitval = strtol(f[6], &end, 10);
    if (end == f[6])
        return -1;
    long sig = strtol(f[7], &end, 10);
    if (end == f[7])
        return -1;
    if (seq == 0) /* a stream command */
        return 0;
    if (cfg->resume == RUN_RESUME_FAILED && (exitval != 0 || sig != 0))
        return 0; /* failed: run it again */
    return mark_done(cfg, seq) < 0 ? -2 : 0;
}

static int resume_load(struct run_config *cfg)
{
    FILE *f = fopen(cfg->joblog, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0; /* nothing ran yet: run everything */
        fprintf(stderr, "pipefan run: --joblog %s: %s\n", cfg->joblog,
                strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    unsigned long lineno = 0, bad = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (lineno == 1) {
            if (strncmp(line, head, sizeof head - 2) != 0) {
                fprintf(stderr,
                        "pipefan run: --resume: %s is not a joblog of GNU "
                        "parallel's format (its first line is not the "
                        "header Seq, Host, Starttime, ...)\n",
                        cfg->joblog);
                rc = -1;
                break;
            }
            continue;
        }
        int r = read_line(cfg, line);
        if (r == -2) {
            fprintf(stderr, "pipefan run: out of memory\n");
            rc = -1;
            break;
        }
        if (r < 0 && bad++ == 0)
            fprintf(stderr,
                    "pipefan run: --resume: %s line %lu is not a joblog "
                    "line; ignored\n",
                    cfg->joblog, lineno);
    }
    free(line);
    fclose(f);
    return rc;
}

int run_joblog_open(struct run_config *cfg)
{
    if (cfg->joblog == NULL)
        return 0;
    if (cfg->resume && resume_load(cfg) < 0)
        return -1;
    int trunc = cfg->resume ? 0 : O_TRUNC;
    cfg->joblog_fd = open(
        cfg->joblog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | trunc, 0644);
    if (cfg->joblog_fd < 0) {
        fprintf(stderr, "pipefan run: --joblog %s: %s\n", cfg->joblog,
                strerror(errno));
        return -1;
    }
    return 0;
}
