/* agg.h - exact aggregate tables of parsed requests, mergeable: the
 * aggregate as an opaque handle and its verbs.
 *
 * Each parse worker counts into one lg_agg and, after each input batch,
 * sends the sink a *partial*: what that batch added (lg_agg_serialize,
 * agg-wire.h), then starts the next batch (lg_agg_sent).  The sink merges
 * every partial into its own lg_agg (lg_agg_merge), then ranks it
 * (lg_agg_finalize and lg_agg_ranked, rank.h) and hands a report view
 * (report.h) to the renderers.  All counts are exact 64-bit integers;
 * "unique clients" is exact (a set, not a sketch), so the merged numbers
 * are the same however the input was split, in any order.
 *
 * A worker keeps its tables' *keys* across batches (its dictionary), so a
 * key is hashed into the worker's tables and sent to the sink once: later
 * partials name it by its dictionary id.  The partials of one worker form
 * a *feed* (feed number = worker index, partials numbered 0, 1, 2...); the
 * sink keeps, per feed, the map from dictionary ids to its own entries.  A
 * partial numbered 0 starts a new dictionary: a restarted worker, or one
 * whose dictionary grew past LG_DICT_MAX_KEYS, begins again at 0.  So a
 * batch's counts are in exactly one partial, and a worker that dies loses
 * only its uncommitted batch, which it replays (see scan.c).  The feed's
 * partials must reach the sink in order (a worker's queue is FIFO);
 * lg_agg_merge refuses a gap.
 *
 * (path, client) pairs, behind the exact paths[].clients, are a set: a
 * worker sends each pair once per dictionary, and the sink unites them.
 * A report shows the clients of its top paths only, so a sink told how
 * many (clients_top) keeps the pairs in a list as they come and, once the
 * ranking is known, unites just the pairs of those paths.
 *
 * The parts live in files of their own: arena.c (keys), hash.h (hashes),
 * table.c (counting tables), pairset.c (the pair set), agg.c (counting
 * and batches), rank.c (entries and ranking), agg-wire.c (partials).
 */
#ifndef LOGS_AGG_H
#define LOGS_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "record.h"

/* Keyed tables of an aggregate: X(ENUM, "name"). */
#define LG_TAB_MAP(X)                                                          \
    X(PATHS, "paths")                                                          \
    X(CLIENTS, "clients")                                                      \
    X(METHODS, "methods")                                                      \
    X(PROTOCOLS, "protocols")                                                  \
    X(REFERRERS, "referrers")                                                  \
    X(AGENTS, "agents")                                                        \
    X(NOT_FOUND, "not_found")                                                  \
    X(VHOSTS, "vhosts")                                                        \
    X(HOURS, "hours")                                                          \
    X(DAYS, "days")

enum lg_tab_id {
#define LG_TAB_ENUM_(e, name) LG_TAB_##e,
    LG_TAB_MAP(LG_TAB_ENUM_)
#undef LG_TAB_ENUM_
    LG_TAB_COUNT
};

/* Status codes counted: 1 .. LG_STATUS_MAX - 1 (others count as
 * requests but in no status row). */
#define LG_STATUS_MAX 1000

/* A worker starts a new dictionary after the batch in which its tables
 * passed this many keys (or pairs, times 4), so its memory stays bounded
 * when a log has ever more distinct keys (unique query strings).  From
 * LG_DICT_EARLY_KEYS keys (pairs: times 4) on, it starts one already when
 * a next batch that adds as many as this one did would make a table (or
 * the pair set) double: a table keeps the size it has then, rather than
 * doubling just before the dictionary is dropped (at millions of keys a
 * doubling is hundreds of MiB per worker; issue 22). */
#define LG_DICT_MAX_KEYS (2u << 20)
#define LG_DICT_EARLY_KEYS (1u << 19)

/* Byte counts saturate: a sum that would pass UINT64_MAX stays there, and
 * a report shows a byte count of UINT64_MAX as "at least" (flagged) rather
 * than a wrapped, wrong number.  Hits cannot overflow in practice. */
#define LG_BYTES_SATURATED UINT64_MAX

/* *sum += v, saturating at LG_BYTES_SATURATED. */
static inline void lg_bytes_add(uint64_t *sum, uint64_t v)
{
    uint64_t r;
    *sum = __builtin_add_overflow(*sum, v, &r) ? LG_BYTES_SATURATED : r;
}

/* A hit count and a byte count. */
typedef struct lg_status_cnt {
    uint64_t hits, bytes;
} lg_status_cnt;

/* One distinct key of a table, as ranked (rank.h): a report row.  HOURS
 * and DAYS keys are 8-byte signed bucket numbers (hours or days since the
 * epoch, as logged; lg_ent_bucket). */
typedef struct lg_ent {
    const char *key; /* in the table's arena, not NUL-terminated */
    uint32_t klen;
    uint32_t aux; /* PATHS: distinct clients (after lg_agg_finalize) */
    uint64_t hash;
    uint64_t hits;
    uint64_t bytes;
} lg_ent;

/* A kept sample of a bad line. */
#define LG_SAMPLE_TEXT 160
#define LG_SAMPLES_PER_REASON 3
typedef struct lg_sample {
    uint32_t file; /* input index */
    uint32_t text_len;
    uint64_t offset;    /* byte offset of the line in the (decompressed) file */
    uint64_t line_base; /* byte offset from which `line` counts (0 = from
                           the file's start: `line` is absolute) */
    uint64_t line;      /* line number (1-based) counted from line_base */
    char text[LG_SAMPLE_TEXT];
} lg_sample;

/* Per-input counters and the first error reading it. */
#define LG_ERR_TEXT 200
typedef struct lg_file_stat {
    uint64_t lines, requests, bad;
    int err; /* 0, or the negative error that ended reading */
    char errmsg[LG_ERR_TEXT];
} lg_file_stat;

/* The scalar counts: this batch's in a worker, the totals in a sink. */
typedef struct lg_totals {
    uint64_t lines, requests, bytes, ignored, filtered, bad_lines;
    uint64_t bad[LG_BAD_COUNT]; /* by reason (LG_BAD_*) */
    int64_t first_ts, last_ts;  /* LG_NO_TIME when no request had a time */
    int32_t first_off, last_off;
} lg_totals;

/* An aggregate: opaque; made by lg_agg_new or lg_agg_new_sink. */
typedef struct lg_agg lg_agg;

/* Make an empty aggregate for nfiles inputs filling the tables in
 * tabs_on (bit 1u << LG_TAB_*; clients are always kept).  Returns NULL
 * when out of memory.  Caller frees with lg_agg_free. */
lg_agg *lg_agg_new(size_t nfiles, unsigned tabs_on, int track_pairs);
/* The same for an aggregate that partials are only merged into (the
 * sink's): lg_agg_add refuses it.  Its tables find keys through an index
 * of 8 bytes a slot instead of 64-byte slots (table.h).  paths[].clients
 * is counted for the first clients_top paths in ranked order, or for
 * every path when clients_top is 0. */
lg_agg *lg_agg_new_sink(size_t nfiles, unsigned tabs_on, int track_pairs,
                        size_t clients_top);
/* Free.  Accepts NULL. */
void lg_agg_free(lg_agg *a);
/* Set the feed number written into this aggregate's partials (the worker
 * index; default 0). */
void lg_agg_set_feed(lg_agg *a, uint32_t feed);

/* Count one kept request of input `file`; path is the target to count
 * (possibly with its query stripped).  Strings are borrowed for the
 * call.  Returns 0, -ENOMEM, or -EINVAL for a sink's aggregate. */
int lg_agg_add(lg_agg *a, const lg_rec *r, lg_str path, uint32_t file);

/* Count n kept requests at once (n <= LG_AGG_BLOCK, else -EINVAL): the
 * same as n calls of lg_agg_add, faster, because every table slot the
 * block needs is prefetched before the first is used. */
#define LG_AGG_BLOCK 64
int lg_agg_add_block(lg_agg *a, const lg_rec *r, const lg_str *path, int n,
                     uint32_t file);

/* Count lines of input `file` read (whatever they were), of which
 * `ignored` were ignorable and `filtered` requests dropped by a filter. */
void lg_agg_count_lines(lg_agg *a, uint32_t file, uint64_t lines,
                        uint64_t ignored, uint64_t filtered);

/* Count a line that was not a request, with reason `reason` (LG_BAD_*):
 * keeps the sample when it is among the first LG_SAMPLES_PER_REASON by
 * (file, offset).  text is copied (its first LG_SAMPLE_TEXT bytes). */
void lg_agg_bad(lg_agg *a, int reason, uint32_t file, uint64_t offset,
                uint64_t line_base, uint64_t line, const char *text,
                size_t len);

/* Record the error that ended reading input `file` (first one kept;
 * msg copied). */
void lg_agg_file_error(lg_agg *a, uint32_t file, int err, const char *msg);

/* After the batch's partial was sent: zero the rest of the batch's counts
 * and start the next batch (the next partial's number is one more).
 * Starts a new dictionary when it grew past LG_DICT_MAX_KEYS. */
void lg_agg_sent(lg_agg *a);

/* Empty the aggregate and its dictionary, keeping its memory: the next
 * partial is number 0 again (use it when a partial could not be sent). */
void lg_agg_forget(lg_agg *a);

/* ---- reading an aggregate (borrowed: valid until the next change) ---- */

/* The scalar counts. */
const lg_totals *lg_agg_totals(const lg_agg *a);
/* Hits and bytes by status code: LG_STATUS_MAX entries. */
const lg_status_cnt *lg_agg_status(const lg_agg *a);
/* Per-input counters: *n entries. */
const lg_file_stat *lg_agg_files(const lg_agg *a, size_t *n);
/* Lines input `file` has counted (0 when out of range). */
uint64_t lg_agg_file_lines(const lg_agg *a, uint32_t file);
/* The kept samples of reason (1 .. LG_BAD_COUNT-1), *n of them, in input
 * order; writable so the sink can make their line numbers absolute. */
lg_sample *lg_agg_samples(lg_agg *a, int reason, int *n);
/* Distinct keys of table id. */
size_t lg_agg_keys(const lg_agg *a, int id);
/* Non-zero when table id is filled. */
int lg_agg_has_table(const lg_agg *a, int id);
/* (path, client) pairs held: the set's, plus a sink's list of pairs not
 * yet united (which may repeat some). */
size_t lg_agg_pairs(const lg_agg *a);
/* Non-zero when paths[].clients is counted. */
int lg_agg_tracks_pairs(const lg_agg *a);

#endif
