/* table.c - counting tables: init, growth, insertion, the sink's index,
 * the batch's touched ids and folding counts into entries (table.h). */
#include "table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "mem.h"

#define TAB_MIN_SLOTS 64

int lg_tab_init(lg_tab *t, int sink)
{
    memset(t, 0, sizeof *t);
    if (sink) {
        t->index = lg_mem_alloc(TAB_MIN_SLOTS * sizeof *t->index);
        t->imask = TAB_MIN_SLOTS - 1;
    } else {
        t->slots = lg_mem_alloc(TAB_MIN_SLOTS * sizeof *t->slots);
        t->mask = TAB_MIN_SLOTS - 1;
    }
    t->arena = lg_arena_new();
    lg_hash_key_derive(&t->key, 0);
    if (!(t->slots || t->index) || !t->arena)
        return -ENOMEM;
    memset(t->recent, 0xff, sizeof t->recent);
    return 0;
}

void lg_tab_destroy(lg_tab *t)
{
    lg_arena_free(t->arena);
    if (t->slots)
        lg_mem_free(t->slots, (t->mask + 1) * sizeof *t->slots);
    if (t->index)
        lg_mem_free(t->index, (t->imask + 1) * sizeof *t->index);
    lg_mem_free(t->ents, t->ents_cap * sizeof *t->ents);
    lg_mem_free(t->pos, t->cap * sizeof *t->pos);
    lg_mem_free(t->touched, t->cap * sizeof *t->touched);
    lg_mem_free(t->tbits, t->cap / 64 * sizeof *t->tbits);
    lg_mem_free(t->cnt, t->cnt_n * sizeof *t->cnt);
}

void lg_tab_clear(lg_tab *t)
{
    if (t->n && t->slots)
        memset(t->slots, 0, (t->mask + 1) * sizeof *t->slots);
    if (t->n && t->index)
        memset(t->index, 0, (t->imask + 1) * sizeof *t->index);
    if (t->ntouched)
        memset(t->tbits, 0, t->cap / 64 * sizeof *t->tbits);
    t->n = t->nents = t->ntouched = t->sent = 0;
    memset(t->recent, 0xff, sizeof t->recent);
    lg_arena_reset(t->arena);
    t->gen = 0;
    lg_hash_key_derive(&t->key, 0);
}

static int slot_used(const void *e)
{
    return ((const lg_slot *)e)->idp1 != 0;
}

static uint64_t slot_hash(const void *e)
{
    return ((const lg_slot *)e)->hash;
}

static void slot_moved(void *arg, const void *e, size_t at)
{
    ((lg_tab *)arg)->pos[((const lg_slot *)e)->idp1 - 1] = (uint32_t)at;
}

static int tab_grow(lg_tab *t)
{
    static const lg_grow_spec g = {sizeof(lg_slot), slot_used, slot_hash,
                                   slot_moved};
    void *s = t->slots;
    if (lg_grow_in_place(&s, t->mask + 1, &g, t) < 0)
        return -ENOMEM;
    t->slots = s;
    t->mask = t->mask * 2 + 1;
    return 0;
}

/* Room for want entries. */
static int ents_reserve(lg_tab *t, size_t want)
{
    if (want <= t->ents_cap)
        return 0;
    lg_ent *ne =
        lg_mem_grow(t->ents, t->ents_cap * sizeof *ne, want * sizeof *ne);
    if (!ne)
        return -ENOMEM;
    t->ents = ne;
    t->ents_cap = want;
    return 0;
}

/* Room for one more id: in ents for a sink's table, in pos, touched and
 * tbits for one with slots (cap is a power of two from 64, so tbits has
 * cap / 64 words). */
static int tab_reserve(lg_tab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    if (t->index && ents_reserve(t, cap) < 0)
        return -ENOMEM;
    if (t->slots) {
        uint32_t *np =
            lg_mem_grow(t->pos, t->cap * sizeof *np, cap * sizeof *np);
        if (!np)
            return -ENOMEM;
        t->pos = np;
        uint32_t *nt =
            lg_mem_grow(t->touched, t->cap * sizeof *nt, cap * sizeof *nt);
        if (!nt)
            return -ENOMEM;
        t->touched = nt;
        uint64_t *nb = lg_mem_grow(t->tbits, t->cap / 64 * sizeof *nb,
                                   cap / 64 * sizeof *nb);
        if (!nb)
            return -ENOMEM;
        t->tbits = nb;
    }
    t->cap = cap;
    return 0;
}

/* A new id for key (hash h), the key copied to the arena (to *copy, when
 * not NULL) and, in a sink's table, its entry made; -ENOMEM. */
static inline __attribute__((always_inline)) long
new_id(lg_tab *t, const char *key, size_t n, uint64_t h, const char **copy)
{
    if (t->n == t->cap && tab_reserve(t) < 0)
        return -ENOMEM;
    if (t->n >= UINT32_MAX - 1 || n > UINT32_MAX)
        return -ENOMEM;
    const char *k = lg_arena_copy(t->arena, key, n);
    if (!k)
        return -ENOMEM;
    uint32_t id = (uint32_t)t->n++;
    if (t->index) {
        t->ents[id] = (lg_ent){.key = k, .klen = (uint32_t)n, .hash = h};
        t->nents = t->n;
    }
    if (copy)
        *copy = k;
    return id;
}

/* Rehash a worker's table under the key of its next generation: every
 * key's hash anew, and the slots rebuilt at the same size.  Out of memory
 * leaves the table as it was. */
static void tab_reseed(lg_tab *t)
{
    size_t ns = t->mask + 1;
    lg_slot *nsl = lg_mem_alloc(ns * sizeof *nsl);
    if (!nsl)
        return;
    t->gen++;
    lg_hash_key_derive(&t->key, t->gen);
    for (size_t id = 0; id < t->n; id++) {
        lg_slot s = t->slots[t->pos[id]];
        s.hash = lg_tab_hash(t, s.key, s.klen);
        size_t j = (size_t)s.hash & t->mask;
        while (nsl[j].idp1)
            j = (j + 1) & t->mask;
        nsl[j] = s;
        t->pos[id] = (uint32_t)j;
        if (id < t->nents)
            t->ents[id].hash = s.hash;
    }
    lg_mem_free(t->slots, ns * sizeof *t->slots);
    t->slots = nsl;
}

/* Keeps the table at most half full, so probes stay short, and rehashes
 * it when a key lands too far from its home (LG_PROBE_MAX). */
__attribute__((noinline)) long
lg__tab_insert(lg_tab *t, lg_slot *s, const char *key, size_t n, uint64_t h)
{
    size_t far = ((size_t)(s - t->slots) - ((size_t)h & t->mask)) & t->mask;
    const char *k;
    long id = new_id(t, key, n, h, &k);
    if (id < 0)
        return id;
    s->hash = h;
    s->klen = (uint32_t)n;
    s->idp1 = (uint32_t)id + 1;
    s->hits = s->bytes = 0;
    s->key = k;
    memset(s->pre, 0, sizeof s->pre);
    memcpy(s->pre, key, n < LG_SLOT_INLINE ? n : LG_SLOT_INLINE);
    t->pos[id] = (uint32_t)(s - t->slots);
    if (t->n * 2 > t->mask + 1 && tab_grow(t) < 0)
        return -ENOMEM;
    if (far > LG_PROBE_MAX && t->gen < LG_RESEED_MAX)
        tab_reseed(t);
    return id;
}

__attribute__((noinline)) long lg__tab_bump_recent_miss(lg_tab *t,
                                                        const char *p, size_t n,
                                                        uint64_t bytes, int j)
{
    long id = lg_tab_bump(t, p, n, lg_tab_hash(t, p, n), bytes);
    if (id >= 0)
        t->recent[j < LG_RECENT ? j : LG_RECENT - 1] = (uint32_t)id;
    return id;
}

/* ---- the sink's index ------------------------------------------------------
 *
 * A sink looks a key up only when a feed defines it, and counts by id in
 * its dense counters: no 64-byte slots, just ids found through an index
 * kept at most half full.  Its entries carry the top half of the hash,
 * so a probe reads an entry only when that matches.
 */

static inline uint64_t ix_entry(uint64_t h, uint32_t id)
{
    return (h & 0xffffffff00000000ULL) | ((uint64_t)id + 1);
}

/* Rebuild the index with nslots slots (and, when reseed is set, every
 * entry's hash anew under the key of the next generation). */
static int index_rebuild(lg_tab *t, size_t nslots, int reseed)
{
    size_t nmask = nslots - 1;
    uint64_t *ix = lg_mem_alloc(nslots * sizeof *ix);
    if (!ix)
        return -ENOMEM;
    if (reseed) {
        t->gen++;
        lg_hash_key_derive(&t->key, t->gen);
        for (size_t id = 0; id < t->n; id++)
            t->ents[id].hash =
                lg_tab_hash(t, t->ents[id].key, t->ents[id].klen);
    }
    for (size_t id = 0; id < t->n; id++) {
        uint64_t h = t->ents[id].hash;
        size_t j = (size_t)h & nmask;
        while (ix[j])
            j = (j + 1) & nmask;
        ix[j] = ix_entry(h, (uint32_t)id);
    }
    lg_mem_free(t->index, (t->imask + 1) * sizeof *t->index);
    t->index = ix;
    t->imask = nmask;
    return 0;
}

static inline __attribute__((always_inline)) long
index_upsert(lg_tab *t, const char *key, size_t n, uint64_t h)
{
    size_t i = (size_t)h & t->imask;
    for (uint64_t v; (v = t->index[i]) != 0; i = (i + 1) & t->imask) {
        const lg_ent *e = &t->ents[(uint32_t)v - 1];
        if ((v >> 32) == (h >> 32) && e->hash == h && e->klen == n &&
            lg_key_eq(e->key, key, n))
            return (long)(uint32_t)v - 1;
    }
    long id = new_id(t, key, n, h, NULL);
    if (id < 0)
        return id;
    t->index[i] = ix_entry(h, (uint32_t)id);
    size_t far = (i - (size_t)h) & t->imask;
    if (t->n * 2 > t->imask + 1 && index_rebuild(t, (t->imask + 1) * 2, 0) < 0)
        return -ENOMEM;
    if (far > LG_PROBE_MAX && t->gen < LG_RESEED_MAX)
        index_rebuild(t, t->imask + 1, 1); /* out of memory: as it was */
    return id;
}

/* lg_tab_upsert with the key's hash under the table's current key. */
static inline __attribute__((always_inline)) long
upsert_hashed(lg_tab *t, const void *key, size_t klen, uint64_t hash)
{
    if (t->index)
        return index_upsert(t, key, klen, hash);
    lg_slot *s = lg_tab_find(t, key, klen, hash);
    if (s->idp1)
        return (long)s->idp1 - 1;
    return lg__tab_insert(t, s, key, klen, hash);
}

long lg_tab_upsert(lg_tab *t, const void *key, size_t klen)
{
    return upsert_hashed(t, key, klen, lg_tab_hash(t, key, klen));
}

int lg_tab_upsert_many(lg_tab *t, const void *const *keys, const size_t *lens,
                       size_t n, uint32_t *ids)
{
    enum {
        RUN = 32, /* keys hashed and their index slots prefetched at once */
        ENT = 4,  /* entries named by those slots prefetched this far ahead */
        KEY = 2   /* and their keys this far */
    };
    uint64_t h[RUN];
    for (size_t k = 0; k < n; k += RUN) {
        size_t m = n - k < RUN ? n - k : RUN;
        uint32_t gen = t->gen;
        for (size_t j = 0; j < m; j++) {
            h[j] = lg_tab_hash(t, keys[k + j], lens[k + j]);
            if (t->index)
                __builtin_prefetch(&t->index[h[j] & t->imask]);
        }
        for (size_t j = 0; j < m; j++) {
            if (t->gen != gen) { /* rehashed: the run's hashes are stale */
                for (size_t q = j; q < m; q++)
                    h[q] = lg_tab_hash(t, keys[k + q], lens[k + q]);
                gen = t->gen;
            }
            uint64_t v;
            if (t->index && j + ENT < m &&
                (v = t->index[h[j + ENT] & t->imask]) != 0)
                __builtin_prefetch(&t->ents[(uint32_t)v - 1]);
            if (t->index && j + KEY < m &&
                (v = t->index[h[j + KEY] & t->imask]) != 0 &&
                (v >> 32) == (h[j + KEY] >> 32))
                __builtin_prefetch(t->ents[(uint32_t)v - 1].key);
            long id = upsert_hashed(t, keys[k + j], lens[k + j], h[j]);
            if (id < 0)
                return -ENOMEM;
            ids[k + j] = (uint32_t)id;
        }
    }
    return 0;
}

int lg_tab_cnt_reserve(lg_tab *t)
{
    if (t->cnt_n >= t->n)
        return 0;
    size_t cap = t->cap;
    lg_status_cnt *nc =
        lg_mem_grow(t->cnt, t->cnt_n * sizeof *nc, cap * sizeof *nc);
    if (!nc)
        return -ENOMEM;
    t->cnt = nc;
    t->cnt_n = cap;
    return 0;
}

/* ---- batches and entries ------------------------------------------------- */

size_t lg_tab_take_touched(lg_tab *t)
{
    size_t k = 0;
    for (size_t w = 0; k < t->ntouched && w < t->cap / 64; w++)
        for (uint64_t b = t->tbits[w]; b; b &= b - 1)
            t->touched[k++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
    memset(t->tbits, 0, (t->n + 63) / 64 * sizeof *t->tbits);
    return k;
}

/* Only ids marked in tbits can have counts in their slots (a count marks
 * an id at its first hit; whatever zeroes a batch's slots clears the
 * marks), so a table with none skips the slots, which it would read in
 * random order. */
int lg_tab_fold(lg_tab *t)
{
    if (t->nents < t->n) {
        if (ents_reserve(t, t->cap) < 0)
            return -ENOMEM;
        for (size_t i = t->nents; i < t->n; i++) {
            const lg_slot *s = lg_tab_slot(t, (uint32_t)i);
            t->ents[i] =
                (lg_ent){.key = s->key, .klen = s->klen, .hash = s->hash};
        }
        t->nents = t->n;
    }
    /* the bounds and arrays in locals: the counts' stores could alias
     * the table's size_t fields, which would be read again each time */
    lg_ent *e = t->ents;
    size_t n = t->n;
    if (t->ntouched) {
        lg_slot *sl = t->slots;
        const uint32_t *pos = t->pos;
        for (size_t i = 0; i < n; i++) {
            lg_slot *s = &sl[pos[i]];
            e[i].hits += s->hits;
            lg_bytes_add(&e[i].bytes, s->bytes);
            s->hits = s->bytes = 0;
        }
    }
    lg_status_cnt *c = t->cnt;
    size_t nc = t->cnt_n < n ? t->cnt_n : n;
    for (size_t i = 0; i < nc; i++) {
        e[i].hits += c[i].hits;
        lg_bytes_add(&e[i].bytes, c[i].bytes);
        c[i].hits = c[i].bytes = 0;
    }
    return 0;
}
