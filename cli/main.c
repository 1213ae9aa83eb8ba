/*
 * main.c - the pipefan command: dispatch to a subcommand.
 *
 * Each subcommand lives in its own cli/cmd-<name>.c and is one row of the
 * table below: add a row (and the file to cli/meson.build) to add one.
 * Exit codes are the subcommand's; usage errors are 2 everywhere.
 */
#include <stdio.h>
#include <string.h>

#include <pipefan.h>

#include "cli.h"
#include "pf-config.h"
#include "stream.h"

static const struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"logs", cli_cmd_logs,
     "analyse web access logs (plain, .gz, .zst) in parallel"},
    {"run", cli_cmd_run,
     "run a pipeline of shell commands with per-stage fan-out"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: pipefan COMMAND [OPTIONS] [ARGS...]\n"
               "       pipefan --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'pipefan COMMAND --help' describes a command.\n");
}

/* Print the version and the optional features this build has: the
 * decoders as the logs library reports them (PIPEFAN_GZIP=zlib shows
 * zlib), the rest from pf-config.h. */
static void version(void)
{
    printf("pipefan %s (libpipefan %s)\n", PF_VERSION_STRING, pf_version());
    printf("features: gzip=%s zstd=%s pcre2=%s geoip=%s rdns=%s mpi=%s\n",
           lg_gzip_backend(), lg_have_zstd() ? "yes" : "no",
           HAVE_PCRE2 ? "yes" : "no", HAVE_MAXMINDDB ? "yes" : "no",
           HAVE_CARES ? "c-ares" : "no", HAVE_MPI ? "yes" : "no");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 ||
        strcmp(cmd, "version") == 0) {
        version();
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0) {
            /* getopt's messages name argv[0]: "pipefan logs: ..." */
            char name[64];
            snprintf(name, sizeof name, "pipefan %s", cmd);
            argv[1] = name;
            return commands[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "pipefan: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
