/*
 * cmd-run.c - `pipefan run`: pipelines of shell commands, each stage with
 * its own number of worker processes.
 *
 * This file reads the command line (parse), makes the plan (run-plan.c:
 * struct run_config and its stages), prints it for --dry-run, builds the
 * pipefan pipeline from it, runs it (execute), and turns what happened
 * into an exit status (outcome).  The stages themselves are in
 * run-input.c, run-exec.c and run-output.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "opt.h"
#include "run-plan.h"
#include "run.h"

#define CMD "run"
#define DEFAULT_CHUNK (1u << 20)
#define DEFAULT_MAX_RECORD (64u << 20)
#define MAX_COMMANDS 64

/* A usage error in an option handler: the message, then -1. */
#define BAD(...) (cli_usage_error(CMD, __VA_ARGS__), -1)

/* The command line as parsed. */
struct run_cmdline {
    struct run_config cfg;
    struct run_cmd_spec cmds[MAX_COMMANDS];
    int ncmd;
    struct run_cmd_spec next; /* stage options for the next command */
    int pending;              /* next has options and no command yet */
    cli_fault fault;
    int verbose, quiet, dry, stats, progress, serial;
    const char *stats_json;
    long cores;
};

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
        "                      times, N+1 in all (GNU parallel's --retries N\n"
        "                      runs it N times in all; implies --block 1M),\n"
        "                      and make the run\n"
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
        "                      (now, default: output other commands had not\n"
        "                      passed on yet is lost); stop the input and\n"
        "                      start no new block, let running commands\n"
        "                      finish (soon); or go on, report at the end\n"
        "                      (never)\n"
        "  --stall-timeout SEC kill a block's command that moves no byte for\n"
        "                      SEC seconds, and handle it as a crashed worker\n"
        "  --poison skip|fail  a block that crashed its worker more than N\n"
        "                      times: skip it, exit 5 (default); or fail\n"
        "  --dead-letter FILE  append the skipped blocks to FILE\n"
        "  --joblog FILE       one line per block (its last try) and per\n"
        "                      stream command, in GNU parallel's format: Seq\n"
        "                      (block), Host (stage/worker), Starttime,\n"
        "                      JobRuntime, Send, Receive, Exitval, Signal,\n"
        "                      Command; a block's line follows its output\n"
        "  --resume            with --joblog and one command in block mode:\n"
        "                      skip the blocks the joblog has, append the "
        "rest\n"
        "                      (same input, same --block)\n"
        "  --resume-failed     the same, but run the failed blocks again too\n"
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
        "  pipefan run --joblog jobs.tsv --resume -j 16 --block 1M ./upload"
        " < list\n"
        "\n"
        "exit: 0 ok, 1 a command failed (or pipefan did), 2 usage, 3 --halt\n"
        "never and some commands failed, 5 poison blocks were skipped,\n"
        "130/143 SIGINT/SIGTERM; when whoever reads pipefan's output goes\n"
        "away, it ends like a shell command, by SIGPIPE.  See docs/RUN.md.\n",
        f);
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

/* Where stdin is: a regular file gives byte ranges - when its size is
 * true.  /proc files say 0 and sysfs files a page, whatever they hold:
 * those, and any file whose last byte cannot be read, are read as a
 * stream. */
static void probe_input(struct run_config *cfg)
{
    struct stat sb;
    char last;
    cfg->in_fd = 0;
    if (fstat(0, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        pread(0, &last, 1, sb.st_size - 1) == 1) {
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

/* The pf_options of the plan. */
static void run_options(const struct run_config *cfg, int serial, pf_options *o)
{
    size_t biggest = cfg->chunk;
    pf_options_init(o);
    for (int k = 0; k < cfg->nstages; k++)
        if (cfg->stages[k].block > biggest)
            biggest = cfg->stages[k].block;
    size_t limit = cfg->max_record + biggest + (1u << 20);
    o->max_record = limit > (1u << 30) ? (1u << 30) : limit;
    o->progress = 0;
    o->serial = serial;
    if (cfg->crashproof) {
        /* stalls are watched by the block commands' own timers
         * (run-exec.c), not by the runtime */
        cli_fault f = {.retries = cfg->retries,
                       .poison = cfg->poison,
                       .dead_letter = cfg->dead_letter};
        cli_fault_options(&f, o);
        o->ring_bytes = run_crashproof_ring(cfg);
    }
}

/* What a run left, for its exit status. */
struct run_end {
    int rc;  /* pf_run's */
    int sig; /* pf_run_signal */
    uint64_t restarts, quarantined;
    off_t dl_start;       /* the dead-letter file's size before the run */
    const pf_pipeline *p; /* the run's, for its failure records */
};

/* The exit status of a finished run, and what stderr should say; *pipe
 * set when the reader of our output went away (end by SIGPIPE). */
static int outcome(struct run_config *cfg, const struct run_end *e, int *pipe)
{
    struct run_shared *sh = cfg->sh;
    uint64_t failures = 0;
    int status = CLI_EXIT_OK;
    for (int k = 0; k < cfg->nstages; k++)
        failures += cfg->ctr[k].failures;
    /* A poison block that was skipped does not fail the run. */
    int broke =
        e->rc != 0 && !(e->rc == PF_EPOISON && cfg->poison == PF_POISON_SKIP);
    int failed = atomic_load(&sh->failed);
    *pipe = 0;
    if (e->sig != 0)
        return 128 + e->sig;
    if (run_say_input_trouble(cfg))
        return CLI_EXIT_FATAL; /* stdin shrank, a record too long */
    if (atomic_load(&sh->out_closed)) {
        *pipe = 1;
        return 128 + SIGPIPE;
    }
    if (failed && (broke || cfg->halt == RUN_HALT_NOW)) {
        /* A failed command stopped the run (the runtime, or the cut of
         * a crash-proof run), or the run broke after it. */
        fprintf(stderr, "pipefan run: ");
        run_say_failure(cfg);
        return CLI_EXIT_FATAL;
    }
    if (broke) {
        run_say_crash(cfg, e->p, e->rc);
        return CLI_EXIT_FATAL;
    }
    if (e->restarts > 0 && e->quarantined == 0 && pf_log_level() > PF_LOG_ERROR)
        fprintf(stderr,
                "pipefan run: %llu worker restart%s after crashes; "
                "every block %s was replayed and its output written "
                "once\n",
                (unsigned long long)e->restarts, e->restarts == 1 ? "" : "s",
                e->restarts == 1 ? "in progress" : "they had in progress");
    if (e->quarantined > 0) {
        run_say_quarantined(cfg, e->quarantined, e->dl_start);
        status = CLI_EXIT_QUARANTINED;
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
            status = CLI_EXIT_SOME_FAILED;
    }
    return status;
}

/* Run the plan; the exit status. */
static int execute(struct run_cmdline *cl)
{
    struct run_config *cfg = &cl->cfg;
    struct run_end e = {0};
    int status = CLI_EXIT_FATAL, pipe = 0;
    if (run_shared_init(cfg) < 0) {
        fprintf(stderr, "pipefan run: shared memory: %s\n", strerror(errno));
        return CLI_EXIT_FATAL;
    }
    pf_pipeline *p = build(cfg);
    if (p == NULL) {
        fprintf(stderr, "pipefan run: out of memory\n");
        run_shared_free(cfg);
        return CLI_EXIT_FATAL;
    }
    pf_options o;
    run_options(cfg, cl->serial, &o);
    struct stat sb;
    if (cfg->crashproof && cfg->dead_letter != NULL &&
        stat(cfg->dead_letter, &sb) == 0)
        e.dl_start = sb.st_size;
    pf_pipeline_set_options(p, &o);
    struct run_view view = {.cfg = cfg};
    clock_gettime(CLOCK_MONOTONIC, &view.t0);
    if (cl->progress == 1 || (cl->progress < 0 && isatty(2))) {
        cfg->sh->out_tty = isatty(1);
        pf_pipeline_on_progress(p, run_progress, &view);
    }
    run_joblog_header(cfg);
    run_log_start(cfg);

    /* Workers must see EPIPE, not die of SIGPIPE; commands get the
     * default back. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    e.rc = pf_run(p);
    for (int k = 0; k < cfg->nstages; k++) {
        pf_stage_stats ss;
        if (pf_pipeline_stage_stats(p, k, &ss) == 0) {
            e.restarts += ss.total.restarts;
            e.quarantined += ss.total.quarantined;
        }
    }
    /* After a failure or a crash, commands of the dead workers, or their
     * children, may live on. */
    reap_orphans(e.rc != 0 || e.restarts > 0 || atomic_load(&cfg->sh->failed));
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    sigaction(SIGPIPE, &old, NULL);
    run_log_end();
    double secs = run_elapsed(&view);

    if (cl->stats)
        run_print_stats(cfg, p, secs);
    int unwritten = atomic_load(&cfg->sh->report_failed);
    if (cl->stats_json != NULL &&
        run_write_stats_json(cfg, p, cl->stats_json, secs) < 0) {
        fprintf(stderr, "pipefan run: --stats-json %s: %s\n", cl->stats_json,
                strerror(errno));
        unwritten = 1;
    }
    e.sig = pf_run_signal(p);
    e.p = p;
    status = outcome(cfg, &e, &pipe);
    if (unwritten && status == CLI_EXIT_OK)
        status = CLI_EXIT_FATAL; /* a report asked for is missing */
    pf_pipeline_free(p);
    run_shared_free(cfg);
    if (pipe) {
        fflush(NULL);
        signal(SIGPIPE, SIG_DFL);
        raise(SIGPIPE); /* end like a shell command whose reader left */
    }
    return status;
}

enum {
    OPT_FIXED = CLI_OPT_FIRST,
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
    OPT_RESUME,
    OPT_RESUME_FAILED,
};

static const struct option opts[] = {
    {"jobs", required_argument, 0, 'j'},
    {"block", required_argument, 0, OPT_BLOCK},
    {"null", no_argument, 0, '0'},
    {"fixed", required_argument, 0, OPT_FIXED},
    {"keep-order", no_argument, 0, 'k'},
    {"halt", required_argument, 0, OPT_HALT},
    CLI_FAULT_OPTIONS,
    {"joblog", required_argument, 0, OPT_JOBLOG},
    {"resume", no_argument, 0, OPT_RESUME},
    {"resume-failed", no_argument, 0, OPT_RESUME_FAILED},
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

/* A command (code 1), or an option for the command after it (-j,
 * --block, --retries): 1 taken, 0 not one of them, -1 bad (said). */
static int opt_stage(struct run_cmdline *cl, int c, const char *arg)
{
    struct run_cmd_spec *next = &cl->next;
    size_t sz;
    switch (c) {
    case 1:
        if (cl->ncmd == MAX_COMMANDS)
            return BAD("at most %d commands", MAX_COMMANDS);
        if (arg[0] == '\0')
            return BAD("an empty command");
        next->cmd = arg;
        cl->cmds[cl->ncmd++] = *next;
        *next = (struct run_cmd_spec){NULL, 1, 0, 0};
        cl->pending = 0;
        return 1;
    case 'j':
        if (cli_parse_int(arg, 0, PF_MAX_WORKERS, &next->workers) < 0)
            return BAD("-j: expected 0..256, got '%s'", arg);
        if (next->workers == 0)
            next->workers = cl->cores < 1                ? 1
                            : cl->cores > PF_MAX_WORKERS ? PF_MAX_WORKERS
                                                         : (int)cl->cores;
        break;
    case OPT_BLOCK:
        if (cli_parse_size(arg, &sz) < 0 || sz == 0)
            return BAD("--block: expected a size (1M), got '%s'", arg);
        next->block = sz;
        break;
    case CLI_OPT_RETRIES:
        if (cli_parse_int(arg, 0, 1000, &next->retries) < 0)
            return BAD("--retries: expected 0..1000, got '%s'", arg);
        break;
    default:
        return 0;
    }
    cl->pending = 1;
    return 1;
}

/* Input and run options: 1 taken, 0 not one of them, -1 bad (said). */
static int opt_run(struct run_cmdline *cl, int c, const char *arg)
{
    struct run_config *cfg = &cl->cfg;
    switch (c) {
    case '0':
        cfg->framing = RUN_NUL;
        cfg->delim = '\0';
        return 1;
    case OPT_FIXED:
        if (cli_parse_size(arg, &cfg->fixed) < 0 || cfg->fixed == 0)
            return BAD("--fixed: expected a size, got '%s'", arg);
        cfg->framing = RUN_FIXED;
        return 1;
    case 'k':
        cfg->keep_order = 1;
        return 1;
    case OPT_HALT:
        if (strcmp(arg, "now") == 0)
            cfg->halt = RUN_HALT_NOW;
        else if (strcmp(arg, "soon") == 0)
            cfg->halt = RUN_HALT_SOON;
        else if (strcmp(arg, "never") == 0)
            cfg->halt = RUN_HALT_NEVER;
        else
            return BAD("--halt: expected now, soon or never, got '%s'", arg);
        return 1;
    case OPT_JOBLOG:
        cfg->joblog = arg;
        return 1;
    case OPT_RESUME:
    case OPT_RESUME_FAILED:
        cfg->resume = c == OPT_RESUME ? RUN_RESUME_ALL : RUN_RESUME_FAILED;
        return 1;
    case OPT_CHUNK:
        if (cli_parse_size(arg, &cfg->chunk) < 0 || cfg->chunk == 0)
            return BAD("--chunk-size: expected a size, got '%s'", arg);
        return 1;
    case OPT_MAXREC:
        if (cli_parse_size(arg, &cfg->max_record) < 0 || cfg->max_record == 0)
            return BAD("--max-record: expected a size, got '%s'", arg);
        return 1;
    default:
        return 0;
    }
}

/* What is reported, and how loudly: 1 taken, 0 not one of them. */
static int opt_report(struct run_cmdline *cl, int c, const char *arg)
{
    switch (c) {
    case OPT_DRY:
        cl->dry = 1;
        return 1;
    case OPT_STATS:
        cl->stats = 1;
        return 1;
    case OPT_STATSJSON:
        cl->stats_json = arg;
        return 1;
    case OPT_PROG:
    case OPT_NOPROG:
        cl->progress = c == OPT_PROG;
        return 1;
    case OPT_SERIAL:
        cl->serial = 1;
        return 1;
    case 'q':
        cl->quiet = 1;
        return 1;
    case 'v':
        cl->verbose++;
        return 1;
    default:
        return 0;
    }
}

/* Read the command line into cl; -1 to go on, or an exit code. */
static int parse(struct run_cmdline *cl, int argc, char **argv)
{
    struct run_config *cfg = &cl->cfg;
    memset(cl, 0, sizeof *cl);
    cl->progress = cl->serial = -1;
    cl->next = (struct run_cmd_spec){NULL, 1, 0, 0};
    cl->cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->framing = RUN_LINES;
    cfg->delim = '\n';
    cfg->halt = RUN_HALT_NOW;
    cfg->joblog_fd = -1;
    cfg->chunk = DEFAULT_CHUNK;
    cfg->max_record = DEFAULT_MAX_RECORD;
    optind = 1;
    /* A leading '-' in the option string: commands come back as code 1,
     * in order, so stage options attach to the command after them. */
    for (int rest = 0;;) {
        /* After "--" getopt is not asked again (it would go on
         * parsing options): the rest are commands. */
        int r, c = rest ? -1 : getopt_long(argc, argv, "-0j:kqvh", opts, NULL);
        if (c == -1) {
            if (optind >= argc)
                break;
            rest = 1;
            c = 1;
            optarg = argv[optind++];
        }
        if (c == 'h') {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        if ((r = opt_stage(cl, c, optarg)) == 0 &&
            (r = cli_fault_opt(CMD, c, optarg, &cl->fault)) == 0 &&
            (r = opt_run(cl, c, optarg)) == 0 &&
            (r = opt_report(cl, c, optarg)) == 0) {
            /* getopt said what it was ('?'); an option of ours unhandled */
            if (c != '?')
                fprintf(stderr, "pipefan run: option not handled\n");
            fprintf(stderr, "Try 'pipefan run --help'.\n");
            return CLI_EXIT_USAGE;
        }
        if (r < 0)
            return CLI_EXIT_USAGE;
    }
    cfg->stall_ms = cl->fault.stall_ms;
    cfg->poison = cl->fault.poison;
    cfg->dead_letter = cl->fault.dead_letter;
    return -1;
}

/* Check the whole command line, probe the input, make the plan and the
 * joblog; -1 to go on, or an exit code (after --dry-run, errors). */
static int plan(struct run_cmdline *cl)
{
    struct run_config *cfg = &cl->cfg;
    if (cl->pending)
        return cli_usage_error(CMD, "stage options after the last command: "
                                    "they apply to the command that "
                                    "follows them");
    if (cl->ncmd == 0)
        return cli_usage_error(CMD, "no command given");
    if (cfg->framing == RUN_FIXED && cfg->fixed > cfg->max_record)
        cfg->max_record = cfg->fixed;
    pf_log_set_level(cl->quiet          ? PF_LOG_ERROR
                     : cl->verbose >= 2 ? PF_LOG_DEBUG
                     : cl->verbose == 1 ? PF_LOG_INFO
                                        : pf_log_level());
    ensure_std_fds();
    probe_input(cfg);
    if (run_plan(cfg, cl->cmds, cl->ncmd) < 0) {
        fprintf(stderr, "pipefan run: out of memory\n");
        return CLI_EXIT_FATAL;
    }
    int blocks = 0;
    for (int k = 0; k < cfg->nstages; k++)
        blocks |= cfg->stages[k].block != 0;
    if (cfg->stall_ms != 0 && !blocks)
        return cli_usage_error(CMD, "--stall-timeout watches the commands of "
                                    "block mode; no stage is in block mode "
                                    "(--block SIZE)");
    if (cfg->resume && (cfg->joblog == NULL || cfg->ncommands != 1 ||
                        cfg->stages[1].block == 0))
        return cli_usage_error(CMD, "--resume and --resume-failed need "
                                    "--joblog FILE and one command in block "
                                    "mode (--block SIZE, or -k with -j N, or "
                                    "--retries N)");
    if (cl->dry) {
        run_print_plan(cfg, stdout);
        return CLI_EXIT_OK;
    }
    return run_joblog_open(cfg) < 0 ? CLI_EXIT_FATAL : -1;
}

int cli_cmd_run(int argc, char **argv)
{
    static struct run_cmdline cl; /* big: the commands and the plan */
    int status = parse(&cl, argc, argv);
    if (status < 0)
        status = plan(&cl);
    if (status < 0)
        status = execute(&cl);
    if (cl.cfg.joblog_fd >= 0)
        close(cl.cfg.joblog_fd);
    free(cl.cfg.stages);
    free(cl.cfg.done);
    return status;
}
