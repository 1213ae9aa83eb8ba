/* opt-resolve.h - the --resolve options of `pipefan logs` (reverse DNS
 * of the clients, logs/resolve.h): their rows of the option table and
 * their parser, kept beside cmd-logs.c so that file stays one screen of
 * options per concern.
 */
#ifndef CLI_OPT_RESOLVE_H
#define CLI_OPT_RESOLVE_H

#include <getopt.h>
#include <stdio.h>

#include "job.h"

/* getopt_long codes: past every command's own (opt.h's CLI_OPT_FIRST). */
enum {
    CLI_OPT_RESOLVE = 512,
    CLI_OPT_RESOLVE_JOBS,
    CLI_OPT_RESOLVE_TIMEOUT,
    CLI_OPT_RESOLVE_TOTAL,
    CLI_OPT_RESOLVE_CACHE,
    CLI_OPT_RESOLVE_SERVER,
    CLI_OPT_RESOLVE_CONFIRM,
};

#define CLI_RESOLVE_OPTIONS                                                    \
    {"resolve", optional_argument, 0, CLI_OPT_RESOLVE},                        \
        {"resolve-jobs", required_argument, 0, CLI_OPT_RESOLVE_JOBS},          \
        {"resolve-timeout", required_argument, 0, CLI_OPT_RESOLVE_TIMEOUT},    \
        {"resolve-total", required_argument, 0, CLI_OPT_RESOLVE_TOTAL},        \
        {"resolve-cache", required_argument, 0, CLI_OPT_RESOLVE_CACHE},        \
        {"resolve-server", required_argument, 0, CLI_OPT_RESOLVE_SERVER},      \
    {                                                                          \
        "resolve-confirm", no_argument, 0, CLI_OPT_RESOLVE_CONFIRM             \
    }

/* Take option code c (argument arg; --resolve also takes a following
 * "all" or "top" from argv[optind]) into cfg: 1 taken, 0 not one of
 * them, -1 after a usage message. */
int cli_resolve_opt(lg_config *cfg, int c, const char *arg, int argc,
                    char **argv);

/* What only the whole line tells: the other --resolve-* options without
 * --resolve, --resolve in a build without c-ares.  -1 to go on, or an
 * exit code (said). */
int cli_resolve_plan(const lg_config *cfg);

#endif
