/*
 * stats.h - reading the per-worker counters (stats.c): the bottleneck and
 * the live progress line.
 */
#ifndef PF_STATS_H
#define PF_STATS_H

#include <stdint.h>

#include "pipeline.h"

/* Choose the bottleneck stage from p->stats. */
void pf__stats_bottleneck(pf_pipeline *p);

/* Draw or clear the progress line on stderr. */
void pf__progress_draw(const pf_pipeline *p, uint64_t elapsed_ns, int final);

#endif
