/*
 * run-relay.c - the relay stage: one worker that passes chunks on in
 * order between ordered stages (-k), or writes them to stdout as the
 * ordered output stage.
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>

#define HDR sizeof(struct run_hdr)

/* A relay worker's state: its pf_worker_data. */
struct run_relay {
    struct run_out out;
    int gap; /* -k: a block was not run; write no more (run-joblog.c) */
};

int run_relay_init(pf_ctx *ctx, void *arg)
{
    struct run_stage *st = arg;
    struct run_relay *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    pf_worker_set_data(ctx, r);
    return run_out_init(&r->out, st, ctx);
}

int run_relay_record(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    struct run_stage *st = arg;
    struct run_relay *r = pf_worker_data(ctx);
    struct run_hdr h;
    if (len < HDR)
        return -1;
    if (run_useless(st->cfg, st->feeds))
        return 0;
    memcpy(&h, rec, HDR);
    if (h.flags & RUN_F_JOBLOG) {
        /* A joblog line: it follows its block's output, written first. */
        if (run_out_flush(&r->out, 1) < 0)
            return -1;
        if (run_joblog_relay(st, &r->gap, (const char *)rec + HDR, len - HDR) ==
            0)
            return 0;
        return pf_emit(ctx, rec, len) == 0 ? 0 : -1;
    }
    if (r->gap)
        return 0; /* after a block not run: nothing, until --resume */
    if (run_out_put_chunk(&r->out, (const unsigned char *)rec + HDR, len - HDR,
                          (h.flags & RUN_F_UNTERM) != 0) < 0)
        return -1;
    /* A restartable relay keeps nothing for the next record. */
    return run_out_flush(&r->out, st->restartable);
}

int run_relay_finish(pf_ctx *ctx, void *arg)
{
    struct run_relay *r = pf_worker_data(ctx);
    (void)arg;
    int rc = run_out_flush(&r->out, 1);
    run_out_free(&r->out);
    free(r);
    pf_worker_set_data(ctx, NULL);
    return rc;
}
