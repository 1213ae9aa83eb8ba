/* table.h - a counting table: distinct keys, dense ids, hits and bytes.
 *
 * A worker's table is an open-addressing hash table of 64-byte slots:
 * the hash, the batch's counters, the key's length and its first 24
 * bytes share one cache line, so a lookup of a short key (an address, a
 * method) touches one line, and the line is prefetched while earlier
 * records are counted; the whole key lives in the table's arena, and
 * memory grows with distinct keys only.  Kept at most half full.
 *
 * A sink's table (lg_tab_init with sink set) never counts in slots: it
 * finds ids through an index of 8 bytes a slot (the hash's top half and
 * the id), makes an entry per id, and adds merged counts to dense 16-byte
 * counters (cnt), so a merge's random adds stay in cache.
 *
 * The lookups and counts of the hot path are inline here; growing and
 * inserting are out of line in table.c.
 */
#ifndef LOGS_TABLE_H
#define LOGS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "arena.h"
#include "hash.h"

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

#define LG_RECENT 4

typedef struct lg_tab {
    lg_slot *slots;
    size_t mask; /* slots - 1 */
    /* by id: key, length, hash, merged counts.  A sink's table makes an
     * entry with each id; a counting table (with slots, which hold all
     * that but the merged counts) makes them only when it is ranked or
     * folded, so a worker that just sends partials has none */
    lg_ent *ents;
    size_t nents, ents_cap; /* ids [0, nents) have entries */
    uint32_t *pos;          /* by id: its slot */
    uint64_t *tbits;        /* ids counted in this batch, a bit each */
    uint32_t *touched;      /* the same ids ascending (lg_tab_take_touched) */
    size_t n, cap;          /* ids, and room in pos/touched/tbits */
    size_t ntouched;        /* bits set in tbits */
    size_t sent;            /* ids [0, sent) are known to the sink */
    /* ids of a few keys seen lately, the likeliest first; UINT32_MAX for
     * none (lg_tab_bump_repeat's cache, for tables with few keys) */
    uint32_t recent[LG_RECENT];
    lg_arena *arena; /* the keys */
    /* sink: merged counts by id, dense and small; cnt_n ids */
    lg_status_cnt *cnt;
    size_t cnt_n;
    /* sink: ids are found through this index instead of slots (NULL
     * then); an entry is the hash's top half << 32 | id + 1 */
    uint64_t *index;
    size_t imask;
    /* the hash key of the keys' hashes: the run's secret, or after gen
     * reseeds one derived from it */
    lg_hash_key key;
    uint32_t gen;
} lg_tab;

/* A key that lands farther than this from its home slot makes the table
 * rehash under a new key (at most LG_RESEED_MAX times): keys that collide
 * under one key (chosen by someone who knew it) scatter under the next,
 * so a lookup's cost stays bounded.  Honest keys in a table at most half
 * full stay within a few dozen slots. */
#define LG_PROBE_MAX 64
#define LG_RESEED_MAX 8

/* An empty table, a sink's (index, entries) or a worker's (slots).
 * 0 or -ENOMEM; lg_tab_destroy it either way. */
int lg_tab_init(lg_tab *t, int sink);
/* Free what the table holds. */
void lg_tab_destroy(lg_tab *t);
/* Forget every key, keeping the memory. */
void lg_tab_clear(lg_tab *t);

/* Insert or find key in a table: its id, or -ENOMEM. */
long lg_tab_upsert(lg_tab *t, const void *key, size_t klen);
/* The same for n keys (lengths lens) at once, their ids to ids[]: what
 * each lookup will read is prefetched a few keys ahead, so the cache
 * misses of a sink learning thousands of keys overlap.  0 or -ENOMEM. */
int lg_tab_upsert_many(lg_tab *t, const void *const *keys, const size_t *lens,
                       size_t n, uint32_t *ids);
/* Room for merged counters of every id (a sink's cnt).  0 or -ENOMEM. */
int lg_tab_cnt_reserve(lg_tab *t);

/* List the ids counted in this batch in t->touched, ascending, and clear
 * their bits; returns how many (t->ntouched, which is left as it is). */
size_t lg_tab_take_touched(lg_tab *t);
/* Make the entries a counting table has not made yet, then fold the
 * counts made here (slots, or a sink's cnt) into the entries, which hold
 * the merged ones; idempotent.  0 or -ENOMEM. */
int lg_tab_fold(lg_tab *t);

/* Add key at the empty slot s (from lg_tab_find): its new id, or
 * -ENOMEM.  Slots may move, and the table may be rehashed under a new key
 * (t->gen changes; hashes computed before are then stale). */
long lg__tab_insert(lg_tab *t, lg_slot *s, const char *key, size_t n,
                    uint64_t h);
/* lg_tab_bump_repeat's way when the key is not among the recent ones: it
 * takes recent[j], the first free place or the last.  Its id or -1. */
long lg__tab_bump_recent_miss(lg_tab *t, const char *p, size_t n,
                              uint64_t bytes, int j);

/* The hash of key[0..n) in table t (under its current key). */
static inline __attribute__((always_inline)) uint64_t
lg_tab_hash(const lg_tab *t, const void *key, size_t n)
{
    return lg_hash_keyed(&t->key, key, n);
}

/* The slot of id in t. */
static inline lg_slot *lg_tab_slot(const lg_tab *t, uint32_t id)
{
    return &t->slots[t->pos[id]];
}

/* Key equality without a call: overlapping 8-byte words up to 24 bytes,
 * 16 bytes a step beyond.  Reads only [a, a+n) and [b, b+n). */
static inline int lg_key_eq(const char *a, const void *bv, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *b = bv;
    if (n >= 8) {
        if (n <= 24) {
            uint64_t d = (lg_rd64(x) ^ lg_rd64(b)) |
                         (lg_rd64(x + n - 8) ^ lg_rd64(b + n - 8));
            if (n > 16)
                d |= lg_rd64(x + 8) ^ lg_rd64(b + 8);
            return d == 0;
        }
        uint64_t d = 0;
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            d |= (lg_rd64(x + i) ^ lg_rd64(b + i)) |
                 (lg_rd64(x + i + 8) ^ lg_rd64(b + i + 8));
        if (i < n)
            d |= (lg_rd64(x + n - 16) ^ lg_rd64(b + n - 16)) |
                 (lg_rd64(x + n - 8) ^ lg_rd64(b + n - 8));
        return d == 0;
    }
    if (n >= 4)
        return ((lg_rd32(x) ^ lg_rd32(b)) |
                (lg_rd32(x + n - 4) ^ lg_rd32(b + n - 4))) == 0;
    if (n == 0)
        return 1;
    /* 1..3 bytes: first, middle, last */
    return x[0] == b[0] && x[n >> 1] == b[n >> 1] && x[n - 1] == b[n - 1];
}

/* Does slot s hold key[0..n) (whose hash it matched)?  The inline head
 * first; the arena copy only for the rest of a long key. */
static inline int lg_slot_eq(const lg_slot *s, const char *key, size_t n)
{
    if (s->klen != n)
        return 0;
    if (n <= LG_SLOT_INLINE)
        return lg_key_eq(s->pre, key, n);
    return lg_key_eq(s->pre, key, LG_SLOT_INLINE) &&
           lg_key_eq(s->key + LG_SLOT_INLINE, key + LG_SLOT_INLINE,
                     n - LG_SLOT_INLINE);
}

/* The slot holding key, or the empty slot where it would go. */
static inline lg_slot *lg_tab_find(const lg_tab *t, const char *key, size_t n,
                                   uint64_t h)
{
    size_t i = (size_t)h & t->mask;
    for (;;) {
        lg_slot *s = &t->slots[i];
        if (!s->idp1 || (s->hash == h && lg_slot_eq(s, key, n)))
            return s;
        i = (i + 1) & t->mask;
    }
}

/* Count one hit of slot s of table t.  The byte sum saturates when sat
 * is set; a caller may clear it only when it knows the sum cannot pass
 * UINT64_MAX (lg_agg_add_block: no key's sum in a batch passes the
 * batch's total, and while that has not saturated neither has any). */
static inline __attribute__((always_inline)) void
lg_tab_count_as(lg_tab *t, lg_slot *s, uint64_t bytes, int sat)
{
    if (s->hits++ == 0) {
        uint32_t id = s->idp1 - 1;
        t->tbits[id / 64] |= (uint64_t)1 << (id % 64);
        t->ntouched++;
    }
    if (sat)
        lg_bytes_add(&s->bytes, bytes);
    else
        s->bytes += bytes;
}

/* Count one hit of slot s of table t, the byte sum saturating. */
static inline void lg_tab_count(lg_tab *t, lg_slot *s, uint64_t bytes)
{
    lg_tab_count_as(t, s, bytes, 1);
}

/* Find or add key (hash h = lg_tab_hash, under the table's current key)
 * in t and count one hit (sat: lg_tab_count_as); its id or -1.  *added
 * is set to 1 when the key was new (only then can the table have been
 * rehashed), else left as it is. */
static inline __attribute__((always_inline)) long
lg_tab_bump_add(lg_tab *t, const char *p, size_t n, uint64_t h, uint64_t bytes,
                int sat, int *added)
{
    lg_slot *s = lg_tab_find(t, p, n, h);
    if (!s->idp1) {
        long id = lg__tab_insert(t, s, p, n, h);
        if (id < 0)
            return -1;
        *added = 1;
        s = lg_tab_slot(t, (uint32_t)id);
    }
    lg_tab_count_as(t, s, bytes, sat);
    return (long)s->idp1 - 1;
}

/* lg_tab_bump_add saturating, without the flag. */
static inline __attribute__((always_inline)) long
lg_tab_bump(lg_tab *t, const char *p, size_t n, uint64_t h, uint64_t bytes)
{
    int added = 0;
    return lg_tab_bump_add(t, p, n, h, bytes, 1, &added);
}

/* lg_tab_bump for tables with few keys that repeat from line to line
 * (methods, protocols, virtual hosts): the recent keys are checked
 * first, and one found moves a place forward, so that the commonest end
 * up in front. */
static inline __attribute__((always_inline)) long
lg_tab_bump_repeat_as(lg_tab *t, const char *p, size_t n, uint64_t bytes,
                      int sat)
{
    uint32_t *v = t->recent;
    int j = 0;
    for (; j < LG_RECENT && v[j] != UINT32_MAX; j++) {
        lg_slot *s = lg_tab_slot(t, v[j]);
        if (lg_slot_eq(s, p, n)) {
            uint32_t id = v[j];
            lg_tab_count_as(t, s, bytes, sat);
            if (j > 0) {
                v[j] = v[j - 1];
                v[j - 1] = id;
            }
            return id;
        }
    }
    return lg__tab_bump_recent_miss(t, p, n, bytes, j);
}

/* lg_tab_bump_repeat_as saturating. */
static inline __attribute__((always_inline)) long
lg_tab_bump_repeat(lg_tab *t, const char *p, size_t n, uint64_t bytes)
{
    return lg_tab_bump_repeat_as(t, p, n, bytes, 1);
}

#endif
