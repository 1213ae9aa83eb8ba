/*
 * run-plan.h - `pipefan run`'s plan: the commands as parsed into the
 * stages of the pipefan pipeline (struct run_config, run.h).
 */
#ifndef CLI_RUN_PLAN_H
#define CLI_RUN_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include "run.h"

/* Block size a stage gets when block mode is implied (--retries,
 * --keep-order with several workers). */
#define RUN_DEFAULT_BLOCK (1u << 20)

/* A command stage as parsed, before the plan. */
struct run_cmd_spec {
    const char *cmd; /* borrowed from argv */
    int workers;
    size_t block; /* 0: stream mode */
    int retries;
};

/* Fill cfg->stages (allocated here; the caller frees cfg->stages) from
 * the n commands, using what cfg already holds (framing, --keep-order,
 * the input probe).  Returns 0, or -1 when out of memory. */
int run_plan(struct run_config *cfg, const struct run_cmd_spec *cmds, int n);

/* --dry-run: print what would run, and how, on f. */
void run_print_plan(const struct run_config *cfg, FILE *f);

/*
 * Bytes per queue in a crash-proof run.  A block must stay under half a
 * queue to be replayed when its consumer dies (docs/RELIABILITY.md), and
 * a block's output must fit in the next queue to be committed with it: so
 * a queue holds four of the largest blocks, 4 to 64 MiB, less when the
 * queues together would pass 1 GiB.
 */
size_t run_crashproof_ring(const struct run_config *cfg);

#endif
