/*
 * map.h - pf_map, a pool map on a three-stage pipeline (map.c).
 */
#ifndef PF_MAP_H
#define PF_MAP_H

#include "pipefan.h"

/* pf_result_set inside a pf_map function: keep data as the result of
 * the item being mapped.  Returns 1 when ctx is not mapping an item (the
 * call is a pipeline's result), 0 when taken, PF_ENOMEM. */
int pf__map_capture(pf_ctx *ctx, const void *data, size_t len);

#endif
