/* opt.c - option parsing the pipefan subcommands share (opt.h). */
#include "opt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned shift = 0;
    if (s[0] < '0' || s[0] > '9') /* strtoull would take "-1", " 1", "+1" */
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        break;
    }
    if (shift != 0 && *++end == 'i')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0' || v > (1ull << 40) >> shift)
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

int cli_parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "pipefan %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'pipefan %s --help'.\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_poison_policy(const char *arg)
{
    if (strcmp(arg, "skip") == 0)
        return PF_POISON_SKIP;
    if (strcmp(arg, "fail") == 0)
        return PF_POISON_FAIL;
    return -1;
}

long cli_stall_ms(const char *arg)
{
    char *end;
    errno = 0;
    double sec = strtod(arg, &end);
    if (errno || end == arg || *end || !(sec > 0 && sec <= 86400))
        return -1;
    long ms = (long)(sec * 1000 + 0.5);
    return ms < 1 ? 1 : ms;
}

/* A usage error about arg; -1. */
static int bad(const char *cmd, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    cli_usage_error(cmd, fmt, arg);
#pragma GCC diagnostic pop
    return -1;
}

int cli_fault_opt(const char *cmd, int opt, const char *arg, cli_fault *f)
{
    long ms;
    switch (opt) {
    case CLI_OPT_RETRIES:
        if (cli_parse_int(arg, 0, 1000, &f->retries) < 0)
            return bad(cmd, "--retries: expected 0..1000, got '%s'", arg);
        return 1;
    case CLI_OPT_STALL:
        if ((ms = cli_stall_ms(arg)) < 0)
            return bad(cmd, "--stall-timeout: expected seconds > 0, got '%s'",
                       arg);
        f->stall_ms = (unsigned)ms;
        return 1;
    case CLI_OPT_POISON:
        if ((f->poison = cli_poison_policy(arg)) < 0)
            return bad(cmd, "--poison: expected skip or fail, got '%s'", arg);
        return 1;
    case CLI_OPT_DEADLETTER:
        f->dead_letter = arg;
        return 1;
    default:
        return 0;
    }
}

void cli_fault_options(const cli_fault *f, pf_options *o)
{
    o->retries = f->retries;
    o->stall_ms = f->stall_ms;
    o->poison = f->poison;
    o->dead_letter = f->dead_letter;
}

int cli_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    int row[32];
    if (na > 31 || nb > 31)
        return 99;
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[nb];
}
