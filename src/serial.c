/*
 * serial.c - the whole pipeline in the calling process, stage by stage:
 * pf_emit calls the next stage's function directly.  The same functions,
 * no fork, no shared memory: the way to check a chain and to use gdb.
 * Every stage has one worker (index 0); keys and order change nothing.
 */
#include <stdlib.h>

#include "serial.h"
#include "log.h"
#include "tick.h"

int pf__serial_emit(pf_ctx *ctx, const void *rec, size_t len)
{
    pf_ctx *nx = ctx->ser.next;
    if (nx == NULL)
        return PF_ESTATE;
    if (len > ctx->p->opts.max_record)
        return PF_E2BIG;
    ctx->ser.stats->records_out++;
    ctx->ser.stats->bytes_out += len;
    nx->ser.stats->records_in++;
    nx->ser.stats->bytes_in += len;
    int rc = nx->st->rec_fn(nx, rec, len, nx->st->arg);
    if (rc == 0 && nx->st->batch != NULL) /* each record is a batch */
        rc = nx->st->batch(nx, nx->st->arg);
    if (rc == 0)
        rc = pf__tick_serial(nx);
    if (rc != 0) {
        if (rc != PF_ESTAGE) /* not already reported further down */
            pf_log(nx, PF_LOG_ERROR,
                   "stage %s: function returned %d on "
                   "input record %llu",
                   nx->st->name, rc,
                   (unsigned long long)nx->ser.stats->records_in);
        return PF_ESTAGE;
    }
    return 0;
}

/* Call a hook of stage ctx; logs a failure. */
static int serial_hook(pf_ctx *ctx, pf_hook_fn fn, const char *what)
{
    if (fn == NULL)
        return 0;
    int rc = fn(ctx, ctx->st->arg);
    if (rc != 0) {
        pf_log(ctx, PF_LOG_ERROR, "stage %s: %s hook returned %d",
               ctx->st->name, what, rc);
        return PF_ESTAGE;
    }
    return 0;
}

int pf__run_serial(pf_pipeline *p)
{
    int n = p->nstages;
    pf_ctx *ctx = calloc((size_t)n, sizeof *ctx);
    if (ctx == NULL)
        return PF_ENOMEM;
    for (int i = 0; i < n; i++) {
        ctx[i].p = p;
        ctx[i].st = p->stages[i];
        ctx[i].serial = 1;
        ctx[i].ser.next = i + 1 < n ? &ctx[i + 1] : NULL;
        ctx[i].ser.stats = &p->stats[p->stats_first[i]];
    }
    pf__log_set_ident("serial", -1);
    int err = 0;
    for (int i = 0; i < n && err == 0; i++)
        err = serial_hook(&ctx[i], p->stages[i]->init, "init");
    if (err == 0) {
        int rc = p->stages[0]->src_fn(&ctx[0], p->stages[0]->arg);
        if (rc != 0) {
            if (rc != PF_ESTAGE)
                pf_log(&ctx[0], PF_LOG_ERROR, "source %s returned %d",
                       p->stages[0]->name, rc);
            err = PF_ESTAGE;
        }
    }
    /* Finish hooks in stage order: each may emit into the next stage. */
    for (int i = 0; i < n && err == 0; i++)
        err = serial_hook(&ctx[i], p->stages[i]->finish, "finish");
    pf__log_set_ident("main", -1);
    pf__tick_serial_final(p);
    for (int i = 0; i < n; i++)
        if (ctx[i].data != NULL && p->stages[i]->data_free != NULL)
            p->stages[i]->data_free(ctx[i].data);
    free(ctx);
    return err;
}
