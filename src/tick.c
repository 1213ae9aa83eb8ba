/*
 * tick.c - pf_stage_tick, and the progress callback in serial mode.
 *
 * A worker looks at its tick between batches and before it sleeps for
 * input, and sleeps no longer than until the tick is due; so a tick comes
 * at least every ms while the worker is idle, and while it is busy after
 * the batch in progress (a record whose call takes longer delays it).
 * In serial mode a stage is looked at after each of its records.
 */
#include "tick.h"

#include "clock.h"
#include "pipeline.h"

#define PROGRESS_NS (200u * 1000 * 1000) /* as the supervisor's TICK_MS */

int pf_stage_tick(pf_stage *s, unsigned ms, pf_hook_fn fn)
{
    if (s == NULL)
        return PF_EINVAL;
    if (s->p->running)
        return PF_EBUSY;
    if (s->index == 0 || (fn != NULL && ms == 0)) {
        if (s->p->error == 0)
            s->p->error = PF_EINVAL;
        pf_log(NULL, PF_LOG_ERROR, "pf_stage_tick '%s': %s", s->name,
               s->index == 0 ? "a source has no tick (it runs its own loop)"
                             : "a tick needs ms > 0");
        return PF_EINVAL;
    }
    s->tick = fn;
    s->tick_ms = ms;
    return 0;
}

int pf__tick_due(pf_ctx *ctx)
{
    if (ctx->st->tick == NULL)
        return 0;
    uint64_t now = pf__coarse_ns();
    uint64_t every = (uint64_t)ctx->st->tick_ms * 1000000u;
    if (ctx->tick_next == 0) {
        ctx->tick_next = now + every;
        return 0;
    }
    if (now < ctx->tick_next)
        return 0;
    ctx->tick_next = now + every;
    return 1;
}

uint64_t pf__tick_sleep_ns(const pf_ctx *ctx, uint64_t limit_ns)
{
    if (ctx->st->tick == NULL || ctx->tick_next == 0)
        return limit_ns;
    uint64_t now = pf__coarse_ns();
    if (now >= ctx->tick_next)
        return 1000000u; /* due: look again in a millisecond */
    uint64_t left = ctx->tick_next - now;
    return left < limit_ns ? left : limit_ns;
}

int pf__tick_serial(pf_ctx *ctx)
{
    pf_pipeline *p = ctx->p;
    if (p->progress != NULL) {
        uint64_t now = pf__coarse_ns();
        if (p->serial_progress_ns == 0)
            p->serial_progress_ns = now;
        else if (now - p->serial_progress_ns >= PROGRESS_NS) {
            p->serial_progress_ns = now;
            p->progress(p, 0, p->progress_arg);
        }
    }
    if (pf__tick_due(ctx)) {
        int rc = ctx->st->tick(ctx, ctx->st->arg);
        if (rc != 0) {
            pf_log(ctx, PF_LOG_ERROR, "stage %s: tick hook returned %d",
                   ctx->st->name, rc);
            return rc;
        }
    }
    return 0;
}

void pf__tick_serial_final(pf_pipeline *p)
{
    p->serial_progress_ns = 0; /* the next run starts its own count */
    if (p->progress != NULL)
        p->progress(p, 1, p->progress_arg);
}
