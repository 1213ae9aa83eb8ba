/* opt.h - what the pipefan subcommands parse alike: sizes, integers,
 * usage errors, and the fault-tolerance options (--retries,
 * --stall-timeout, --poison, --dead-letter) that become pf_options.
 */
#ifndef CLI_OPT_H
#define CLI_OPT_H

#include <getopt.h>
#include <stddef.h>

#include <pipefan.h>

/* "4M" -> 4 MiB in *out: digits, then an optional unit k/K, m/M, g/G
 * (powers of 1024), an optional 'i' after a unit and an optional 'B' or
 * 'b' ("4", "4K", "4KiB", "4MB", "100b").  No sign, no space, at most
 * 1 TiB.  Returns 0, or -1 (and *out untouched) for anything else. */
int cli_parse_size(const char *s, size_t *out);

/* A decimal integer in [lo, hi] in *out; 0, or -1 for anything else. */
int cli_parse_int(const char *s, int lo, int hi, int *out);

/* Levenshtein distance of two short words (more than 31 bytes: far, 99),
 * for "did you mean" in usage errors. */
int cli_distance(const char *a, const char *b);

/* Print "pipefan CMD: <message>" and "Try 'pipefan CMD --help'." on
 * stderr; returns CLI_EXIT_USAGE (cli.h). */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *cmd,
                                                          const char *fmt, ...);

/* The value of --poison: PF_POISON_SKIP or PF_POISON_FAIL, or -1. */
int cli_poison_policy(const char *arg);

/* The value of --stall-timeout, "2.5" seconds, in milliseconds: more
 * than 0 and at most a day (shorter than 1 ms counts as 1 ms); -1 for
 * anything else. */
long cli_stall_ms(const char *arg);

/* getopt_long codes of the fault-tolerance options; a command's own
 * codes start at CLI_OPT_FIRST. */
enum {
    CLI_OPT_RETRIES = 256,
    CLI_OPT_STALL,
    CLI_OPT_POISON,
    CLI_OPT_DEADLETTER,
    CLI_OPT_FIRST,
};

/* Their rows of a struct option table. */
#define CLI_FAULT_OPTIONS                                                      \
    {"retries", required_argument, 0, CLI_OPT_RETRIES},                        \
        {"stall-timeout", required_argument, 0, CLI_OPT_STALL},                \
        {"poison", required_argument, 0, CLI_OPT_POISON},                      \
    {                                                                          \
        "dead-letter", required_argument, 0, CLI_OPT_DEADLETTER                \
    }

/* The fault-tolerance options as given (zero: not given). */
typedef struct cli_fault {
    int retries;             /* --retries N, 0..1000 */
    unsigned stall_ms;       /* --stall-timeout, 0 = none */
    int poison;              /* PF_POISON_SKIP (the default) or _FAIL */
    const char *dead_letter; /* --dead-letter FILE, borrowed; or NULL */
} cli_fault;

/* Take option code opt with argument arg into f when it is one of the
 * CLI_OPT_* above: 1 when taken, 0 when opt is another option, or -1
 * after a usage message (for command cmd) when arg is bad. */
int cli_fault_opt(const char *cmd, int opt, const char *arg, cli_fault *f);

/* Set o's retries, stall_ms, poison and dead_letter from f. */
void cli_fault_options(const cli_fault *f, pf_options *o);

#endif
