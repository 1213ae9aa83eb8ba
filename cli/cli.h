/* cli.h - what the pipefan command's files share: exit codes and the
 * subcommand entry points (one cli/cmd-<name>.c each).  Option parsing
 * they share is in opt.h.
 */
#ifndef CLI_H
#define CLI_H

/* Exit codes of the pipefan command, the only table of them (the
 * commands' --help and docs/LOGS.md, docs/RUN.md describe them):
 * name, value, meaning. */
#define CLI_EXIT_MAP(X)                                                        \
    X(OK, 0, "done; logs: every input line was understood")                    \
    X(FATAL, 1, "nothing useful done, or a command failed (run)")              \
    X(USAGE, 2, "bad command line")                                            \
    X(BADINPUT, 3, "logs: report written, but some input was bad")             \
    X(SOME_FAILED, 3, "run: --halt never, and some commands failed")           \
    X(STRICT, 4, "logs: --strict stopped at a bad line: no report")            \
    X(QUARANTINED, 5, "poison chunks or blocks skipped (--poison skip)")       \
    X(MEMORY, 6, "logs: --max-memory reached: no report")                      \
    X(SIGINT, 130, "stopped by SIGINT (128 + 2)")                              \
    X(SIGTERM, 143, "stopped by SIGTERM (128 + 15)")

enum cli_exit {
#define CLI_EXIT_ENUM_(name, value, what) CLI_EXIT_##name = value,
    CLI_EXIT_MAP(CLI_EXIT_ENUM_)
#undef CLI_EXIT_ENUM_
};

/* Subcommands: argv[0] is the subcommand's name.  Return an exit code. */
int cli_cmd_logs(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);

#endif
