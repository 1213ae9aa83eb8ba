/* rank.h - the finished aggregate: its entries, the paths' distinct
 * clients, and the entries in display order.
 */
#ifndef LOGS_RANK_H
#define LOGS_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

/* After the last merge: make the entries, add the counts made here to
 * theirs and count the paths' distinct clients (ent.aux; for a sink's
 * first clients_top paths, 0 for the others).  Returns 0 or -ENOMEM. */
int lg_agg_finalize(lg_agg *a);

/* Entries of table id sorted for display (their counts brought up to
 * date; aux needs lg_agg_finalize): hits descending, then bytes
 * descending, then key bytes ascending, so the order is the same however
 * the input was split.  HOURS and DAYS sort by bucket ascending.  Returns
 * a malloc'ed array of n pointers into the table (caller frees; the
 * entries live as long as the aggregate), NULL with *n = 0 when empty or
 * out of memory. */
const lg_ent **lg_agg_sorted(lg_agg *a, int id, size_t *n);

/* The same for the first k entries only (0 = all): *n is still the
 * number of entries, but the array may hold just the first min(k, *n),
 * what a report of the top k shows, found at a fraction of a full sort's
 * cost and memory.  HOURS and DAYS are always sorted in full. */
const lg_ent **lg_agg_ranked(lg_agg *a, int id, size_t k, size_t *n);

/* The entries of table id by id (*n of them, counts up to date): a
 * borrowed array that lives as long as the aggregate; NULL with *n = 0
 * when empty or out of memory. */
const lg_ent *lg_agg_entries(lg_agg *a, int id, size_t *n);

/* Decode the bucket number of an HOURS or DAYS entry. */
int64_t lg_ent_bucket(const lg_ent *e);

#endif
