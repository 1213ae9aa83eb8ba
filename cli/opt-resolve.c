/* opt-resolve.c - the --resolve options of `pipefan logs`
 * (opt-resolve.h). */
#include "opt-resolve.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "opt.h"
#include "resolve.h"

#define CMD "logs"

/* "2.5" seconds into ms: more than 0, at most an hour. */
static int parse_secs(const char *s, unsigned *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || v > 3600)
        return -1;
    *ms = v * 1000 < 1 ? 1 : (unsigned)(v * 1000 + 0.5);
    return 0;
}

int cli_resolve_opt(lg_config *cfg, int c, const char *arg, int argc,
                    char **argv)
{
    struct stat st;
    switch (c) {
    case CLI_OPT_RESOLVE:
        /* `--resolve all`: the next word, unless it is a file */
        if (!arg && optind < argc &&
            (strcmp(argv[optind], "all") == 0 ||
             strcmp(argv[optind], "top") == 0) &&
            stat(argv[optind], &st) != 0)
            arg = argv[optind++];
        if (!arg || strcmp(arg, "top") == 0)
            cfg->resolve = LG_RESOLVE_TOP;
        else if (strcmp(arg, "all") == 0)
            cfg->resolve = LG_RESOLVE_ALL;
        else
            return cli_usage_error(CMD,
                                   "--resolve: expected top or all, got "
                                   "'%s'",
                                   arg),
                   -1;
        return 1;
    case CLI_OPT_RESOLVE_JOBS:
        if (cli_parse_int(arg, 1, PF_MAX_WORKERS, &cfg->resolve_jobs) < 0)
            return cli_usage_error(
                       CMD, "--resolve-jobs: expected 1..256, got '%s'", arg),
                   -1;
        return 1;
    case CLI_OPT_RESOLVE_TIMEOUT:
    case CLI_OPT_RESOLVE_TOTAL:
        if (parse_secs(arg, c == CLI_OPT_RESOLVE_TIMEOUT
                                ? &cfg->resolve_timeout_ms
                                : &cfg->resolve_total_ms) < 0)
            return cli_usage_error(
                       CMD,
                       "--resolve-%s: expected seconds (0.5, 2, "
                       "up to 3600), got '%s'",
                       c == CLI_OPT_RESOLVE_TIMEOUT ? "timeout" : "total", arg),
                   -1;
        return 1;
    case CLI_OPT_RESOLVE_CACHE:
        cfg->resolve_cache = arg;
        return 1;
    case CLI_OPT_RESOLVE_SERVER:
        if (lg_resolve_check_server(arg) < 0)
            return cli_usage_error(CMD,
                                   "--resolve-server: expected ADDR[:PORT] or "
                                   "[IPv6]:PORT, got '%s'",
                                   arg),
                   -1;
        cfg->resolve_server = arg;
        return 1;
    case CLI_OPT_RESOLVE_CONFIRM:
        cfg->resolve_confirm = 1;
        return 1;
    default:
        return 0;
    }
}

int cli_resolve_plan(const lg_config *cfg)
{
    if (!cfg->resolve && (cfg->resolve_jobs || cfg->resolve_timeout_ms ||
                          cfg->resolve_total_ms || cfg->resolve_cache ||
                          cfg->resolve_server || cfg->resolve_confirm))
        return cli_usage_error(CMD, "the --resolve-* options go with "
                                    "--resolve");
    if (cfg->resolve && !lg_resolve_backend())
        return cli_usage_error(CMD, "--resolve: this pipefan was built "
                                    "without c-ares (libc-ares-dev)");
    return -1;
}
