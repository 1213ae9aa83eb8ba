/*
 * emit.h - the output side of a worker (emit.c): what the input side and
 * the commits call besides pf_emit.
 */
#ifndef PF_EMIT_H
#define PF_EMIT_H

#include "ctx.h"

/* Publish every written output ring (a commit, with retries). */
void pf__publish_all(pf_ctx *ctx);
/* Publish everything and close a batch dealt to an ordered stage. */
void pf__flush_all(pf_ctx *ctx);
/* Pass an ordered batch's end (MARK) on to the single output ring. */
void pf__put_mark(pf_ctx *ctx);

#endif
