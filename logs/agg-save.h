/* agg-save.h - a whole sink aggregate as one partial (the aggregate a
 * state file keeps, docs/STATE.md), and reading one back.
 *
 * lg_agg_save writes the sink's every count as an ordinary wire blob
 * (docs/WIRE.md): feed 0, partial number 0, so it starts a dictionary of
 * its own and can be merged into any sink before or after other partials.
 * lg_agg_load decodes a blob into a *fresh* aggregate and hands it over
 * only when the whole blob was accepted: a blob whose checksums hold but
 * whose content does not decode never leaves a half-merged aggregate
 * behind (the wire format's known limit, WIRE.md "Reading").
 */
#ifndef LOGS_AGG_SAVE_H
#define LOGS_AGG_SAVE_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "buf.h"

/* Append sink a's counts to out as one partial of nout inputs: input i of
 * a is written as input fmap[i] (fmap NULL: the same index, and then
 * nout must be a's input count); an input that counted nothing may map
 * to >= nout (nowhere).  Pending pairs are united first.  Before
 * lg_agg_finalize.  Returns 0, -ENOMEM, or -EINVAL (not a sink, or an
 * input that counted something mapped >= nout). */
int lg_agg_save(lg_agg *a, const uint32_t *fmap, size_t nout, lg_buf *out);

/* Decode blob[0..len), a partial of nblob inputs, into a new sink
 * aggregate of nfiles >= nblob inputs (the blob's input i is input i;
 * inputs nblob.. start empty), tables tabs_on, pairs kept, clients_top as
 * lg_agg_new_sink, to *out (caller frees) only on success.  Returns 0,
 * -ENOMEM, -EINVAL (nfiles < nblob) or an LG_WIRE_E* code (EMISMATCH: the
 * blob is not of nblob inputs); *out is NULL on failure. */
int lg_agg_load(const void *blob, size_t len, size_t nblob, size_t nfiles,
                unsigned tabs_on, size_t clients_top, lg_agg **out);

/* Add every count of sink src to sink dst, src's input i as dst's input
 * fmap[i] (NULL: the same).  src is left as it was apart from its pending
 * pairs being united.  Returns 0, -ENOMEM, -EINVAL or an LG_WIRE_E*
 * code. */
int lg_agg_absorb(lg_agg *dst, lg_agg *src, const uint32_t *fmap);

#endif
