/* logs-help.h - the usage text of `pipefan logs` (logs-help.c). */
#ifndef CLI_LOGS_HELP_H
#define CLI_LOGS_HELP_H

#include <stdio.h>

/* Write the full --help text of `pipefan logs` to f. */
void cli_logs_usage(FILE *f);

#endif
