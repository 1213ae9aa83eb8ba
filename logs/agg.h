/* agg.h - exact aggregate tables of parsed requests, mergeable.
 *
 * Each parse worker fills one lg_agg from the records of one input batch;
 * after the batch it serialises the aggregate (lg_agg_serialize), sends
 * the bytes to the sink and empties it (lg_agg_reset); the sink merges
 * every partial into its own lg_agg (lg_agg_merge).  All counts are exact
 * 64-bit integers; "unique clients" is exact (a set, not a sketch), so merging
 * partials made from any split of the input gives the same numbers.  A partial
 * may describe any part of the input (one batch of chunks, so that a restarted
 * worker can replay its batch): merging is commutative and associative.
 *
 * Tables are open-addressing hash tables; keys are copied into an arena
 * owned by the aggregate, so memory grows with distinct keys only.
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

/* One distinct key of a table.  HOURS and DAYS keys are 8-byte signed
 * bucket numbers (hours or days since the epoch, as logged). */
typedef struct lg_ent {
    const char *key; /* in the aggregate's arena, not NUL-terminated */
    uint32_t klen;
    uint32_t aux; /* PATHS: distinct clients (after lg_agg_finalize) */
    uint64_t hash;
    uint64_t hits;
    uint64_t bytes;
} lg_ent;

typedef struct lg_arena lg_arena;

typedef struct lg_tab {
    uint64_t *slots; /* 0 empty, else (hash high 32 bits << 32) | (index+1) */
    size_t mask;     /* slots - 1 */
    lg_ent *ents;    /* entries in insertion order */
    size_t n, cap;
    lg_arena *arena; /* borrowed from the aggregate */
} lg_tab;

/* A set of 64-bit values (path index, client index pairs), never 0. */
typedef struct lg_set64 {
    uint64_t *slots;
    size_t mask, n;
} lg_set64;

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

typedef struct lg_status_cnt {
    uint64_t hits, bytes;
} lg_status_cnt;

/* Which tables to fill: bit (1u << LG_TAB_*).  Clients are always kept
 * (totals need their count). */
typedef struct lg_agg {
    lg_arena *arena;
    unsigned tabs_on;
    int track_pairs; /* keep (path, client) pairs for paths[].clients */
    lg_tab tab[LG_TAB_COUNT];
    lg_set64 pairs; /* ((path index + 1) << 32) | (client index + 1) */
    lg_status_cnt status[1000];
    uint64_t lines, requests, bytes, ignored, filtered, bad_lines;
    uint64_t bad[LG_BAD_COUNT];
    int64_t first_ts, last_ts; /* LG_NO_TIME when no request had a time */
    int32_t first_off, last_off;
    lg_sample samples[LG_BAD_COUNT][LG_SAMPLES_PER_REASON];
    uint8_t nsamples[LG_BAD_COUNT];
    lg_file_stat *files; /* nfiles entries */
    size_t nfiles;
    /* lookup caches for the hot path */
    int64_t last_hour, last_day;
    uint32_t last_hour_ix, last_day_ix;
} lg_agg;

/* Make an empty aggregate for nfiles inputs filling the tables in
 * tabs_on.  Returns NULL when out of memory.  Free with lg_agg_free. */
lg_agg *lg_agg_new(size_t nfiles, unsigned tabs_on, int track_pairs);
/* Free.  Accepts NULL. */
void lg_agg_free(lg_agg *a);
/* Empty an aggregate for reuse, keeping its tables' memory: afterwards it
 * is equal to a new one. */
void lg_agg_reset(lg_agg *a);

/* Count one kept request of input `file`; path is the target to count
 * (possibly with its query stripped).  Returns 0 or -ENOMEM. */
int lg_agg_add(lg_agg *a, const lg_rec *r, lg_str path, uint32_t file);

/* Count a line that was not a request, with reason `reason` (LG_BAD_*):
 * keeps the sample when it is among the first LG_SAMPLES_PER_REASON by
 * (file, offset). */
void lg_agg_bad(lg_agg *a, int reason, uint32_t file, uint64_t offset,
                uint64_t line_base, uint64_t line, const char *text,
                size_t len);

/* Record the error that ended reading input `file` (first one kept). */
void lg_agg_file_error(lg_agg *a, uint32_t file, int err, const char *msg);

/* Insert or find key in a table: its entry index, or -ENOMEM. */
long lg_tab_upsert(lg_tab *t, const void *key, size_t klen, uint64_t hash);

/* The 64-bit hash used by every table. */
uint64_t lg_hash(const void *key, size_t len);

/* ---- partials on the wire ------------------------------------------------ */

/* A growable byte buffer. */
typedef struct lg_buf {
    unsigned char *p;
    size_t n, cap;
} lg_buf;
int lg_buf_reserve(lg_buf *b, size_t more);
void lg_buf_free(lg_buf *b);

/* Append the serialised aggregate to out (a self-contained blob, magic
 * and version first).  Returns 0 or -ENOMEM. */
int lg_agg_serialize(const lg_agg *a, lg_buf *out);

/* Add the partial in blob[0..len) to dst.  Returns 0, -EINVAL for a blob
 * that is not a valid partial (dst may then hold part of it), -ENOMEM. */
int lg_agg_merge(lg_agg *dst, const void *blob, size_t len);

/* After the last merge: compute paths' distinct clients (ent.aux). */
void lg_agg_finalize(lg_agg *a);

/* Entries of table id sorted for display: hits descending, then bytes
 * descending, then key bytes ascending, so the order is the same however
 * the input was split.  HOURS and DAYS sort by bucket ascending.  Returns
 * a malloc'ed array of n pointers into the table (caller frees), NULL
 * with *n = 0 when empty or out of memory. */
const lg_ent **lg_agg_sorted(const lg_agg *a, int id, size_t *n);

/* Decode the bucket number of an HOURS or DAYS entry. */
int64_t lg_ent_bucket(const lg_ent *e);

#endif
