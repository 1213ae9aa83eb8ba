/* agg.h - exact aggregate tables of parsed requests, mergeable.
 *
 * Each parse worker counts into one lg_agg and, after each input batch,
 * sends the sink a *partial*: what that batch added (lg_agg_serialize),
 * then starts the next batch (lg_agg_sent).  The sink merges every partial
 * into its own lg_agg (lg_agg_merge).  All counts are exact 64-bit
 * integers; "unique clients" is exact (a set, not a sketch), so the merged
 * numbers are the same however the input was split, in any order.
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
 * ranking is known, unites just the pairs of those paths: one sequential
 * pass instead of a random probe of a big set for every pair.
 *
 * Tables are open-addressing hash tables of 64-byte slots: the hash,
 * the counters, the key's length and its first 24 bytes share one cache
 * line, so a lookup of a short key (an address, a method) touches one
 * line, and the line is prefetched while earlier records are counted;
 * the whole key lives in the table's arena, and memory grows with
 * distinct keys only.
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

/* A worker starts a new dictionary after the batch in which its tables
 * passed this many keys (or pairs, times 4), so its memory stays bounded
 * when a log has ever more distinct keys (unique query strings). */
#define LG_DICT_MAX_KEYS (2u << 20)

/* A hit count and a byte count. */
typedef struct lg_status_cnt {
    uint64_t hits, bytes;
} lg_status_cnt;

/* One distinct key of a table, by id (ids are dense, in insertion order).
 * HOURS and DAYS keys are 8-byte signed bucket numbers (hours or days since
 * the epoch, as logged).  hits and bytes are the counts merged from
 * partials, to which lg_agg_finalize adds those counted here; aux is filled
 * by lg_agg_finalize. */
typedef struct lg_ent {
    const char *key; /* in the table's arena, not NUL-terminated */
    uint32_t klen;
    uint32_t aux; /* PATHS: distinct clients (after lg_agg_finalize) */
    uint64_t hash;
    uint64_t hits;
    uint64_t bytes;
} lg_ent;

/* A hash-table slot: one cache line, all a lookup and a count touch. */
#define LG_SLOT_INLINE 24
typedef struct lg_slot {
    uint64_t hash;
    uint32_t klen;
    uint32_t idp1; /* id + 1; 0 = empty slot */
    uint64_t hits; /* counted here: a worker's batch */
    uint64_t bytes;
    const char *key;          /* the whole key, in the arena */
    char pre[LG_SLOT_INLINE]; /* its first bytes, zero-padded */
} lg_slot;

_Static_assert(sizeof(lg_slot) == 64, "a slot is one cache line");

typedef struct lg_arena lg_arena;

#define LG_RECENT 4

typedef struct lg_tab {
    lg_slot *slots;
    size_t mask; /* slots - 1 */
    /* by id: key, length, hash, merged counts.  A sink's table makes an
     * entry with each id; a counting table (with slots, which hold all
     * that but the merged counts) makes them only when it is ranked or
     * finalized, so a worker that just sends partials has none */
    lg_ent *ents;
    size_t nents, ents_cap; /* ids [0, nents) have entries */
    uint32_t *pos;          /* by id: its slot */
    uint64_t *tbits;        /* ids counted in this batch, a bit each */
    uint32_t *touched;      /* the same ids ascending (lg__tab_take_touched) */
    size_t n, cap;          /* ids, and room in pos/touched/tbits */
    size_t ntouched;        /* bits set in tbits */
    size_t sent;            /* ids [0, sent) are known to the sink */
    /* ids of a few keys seen lately, the likeliest first; UINT32_MAX for
     * none (bump_repeat's cache, for tables with few keys) */
    uint32_t recent[LG_RECENT];
    lg_arena *arena; /* the keys */
    /* sink: merged counts by id, dense and small (16 bytes an id), so a
     * merge's random adds stay in cache; cnt_n ids */
    lg_status_cnt *cnt;
    size_t cnt_n;
    /* sink: ids are found through this index instead of slots (NULL
     * then); an entry is the hash's top half << 32 | id + 1 */
    uint64_t *index;
    size_t imask;
} lg_tab;

/* A set of 64-bit values (path id, client id pairs), never 0. */
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

/* What the sink knows of one feed: its next partial number and, per
 * table, the map from the feed's dictionary ids to the sink's ids. */
typedef struct lg_feed {
    uint64_t next_seq;
    uint32_t *map[LG_TAB_COUNT];
    size_t n[LG_TAB_COUNT], cap[LG_TAB_COUNT];
} lg_feed;

/* Which tables to fill: bit (1u << LG_TAB_*).  Clients are always kept
 * (totals need their count).  Scalars, status, samples and per-file
 * counters are this batch's in a worker, the totals in the sink. */
typedef struct lg_agg {
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
    lg_status_cnt status[1000];
    uint64_t lines, requests, bytes, ignored, filtered, bad_lines;
    uint64_t bad[LG_BAD_COUNT];
    int64_t first_ts, last_ts; /* LG_NO_TIME when no request had a time */
    int32_t first_off, last_off;
    lg_sample samples[LG_BAD_COUNT][LG_SAMPLES_PER_REASON];
    uint8_t nsamples[LG_BAD_COUNT];
    lg_file_stat *files; /* nfiles entries */
    size_t nfiles;
    uint32_t file_lo, file_hi;  /* files[] touched in this batch: [lo, hi) */
    uint16_t status_seen[1000]; /* codes counted in this batch, in order */
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
} lg_agg;

/* Make an empty aggregate for nfiles inputs filling the tables in
 * tabs_on.  Returns NULL when out of memory.  Free with lg_agg_free. */
lg_agg *lg_agg_new(size_t nfiles, unsigned tabs_on, int track_pairs);
/* The same for an aggregate that partials are only merged into (the
 * sink's): lg_agg_add refuses it.  It never counts in table slots, so its
 * tables find keys through an index of 8 bytes a slot instead of 64-byte
 * slots: a fraction of the memory (1 MiB, not 8, for 60,000 clients).
 * paths[].clients (ent.aux) is counted for the first clients_top paths in
 * ranked order, or for every path when clients_top is 0. */
lg_agg *lg_agg_new_sink(size_t nfiles, unsigned tabs_on, int track_pairs,
                        size_t clients_top);

/* A sink unites its list of pairs into the set when it passes this many
 * (16 MiB), so its memory stays within the set's and this. */
#define LG_PEND_MAX ((size_t)1 << 21)
#define LG_BITS_MAX ((size_t)8 << 20)
/* Free.  Accepts NULL. */
void lg_agg_free(lg_agg *a);
/* Set the feed number written into this aggregate's partials (the worker
 * index; default 0). */
void lg_agg_set_feed(lg_agg *a, uint32_t feed);

/* Count one kept request of input `file`; path is the target to count
 * (possibly with its query stripped).  Returns 0, -ENOMEM, or -EINVAL for
 * a sink's aggregate. */
int lg_agg_add(lg_agg *a, const lg_rec *r, lg_str path, uint32_t file);

/* Count n kept requests at once (n <= LG_AGG_BLOCK): the same as n calls
 * of lg_agg_add, faster, because every table slot the block needs is
 * prefetched before the first is used. */
#define LG_AGG_BLOCK 64
int lg_agg_add_block(lg_agg *a, const lg_rec *r, const lg_str *path, int n,
                     uint32_t file);

/* Count a line that was not a request, with reason `reason` (LG_BAD_*):
 * keeps the sample when it is among the first LG_SAMPLES_PER_REASON by
 * (file, offset). */
void lg_agg_bad(lg_agg *a, int reason, uint32_t file, uint64_t offset,
                uint64_t line_base, uint64_t line, const char *text,
                size_t len);

/* Record the error that ended reading input `file` (first one kept). */
void lg_agg_file_error(lg_agg *a, uint32_t file, int err, const char *msg);

/* The counters of input `file` for this batch (file < nfiles). */
static inline lg_file_stat *lg_agg_file(lg_agg *a, uint32_t file)
{
    if (file < a->file_lo)
        a->file_lo = file;
    if (file >= a->file_hi)
        a->file_hi = file + 1;
    return &a->files[file];
}

/* Insert or find key in a table: its id, or -ENOMEM. */
long lg_tab_upsert(lg_tab *t, const void *key, size_t klen, uint64_t hash);
/* The same for n keys (lengths lens) at once, their ids to ids[]: what
 * each lookup will read is prefetched a few keys ahead, so the cache
 * misses of a sink learning thousands of keys overlap.  0 or -ENOMEM. */
int lg_tab_upsert_many(lg_tab *t, const void *const *keys, const size_t *lens,
                       size_t n, uint32_t *ids);

/* The 64-bit hash used by every table. */
uint64_t lg_hash(const void *key, size_t len);

/* ---- partials on the wire (agg-wire.c) ----------------------------------- */

/* A growable byte buffer. */
typedef struct lg_buf {
    unsigned char *p;
    size_t n, cap;
} lg_buf;
int lg_buf_reserve(lg_buf *b, size_t more);
void lg_buf_free(lg_buf *b);

/* Append the partial of this batch to out: a self-contained blob, magic
 * and version first, holding the batch's counts and the keys and pairs
 * the sink has not been sent yet.  The keyed counts are taken (zeroed) as
 * they are written.  Then call lg_agg_sent, or lg_agg_forget when the
 * partial could not be delivered.  Returns 0 or -ENOMEM (then forget). */
int lg_agg_serialize(lg_agg *a, lg_buf *out);

/* After the partial was sent: zero the rest of the batch's counts and
 * start the next batch (the next partial's number is one more).  Starts a
 * new dictionary when it grew past LG_DICT_MAX_KEYS. */
void lg_agg_sent(lg_agg *a);

/* Empty the aggregate and its dictionary, keeping its memory: the next
 * partial is number 0 again (use it when a partial could not be sent). */
void lg_agg_forget(lg_agg *a);

/* Add the partial in blob[0..len) to dst.  Returns 0, -EINVAL for a blob
 * that is not a valid partial or not the next of its feed (dst may then
 * hold part of it), -ENOMEM. */
int lg_agg_merge(lg_agg *dst, const void *blob, size_t len);

/* After the last merge: make the entries, add the counts made here to
 * theirs and count the paths' distinct clients (ent.aux; for a sink's
 * first clients_top paths, 0 for the others).  Returns 0 or -ENOMEM. */
int lg_agg_finalize(lg_agg *a);

/* Entries of table id sorted for display (their counts brought up to
 * date; aux needs lg_agg_finalize): hits
 * descending, then bytes descending, then key bytes ascending, so the
 * order is the same however the input was split.  HOURS and DAYS sort by
 * bucket ascending.  Returns a malloc'ed array of n pointers into the table
 * (caller frees), NULL with *n = 0 when empty or out of memory. */
const lg_ent **lg_agg_sorted(lg_agg *a, int id, size_t *n);

/* The same for the first k entries only (0 = all): *n is still the
 * number of entries, but the array may hold just the first min(k, *n),
 * what a report of the top k shows, found at a fraction of a full sort's
 * cost and memory.  HOURS and DAYS are always sorted in full. */
const lg_ent **lg_agg_ranked(lg_agg *a, int id, size_t k, size_t *n);

/* Decode the bucket number of an HOURS or DAYS entry. */
int64_t lg_ent_bucket(const lg_ent *e);

/* ---- shared by agg.c and agg-wire.c ---------------------------------------
 */

/* Hash of a pair value. */
static inline uint64_t lg_hash64(uint64_t v)
{
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)(v ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}
/* Add a pair value whose lg_hash64 is h to a set; 1 when it was new, 0
 * when present, -ENOMEM. */
int lg_set_add(lg_set64 *s, uint64_t v, uint64_t h);
/* The slot of id in t. */
static inline lg_slot *lg_tab_slot(const lg_tab *t, uint32_t id)
{
    return &t->slots[t->pos[id]];
}
/* Keep s among the first samples of its reason, in input order. */
void lg__agg_keep_sample(lg_agg *a, int reason, const lg_sample *s);
/* List the ids counted in this batch in t->touched, ascending, and clear
 * their bits; returns how many (t->ntouched, which is left as it is). */
size_t lg__tab_take_touched(lg_tab *t);
/* Add the n pair values v to set s, each slot prefetched a few values
 * ahead.  Returns 0 or -ENOMEM. */
int lg__set_unite(lg_set64 *s, const uint64_t *v, size_t n);
/* Room for n more values in a's pending pairs.  Returns 0 or -ENOMEM. */
int lg__agg_pend_reserve(lg_agg *a, size_t n);
/* Unite a's pending pairs into its set and empty the list. */
int lg__agg_unite_pending(lg_agg *a);

#endif
