/* cli.h - what the pipefan command's files share: exit codes and the
 * subcommand entry points (one cli/cmd-<name>.c each).
 */
#ifndef CLI_H
#define CLI_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipefan.h"

/* Exit codes of the pipefan command (documented in docs/LOGS.md). */
#define CLI_EXIT_OK 0        /* done, every input line was understood */
#define CLI_EXIT_FATAL 1     /* nothing useful done: no input, runtime error */
#define CLI_EXIT_USAGE 2     /* bad command line */
#define CLI_EXIT_BADINPUT 3  /* report written, but some input was bad */
#define CLI_EXIT_STRICT 4    /* --strict stopped at a bad line: no report */
#define CLI_EXIT_SIGINT 130  /* stopped by SIGINT (128 + 2) */
#define CLI_EXIT_SIGTERM 143 /* stopped by SIGTERM (128 + 15) */

/* The value of --poison: PF_POISON_SKIP or PF_POISON_FAIL (pipefan.h),
 * or -1 for anything else. */
static inline int cli_poison_policy(const char *arg)
{
    if (strcmp(arg, "skip") == 0)
        return PF_POISON_SKIP;
    if (strcmp(arg, "fail") == 0)
        return PF_POISON_FAIL;
    return -1;
}

/* The value of --stall-timeout, "2.5" seconds, in milliseconds: more
 * than 0 and at most a day (shorter than 1 ms counts as 1 ms); -1 for
 * anything else. */
static inline long cli_stall_ms(const char *arg)
{
    char *end;
    errno = 0;
    double sec = strtod(arg, &end);
    if (errno || end == arg || *end || !(sec > 0 && sec <= 86400))
        return -1;
    long ms = (long)(sec * 1000 + 0.5);
    return ms < 1 ? 1 : ms;
}

/* Subcommands: argv[0] is the subcommand's name.  Return an exit code. */
int cli_cmd_logs(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);

#endif
