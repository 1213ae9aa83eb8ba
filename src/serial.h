/*
 * serial.h - the whole pipeline in the calling process (serial.c).
 */
#ifndef PF_SERIAL_H
#define PF_SERIAL_H

#include "ctx.h"

/* pf_emit for serial mode: call the next stage's function. */
int pf__serial_emit(pf_ctx *ctx, const void *rec, size_t len);

/* Run p stage by stage in this process; 0 or a PF_E* code. */
int pf__run_serial(pf_pipeline *p);

#endif
