/*
 * cmd-logs.c - `pipefan logs`: parse the command line into an lg_config
 * (parse), check what only the whole line can tell (plan), run the job
 * and turn what it found into an exit code (execute, outcome).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pipefan.h>

#include "cli.h"
#include "esc.h"
#include "mpi-logs.h" /* declarations only: the code is in with HAVE_MPI */
#include "pf-config.h"
#include "outfile.h"
#include "job.h"
#include "logs-help.h"
#include "msg.h"
#include "opt.h"
#include "opt-resolve.h"
#include "state-diff.h"
#include "state-merge.h"

#define MAX_LIST 64
#define CMD "logs"
/* A usage error in an option handler: the message, then -1. */
#define BAD(...) (cli_usage_error(CMD, __VA_ARGS__), -1)

/* The command line as parsed. */
typedef struct logs_cmd {
    lg_config cfg;
    cli_fault fault;
    int verbose, quiet, outputs;
    char json_spec[4096]; /* "json:" + --json-fields (issue 24) */
    const char *html;     /* --html FILE ("-": stdout) */
    lg_outfile html_out;  /* FILE staged beside its name while cfg.out_fd */
    int merge;            /* `pipefan logs merge STATE...`; 2: diff OLD NEW */
    int local_inputs;     /* --inputs local (docs/SCALE-OUT.md) */
    const char *status[MAX_LIST], *include[MAX_LIST], *exclude[MAX_LIST],
        *clients[MAX_LIST];
    char err[1024];
} logs_cmd;

/* "+02:00", "-0530", "Z" -> seconds east of UTC. */
static int parse_tz(const char *s, int32_t *off)
{
    int sign, h, m = 0;
    if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0) {
        *off = 0;
        return 0;
    }
    if (s[0] != '+' && s[0] != '-')
        return -1;
    sign = s[0] == '-' ? -1 : 1;
    if (sscanf(s + 1, "%2d:%2d", &h, &m) < 1 &&
        sscanf(s + 1, "%2d%2d", &h, &m) < 1)
        return -1;
    if (h > 23 || m > 59)
        return -1;
    *off = sign * (h * 3600 + m * 60);
    return 0;
}

/* The --csv target: a panel name, or a directory - a name that ends in
 * '/', holds a '/' or is an existing directory (docs/LOGS.md).  Any
 * other word is a mistyped panel name: a usage error naming the closest
 * one.  A directory must be usable now, not after the analysis: an
 * existing writable directory, or a new one in an existing writable
 * directory.  -1 to go on, or an exit code (said). */
static int check_csv_target(const char *t)
{
    struct stat st;
    char parent[4096];
    if (lg_panel_find(t) >= 0)
        return -1;
    int is_dir = stat(t, &st) == 0 && S_ISDIR(st.st_mode);
    if (!is_dir && !strchr(t, '/')) {
        int best = -1, bd = 99;
        for (int p = 0; p < LG_PANEL_COUNT; p++) {
            int d = cli_distance(t, lg_panel_name(p));
            if (d < bd) {
                bd = d;
                best = p;
            }
        }
        if (best >= 0 && bd <= 3)
            return cli_usage_error(
                CMD,
                "--csv %s: not a panel name (did you mean '%s'?); "
                "a directory is written %s/",
                t, lg_panel_name(best), t);
        return cli_usage_error(CMD,
                               "--csv %s: not a panel name; a directory is "
                               "written %s/",
                               t, t);
    }
    if (is_dir) {
        if (access(t, W_OK | X_OK) == 0)
            return -1;
        fprintf(stderr, "pipefan logs: --csv %s: %s\n", t, strerror(errno));
        return CLI_EXIT_FATAL;
    }
    int se = stat(t, &st) == 0 ? ENOTDIR : errno; /* a file, or worse */
    if (se != ENOENT) {
        fprintf(stderr, "pipefan logs: --csv %s: %s\n", t, strerror(se));
        return CLI_EXIT_FATAL;
    }
    /* a new directory: its parent must take it */
    size_t n = strlen(t);
    while (n > 1 && t[n - 1] == '/')
        n--;
    while (n > 0 && t[n - 1] != '/')
        n--;
    if (n == 0)
        snprintf(parent, sizeof parent, ".");
    else
        snprintf(parent, sizeof parent, "%.*s", (int)n, t);
    if (stat(parent, &st) == 0 && !S_ISDIR(st.st_mode))
        errno = ENOTDIR;
    else if (access(parent, W_OK | X_OK) == 0)
        return -1;
    fprintf(stderr, "pipefan logs: --csv %s: %s\n", t, strerror(errno));
    return CLI_EXIT_FATAL;
}

/* Is arg what --csv should take as its target? */
static int csv_target_like(const char *arg)
{
    struct stat st;
    size_t n = strlen(arg);
    if (arg[0] == '-' || n == 0)
        return 0;
    if (lg_panel_find(arg) >= 0)
        return 1;
    if (arg[n - 1] == '/')
        return 1;
    return !strpbrk(arg, "*?[") && stat(arg, &st) != 0;
}

enum {
    OPT_FORMAT = CLI_OPT_FIRST,
    OPT_TOP,
    OPT_PANELS,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_TZ,
    OPT_STATUS,
    OPT_INCLUDE,
    OPT_EXCLUDE,
    OPT_STATIC,
    OPT_CLIENT,
    OPT_STRIP,
    OPT_GEOIP,
    OPT_JSON,
    OPT_CSV,
    OPT_CSV_RAW,
    OPT_STRICT,
    OPT_CHUNK,
    OPT_NOPROG,
    OPT_PROG,
    OPT_STATS,
    OPT_COLOR,
    OPT_NOCOLOR,
    OPT_WIDTH,
    OPT_SERIAL,
    OPT_JSON_FIELDS,
    OPT_STATE,
    OPT_HTML,
    OPT_MAXMEM,
    OPT_INPUTS,
};

static const struct option opts[] = {
    {"format", required_argument, 0, OPT_FORMAT},
    {"jobs", required_argument, 0, 'j'},
    {"top", required_argument, 0, OPT_TOP},
    {"panels", required_argument, 0, OPT_PANELS},
    {"since", required_argument, 0, OPT_SINCE},
    {"until", required_argument, 0, OPT_UNTIL},
    {"tz", required_argument, 0, OPT_TZ},
    {"status", required_argument, 0, OPT_STATUS},
    {"include", required_argument, 0, OPT_INCLUDE},
    {"exclude", required_argument, 0, OPT_EXCLUDE},
    {"exclude-static", no_argument, 0, OPT_STATIC},
    {"client", required_argument, 0, OPT_CLIENT},
    {"strip-query", no_argument, 0, OPT_STRIP},
    {"geoip-db", required_argument, 0, OPT_GEOIP},
    {"json", no_argument, 0, OPT_JSON},
    {"csv", optional_argument, 0, OPT_CSV},
    {"csv-raw", no_argument, 0, OPT_CSV_RAW},
    {"html", required_argument, 0, OPT_HTML},
    {"strict", no_argument, 0, OPT_STRICT},
    {"chunk-size", required_argument, 0, OPT_CHUNK},
    {"max-memory", required_argument, 0, OPT_MAXMEM},
    {"no-progress", no_argument, 0, OPT_NOPROG},
    {"progress", no_argument, 0, OPT_PROG},
    {"stats", no_argument, 0, OPT_STATS},
    {"color", no_argument, 0, OPT_COLOR},
    {"no-color", no_argument, 0, OPT_NOCOLOR},
    {"width", required_argument, 0, OPT_WIDTH},
    {"serial", no_argument, 0, OPT_SERIAL},
    {"state", required_argument, 0, OPT_STATE},
    {"inputs", required_argument, 0, OPT_INPUTS},
    CLI_FAULT_OPTIONS,
    CLI_RESOLVE_OPTIONS,
    {"json-fields", required_argument, 0, OPT_JSON_FIELDS},
    {"quiet", no_argument, 0, 'q'},
    {"verbose", no_argument, 0, 'v'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* Append arg to a repeatable option's list; 0, or -1 when full. */
static int push(const char **list, size_t *n, const char *what, const char *arg)
{
    if (*n >= MAX_LIST) {
        cli_usage_error(CMD, "too many %s options", what);
        return -1;
    }
    list[(*n)++] = arg;
    return 0;
}

/* Filter options: 1 taken, 0 not one of them, -1 bad (said). */
static int opt_filter(logs_cmd *lc, int c, const char *arg)
{
    lg_filter_opts *f = &lc->cfg.filter;
    switch (c) {
    case OPT_SINCE:
        f->since = arg;
        return 1;
    case OPT_UNTIL:
        f->until = arg;
        return 1;
    case OPT_TZ:
        if (parse_tz(arg, &f->tz_off) < 0)
            return BAD("--tz: expected +HH:MM, got '%s'", arg);
        return 1;
    case OPT_STATUS:
        return push(lc->status, &f->n_status, "--status", arg) < 0 ? -1 : 1;
    case OPT_INCLUDE:
        return push(lc->include, &f->n_include, "--include", arg) < 0 ? -1 : 1;
    case OPT_EXCLUDE:
        return push(lc->exclude, &f->n_exclude, "--exclude", arg) < 0 ? -1 : 1;
    case OPT_CLIENT:
        return push(lc->clients, &f->n_clients, "--client", arg) < 0 ? -1 : 1;
    case OPT_STATIC:
        f->exclude_static = 1;
        return 1;
    case OPT_STRIP:
        lc->cfg.strip_query = 1;
        return 1;
    default:
        return 0;
    }
}

/* Report options: 1 taken, 0 not one of them, -1 bad (said).  --csv
 * takes the next argument too when it looks like its target. */
static int opt_report(logs_cmd *lc, int c, char *arg, int argc, char **argv)
{
    lg_config *cfg = &lc->cfg;
    switch (c) {
    case OPT_TOP:
        if (cli_parse_int(arg, 0, INT_MAX, &cfg->top) < 0)
            return BAD("--top: expected a count, got '%s'", arg);
        return 1;
    case OPT_PANELS:
        if (lg_panels_parse(arg, &cfg->panels, lc->err, sizeof lc->err) < 0)
            return BAD("--panels: %s", lc->err);
        return 1;
    case OPT_GEOIP:
        cfg->geoip_db = arg;
        return 1;
    case OPT_JSON:
    case OPT_HTML:
        cfg->output = c == OPT_JSON ? LG_OUT_JSON : LG_OUT_HTML;
        lc->html = c == OPT_HTML ? arg : lc->html;
        lc->outputs++;
        return 1;
    case OPT_CSV:
        cfg->output = LG_OUT_CSV;
        lc->outputs++;
        if (arg)
            cfg->csv_target = arg;
        else if (optind < argc && csv_target_like(argv[optind]))
            cfg->csv_target = argv[optind++];
        return 1;
    case OPT_CSV_RAW:
        cfg->csv_raw = 1;
        return 1;
    case OPT_WIDTH:
        if (cli_parse_int(arg, 20, 10000, &cfg->width) < 0)
            return BAD("--width: expected 20..10000, got '%s'", arg);
        return 1;
    case OPT_COLOR:
    case OPT_NOCOLOR:
        cfg->color = c == OPT_COLOR;
        return 1;
    default:
        return 0;
    }
}

/* How the job runs: 1 taken, 0 not one of them, -1 bad (said). */
static int opt_run(logs_cmd *lc, int c, const char *arg)
{
    lg_config *cfg = &lc->cfg;
    size_t sz;
    switch (c) {
    case OPT_FORMAT:
        if (!strpbrk(arg, "$%") && strcmp(arg, "auto") != 0 &&
            !lg_format_builtin(arg))
            return BAD("--format %s: not a format name (auto, combined, "
                       "common, vhost_combined, vhost_common, w3c, alb, elb, "
                       "s3, squid, haproxy, traefik, gandi, caddy, "
                       "nginx_json, traefik_json: as in --help) nor a "
                       "log_format string with $variables or %%directives",
                       arg);
        cfg->format = strcmp(arg, "auto") == 0 ? NULL : arg;
        return 1;
    case OPT_JSON_FIELDS: /* a JSON-lines format with this mapping */
        snprintf(lc->json_spec, sizeof lc->json_spec, "json:%s", arg);
        return 1;
    case 'j':
        if (cli_parse_int(arg, 1, PF_MAX_WORKERS, &cfg->jobs) < 0)
            return BAD("-j: expected 1..256, got '%s'", arg);
        return 1;
    case OPT_STRICT:
        cfg->strict = 1;
        return 1;
    case OPT_MAXMEM:
        if (cli_parse_size(arg, &sz) < 0 || sz < ((size_t)1 << 20))
            return BAD("--max-memory: expected >= 1M bytes, got '%s'", arg);
        cfg->max_memory = sz;
        return 1;
    case OPT_CHUNK:
        if (cli_parse_size(arg, &sz) < 0 || sz < 4096)
            return BAD("--chunk-size: expected >= 4096 bytes, got '%s'", arg);
        cfg->chunk_size = sz;
        return 1;
    case OPT_NOPROG:
    case OPT_PROG:
        cfg->progress = c == OPT_PROG;
        return 1;
    case OPT_STATS:
        cfg->stats = 1;
        return 1;
    case OPT_SERIAL:
        cfg->serial = 1;
        return 1;
    case OPT_STATE:
        cfg->state = arg;
        return 1;
    case OPT_INPUTS: /* under mpirun: who reads what (docs/SCALE-OUT.md) */
        if (strcmp(arg, "shared") != 0 && strcmp(arg, "local") != 0)
            return BAD("--inputs: expected shared or local, got '%s'", arg);
        lc->local_inputs = strcmp(arg, "local") == 0;
        return 1;
    case 'q':
        lc->quiet = 1;
        return 1;
    case 'v':
        lc->verbose++;
        return 1;
    default:
        return 0;
    }
}

/* Read the options into lc; -1 to go on with the FILEs from optind, or
 * an exit code (--help, a usage error). */
static int parse(logs_cmd *lc, int argc, char **argv)
{
    lg_config *cfg = &lc->cfg;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int c;
    memset(lc, 0, sizeof *lc);
    cfg->jobs =
        cores > 0 ? (int)(cores > PF_MAX_WORKERS ? PF_MAX_WORKERS : cores) : 1;
    cfg->top = 10;
    cfg->progress = -1;
    cfg->color = -1;
    cfg->serial = -1;
    cfg->filter.status = lc->status;
    cfg->filter.include = lc->include;
    cfg->filter.exclude = lc->exclude;
    cfg->filter.clients = lc->clients;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+j:qvh", opts, NULL)) != -1) {
        int r;
        if (c == 'h') {
            cli_logs_usage(stdout);
            return CLI_EXIT_OK;
        }
        if ((r = cli_fault_opt(CMD, c, optarg, &lc->fault)) == 0 &&
            (r = opt_filter(lc, c, optarg)) == 0 &&
            (r = opt_report(lc, c, optarg, argc, argv)) == 0 &&
            (r = cli_resolve_opt(cfg, c, optarg, argc, argv)) == 0)
            r = opt_run(lc, c, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0) {
            fprintf(stderr, "Try 'pipefan logs --help'.\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (lc->json_spec[0]) {
        if (cfg->format && strcmp(cfg->format, "json") != 0) {
            cli_usage_error(CMD,
                            "--json-fields reads JSON lines: it does "
                            "not go with --format %s",
                            cfg->format);
            return CLI_EXIT_USAGE;
        }
        cfg->format = lc->json_spec;
    }
    cfg->retries = lc->fault.retries;
    cfg->stall_ms = lc->fault.stall_ms;
    cfg->poison = lc->fault.poison;
    cfg->dead_letter = lc->fault.dead_letter;
    return -1;
}

/* Say what went wrong with the --html FILE; the exit code. */
static int html_error(const logs_cmd *lc, int err)
{
    char t[512];
    fprintf(stderr, "pipefan logs: --html %s: %s\n",
            lg_esc_name(lc->html, t, sizeof t), strerror(-err));
    return CLI_EXIT_FATAL;
}

/* Check what takes the whole command line; set the log level.  -1 to go
 * on, or an exit code. */
static int plan(logs_cmd *lc, int nfiles)
{
    const lg_config *cfg = &lc->cfg;
    if (lc->outputs > 1 || (lc->html && lc->merge == 2))
        return cli_usage_error(CMD, "choose one of --json, --csv and --html "
                                    "(diff: --json or text)");
    if (nfiles <= 0)
        return cli_usage_error(
            CMD, "no input: give FILE... or - for standard input");
    if (cfg->output == LG_OUT_CSV && cfg->csv_target &&
        lg_panel_find(cfg->csv_target) >= 0 && cfg->panels &&
        !(cfg->panels & (1u << lg_panel_find(cfg->csv_target))))
        return cli_usage_error(CMD, "--csv %s: that panel is not in --panels",
                               cfg->csv_target);
    int rc;
    if ((rc = cli_resolve_plan(cfg)) >= 0)
        return rc;
    if (cfg->output == LG_OUT_CSV && cfg->csv_target &&
        (rc = check_csv_target(cfg->csv_target)) >= 0)
        return rc;
    if (cfg->output == LG_OUT_CSV && cfg->csv_target &&
        lg_panel_find(cfg->csv_target) < 0) { /* a directory: usable? */
        char t[512];
        int d = lg_outdir_open(cfg->csv_target);
        if (d >= 0 && faccessat(d, ".", W_OK, AT_EACCESS) < 0)
            d = -errno;
        if (d < 0) {
            fprintf(stderr, "pipefan logs: --csv %s: %s\n",
                    lg_esc_name(cfg->csv_target, t, sizeof t), strerror(-d));
            return CLI_EXIT_FATAL;
        }
        close(d);
    }
    if (lc->html && strcmp(lc->html, "-") != 0) { /* staged: outfile.h */
        if ((rc = lg_outfile_open_path(&lc->html_out, lc->html)) < 0)
            return html_error(lc, rc);
        lc->cfg.out_fd = fileno(lc->html_out.f);
    }
    if (lc->quiet)
        pf_log_set_level(PF_LOG_ERROR);
    else if (lc->verbose)
        pf_log_set_level(lc->verbose > 1 ? PF_LOG_DEBUG : PF_LOG_INFO);
    return -1;
}

/* The exit code of a run that got as far as pf_run, and what stderr
 * should say about it. */
static int outcome(const logs_cmd *lc, const lg_result *res)
{
    const lg_config *cfg = &lc->cfg;
    if (res->signal == SIGINT)
        return CLI_EXIT_SIGINT;
    if (res->signal == SIGTERM)
        return CLI_EXIT_SIGTERM;
    if (res->strict_failed)
        return CLI_EXIT_STRICT;
    if (res->rc == PF_EPOISON && res->report_written) {
        char dl[512];
        fprintf(
            stderr,
            "pipefan logs: %llu chunk%s kept crashing the parse workers and %s "
            "not counted (%s); the report covers the rest\n",
            (unsigned long long)res->quarantined,
            res->quarantined == 1 ? "" : "s",
            res->quarantined == 1 ? "was" : "were",
            cfg->dead_letter ? lg_esc_name(cfg->dead_letter, dl, sizeof dl)
                             : "no --dead-letter file");
        return CLI_EXIT_QUARANTINED;
    }
    if (res->rc != 0 && res->mem_capped) {
        fprintf(stderr,
                "pipefan logs: --max-memory %.1f MiB reached: %s; no report "
                "written\n",
                (double)cfg->max_memory / (1 << 20),
                cli_msg_oom_where()[0] ? cli_msg_oom_where()
                                       : "out of memory in the tables");
        return CLI_EXIT_MEMORY;
    }
    if (res->rc != 0 && cli_msg_out_of_memory()) {
        const char *w = cli_msg_oom_where();
        int says = strstr(w, "out of memory") != NULL;
        fprintf(stderr,
                "pipefan logs: %s%s%s (fewer --jobs, a narrower --panels or "
                "more memory may do)\n",
                says ? "" : "out of memory", !says && w[0] ? ": " : "", w);
        return CLI_EXIT_FATAL;
    }
    if (res->rc != 0) {
        fprintf(stderr, "pipefan logs: the run failed: %s%s\n",
                pf_strerror(res->rc),
                res->rc == PF_EWORKER && cfg->retries == 0
                    ? " (--retries N restarts crashed workers)"
                    : "");
        return CLI_EXIT_FATAL;
    }
    if (!res->report_written || res->state_err)
        return CLI_EXIT_FATAL;
    if (res->restarts && !lc->quiet)
        fprintf(stderr,
                "pipefan logs: %llu worker restart%s after crashes; every "
                "chunk was counted once\n",
                (unsigned long long)res->restarts,
                res->restarts == 1 ? "" : "s");
    if (res->bad_lines || res->file_errors) {
        if (!lc->quiet && (res->file_errors || cfg->output != LG_OUT_TEXT))
            fprintf(stderr,
                    "pipefan logs: %llu bad line%s, %llu input%s with errors\n",
                    (unsigned long long)res->bad_lines,
                    res->bad_lines == 1 ? "" : "s",
                    (unsigned long long)res->file_errors,
                    res->file_errors == 1 ? "" : "s");
        return CLI_EXIT_BADINPUT;
    }
    return CLI_EXIT_OK;
}

static int exit_code(int rc, const lg_result *res, void *arg);

/* Run the job over the FILEs; the exit code. */
static int execute(logs_cmd *lc, char *const *files, int nfiles)
{
    lg_result res = {0};
    if (lc->merge == 2) {
        if (nfiles < 2)
            return cli_usage_error(
                CMD, "diff: expected OLD.state NEW.state, or OLD.state LOG...");
        /* a state against a state, or against live inputs */
        int r = nfiles == 2 && lg_state_is_file(files[1])
                    ? lg_logs_diff(&lc->cfg, files[0], files[1], lc->err,
                                   sizeof lc->err)
                    : lg_logs_diff_live(&lc->cfg, files[0], files + 1,
                                        nfiles - 1, lc->err, sizeof lc->err);
        if (r < 0)
            fprintf(stderr, "pipefan logs: %s\n", lc->err);
        return r == -EINVAL ? CLI_EXIT_USAGE : r < 0 ? CLI_EXIT_FATAL : 0;
    }
    cli_msg_start(CMD, lc->verbose);
#if HAVE_MPI
    if (!lc->merge && lg_mpi_launched()) /* a rank (docs/SCALE-OUT.md) */
        return lg_mpi_logs_main(&lc->cfg, lc->local_inputs, files, nfiles,
                                exit_code, lc, lc->err, sizeof lc->err);
#endif
    int rc = lc->merge ? lg_logs_merge(&lc->cfg, files, nfiles, &res, lc->err,
                                       sizeof lc->err)
                       : lg_logs_run(&lc->cfg, files, nfiles, &res, lc->err,
                                     sizeof lc->err);
    return exit_code(rc, &res, lc);
}

/* The exit code of a run that returned rc with res, said on stderr. */
static int exit_code(int rc, const lg_result *res, void *arg)
{
    logs_cmd *lc = arg;
    int e;
    if (rc >= 0)
        rc = outcome(lc, res);
    else if (cli_msg_out_of_memory() || rc == -ENOMEM)
        fprintf(stderr, "pipefan logs: out of memory\n");
    else
        fprintf(stderr, "pipefan logs: %s\n",
                lc->err[0] ? lc->err : strerror(-rc));
    if (lc->cfg.out_fd > 0 && /* the staged --html file */
        (e = lg_outfile_end(&lc->html_out, rc >= 0 && res->report_written)) < 0)
        rc = html_error(lc, e);
    cli_msg_end();
    if (rc >= 0)
        return rc;
    return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FATAL;
}

int cli_cmd_logs(int argc, char **argv)
{
    static logs_cmd lc; /* its lists outlive parse() */
    int merge = argc < 2                        ? 0
                : strcmp(argv[1], "merge") == 0 ? 1
                : strcmp(argv[1], "diff") == 0  ? 2
                                                : 0;
    if (merge) { /* pipefan logs merge [OPTIONS] STATE... */
        argc--;
        argv++;
    }
    int rc = parse(&lc, argc, argv);
    lc.merge = merge;
    if (rc < 0)
        rc = plan(&lc, argc - optind);
    if (rc < 0)
        rc = execute(&lc, argv + optind, argc - optind);
    return rc;
}
