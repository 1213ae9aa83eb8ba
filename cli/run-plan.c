/*
 * run-plan.c - `pipefan run`'s plan (run-plan.h): the parsed commands
 * into the stages of the pipefan pipeline - input, one stage per
 * command, and with --keep-order the one-worker relays that ordered
 * stages need around them - and the plan printed for --dry-run.
 */
#include "run-plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipefan.h>

#define CP_RING_MIN (4u << 20)  /* crash-proof queues: see */
#define CP_RING_MAX (64u << 20) /* run_crashproof_ring() */
#define CP_RING_BUDGET (1ull << 30)

/* A short stage name from the command: its first word's basename. */
static void stage_name(char *buf, size_t n, int num, const char *cmd)
{
    const char *p = cmd;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strcspn(p, " \t\n;|&<>()'\"");
    const char *word = p;
    for (size_t i = 0; i < len; i++)
        if (p[i] == '/' && i + 1 < len)
            word = p + i + 1;
    len -= (size_t)(word - p);
    if (len == 0) {
        word = "cmd";
        len = 3;
    }
    if (len > 24)
        len = 24;
    snprintf(buf, n, "%d:%.*s", num, (int)len, word);
}

/* Append a pipefan stage to the plan. */
static struct run_stage *plan_add(struct run_config *cfg, enum run_role role)
{
    struct run_stage *st = &cfg->stages[cfg->nstages];
    memset(st, 0, sizeof *st);
    st->role = role;
    st->cfg = cfg;
    st->workers = 1;
    st->stats = cfg->nstages++;
    return st;
}

int run_plan(struct run_config *cfg, const struct run_cmd_spec *cmds, int n)
{
    cfg->stages = calloc((size_t)(2 * n + 2), sizeof *cfg->stages);
    if (cfg->stages == NULL)
        return -1;
    cfg->ncommands = n;
    for (int i = 0; i < n; i++)
        if (cmds[i].retries > cfg->retries)
            cfg->retries = cmds[i].retries;
    cfg->crashproof = cfg->retries > 0;
    struct run_stage *in = plan_add(cfg, RUN_ROLE_INPUT);
    snprintf(in->name, sizeof in->name, "input");
    in->feeds = 1;
    /* A source is restarted by reading its input again: a file, not a
     * pipe. */
    in->restartable = cfg->crashproof && cfg->in_ranges;
    for (int i = 0; i < n; i++) {
        const struct run_cmd_spec *c = &cmds[i];
        struct run_stage *st = plan_add(cfg, RUN_ROLE_COMMAND);
        st->cmd = c->cmd;
        st->num = i + 1;
        st->feeds = i + 2;
        st->workers = c->workers;
        st->block = c->block;
        st->retries = c->retries;
        if (st->block == 0 &&
            (st->retries > 0 || (cfg->keep_order && st->workers > 1))) {
            st->block = RUN_DEFAULT_BLOCK;
            st->implied = 1;
        }
        st->ordered = cfg->keep_order && st->workers > 1;
        st->ranges = i == 0 && cfg->in_ranges;
        /* Only a block's output can be replayed exactly: a stream
         * command's output is not tied to its input records. */
        st->restartable = st->block != 0 && st->retries > 0;
        stage_name(st->name, sizeof st->name, i + 1, c->cmd);
        if (i + 1 == n && (st->ordered || st->restartable)) {
            /* stdout is written by a one-worker sink: it keeps order, and
             * unlike a restartable worker it is never restarted, so what
             * it wrote is never written again. */
            struct run_stage *out = plan_add(cfg, RUN_ROLE_RELAY);
            snprintf(out->name, sizeof out->name, "output");
            out->feeds = n + 1;
            st->log_via_out = 1; /* it writes the joblog lines too */
        } else if (st->ordered && cmds[i + 1].workers > 1) {
            struct run_stage *r = plan_add(cfg, RUN_ROLE_RELAY);
            snprintf(r->name, sizeof r->name, "merge%d", i + 2);
            r->feeds = i + 2;
            r->restartable = cfg->crashproof;
        }
    }
    cfg->stages[cfg->nstages - 1].to_stdout = 1;
    /* Each stage's output is sized for the command stage after it (past
     * a merge relay, which passes blocks on: a crash-proof relay passes
     * each as it comes). */
    for (int k = 0; k + 1 < cfg->nstages; k++) {
        struct run_stage *st = &cfg->stages[k], *nx = &cfg->stages[k + 1];
        if (nx->role == RUN_ROLE_RELAY && !nx->to_stdout)
            nx = &cfg->stages[k + 2];
        st->out_hold = nx->role == RUN_ROLE_COMMAND && nx->block != 0;
        st->out_target = st->out_hold ? nx->block : cfg->chunk;
    }
    /* Byte ranges for stream mode: small enough that every worker gets
     * several, however small the file. */
    struct run_stage *first = &cfg->stages[1];
    if (cfg->in_ranges && !in->out_hold) {
        uint64_t share =
            (cfg->in_end - cfg->in_off) / (uint64_t)(4 * first->workers);
        if (share < (64u << 10))
            share = 64u << 10;
        if (share < in->out_target)
            in->out_target = (size_t)share;
    }
    return 0;
}

void run_print_plan(const struct run_config *cfg, FILE *f)
{
    char sz[32];
    if (cfg->in_ranges) {
        run_human(sz, sizeof sz, (double)(cfg->in_end - cfg->in_off));
        fprintf(f,
                "input:   stdin, a regular file of %s: byte ranges read "
                "by stage 1's workers\n",
                sz);
    } else {
        fprintf(f, "input:   stdin, read and passed on in chunks\n");
    }
    if (cfg->framing == RUN_FIXED)
        fprintf(f, "records: %zu-byte blocks\n", cfg->fixed);
    else
        fprintf(f, "records: %s-terminated\n",
                cfg->framing == RUN_NUL ? "NUL" : "newline");
    for (int k = 1; k < cfg->nstages; k++) {
        const struct run_stage *st = &cfg->stages[k];
        if (st->role == RUN_ROLE_RELAY) {
            fprintf(f, "stage:   %-12s 1 worker: %s%s%s\n", st->name,
                    st->to_stdout ? "writes stdout" : "passes blocks on",
                    cfg->keep_order ? ", in input order" : "",
                    st->restartable ? ", restarted after a crash" : "");
            continue;
        }
        fprintf(f, "stage:   %-12s %d worker%s, ", st->name, st->workers,
                st->workers == 1 ? "" : "s");
        if (st->block != 0) {
            run_human(sz, sizeof sz, (double)st->block);
            fprintf(f, "block mode (%s%s)", sz, st->implied ? ", implied" : "");
            if (st->retries > 0)
                fprintf(f, ", %d retr%s", st->retries,
                        st->retries == 1 ? "y" : "ies");
            if (st->ordered)
                fprintf(f, ", ordered");
            if (st->restartable)
                fprintf(f, ", restarted after a crash");
        } else {
            fprintf(f, "stream mode");
        }
        fprintf(f, "%s: sh -c '%s'\n", st->to_stdout ? ", writes stdout" : "",
                st->cmd);
    }
    static const char *const halt[] = {
        [RUN_HALT_NOW] = "now: the first failed command stops the run",
        [RUN_HALT_SOON] = ("soon: after a failed command, the input stops "
                           "and running commands finish"),
        [RUN_HALT_NEVER] = "never: failures are reported at the end",
    };
    fprintf(f, "halt:    %s\n", halt[cfg->halt]);
    if (cfg->crashproof) {
        fprintf(f,
                "crashes: a crashed worker is restarted and its block "
                "replayed, up to %d time%s per block; input %s\n",
                cfg->retries, cfg->retries == 1 ? "" : "s",
                cfg->stages[0].restartable ? "read again from the file"
                                           : "from a pipe, not restartable");
        fprintf(f, "poison:  %s%s%s\n",
                cfg->poison == PF_POISON_FAIL ? "fail the run"
                                              : "skip the block",
                cfg->dead_letter != NULL ? ", dead letters to " : "",
                cfg->dead_letter != NULL ? cfg->dead_letter : "");
    }
    if (cfg->stall_ms != 0)
        fprintf(f, "stall:   a block's command idle for %.1f s is killed\n",
                cfg->stall_ms / 1e3);
    if (cfg->joblog != NULL)
        fprintf(f, "joblog:  %s\n", cfg->joblog);
}

size_t run_crashproof_ring(const struct run_config *cfg)
{
    size_t biggest = cfg->chunk, ring = CP_RING_MIN;
    uint64_t nrings = 0;
    for (int k = 0; k < cfg->nstages; k++) {
        if (cfg->stages[k].block > biggest)
            biggest = cfg->stages[k].block;
        if (k + 1 < cfg->nstages)
            nrings += (uint64_t)cfg->stages[k].workers *
                      (uint64_t)cfg->stages[k + 1].workers;
    }
    while (ring < 4 * (uint64_t)biggest && ring < CP_RING_MAX)
        ring *= 2;
    while (ring > (64u << 10) && nrings * ring > CP_RING_BUDGET)
        ring /= 2;
    return ring;
}
