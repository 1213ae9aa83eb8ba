/*
 * tick.h - periodic calls while a pipeline runs: a stage's tick in its
 * workers, and the progress callback in serial mode (tick.c).
 */
#ifndef PF_TICK_H
#define PF_TICK_H

#include <stdint.h>

#include "ctx.h"

/* 1 when ctx's stage has a tick and it is due now (the next one is then
 * set ms later), 0 otherwise.  The first is due ms after the first
 * look. */
int pf__tick_due(pf_ctx *ctx);
/* How long an idle worker may sleep, at most limit_ns: until its next
 * tick. */
uint64_t pf__tick_sleep_ns(const pf_ctx *ctx, uint64_t limit_ns);
/* Serial mode, after a record of stage ctx: its tick when due (0 or the
 * tick's return), and the progress callback every 200 ms. */
int pf__tick_serial(pf_ctx *ctx);
/* Serial mode: the progress callback's final call. */
void pf__tick_serial_final(pf_pipeline *p);

#endif
