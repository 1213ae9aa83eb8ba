/*
 * cmd-logs.c - `pipefan logs`: parse the command line into an lg_config,
 * run the job, turn what it found into an exit code.
 */
#include <errno.h>
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
#include "job.h"

#define MAX_LIST 64

/* Exit code of a run that wrote its report but quarantined chunks that
 * kept crashing their worker (--retries with --poison skip): the report
 * does not count them.  pipefan logs' own; see docs/LOGS.md. */
#define LOGS_EXIT_QUARANTINED 5

static void usage(FILE *f)
{
    fputs(
        "usage: pipefan logs [OPTIONS] FILE...\n"
        "\n"
        "Analyse web access logs in parallel: totals, status codes, top "
        "paths,\n"
        "clients, referrers, user agents, 404s, traffic per hour and day.\n"
        "FILE may be a file (plain, gzip or zstd, found by magic bytes), a "
        "glob,\n"
        "a directory (its files) or - for standard input.\n"
        "\n"
        "input:\n"
        "  --format F          auto (default: detected per file), combined, "
        "common,\n"
        "                      vhost_combined, vhost_common, or a log_format "
        "string\n"
        "                      ('$remote_addr - $remote_user [$time_local] "
        "...')\n"
        "                      (more: w3c alb elb s3 squid haproxy traefik gandi\n"
        "                      caddy nginx_json traefik_json; docs/LOG-FORMATS.md)\n"
        "  --json-fields MAP   JSON lines with this mapping, e.g.\n"
        "                      'client=remote_ip,path=request.uri,status=status'\n"
        "  -j, --jobs N        parse workers (default: online cores)\n"
        "  --chunk-size N      bytes per plain-file chunk (default: input / (4 "
        "x jobs),\n"
        "                      1M to 32M; K/M/G)\n"
        "filters:\n"
        "  --since T, --until T  ISO-8601 time window, inclusive (2015-05-19,\n"
        "                      '2015-05-19 14:00', 2015-05-19T14:00:00+02:00)\n"
        "  --tz +HH:MM         zone of --since/--until written without one "
        "(UTC)\n"
        "  --status LIST       keep these statuses: 404, 5xx, 200-299 (comma "
        "list)\n"
        "  --include RE        keep paths matching the PCRE2 regex "
        "(repeatable)\n"
        "  --exclude RE        drop paths matching the regex (repeatable)\n"
        "  --exclude-static    drop static assets (.css .js .png .ico ...)\n"
        "  --client CIDR       keep clients in CIDR (repeatable; IPv4 or "
        "IPv6)\n"
        "  --strip-query       count paths without their ?query\n"
        "report:\n"
        "  --top N             rows per ranked panel (default 10, 0 = all)\n"
        "  --panels LIST       comma list of: totals status methods protocols\n"
        "                      paths clients countries hours days referrers "
        "agents\n"
        "                      not_found vhosts bad files (default all)\n"
        "  --geoip-db FILE     MaxMind .mmdb for countries (default: Debian "
        "paths)\n"
        "  --json              JSON on stdout (schema: docs/JSON.md)\n"
        "  --csv [PANEL|DIR]   CSV of one panel on stdout (default paths), or "
        "every\n"
        "                      panel into DIR/<panel>.csv (write DIR/ or "
        "--csv=DIR)\n"
        "  --width N           text width (default: the terminal's)\n"
        "  --color, --no-color colour the text report (default: on a TTY, "
        "unless\n"
        "                      NO_COLOR is set)\n"
        "behaviour:\n"
        "  --strict            stop at the first bad line (exit 4)\n"
        "  --no-progress       no progress line (default: on when stderr is a "
        "TTY)\n"
        "  --stats             per-stage table of the run on stderr\n"
        "  --serial            run in one process (as PIPEFAN_SERIAL=1)\n"
        "fault tolerance:\n"
        "  --retries N         restart a crashed parse worker up to N times "
        "per\n"
        "                      chunk; its chunks are replayed and counted "
        "once\n"
        "                      (default 0: a crash fails the run)\n"
        "  --stall-timeout SEC kill and restart a worker stuck that long on "
        "one\n"
        "                      chunk (a whole .gz/.zst file is one chunk)\n"
        "  --poison skip|fail  a chunk that crashes its worker more than N "
        "times:\n"
        "                      skip it and exit 5 (default), or fail the run\n"
        "  --dead-letter FILE  append skipped chunks' descriptors to FILE\n"
        "  -q, --quiet         errors only;  -v, --verbose  more messages\n"
        "  -h, --help          this text\n"
        "\n"
        "exit: 0 ok, 1 fatal error, 2 usage, 3 report written but some input "
        "was\n"
        "bad (bad lines, unreadable or corrupt files), 4 --strict stopped,\n"
        "5 report written without the chunks quarantined (--poison skip),\n"
        "130/143 stopped by SIGINT/SIGTERM.\n",
        f);
}

/* "4M" -> bytes; 0 on error. */
static size_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return 0;
    switch (*end) {
    case 'k':
    case 'K':
        v <<= 10;
        end++;
        break;
    case 'm':
    case 'M':
        v <<= 20;
        end++;
        break;
    case 'g':
    case 'G':
        v <<= 30;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'i' || *end == 'B')
        end++;
    if (*end == 'B')
        end++;
    return *end ? 0 : (size_t)v;
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

__attribute__((format(printf, 1, 0))) static int usage_error(const char *fmt,
                                                             const char *arg)
{
    fprintf(stderr, "pipefan logs: ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    fprintf(stderr, fmt, arg);
#pragma GCC diagnostic pop
    fprintf(stderr, "\nTry 'pipefan logs --help'.\n");
    return CLI_EXIT_USAGE;
}

enum {
    OPT_FORMAT = 256,
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
    OPT_STRICT,
    OPT_CHUNK,
    OPT_NOPROG,
    OPT_PROG,
    OPT_STATS,
    OPT_COLOR,
    OPT_NOCOLOR,
    OPT_WIDTH,
    OPT_SERIAL,
    OPT_RETRIES,
    OPT_STALL,
    OPT_POISON,
    OPT_DEADLETTER,
    OPT_JSON_FIELDS,
};

int cli_cmd_logs(int argc, char **argv)
{
    static char json_spec[4096]; /* "json:" + --json-fields */
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
        {"strict", no_argument, 0, OPT_STRICT},
        {"chunk-size", required_argument, 0, OPT_CHUNK},
        {"no-progress", no_argument, 0, OPT_NOPROG},
        {"progress", no_argument, 0, OPT_PROG},
        {"stats", no_argument, 0, OPT_STATS},
        {"color", no_argument, 0, OPT_COLOR},
        {"no-color", no_argument, 0, OPT_NOCOLOR},
        {"width", required_argument, 0, OPT_WIDTH},
        {"serial", no_argument, 0, OPT_SERIAL},
        {"retries", required_argument, 0, OPT_RETRIES},
        {"stall-timeout", required_argument, 0, OPT_STALL},
        {"poison", required_argument, 0, OPT_POISON},
        {"dead-letter", required_argument, 0, OPT_DEADLETTER},
        {"json-fields", required_argument, 0, OPT_JSON_FIELDS},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    static const char *status[MAX_LIST], *include[MAX_LIST], *exclude[MAX_LIST],
        *clients[MAX_LIST];
    lg_config cfg;
    lg_result res;
    char err[1024] = "";
    int c, verbose = 0, quiet = 0, outputs = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(&cfg, 0, sizeof cfg);
    cfg.jobs =
        cores > 0 ? (int)(cores > PF_MAX_WORKERS ? PF_MAX_WORKERS : cores) : 1;
    cfg.top = 10;
    cfg.progress = -1;
    cfg.color = -1;
    cfg.serial = -1;
    cfg.filter.status = status;
    cfg.filter.include = include;
    cfg.filter.exclude = exclude;
    cfg.filter.clients = clients;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+j:qvh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FORMAT:
            cfg.format = strcmp(optarg, "auto") == 0 ? NULL : optarg;
            break;
        case OPT_JSON_FIELDS: /* a JSON-lines format with this mapping */
            snprintf(json_spec, sizeof json_spec, "json:%s", optarg);
            break;
        case 'j':
            if (parse_int(optarg, 1, PF_MAX_WORKERS, &cfg.jobs) < 0)
                return usage_error("-j: expected 1..256, got '%s'", optarg);
            break;
        case OPT_TOP:
            if (parse_int(optarg, 0, INT_MAX, &cfg.top) < 0)
                return usage_error("--top: expected a count, got '%s'", optarg);
            break;
        case OPT_PANELS:
            if (lg_panels_parse(optarg, &cfg.panels, err, sizeof err) < 0)
                return usage_error("--panels: %s", err);
            break;
        case OPT_SINCE:
            cfg.filter.since = optarg;
            break;
        case OPT_UNTIL:
            cfg.filter.until = optarg;
            break;
        case OPT_TZ:
            if (parse_tz(optarg, &cfg.filter.tz_off) < 0)
                return usage_error("--tz: expected +HH:MM, got '%s'", optarg);
            break;
#define PUSH(list, n, what)                                                    \
    do {                                                                       \
        if (cfg.filter.n >= MAX_LIST)                                          \
            return usage_error("too many " what " options%s", "");             \
        list[cfg.filter.n++] = optarg;                                         \
    } while (0)
        case OPT_STATUS:
            PUSH(status, n_status, "--status");
            break;
        case OPT_INCLUDE:
            PUSH(include, n_include, "--include");
            break;
        case OPT_EXCLUDE:
            PUSH(exclude, n_exclude, "--exclude");
            break;
        case OPT_CLIENT:
            PUSH(clients, n_clients, "--client");
            break;
#undef PUSH
        case OPT_STATIC:
            cfg.filter.exclude_static = 1;
            break;
        case OPT_STRIP:
            cfg.strip_query = 1;
            break;
        case OPT_GEOIP:
            cfg.geoip_db = optarg;
            break;
        case OPT_JSON:
            cfg.output = LG_OUT_JSON;
            outputs++;
            break;
        case OPT_CSV:
            cfg.output = LG_OUT_CSV;
            outputs++;
            if (optarg)
                cfg.csv_target = optarg;
            else if (optind < argc && csv_target_like(argv[optind]))
                cfg.csv_target = argv[optind++];
            break;
        case OPT_STRICT:
            cfg.strict = 1;
            break;
        case OPT_CHUNK:
            if ((cfg.chunk_size = parse_size(optarg)) < 4096)
                return usage_error(
                    "--chunk-size: expected >= 4096 bytes, got '%s'", optarg);
            break;
        case OPT_NOPROG:
            cfg.progress = 0;
            break;
        case OPT_PROG:
            cfg.progress = 1;
            break;
        case OPT_STATS:
            cfg.stats = 1;
            break;
        case OPT_COLOR:
            cfg.color = 1;
            break;
        case OPT_NOCOLOR:
            cfg.color = 0;
            break;
        case OPT_WIDTH:
            if (parse_int(optarg, 20, 10000, &cfg.width) < 0)
                return usage_error("--width: expected 20..10000, got '%s'",
                                   optarg);
            break;
        case OPT_SERIAL:
            cfg.serial = 1;
            break;
        case OPT_RETRIES:
            if (parse_int(optarg, 0, 1000, &cfg.retries) < 0)
                return usage_error("--retries: expected 0..1000, got '%s'",
                                   optarg);
            break;
        case OPT_STALL: {
            long ms = cli_stall_ms(optarg);
            if (ms < 0)
                return usage_error(
                    "--stall-timeout: expected seconds > 0, got '%s'", optarg);
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
            fprintf(stderr, "Try 'pipefan logs --help'.\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (json_spec[0]) {
        if (cfg.format && strcmp(cfg.format, "json") != 0)
            return usage_error("--json-fields reads JSON lines: it does not "
                               "go with --format %s",
                               cfg.format);
        cfg.format = json_spec;
    }
    if (outputs > 1)
        return usage_error("choose one of --json and --csv%s", "");
    if (optind >= argc)
        return usage_error("no input: give FILE... or - for standard input%s",
                           "");
    if (cfg.output == LG_OUT_CSV && cfg.csv_target &&
        lg_panel_find(cfg.csv_target) >= 0 && cfg.panels &&
        !(cfg.panels & (1u << lg_panel_find(cfg.csv_target))))
        return usage_error("--csv %s: that panel is not in --panels",
                           cfg.csv_target);
    if (quiet)
        pf_log_set_level(PF_LOG_ERROR);
    else if (verbose)
        pf_log_set_level(verbose > 1 ? PF_LOG_DEBUG : PF_LOG_INFO);

    int rc =
        lg_logs_run(&cfg, argv + optind, argc - optind, &res, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "pipefan logs: %s\n", err[0] ? err : strerror(-rc));
        return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FATAL;
    }
    if (res.signal == SIGINT)
        return CLI_EXIT_SIGINT;
    if (res.signal == SIGTERM)
        return CLI_EXIT_SIGTERM;
    if (res.strict_failed)
        return CLI_EXIT_STRICT;
    if (res.rc == PF_EPOISON && res.report_written) {
        fprintf(
            stderr,
            "pipefan logs: %llu chunk%s kept crashing the parse workers and %s "
            "not counted (%s); the report covers the rest\n",
            (unsigned long long)res.quarantined,
            res.quarantined == 1 ? "" : "s",
            res.quarantined == 1 ? "was" : "were",
            cfg.dead_letter ? cfg.dead_letter : "no --dead-letter file");
        return LOGS_EXIT_QUARANTINED;
    }
    if (res.rc != 0) {
        fprintf(stderr, "pipefan logs: the run failed: %s%s\n",
                pf_strerror(res.rc),
                res.rc == PF_EWORKER && cfg.retries == 0
                    ? " (--retries N restarts crashed workers)"
                    : "");
        return CLI_EXIT_FATAL;
    }
    if (!res.report_written)
        return CLI_EXIT_FATAL;
    if (res.restarts && !quiet)
        fprintf(stderr,
                "pipefan logs: %llu worker restart%s after crashes; every "
                "chunk was counted once\n",
                (unsigned long long)res.restarts, res.restarts == 1 ? "" : "s");
    if (res.bad_lines || res.file_errors) {
        if (!quiet && (res.file_errors || cfg.output != LG_OUT_TEXT))
            fprintf(stderr,
                    "pipefan logs: %llu bad line%s, %llu input%s with errors\n",
                    (unsigned long long)res.bad_lines,
                    res.bad_lines == 1 ? "" : "s",
                    (unsigned long long)res.file_errors,
                    res.file_errors == 1 ? "" : "s");
        return CLI_EXIT_BADINPUT;
    }
    return CLI_EXIT_OK;
}
