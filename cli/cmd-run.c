/*
 * cmd-run.c - `pipefan run`: pipelines of shell commands, each stage with
 * its own number of worker processes.
 *
 * This file reads the command line into a plan (struct run_config and its
 * stages), prints it for --dry-run, builds the pipefan pipeline from it -
 * input, one stage per command, and with --keep-order the one-worker
 * relays that ordered stages need around them - runs it, and turns what
 * happened into an exit status.  The stages themselves are in
 * run-input.c, run-exec.c and run-output.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pipefan.h>

#include "cli.h"
#include "run.h"

#define RUN_EXIT_SOME_FAILED 3 /* --halt never: some commands failed */
#define DEFAULT_BLOCK (1u << 20)
#define DEFAULT_CHUNK (1u << 20)
#define DEFAULT_MAX_RECORD (64u << 20)
#define MAX_COMMANDS 64
#define RUN_EXIT_QUARANTINED 5  /* crash-proof: poison blocks were skipped */
#define CP_RING_MIN (4u << 20)  /* crash-proof queues: see */
#define CP_RING_MAX (64u << 20) /* crashproof_ring() */
#define CP_RING_BUDGET (1ull << 30)

static void usage(FILE *f)
{
    fputs(
        "usage: pipefan run [OPTIONS] [STAGE-OPTIONS] COMMAND "
        "[[STAGE-OPTIONS] COMMAND]...\n"
        "\n"
        "Run a pipeline of shell commands, each stage with its own number of\n"
        "worker processes.  Standard input is split among the first stage's\n"
        "workers, record by record (a record is never split); each stage's\n"
        "output is spread over the next stage's workers; the last stage's\n"
        "output is standard output.  Each COMMAND is one argument, run with\n"
        "sh -c.  A regular file on stdin is not copied: the workers read\n"
        "their own byte ranges of it.\n"
        "\n"
        "stage options (apply to the COMMAND that follows them):\n"
        "  -j, --jobs N        worker processes for this stage (default 1;\n"
        "                      0 = one per online core)\n"
        "  --block SIZE        block mode: one command run per block of about\n"
        "                      SIZE bytes of whole records (K/M/G), instead "
        "of\n"
        "                      one long-lived command per worker (stream "
        "mode)\n"
        "  --retries N         block mode: run a failed block up to N more\n"
        "                      times (implies --block 1M), and make the run\n"
        "                      crash-proof: a worker that dies is restarted\n"
        "                      and its block replayed, up to N times a "
        "block\n"
        "options:\n"
        "  -0, --null          records end with NUL, not newline\n"
        "  --fixed SIZE        records are SIZE-byte binary blocks\n"
        "  -k, --keep-order    output in input order, as the serial pipeline\n"
        "                      writes it (stages with several workers run in\n"
        "                      block mode, --block 1M unless given)\n"
        "  --halt now|soon|never  on a failed command: stop everything at "
        "once\n"
        "                      (now, default); stop the input and start no\n"
        "                      new block, let running commands finish (soon);\n"
        "                      or go on and report at the end (never)\n"
        "  --stall-timeout SEC kill a block's command that moves no byte for\n"
        "                      SEC seconds, and handle it as a crashed worker\n"
        "  --poison skip|fail  a block that crashed its worker more than N\n"
        "                      times: skip it, exit 5 (default); or fail\n"
        "  --dead-letter FILE  append the skipped blocks to FILE\n"
        "  --joblog FILE       one line per command run (blocks, and stream\n"
        "                      commands): stage, block, worker, try, start,\n"
        "                      runtime, bytes in and out, exit value, signal\n"
        "  --chunk-size SIZE   stream mode: byte range per read of a regular\n"
        "                      file (default 1M)\n"
        "  --max-record SIZE   longest record (default 64M)\n"
        "  --dry-run           print the plan and exit\n"
        "  --stats             per-stage table on stderr at the end\n"
        "  --stats-json FILE   the same as JSON\n"
        "  --progress, --no-progress  live progress line on stderr (default:\n"
        "                      when stderr is a terminal)\n"
        "  --serial            one process, stage after stage (as "
        "PIPEFAN_SERIAL=1)\n"
        "  -q, --quiet         errors only;  -v, --verbose  more messages\n"
        "  -h, --help          this text\n"
        "\n"
        "examples:\n"
        "  cat big.log | pipefan run -j 8 'grep -F needle'\n"
        "  pipefan run 'zcat logs/*.gz' -j 12 './whois-lookup' "
        "'sort | uniq -c | sort -rn'\n"
        "  pipefan run -j 2 'wc -l' < big.log | awk '{n += $1} END {print n}'\n"
        "  pipefan run -k -j 4 --block 10M 'gzip -c' < big.log > big.log.gz\n"
        "  pipefan run --joblog jobs.tsv --retries 2 -j 16 --block 1M ./upload"
        " < list\n"
        "\n"
        "exit: 0 ok, 1 a command failed (or pipefan did), 2 usage, 3 --halt\n"
        "never and some commands failed, 5 poison blocks were skipped,\n"
        "130/143 SIGINT/SIGTERM; when whoever reads pipefan's output goes\n"
        "away, it ends like a shell command, by SIGPIPE.  See docs/RUN.md.\n",
        f);
}

__attribute__((format(printf, 1, 0))) static int usage_error(const char *fmt,
                                                             const char *arg)
{
    fprintf(stderr, "pipefan run: ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    fprintf(stderr, fmt, arg);
#pragma GCC diagnostic pop
    fprintf(stderr, "\nTry 'pipefan run --help'.\n");
    return CLI_EXIT_USAGE;
}

/* "4M" -> bytes; 0 on error. */
static size_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return 0;
    unsigned shift = 0;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default:
        break;
    }
    if (shift != 0 && *end == 'i')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0' || v > (1ull << 40) >> shift)
        return 0;
    return (size_t)(v << shift);
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* A short stage name from the command: its first word's basename. */
static void stage_name(char *buf, size_t n, int num, const char *cmd)
{
    const char *p = cmd;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strcspn(p, " \t\n;|&<>()'\"");
    const char *word = p;
    for (size_t i = 0; i < len; i++)
        if (p[i] == '/' && i + 1 < len)
            word = p + i + 1;
    len -= (size_t)(word - p);
    if (len == 0) {
        word = "cmd";
        len = 3;
    }
    if (len > 24)
        len = 24;
    snprintf(buf, n, "%d:%.*s", num, (int)len, word);
}

/* A command stage as parsed, before the plan. */
struct cmd_spec {
    const char *cmd;
    int workers;
    size_t block;
    int retries;
};

/* Append a pipefan stage to the plan. */
static struct run_stage *plan_add(struct run_config *cfg, enum run_role role)
{
    struct run_stage *st = &cfg->stages[cfg->nstages];
    memset(st, 0, sizeof *st);
    st->role = role;
    st->cfg = cfg;
    st->workers = 1;
    st->stats = cfg->nstages++;
    return st;
}

/* Turn the parsed commands into the stages of the pipefan pipeline. */
static int plan(struct run_config *cfg, struct cmd_spec *cmds, int n)
{
    cfg->stages = calloc((size_t)(2 * n + 2), sizeof *cfg->stages);
    if (cfg->stages == NULL)
        return -1;
    cfg->ncommands = n;
    for (int i = 0; i < n; i++)
        if (cmds[i].retries > cfg->retries)
            cfg->retries = cmds[i].retries;
    cfg->crashproof = cfg->retries > 0;
    struct run_stage *in = plan_add(cfg, RUN_ROLE_INPUT);
    snprintf(in->name, sizeof in->name, "input");
    in->feeds = 1;
    /* A source is restarted by reading its input again: a file, not a
     * pipe. */
    in->restartable = cfg->crashproof && cfg->in_ranges;
    for (int i = 0; i < n; i++) {
        struct cmd_spec *c = &cmds[i];
        struct run_stage *st = plan_add(cfg, RUN_ROLE_COMMAND);
        st->cmd = c->cmd;
        st->num = i + 1;
        st->feeds = i + 2;
        st->workers = c->workers;
        st->block = c->block;
        st->retries = c->retries;
        if (st->block == 0 &&
            (st->retries > 0 || (cfg->keep_order && st->workers > 1))) {
            st->block = DEFAULT_BLOCK;
            st->implied = 1;
        }
        st->ordered = cfg->keep_order && st->workers > 1;
        st->ranges = i == 0 && cfg->in_ranges;
        /* Only a block's output can be replayed exactly: a stream
         * command's output is not tied to its input records. */
        st->restartable = st->block != 0 && st->retries > 0;
        stage_name(st->name, sizeof st->name, i + 1, c->cmd);
        if (i + 1 == n && (st->ordered || st->restartable)) {
            /* stdout is written by a one-worker sink: it keeps order, and
             * unlike a restartable worker it is never restarted, so what
             * it wrote is never written again. */
            struct run_stage *out = plan_add(cfg, RUN_ROLE_RELAY);
            snprintf(out->name, sizeof out->name, "output");
            out->feeds = n + 1;
        } else if (st->ordered && cmds[i + 1].workers > 1) {
            struct run_stage *r = plan_add(cfg, RUN_ROLE_RELAY);
            snprintf(r->name, sizeof r->name, "merge%d", i + 2);
            r->feeds = i + 2;
            r->restartable = cfg->crashproof;
        }
    }
    cfg->stages[cfg->nstages - 1].to_stdout = 1;
    /* Each stage's output is sized for the command stage after it (past
     * a merge relay, which passes blocks on: a crash-proof relay passes
     * each as it comes). */
    for (int k = 0; k + 1 < cfg->nstages; k++) {
        struct run_stage *st = &cfg->stages[k], *nx = &cfg->stages[k + 1];
        if (nx->role == RUN_ROLE_RELAY && !nx->to_stdout)
            nx = &cfg->stages[k + 2];
        st->out_hold = nx->role == RUN_ROLE_COMMAND && nx->block != 0;
        st->out_target = st->out_hold ? nx->block : cfg->chunk;
    }
    /* Byte ranges for stream mode: small enough that every worker gets
     * several, however small the file. */
    struct run_stage *first = &cfg->stages[1];
    if (cfg->in_ranges && !in->out_hold) {
        uint64_t share =
            (cfg->in_end - cfg->in_off) / (uint64_t)(4 * first->workers);
        if (share < (64u << 10))
            share = 64u << 10;
        if (share < in->out_target)
            in->out_target = (size_t)share;
    }
    return 0;
}

/* --dry-run: what would run, and how. */
static void print_plan(const struct run_config *cfg, FILE *f)
{
    char sz[32];
    if (cfg->in_ranges) {
        run_human(sz, sizeof sz, (double)(cfg->in_end - cfg->in_off));
        fprintf(f,
                "input:   stdin, a regular file of %s: byte ranges read "
                "by stage 1's workers\n",
                sz);
    } else {
        fprintf(f, "input:   stdin, read and passed on in chunks\n");
    }
    if (cfg->framing == RUN_FIXED)
        fprintf(f, "records: %zu-byte blocks\n", cfg->fixed);
    else
        fprintf(f, "records: %s-terminated\n",
                cfg->framing == RUN_NUL ? "NUL" : "newline");
    for (int k = 1; k < cfg->nstages; k++) {
        const struct run_stage *st = &cfg->stages[k];
        if (st->role == RUN_ROLE_RELAY) {
            fprintf(f, "stage:   %-12s 1 worker: %s%s%s\n", st->name,
                    st->to_stdout ? "writes stdout" : "passes blocks on",
                    cfg->keep_order ? ", in input order" : "",
                    st->restartable ? ", restarted after a crash" : "");
            continue;
        }
        fprintf(f, "stage:   %-12s %d worker%s, ", st->name, st->workers,
                st->workers == 1 ? "" : "s");
        if (st->block != 0) {
            run_human(sz, sizeof sz, (double)st->block);
            fprintf(f, "block mode (%s%s)", sz, st->implied ? ", implied" : "");
            if (st->retries > 0)
                fprintf(f, ", %d retr%s", st->retries,
                        st->retries == 1 ? "y" : "ies");
            if (st->ordered)
                fprintf(f, ", ordered");
            if (st->restartable)
                fprintf(f, ", restarted after a crash");
        } else {
            fprintf(f, "stream mode");
        }
        fprintf(f, "%s: sh -c '%s'\n", st->to_stdout ? ", writes stdout" : "",
                st->cmd);
    }
    static const char *const halt[] = {
        [RUN_HALT_NOW] = "now: the first failed command stops the run",
        [RUN_HALT_SOON] = ("soon: after a failed command, the input stops "
                           "and running commands finish"),
        [RUN_HALT_NEVER] = "never: failures are reported at the end",
    };
    fprintf(f, "halt:    %s\n", halt[cfg->halt]);
    if (cfg->crashproof) {
        fprintf(f,
                "crashes: a crashed worker is restarted and its block "
                "replayed, up to %d time%s per block; input %s\n",
                cfg->retries, cfg->retries == 1 ? "" : "s",
                cfg->stages[0].restartable ? "read again from the file"
                                           : "from a pipe, not restartable");
        fprintf(f, "poison:  %s%s%s\n",
                cfg->poison == PF_POISON_FAIL ? "fail the run"
                                              : "skip the block",
                cfg->dead_letter != NULL ? ", dead letters to " : "",
                cfg->dead_letter != NULL ? cfg->dead_letter : "");
    }
    if (cfg->stall_ms != 0)
        fprintf(f, "stall:   a block's command idle for %.1f s is killed\n",
                cfg->stall_ms / 1e3);
    if (cfg->joblog != NULL)
        fprintf(f, "joblog:  %s\n", cfg->joblog);
}

/* ---- running ------------------------------------------------------------ */

/* Build the pipefan pipeline for the plan. */
static pf_pipeline *build(struct run_config *cfg)
{
    pf_pipeline *p = pf_pipeline_new();
    if (p == NULL)
        return NULL;
    for (int k = 0; k < cfg->nstages; k++) {
        struct run_stage *st = &cfg->stages[k];
        pf_stage *s;
        if (st->role == RUN_ROLE_INPUT) {
            s = pf_source(p, st->name, run_input, st);
        } else if (st->role == RUN_ROLE_COMMAND) {
            s = pf_stage_add(p, st->name, run_exec_record, st);
            pf_stage_hooks(s, run_exec_init, run_exec_finish);
        } else {
            s = pf_stage_add(p, st->name, run_relay_record, st);
            pf_stage_hooks(s, run_relay_init, run_relay_finish);
        }
        pf_stage_workers(s, st->workers);
        pf_stage_ordered(s, st->ordered);
        if (cfg->crashproof)
            pf_stage_restartable(s, st->restartable);
    }
    return p;
}

/* Where stdin is: a regular file gives byte ranges. */
static void probe_input(struct run_config *cfg)
{
    struct stat sb;
    cfg->in_fd = 0;
    if (fstat(0, &sb) == 0 && S_ISREG(sb.st_mode)) {
        off_t at = lseek(0, 0, SEEK_CUR);
        cfg->in_ranges = 1;
        cfg->in_off = at > 0 ? (uint64_t)at : 0;
        cfg->in_end = (uint64_t)sb.st_size;
        if (cfg->in_off > cfg->in_end)
            cfg->in_off = cfg->in_end;
    }
}

/* Standard fds that are closed would be taken by our pipes: fill them. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0)
            open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

/* Pids of our children, from /proc; returns how many (at most max). */
static int children(pid_t *out, int max)
{
    char path[64], buf[512];
    int n = 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(),
             (int)getpid());
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    for (char *p = buf; n < max && *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        out[n++] = (pid_t)v;
        p = end;
    }
    return n;
}

/*
 * pipefan is the child subreaper of its run: commands whose worker was
 * killed (a failed run stops every worker with SIGKILL) come to us, not
 * to init.  They got SIGKILL too (PR_SET_PDEATHSIG); wait for them, and
 * after a failure kill whatever they started, so nothing of a stopped run
 * lives on.  After a good run, only reap what already ended.
 */
static void reap_orphans(int failed)
{
    for (int round = 0;; round++) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid > 0)
            continue;
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0 || !failed)
            return; /* ECHILD: none left */
        if (round < 20) {
            struct timespec ms10 = {0, 10 * 1000 * 1000};
            nanosleep(&ms10, NULL);
            continue;
        }
        pid_t kids[64];
        int n = children(kids, 64);
        for (int i = 0; i < n; i++)
            kill(kids[i], SIGKILL);
        if (n == 0 && waitpid(-1, &st, 0) < 0 && errno == ECHILD)
            return;
        round = 10;
    }
}

/* ---- crash-proof runs ----------------------------------------------- */

/*
 * Bytes per queue in a crash-proof run.  A block must stay under half a
 * queue to be replayed when its consumer dies (docs/RELIABILITY.md), and
 * a block's output must fit in the next queue to be committed with it: so
 * a queue holds four of the largest blocks, 4 to 64 MiB, less when the
 * queues together would pass 1 GiB.
 */
static size_t crashproof_ring(const struct run_config *cfg)
{
    size_t biggest = cfg->chunk, ring = CP_RING_MIN;
    uint64_t nrings = 0;
    for (int k = 0; k < cfg->nstages; k++) {
        if (cfg->stages[k].block > biggest)
            biggest = cfg->stages[k].block;
        if (k + 1 < cfg->nstages)
            nrings += (uint64_t)cfg->stages[k].workers *
                      (uint64_t)cfg->stages[k + 1].workers;
    }
    while (ring < 4 * (uint64_t)biggest && ring < CP_RING_MAX)
        ring *= 2;
    while (ring > (64u << 10) && nrings * ring > CP_RING_BUDGET)
        ring /= 2;
    return ring;
}

/* Run the plan; the exit status. */
static int execute(struct run_config *cfg, int progress, int stats,
                   const char *stats_json, int serial)
{
    int status = CLI_EXIT_FATAL;
    if (run_shared_init(cfg) < 0) {
        fprintf(stderr, "pipefan run: shared memory: %s\n", strerror(errno));
        return CLI_EXIT_FATAL;
    }
    pf_pipeline *p = build(cfg);
    if (p == NULL) {
        fprintf(stderr, "pipefan run: out of memory\n");
        goto free_shared;
    }
    pf_options o;
    pf_options_init(&o);
    size_t biggest = cfg->chunk;
    for (int k = 0; k < cfg->nstages; k++)
        if (cfg->stages[k].block > biggest)
            biggest = cfg->stages[k].block;
    size_t limit = cfg->max_record + biggest + (1u << 20);
    o.max_record = limit > (1u << 30) ? (1u << 30) : limit;
    o.progress = 0;
    o.serial = serial;
    off_t dl_start = 0;
    if (cfg->crashproof) {
        o.retries = cfg->retries;
        o.poison = cfg->poison;
        o.dead_letter = cfg->dead_letter;
        o.ring_bytes = crashproof_ring(cfg);
        struct stat sb;
        if (cfg->dead_letter != NULL && stat(cfg->dead_letter, &sb) == 0)
            dl_start = sb.st_size;
    }
    pf_pipeline_set_options(p, &o);
    struct run_view view = {.cfg = cfg};
    clock_gettime(CLOCK_MONOTONIC, &view.t0);
    if (progress == 1 || (progress < 0 && isatty(2)))
        pf_pipeline_on_progress(p, run_progress, &view);
    run_joblog_header(cfg);
    run_log_start(cfg);

    /* Workers must see EPIPE, not die of SIGPIPE; commands get the
     * default back. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    int rc = pf_run(p);
    uint64_t restarts = 0, quarantined = 0;
    for (int k = 0; k < cfg->nstages; k++) {
        pf_stage_stats ss;
        if (pf_pipeline_stage_stats(p, k, &ss) == 0) {
            restarts += ss.total.restarts;
            quarantined += ss.total.quarantined;
        }
    }
    /* After a failure or a crash, commands of the dead workers, or their
     * children, may live on. */
    reap_orphans(rc != 0 || restarts > 0 || atomic_load(&cfg->sh->failed));
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    sigaction(SIGPIPE, &old, NULL);
    run_log_end();
    double secs = run_elapsed(&view);

    if (stats)
        run_print_stats(cfg, p, secs);
    if (stats_json != NULL &&
        run_write_stats_json(cfg, p, stats_json, secs) < 0)
        fprintf(stderr, "pipefan run: %s: %s\n", stats_json, strerror(errno));

    struct run_shared *sh = cfg->sh;
    uint64_t failures = 0;
    for (int k = 0; k < cfg->nstages; k++)
        failures += cfg->ctr[k].failures;
    int sig = pf_run_signal(p);
    /* A poison block that was skipped does not fail the run. */
    int broke = rc != 0 && !(rc == PF_EPOISON && cfg->poison == PF_POISON_SKIP);
    int failed = atomic_load(&sh->failed);
    if (sig != 0) {
        status = 128 + sig;
    } else if (atomic_load(&sh->out_closed)) {
        status = 128 + SIGPIPE;
        pf_pipeline_free(p);
        p = NULL;
        run_shared_free(cfg);
        fflush(NULL);
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE); /* end like a shell command whose reader left */
        return status;
    } else if (failed && (broke || cfg->halt == RUN_HALT_NOW)) {
        /* A failed command stopped the run (the runtime, or the cut of
         * a crash-proof run), or the run broke after it. */
        fprintf(stderr, "pipefan run: ");
        run_say_failure(cfg);
    } else if (broke) {
        run_say_crash(cfg, p, rc);
    } else {
        if (restarts > 0 && quarantined == 0 && pf_log_level() > PF_LOG_ERROR)
            fprintf(stderr,
                    "pipefan run: %llu worker restart%s after crashes; "
                    "every block %s was replayed and its output written "
                    "once\n",
                    (unsigned long long)restarts, restarts == 1 ? "" : "s",
                    restarts == 1 ? "in progress" : "they had in progress");
        if (quarantined > 0) {
            run_say_quarantined(cfg, quarantined, dl_start);
            status = RUN_EXIT_QUARANTINED;
        } else {
            status = CLI_EXIT_OK;
        }
        if (failures > 0) {
            int soon = cfg->halt == RUN_HALT_SOON;
            fprintf(stderr,
                    "pipefan run: %llu command run%s failed "
                    "(--halt %s); the first: ",
                    (unsigned long long)failures, failures == 1 ? "" : "s",
                    soon ? "soon, the input was stopped" : "never");
            run_say_failure(cfg);
            if (soon)
                status = CLI_EXIT_FATAL;
            else if (status == CLI_EXIT_OK)
                status = RUN_EXIT_SOME_FAILED;
        }
    }
    pf_pipeline_free(p);
free_shared:
    run_shared_free(cfg);
    return status;
}

enum {
    OPT_FIXED = 256,
    OPT_HALT,
    OPT_JOBLOG,
    OPT_CHUNK,
    OPT_MAXREC,
    OPT_DRY,
    OPT_STATS,
    OPT_STATSJSON,
    OPT_PROG,
    OPT_NOPROG,
    OPT_SERIAL,
    OPT_BLOCK,
    OPT_RETRIES,
    OPT_STALL,
    OPT_POISON,
    OPT_DEADLETTER,
};

int cli_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"jobs", required_argument, 0, 'j'},
        {"block", required_argument, 0, OPT_BLOCK},
        {"retries", required_argument, 0, OPT_RETRIES},
        {"null", no_argument, 0, '0'},
        {"fixed", required_argument, 0, OPT_FIXED},
        {"keep-order", no_argument, 0, 'k'},
        {"halt", required_argument, 0, OPT_HALT},
        {"stall-timeout", required_argument, 0, OPT_STALL},
        {"poison", required_argument, 0, OPT_POISON},
        {"dead-letter", required_argument, 0, OPT_DEADLETTER},
        {"joblog", required_argument, 0, OPT_JOBLOG},
        {"chunk-size", required_argument, 0, OPT_CHUNK},
        {"max-record", required_argument, 0, OPT_MAXREC},
        {"dry-run", no_argument, 0, OPT_DRY},
        {"stats", no_argument, 0, OPT_STATS},
        {"stats-json", required_argument, 0, OPT_STATSJSON},
        {"progress", no_argument, 0, OPT_PROG},
        {"no-progress", no_argument, 0, OPT_NOPROG},
        {"serial", no_argument, 0, OPT_SERIAL},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    static struct cmd_spec cmds[MAX_COMMANDS];
    struct run_config cfg;
    int ncmd = 0, c, verbose = 0, quiet = 0, dry = 0, stats = 0;
    int progress = -1, serial = -1, pending = 0;
    const char *stats_json = NULL;
    struct cmd_spec next = {NULL, 1, 0, 0};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(&cfg, 0, sizeof cfg);
    cfg.framing = RUN_LINES;
    cfg.delim = '\n';
    cfg.halt = RUN_HALT_NOW;
    cfg.joblog_fd = -1;
    cfg.chunk = DEFAULT_CHUNK;
    cfg.max_record = DEFAULT_MAX_RECORD;
    optind = 1;
    /* A leading '-' in the option string: commands come back as code 1,
     * in order, so stage options attach to the command after them. */
    for (;;) {
        c = getopt_long(argc, argv, "-0j:kqvh", opts, NULL);
        if (c == -1) {
            if (optind >= argc)
                break;
            c = 1; /* after "--": the rest are commands */
            optarg = argv[optind++];
        }
        switch (c) {
        case 1:
            if (ncmd == MAX_COMMANDS)
                return usage_error("at most %s commands", "64");
            if (optarg[0] == '\0')
                return usage_error("an empty command%s", "");
            next.cmd = optarg;
            cmds[ncmd++] = next;
            next = (struct cmd_spec){NULL, 1, 0, 0};
            pending = 0;
            break;
        case 'j':
            if (parse_int(optarg, 0, PF_MAX_WORKERS, &next.workers) < 0)
                return usage_error("-j: expected 0..256, got '%s'", optarg);
            if (next.workers == 0)
                next.workers = cores < 1                ? 1
                               : cores > PF_MAX_WORKERS ? PF_MAX_WORKERS
                                                        : (int)cores;
            pending = 1;
            break;
        case OPT_BLOCK:
            if ((next.block = parse_size(optarg)) == 0)
                return usage_error("--block: expected a size (1M), got '%s'",
                                   optarg);
            pending = 1;
            break;
        case OPT_RETRIES:
            if (parse_int(optarg, 0, 1000, &next.retries) < 0)
                return usage_error("--retries: expected 0..1000, got '%s'",
                                   optarg);
            pending = 1;
            break;
        case '0':
            cfg.framing = RUN_NUL;
            cfg.delim = '\0';
            break;
        case OPT_FIXED:
            if ((cfg.fixed = parse_size(optarg)) == 0)
                return usage_error("--fixed: expected a size, got '%s'",
                                   optarg);
            cfg.framing = RUN_FIXED;
            break;
        case 'k':
            cfg.keep_order = 1;
            break;
        case OPT_HALT:
            if (strcmp(optarg, "now") == 0)
                cfg.halt = RUN_HALT_NOW;
            else if (strcmp(optarg, "soon") == 0)
                cfg.halt = RUN_HALT_SOON;
            else if (strcmp(optarg, "never") == 0)
                cfg.halt = RUN_HALT_NEVER;
            else
                return usage_error("--halt: expected now, soon or never, got "
                                   "'%s'",
                                   optarg);
            break;
        case OPT_STALL: {
            long ms = cli_stall_ms(optarg);
            if (ms < 0)
                return usage_error("--stall-timeout: expected seconds > 0, "
                                   "got '%s'",
                                   optarg);
            cfg.stall_ms = (unsigned)ms;
            break;
        }
        case OPT_POISON:
            cfg.poison = cli_poison_policy(optarg);
            if (cfg.poison < 0)
                return usage_error("--poison: expected skip or fail, got '%s'",
                                   optarg);
            break;
        case OPT_DEADLETTER:
            cfg.dead_letter = optarg;
            break;
        case OPT_JOBLOG:
            cfg.joblog = optarg;
            break;
        case OPT_CHUNK:
            if ((cfg.chunk = parse_size(optarg)) == 0)
                return usage_error("--chunk-size: expected a size, got '%s'",
                                   optarg);
            break;
        case OPT_MAXREC:
            if ((cfg.max_record = parse_size(optarg)) == 0)
                return usage_error("--max-record: expected a size, got '%s'",
                                   optarg);
            break;
        case OPT_DRY:
            dry = 1;
            break;
        case OPT_STATS:
            stats = 1;
            break;
        case OPT_STATSJSON:
            stats_json = optarg;
            break;
        case OPT_PROG:
            progress = 1;
            break;
        case OPT_NOPROG:
            progress = 0;
            break;
        case OPT_SERIAL:
            serial = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            return usage_error("see the options above%s", "");
        }
    }
    if (pending)
        return usage_error("stage options after the last command: they "
                           "apply to the command that follows them%s",
                           "");
    if (ncmd == 0)
        return usage_error("no command given%s", "");
    if (cfg.framing == RUN_FIXED && cfg.fixed > cfg.max_record)
        cfg.max_record = cfg.fixed;
    pf_log_set_level(quiet          ? PF_LOG_ERROR
                     : verbose >= 2 ? PF_LOG_DEBUG
                     : verbose == 1 ? PF_LOG_INFO
                                    : pf_log_level());

    ensure_std_fds();
    probe_input(&cfg);
    if (plan(&cfg, cmds, ncmd) < 0) {
        fprintf(stderr, "pipefan run: out of memory\n");
        return CLI_EXIT_FATAL;
    }
    int blocks = 0;
    for (int k = 0; k < cfg.nstages; k++)
        blocks |= cfg.stages[k].block != 0;
    if (cfg.stall_ms != 0 && !blocks) {
        free(cfg.stages);
        return usage_error("--stall-timeout watches the commands of block "
                           "mode; no stage is in block mode (--block SIZE)%s",
                           "");
    }
    if (dry) {
        print_plan(&cfg, stdout);
        free(cfg.stages);
        return CLI_EXIT_OK;
    }
    if (cfg.joblog != NULL) {
        cfg.joblog_fd =
            open(cfg.joblog,
                 O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (cfg.joblog_fd < 0) {
            fprintf(stderr, "pipefan run: --joblog %s: %s\n", cfg.joblog,
                    strerror(errno));
            free(cfg.stages);
            return CLI_EXIT_FATAL;
        }
    }
    int status = execute(&cfg, progress, stats, stats_json, serial);
    if (cfg.joblog_fd >= 0)
        close(cfg.joblog_fd);
    free(cfg.stages);
    return status;
}
