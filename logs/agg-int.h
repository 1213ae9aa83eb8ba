/* agg-int.h - the aggregate's struct, private to its own files (agg.c,
 * rank.c, agg-wire.c) and to white-box tests; everyone else holds an
 * opaque lg_agg (agg.h).  Declares agg.c's internal functions only.
 */
#ifndef LOGS_AGG_INT_H
#define LOGS_AGG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "pairset.h"
#include "table.h"

/* A sink unites its list of pairs into the set when it passes this many
 * (16 MiB), so its memory stays within the set's and this; it counts the
 * top paths' clients in bitmaps of at most LG_BITS_MAX bytes. */
#define LG_PEND_MAX ((size_t)1 << 21)
#define LG_BITS_MAX ((size_t)8 << 20)

/* What the sink knows of one feed: its next partial number and, per
 * table, the map from the feed's dictionary ids to the sink's ids. */
typedef struct lg_feed {
    uint64_t next_seq;
    uint32_t *map[LG_TAB_COUNT];
    size_t n[LG_TAB_COUNT], cap[LG_TAB_COUNT];
} lg_feed;

/* Scalars, status, samples and per-file counters are this batch's in a
 * worker, the totals in the sink. */
struct lg_agg {
    int sink; /* made by lg_agg_new_sink */
    unsigned tabs_on;
    int track_pairs; /* keep (path, client) pairs for paths[].clients */
    lg_tab tab[LG_TAB_COUNT];
    lg_set64 pairs; /* ((path id + 1) << 32) | (client id + 1) */
    /* sink with clients_top > 0: merged pairs not yet in the set, united
     * when there are more than pend_max of them; lg_agg_finalize counts
     * the top paths' clients in bitmaps when they take at most bits_max
     * bytes, else through the set */
    size_t clients_top;
    uint64_t *pend;
    size_t npend, pendcap, pend_max, bits_max;
    uint64_t *newpairs; /* worker: pairs first seen in this batch */
    size_t nnew, newcap;
    lg_status_cnt status[LG_STATUS_MAX];
    lg_totals tot;
    lg_sample samples[LG_BAD_COUNT][LG_SAMPLES_PER_REASON];
    uint8_t nsamples[LG_BAD_COUNT];
    lg_file_stat *files; /* nfiles entries */
    size_t nfiles;
    uint32_t file_lo, file_hi; /* files[] touched in this batch: [lo, hi) */
    uint16_t status_seen[LG_STATUS_MAX]; /* codes counted in this batch */
    size_t nstatus_seen;
    /* sending side: feed number and the next partial's number */
    uint32_t feed;
    uint64_t seq;
    /* receiving side: the feeds seen, by feed number */
    lg_feed **feeds;
    size_t nfeeds;
    /* lookup caches for the hot path: the hour and day last counted,
     * their first second (INT64_MIN for none) and id */
    int64_t hour_lo, day_lo;
    uint32_t hour_ix, day_ix;
};

/* The counters of input `file` for this batch (file < nfiles), marked
 * as touched. */
static inline lg_file_stat *lg__agg_file(lg_agg *a, uint32_t file)
{
    if (file < a->file_lo)
        a->file_lo = file;
    if (file >= a->file_hi)
        a->file_hi = file + 1;
    return &a->files[file];
}

/* Keep s among the first samples of its reason, in input order. */
void lg__agg_keep_sample(lg_agg *a, int reason, const lg_sample *s);
/* Room for n more values in a's pending pairs.  Returns 0 or -ENOMEM. */
int lg__agg_pend_reserve(lg_agg *a, size_t n);
/* Unite a's pending pairs into its set and empty the list. */
int lg__agg_unite_pending(lg_agg *a);

#endif
