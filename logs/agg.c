/* agg.c - exact aggregate tables: hashing, the tables and sets, counting
 * requests and bad lines, batches and dictionaries, the sorted views.
 * Partials on the wire are in agg-wire.c.
 */
#include "agg.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* ---- arena ----------------------------------------------------------------
 */

/* Each table has its own arena, so the keys of a small table (agents,
 * referrers) stay together in a few cache-friendly pages.  Blocks, from
 * mem.h, grow from 16 KiB to 1 MiB. */
#define ARENA_BLOCK (1u << 20)
#define ARENA_FIRST (16u << 10)

struct lg_arena {
    struct arena_blk *head;
    size_t next; /* size of the next block */
};

struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    char data[];
};

#define BLK_HEAD offsetof(struct arena_blk, data)

/* Copy n bytes into the arena; NULL when out of memory. */
static const char *arena_copy(lg_arena *ar, const void *p, size_t n)
{
    struct arena_blk *b = ar->head;
    if (!b || b->cap - b->used < n) {
        if (ar->next < ARENA_FIRST)
            ar->next = ARENA_FIRST;
        int own = n > ar->next / 4; /* a big key gets a block of its own */
        size_t size = own ? lg_mem_size(BLK_HEAD + n) : ar->next;
        if (!own && ar->next < ARENA_BLOCK)
            ar->next *= 2;
        struct arena_blk *nb = size ? lg_mem_alloc(size) : NULL;
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = size - BLK_HEAD;
        if (own && b) {
            /* behind the current block, which keeps taking small keys */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            ar->head = nb;
        }
        b = nb;
    }
    char *d = b->data + b->used;
    if (n)
        memcpy(d, p, n);
    b->used += n;
    return d;
}

static void blk_free(struct arena_blk *b)
{
    lg_mem_free(b, BLK_HEAD + b->cap);
}

/* Forget every key but keep the newest block for reuse. */
static void arena_reset(lg_arena *ar)
{
    struct arena_blk *keep = ar->head;
    if (!keep)
        return;
    for (struct arena_blk *b = keep->next, *nx; b; b = nx) {
        nx = b->next;
        blk_free(b);
    }
    keep->next = NULL;
    keep->used = 0;
}

static void arena_free(lg_arena *ar)
{
    if (!ar)
        return;
    for (struct arena_blk *b = ar->head, *nx; b; b = nx) {
        nx = b->next;
        blk_free(b);
    }
    free(ar);
}

/* ---- hashing --------------------------------------------------------------
 */

__extension__ typedef unsigned __int128 u128;

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* A wyhash-style hash.  Keys over 32 bytes (paths, referrers, user
 * agents) go 32 bytes a round in two independent multiply chains.
 * Inlined where each line's keys are hashed. */
static inline __attribute__((always_inline)) uint64_t hash(const void *key,
                                                           size_t len)
{
    static const uint64_t s0 = 0xa0761d6478bd642fULL,
                          s1 = 0xe7037ed1a0b428dbULL,
                          s2 = 0x8ebc6af09c88c6e3ULL;
    const unsigned char *p = key;
    uint64_t seed = s0 ^ len, a, b;
    if (len <= 16) {
        if (len >= 4) {
            a = (rd32(p) << 32) | rd32(p + ((len >> 3) << 2));
            b = (rd32(p + len - 4) << 32) |
                rd32(p + len - 4 - ((len >> 3) << 2));
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) |
                p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = len;
        if (i > 32) {
            uint64_t see1 = seed;
            do {
                seed = mix(rd64(p) ^ s1, rd64(p + 8) ^ seed);
                see1 = mix(rd64(p + 16) ^ s2, rd64(p + 24) ^ see1);
                p += 32;
                i -= 32;
            } while (i > 32);
            seed ^= see1;
        }
        if (i > 16) {
            seed = mix(rd64(p) ^ s1, rd64(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        a = rd64(p + i - 16);
        b = rd64(p + i - 8);
    }
    return mix(s1 ^ len, mix(a ^ s1, b ^ seed) ^ s2);
}

uint64_t lg_hash(const void *key, size_t len)
{
    return hash(key, len);
}

/* ---- tables ---------------------------------------------------------------
 */

#define TAB_MIN_SLOTS 64

static int tab_init(lg_tab *t, int sink)
{
    memset(t, 0, sizeof *t);
    if (sink) {
        t->index = lg_mem_alloc(TAB_MIN_SLOTS * sizeof *t->index);
        t->imask = TAB_MIN_SLOTS - 1;
    } else {
        t->slots = lg_mem_alloc(TAB_MIN_SLOTS * sizeof *t->slots);
        t->mask = TAB_MIN_SLOTS - 1;
    }
    t->arena = calloc(1, sizeof *t->arena);
    if (!(t->slots || t->index) || !t->arena)
        return -ENOMEM;
    memset(t->recent, 0xff, sizeof t->recent);
    return 0;
}

static void tab_destroy(lg_tab *t)
{
    arena_free(t->arena);
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

/* Forget every key, keeping the memory. */
static void tab_clear(lg_tab *t)
{
    if (t->n && t->slots)
        memset(t->slots, 0, (t->mask + 1) * sizeof *t->slots);
    if (t->n && t->index)
        memset(t->index, 0, (t->imask + 1) * sizeof *t->index);
    if (t->ntouched)
        memset(t->tbits, 0, t->cap / 64 * sizeof *t->tbits);
    t->n = t->nents = t->ntouched = t->sent = 0;
    memset(t->recent, 0xff, sizeof t->recent);
    arena_reset(t->arena);
}

/* ---- doubling a table in place ------------------------------------------
 *
 * The tables and sets are open-addressing arrays probed linearly from
 * hash & mask.  They double in place: the array grows by lg_mem_grow (a
 * big one by moving its pages, so only the new half is fresh memory, and
 * a fresh page is dear where faults are: mem.h), then the entries are
 * taken out one at a time, in slot order, and put back by probing from
 * their new home (the old home, or the same slot in the new half).  The
 * slot an entry just left is empty and comes before every slot still to
 * be taken, and the probe - from the old home, which is at or before it,
 * or through the new half's end and round from slot 0 - meets it before
 * any of those: so no entry's run passes a slot still to be taken, and
 * taking that slot later breaks none.  That needs the old home at or
 * before the entry, which fails only for entries that wrapped from the
 * end to the head of the array, before the first empty slot: those are
 * set aside first and put back last, as new keys.
 */

typedef struct grow_spec {
    size_t esize;                    /* bytes a slot */
    int (*used)(const void *e);      /* a slot holds an entry */
    uint64_t (*hash)(const void *e); /* its hash */
    void (*moved)(void *arg, const void *e, size_t at); /* or NULL */
} grow_spec;

/* Put entry e (a copy, not in the array) at its place under nmask. */
static inline __attribute__((always_inline)) void
grow_place(char *a, size_t nmask, const void *e, const grow_spec *g, void *arg)
{
    size_t j = (size_t)g->hash(e) & nmask;
    while (g->used(a + j * g->esize))
        j = (j + 1) & nmask;
    memcpy(a + j * g->esize, e, g->esize);
    if (g->moved)
        g->moved(arg, e, j);
}

/* Double the array *slots of n slots (of at most 64 bytes; the array at
 * most 3/4 full); -ENOMEM, with the table as it was. */
static inline __attribute__((always_inline)) int
grow_in_place(void **slots, size_t n, const grow_spec *g, void *arg)
{
    const size_t es = g->esize, nmask = 2 * n - 1;
    char *a = *slots, tmp[64], spare[16 * 64];
    size_t head = 0;
    while (g->used(a + head * es))
        head++;
    char *stash = head * es <= sizeof spare ? spare : malloc(head * es);
    if (!stash)
        return -ENOMEM;
    a = lg_mem_grow(a, n * es, 2 * n * es);
    if (!a) {
        if (stash != spare)
            free(stash);
        return -ENOMEM;
    }
    *slots = a;
    memcpy(stash, a, head * es);
    memset(a, 0, head * es);
    for (size_t i = head + 1; i < n; i++) {
        char *e = a + i * es;
        if (!g->used(e))
            continue;
        memcpy(tmp, e, es);
        memset(e, 0, es);
        grow_place(a, nmask, tmp, g, arg);
    }
    for (size_t k = 0; k < head; k++)
        grow_place(a, nmask, stash + k * es, g, arg);
    if (stash != spare)
        free(stash);
    return 0;
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
    static const grow_spec g = {sizeof(lg_slot), slot_used, slot_hash,
                                slot_moved};
    void *s = t->slots;
    if (grow_in_place(&s, t->mask + 1, &g, t) < 0)
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
static long new_id(lg_tab *t, const char *key, size_t n, uint64_t h,
                   const char **copy)
{
    if (t->n == t->cap && tab_reserve(t) < 0)
        return -ENOMEM;
    if (t->n >= UINT32_MAX - 1 || n > UINT32_MAX)
        return -ENOMEM;
    const char *k = arena_copy(t->arena, key, n);
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

/* Key equality without a call: overlapping 8-byte words up to 24 bytes,
 * 16 bytes a step beyond.  Reads only [a, a+n) and [b, b+n). */
static inline int key_eq(const char *a, const void *bv, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *b = bv;
    if (n >= 8) {
        if (n <= 24) {
            uint64_t d =
                (rd64(x) ^ rd64(b)) | (rd64(x + n - 8) ^ rd64(b + n - 8));
            if (n > 16)
                d |= rd64(x + 8) ^ rd64(b + 8);
            return d == 0;
        }
        uint64_t d = 0;
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            d |= (rd64(x + i) ^ rd64(b + i)) |
                 (rd64(x + i + 8) ^ rd64(b + i + 8));
        if (i < n)
            d |= (rd64(x + n - 16) ^ rd64(b + n - 16)) |
                 (rd64(x + n - 8) ^ rd64(b + n - 8));
        return d == 0;
    }
    if (n >= 4)
        return ((rd32(x) ^ rd32(b)) | (rd32(x + n - 4) ^ rd32(b + n - 4))) == 0;
    if (n == 0)
        return 1;
    /* 1..3 bytes: first, middle, last */
    return x[0] == b[0] && x[n >> 1] == b[n >> 1] && x[n - 1] == b[n - 1];
}

/* Does slot s hold key[0..n) (whose hash it matched)?  The inline head
 * first; the arena copy only for the rest of a long key. */
static inline int slot_eq(const lg_slot *s, const char *key, size_t n)
{
    if (s->klen != n)
        return 0;
    if (n <= LG_SLOT_INLINE)
        return key_eq(s->pre, key, n);
    return key_eq(s->pre, key, LG_SLOT_INLINE) &&
           key_eq(s->key + LG_SLOT_INLINE, key + LG_SLOT_INLINE,
                  n - LG_SLOT_INLINE);
}

/* The slot holding key, or the empty slot where it would go. */
static inline lg_slot *tab_find(const lg_tab *t, const char *key, size_t n,
                                uint64_t h)
{
    size_t i = (size_t)h & t->mask;
    for (;;) {
        lg_slot *s = &t->slots[i];
        if (!s->idp1 || (s->hash == h && slot_eq(s, key, n)))
            return s;
        i = (i + 1) & t->mask;
    }
}

/* Add key at the empty slot s: its new id, or -ENOMEM.  Keeps the table
 * at most half full, so probes stay short (slots may move). */
static __attribute__((noinline)) long
tab_insert(lg_tab *t, lg_slot *s, const char *key, size_t n, uint64_t h)
{
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

static int index_grow(lg_tab *t)
{
    size_t nslots = (t->imask + 1) * 2, nmask = nslots - 1;
    uint64_t *ix = lg_mem_alloc(nslots * sizeof *ix);
    if (!ix)
        return -ENOMEM;
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

static long index_upsert(lg_tab *t, const char *key, size_t n, uint64_t h)
{
    size_t i = (size_t)h & t->imask;
    for (uint64_t v; (v = t->index[i]) != 0; i = (i + 1) & t->imask) {
        const lg_ent *e = &t->ents[(uint32_t)v - 1];
        if ((v >> 32) == (h >> 32) && e->hash == h && e->klen == n &&
            key_eq(e->key, key, n))
            return (long)(uint32_t)v - 1;
    }
    long id = new_id(t, key, n, h, NULL);
    if (id < 0)
        return id;
    t->index[i] = ix_entry(h, (uint32_t)id);
    if (t->n * 2 > t->imask + 1 && index_grow(t) < 0)
        return -ENOMEM;
    return id;
}

long lg_tab_upsert(lg_tab *t, const void *key, size_t klen, uint64_t hash)
{
    if (t->index)
        return index_upsert(t, key, klen, hash);
    lg_slot *s = tab_find(t, key, klen, hash);
    if (s->idp1)
        return (long)s->idp1 - 1;
    return tab_insert(t, s, key, klen, hash);
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
        for (size_t j = 0; j < m; j++) {
            h[j] = lg_hash(keys[k + j], lens[k + j]);
            if (t->index)
                __builtin_prefetch(&t->index[h[j] & t->imask]);
        }
        for (size_t j = 0; j < m; j++) {
            uint64_t v;
            if (t->index && j + ENT < m &&
                (v = t->index[h[j + ENT] & t->imask]) != 0)
                __builtin_prefetch(&t->ents[(uint32_t)v - 1]);
            if (t->index && j + KEY < m &&
                (v = t->index[h[j + KEY] & t->imask]) != 0 &&
                (v >> 32) == (h[j + KEY] >> 32))
                __builtin_prefetch(t->ents[(uint32_t)v - 1].key);
            long id = lg_tab_upsert(t, keys[k + j], lens[k + j], h[j]);
            if (id < 0)
                return -ENOMEM;
            ids[k + j] = (uint32_t)id;
        }
    }
    return 0;
}

/* ---- sets of pairs ---------------------------------------------------------
 */

static int set_init(lg_set64 *s, size_t slots)
{
    s->slots = lg_mem_alloc(slots * sizeof *s->slots);
    s->mask = slots - 1;
    s->n = 0;
    return s->slots ? 0 : -ENOMEM;
}

static int value_used(const void *e)
{
    return *(const uint64_t *)e != 0;
}

static uint64_t value_hash(const void *e)
{
    return lg_hash64(*(const uint64_t *)e);
}

static int set_grow(lg_set64 *s)
{
    static const grow_spec g = {sizeof(uint64_t), value_used, value_hash, NULL};
    void *v = s->slots;
    if (grow_in_place(&v, s->mask + 1, &g, NULL) < 0)
        return -ENOMEM;
    s->slots = v;
    s->mask = s->mask * 2 + 1;
    return 0;
}

int lg_set_add(lg_set64 *s, uint64_t v, uint64_t h)
{
    size_t i = (size_t)h & s->mask;
    while (s->slots[i]) {
        if (s->slots[i] == v)
            return 0;
        i = (i + 1) & s->mask;
    }
    s->slots[i] = v;
    s->n++;
    /* up to 3/4 full: 8 values share a line, so probes stay short */
    if (s->n * 4 > (s->mask + 1) * 3 && set_grow(s) < 0)
        return -ENOMEM;
    return 1;
}

int lg__set_unite(lg_set64 *s, const uint64_t *v, size_t n)
{
    enum {
        AHEAD = 8
    };
    for (size_t j = 0; j < n; j++) {
        if (j + AHEAD < n)
            __builtin_prefetch(&s->slots[lg_hash64(v[j + AHEAD]) & s->mask], 1);
        if (lg_set_add(s, v[j], lg_hash64(v[j])) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Room for need values in the array *v of *cap, doubling from first. */
static int u64_reserve(uint64_t **v, size_t *cap, size_t need, size_t first)
{
    if (*cap >= need)
        return 0;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    uint64_t *nv = lg_mem_grow(*v, *cap * sizeof *nv, c * sizeof *nv);
    if (!nv)
        return -ENOMEM;
    *v = nv;
    *cap = c;
    return 0;
}

int lg__agg_pend_reserve(lg_agg *a, size_t n)
{
    return u64_reserve(&a->pend, &a->pendcap, a->npend + n, 4096);
}

int lg__agg_unite_pending(lg_agg *a)
{
    int rc = lg__set_unite(&a->pairs, a->pend, a->npend);
    a->npend = 0;
    return rc;
}

/* ---- the aggregate --------------------------------------------------------
 */

static lg_agg *agg_new(size_t nfiles, unsigned tabs_on, int track_pairs,
                       int sink, size_t clients_top)
{
    lg_agg *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->sink = sink;
    a->clients_top = clients_top;
    a->pend_max = LG_PEND_MAX;
    a->bits_max = LG_BITS_MAX;
    a->files = calloc(nfiles ? nfiles : 1, sizeof *a->files);
    if (!a->files)
        goto fail;
    a->nfiles = nfiles;
    a->tabs_on = tabs_on | (1u << LG_TAB_CLIENTS);
    a->track_pairs = track_pairs && (tabs_on & (1u << LG_TAB_PATHS));
    for (int i = 0; i < LG_TAB_COUNT; i++)
        if (tab_init(&a->tab[i], sink) < 0)
            goto fail;
    if (set_init(&a->pairs, 1024) < 0)
        goto fail;
    a->first_ts = a->last_ts = LG_NO_TIME;
    a->hour_lo = a->day_lo = INT64_MIN;
    a->file_lo = UINT32_MAX;
    return a;
fail:
    lg_agg_free(a);
    return NULL;
}

lg_agg *lg_agg_new(size_t nfiles, unsigned tabs_on, int track_pairs)
{
    return agg_new(nfiles, tabs_on, track_pairs, 0, 0);
}

lg_agg *lg_agg_new_sink(size_t nfiles, unsigned tabs_on, int track_pairs,
                        size_t clients_top)
{
    return agg_new(nfiles, tabs_on, track_pairs, 1, clients_top);
}

void lg_agg_free(lg_agg *a)
{
    if (!a)
        return;
    for (int i = 0; i < LG_TAB_COUNT; i++)
        tab_destroy(&a->tab[i]);
    if (a->pairs.slots)
        lg_mem_free(a->pairs.slots,
                    (a->pairs.mask + 1) * sizeof *a->pairs.slots);
    lg_mem_free(a->newpairs, a->newcap * sizeof *a->newpairs);
    lg_mem_free(a->pend, a->pendcap * sizeof *a->pend);
    for (size_t f = 0; f < a->nfeeds; f++) {
        if (!a->feeds[f])
            continue;
        for (int i = 0; i < LG_TAB_COUNT; i++)
            lg_mem_free(a->feeds[f]->map[i],
                        a->feeds[f]->cap[i] * sizeof *a->feeds[f]->map[i]);
        free(a->feeds[f]);
    }
    free(a->feeds);
    free(a->files);
    free(a);
}

void lg_agg_set_feed(lg_agg *a, uint32_t feed)
{
    a->feed = feed;
}

/* Zero the batch's scalars, statuses, samples and file counters. */
static void batch_clear(lg_agg *a)
{
    for (size_t k = 0; k < a->nstatus_seen; k++)
        memset(&a->status[a->status_seen[k]], 0, sizeof a->status[0]);
    a->nstatus_seen = 0;
    if (a->file_lo < a->file_hi)
        memset(&a->files[a->file_lo], 0,
               (a->file_hi - a->file_lo) * sizeof *a->files);
    a->file_lo = UINT32_MAX;
    a->file_hi = 0;
    a->lines = a->requests = a->bytes = a->ignored = a->filtered = 0;
    a->bad_lines = 0;
    memset(a->bad, 0, sizeof a->bad);
    memset(a->nsamples, 0, sizeof a->nsamples);
    a->first_ts = a->last_ts = LG_NO_TIME;
    a->first_off = a->last_off = 0;
    a->nnew = 0;
}

void lg_agg_sent(lg_agg *a)
{
    int big = a->pairs.n > 4 * (size_t)LG_DICT_MAX_KEYS;
    for (int i = 0; i < LG_TAB_COUNT; i++) {
        lg_tab *t = &a->tab[i];
        size_t nt = t->ntouched ? lg__tab_take_touched(t) : 0;
        for (size_t k = 0; k < nt; k++) { /* not serialised */
            lg_slot *s = lg_tab_slot(t, t->touched[k]);
            s->hits = s->bytes = 0;
        }
        t->ntouched = 0;
        t->sent = t->n;
        big |= t->n > LG_DICT_MAX_KEYS;
    }
    batch_clear(a);
    a->seq++;
    if (big)
        lg_agg_forget(a);
}

void lg_agg_forget(lg_agg *a)
{
    for (int i = 0; i < LG_TAB_COUNT; i++)
        tab_clear(&a->tab[i]);
    if (a->pairs.n)
        memset(a->pairs.slots, 0, (a->pairs.mask + 1) * sizeof *a->pairs.slots);
    a->pairs.n = 0;
    batch_clear(a);
    a->seq = 0;
    a->hour_lo = a->day_lo = INT64_MIN;
}

/* Count one hit of slot s of table t. */
static inline void count(lg_tab *t, lg_slot *s, uint64_t bytes)
{
    if (s->hits++ == 0) {
        uint32_t id = s->idp1 - 1;
        t->tbits[id / 64] |= (uint64_t)1 << (id % 64);
        t->ntouched++;
    }
    s->bytes += bytes;
}

size_t lg__tab_take_touched(lg_tab *t)
{
    size_t k = 0;
    for (size_t w = 0; k < t->ntouched && w < t->cap / 64; w++)
        for (uint64_t b = t->tbits[w]; b; b &= b - 1)
            t->touched[k++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
    memset(t->tbits, 0, (t->n + 63) / 64 * sizeof *t->tbits);
    return k;
}

/* Find or add key (hash h) in t and count one hit; its id or -1. */
static inline __attribute__((always_inline)) long
bump(lg_tab *t, const char *p, size_t n, uint64_t h, uint64_t bytes)
{
    lg_slot *s = tab_find(t, p, n, h);
    if (!s->idp1) {
        long id = tab_insert(t, s, p, n, h);
        if (id < 0)
            return -1;
        s = lg_tab_slot(t, (uint32_t)id);
    }
    count(t, s, bytes);
    return (long)s->idp1 - 1;
}

/* bump_repeat's way when the key is not among the recent ones: it takes
 * recent[j], the first free place or the last. */
static __attribute__((noinline)) long
bump_recent_miss(lg_tab *t, const char *p, size_t n, uint64_t bytes, int j)
{
    long id = bump(t, p, n, hash(p, n), bytes);
    if (id >= 0)
        t->recent[j < LG_RECENT ? j : LG_RECENT - 1] = (uint32_t)id;
    return id;
}

/* bump for tables with few keys that repeat from line to line (methods,
 * protocols, virtual hosts): the recent keys are checked first, and one
 * found moves a place forward, so that the commonest end up in front. */
static inline __attribute__((always_inline)) long
bump_repeat(lg_tab *t, const char *p, size_t n, uint64_t bytes)
{
    uint32_t *v = t->recent;
    int j = 0;
    for (; j < LG_RECENT && v[j] != UINT32_MAX; j++) {
        lg_slot *s = lg_tab_slot(t, v[j]);
        if (slot_eq(s, p, n)) {
            uint32_t id = v[j];
            count(t, s, bytes);
            if (j > 0) {
                v[j] = v[j - 1];
                v[j - 1] = id;
            }
            return id;
        }
    }
    return bump_recent_miss(t, p, n, bytes, j);
}

static inline int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Count one hit in the HOURS or DAYS bucket of the local time `local`,
 * buckets `width` seconds wide. *lo and *ix cache the last bucket: its
 * first second and its id; no division while the time stays in it. */
static inline int bump_bucket(lg_tab *t, int64_t local, int64_t width,
                              int64_t *lo, uint32_t *ix, uint64_t bytes)
{
    if ((uint64_t)local - (uint64_t)*lo >= (uint64_t)width) {
        int64_t bucket = floordiv(local, width);
        long id = lg_tab_upsert(t, &bucket, sizeof bucket,
                                lg_hash(&bucket, sizeof bucket));
        if (id < 0)
            return -ENOMEM;
        *lo = bucket * width;
        *ix = (uint32_t)id;
    }
    count(t, lg_tab_slot(t, *ix), bytes);
    return 0;
}

#define ON(a, id) ((a)->tabs_on & (1u << (id)))

/* Everything of one request but the keyed tables of the block's passes. */
static inline int count_scalars(lg_agg *a, const lg_rec *r, uint32_t file)
{
    uint64_t by = r->bytes;
    a->requests++;
    a->bytes += by;
    if (file < a->nfiles)
        lg_agg_file(a, file)->requests++;
    if (r->status > 0 && r->status < 1000) {
        lg_status_cnt *st = &a->status[r->status];
        if (st->hits++ == 0)
            a->status_seen[a->nstatus_seen++] = (uint16_t)r->status;
        st->bytes += by;
    }
    if (r->ts != LG_NO_TIME) {
        if (a->first_ts == LG_NO_TIME || r->ts < a->first_ts ||
            (r->ts == a->first_ts && r->tz_off < a->first_off)) {
            a->first_ts = r->ts;
            a->first_off = r->tz_off;
        }
        if (a->last_ts == LG_NO_TIME || r->ts > a->last_ts ||
            (r->ts == a->last_ts && r->tz_off > a->last_off)) {
            a->last_ts = r->ts;
            a->last_off = r->tz_off;
        }
        int64_t local = r->ts + r->tz_off;
        if (ON(a, LG_TAB_HOURS) &&
            bump_bucket(&a->tab[LG_TAB_HOURS], local, 3600, &a->hour_lo,
                        &a->hour_ix, by) < 0)
            return -ENOMEM;
        if (ON(a, LG_TAB_DAYS) &&
            bump_bucket(&a->tab[LG_TAB_DAYS], local, 86400, &a->day_lo,
                        &a->day_ix, by) < 0)
            return -ENOMEM;
    }
    return 0;
}

static inline void prefetch_slot(const lg_tab *t, uint64_t h)
{
    __builtin_prefetch(&t->slots[(size_t)h & t->mask], 1);
}

/* Remember a pair first seen in this batch, for the partial. */
static int new_pair(lg_agg *a, uint64_t v)
{
    if (u64_reserve(&a->newpairs, &a->newcap, a->nnew + 1, 1024) < 0)
        return -ENOMEM;
    a->newpairs[a->nnew++] = v;
    return 0;
}

/* The per-record state of lg_agg_add_block's pipeline. */
typedef struct blk {
    lg_agg *a;
    const lg_rec *r;
    const lg_str *path;
    lg_tab *tc, *tp, *tr, *tg;
    int paths, refs, agents;
    uint64_t hc[LG_AGG_BLOCK], hp[LG_AGG_BLOCK], hr[LG_AGG_BLOCK],
        hg[LG_AGG_BLOCK], pair[LG_AGG_BLOCK], ph[LG_AGG_BLOCK];
} blk;

/* Stage 1: hash the keys of record i, prefetch their slots. */
static inline void stage_hash(blk *b, int i)
{
    const lg_rec *q = &b->r[i];
    if (q->client.n) {
        b->hc[i] = hash(q->client.p, q->client.n);
        prefetch_slot(b->tc, b->hc[i]);
    }
    if (b->paths && b->path[i].n) {
        b->hp[i] = hash(b->path[i].p, b->path[i].n);
        prefetch_slot(b->tp, b->hp[i]);
    }
    if (b->refs && q->referer.n) {
        b->hr[i] = hash(q->referer.p, q->referer.n);
        prefetch_slot(b->tr, b->hr[i]);
    }
    if (b->agents && q->agent.n) {
        b->hg[i] = hash(q->agent.p, q->agent.n);
        prefetch_slot(b->tg, b->hg[i]);
    }
}

/* Stage 2: count record i in every table; form its (path, client) pair
 * and prefetch the pair's set slot. */
static inline int stage_count(blk *b, int i, uint32_t file)
{
    lg_agg *a = b->a;
    const lg_rec *q = &b->r[i];
    const lg_str *path = &b->path[i];
    uint64_t by = q->bytes;
    long ci = -1, pi = -1;
    b->pair[i] = 0;
    if (count_scalars(a, q, file) < 0)
        return -ENOMEM;
    if (q->client.n &&
        (ci = bump(b->tc, q->client.p, q->client.n, b->hc[i], by)) < 0)
        return -ENOMEM;
    if (b->paths && path->n) {
        if ((pi = bump(b->tp, path->p, path->n, b->hp[i], by)) < 0)
            return -ENOMEM;
        if (q->status == 404 && ON(a, LG_TAB_NOT_FOUND) &&
            bump(&a->tab[LG_TAB_NOT_FOUND], path->p, path->n, b->hp[i], by) < 0)
            return -ENOMEM;
        if (a->track_pairs && ci >= 0) {
            b->pair[i] = ((uint64_t)(pi + 1) << 32) | (uint64_t)(ci + 1);
            b->ph[i] = lg_hash64(b->pair[i]);
            __builtin_prefetch(&a->pairs.slots[b->ph[i] & a->pairs.mask], 1);
        }
    }
    if (ON(a, LG_TAB_METHODS) && q->method.n &&
        bump_repeat(&a->tab[LG_TAB_METHODS], q->method.p, q->method.n, by) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_PROTOCOLS) && q->protocol.n &&
        bump_repeat(&a->tab[LG_TAB_PROTOCOLS], q->protocol.p, q->protocol.n,
                    by) < 0)
        return -ENOMEM;
    if (b->refs && q->referer.n &&
        bump(b->tr, q->referer.p, q->referer.n, b->hr[i], by) < 0)
        return -ENOMEM;
    if (b->agents && q->agent.n &&
        bump(b->tg, q->agent.p, q->agent.n, b->hg[i], by) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_VHOSTS) && q->vhost.n &&
        bump_repeat(&a->tab[LG_TAB_VHOSTS], q->vhost.p, q->vhost.n, by) < 0)
        return -ENOMEM;
    return 0;
}

/* Stage 3: add record i's pair to the set. */
static inline int stage_pair(blk *b, int i)
{
    if (!b->pair[i])
        return 0;
    int rc = lg_set_add(&b->a->pairs, b->pair[i], b->ph[i]);
    if (rc < 0 || (rc == 1 && new_pair(b->a, b->pair[i]) < 0))
        return -ENOMEM;
    return 0;
}

/* A software pipeline over the block, so that what the big tables need
 * comes from memory in parallel rather than one miss after another: while
 * record i is counted, the slots of record i + D are on their way, and the
 * pair of record i - P is added. */
int lg_agg_add_block(lg_agg *a, const lg_rec *r, const lg_str *path, int n,
                     uint32_t file)
{
    enum {
        D = 12,
        P = 8
    };
    blk b;
    if (a->sink)
        return -EINVAL;
    b.a = a;
    b.r = r;
    b.path = path;
    b.tc = &a->tab[LG_TAB_CLIENTS];
    b.tp = &a->tab[LG_TAB_PATHS];
    b.tr = &a->tab[LG_TAB_REFERRERS];
    b.tg = &a->tab[LG_TAB_AGENTS];
    b.paths = ON(a, LG_TAB_PATHS) != 0;
    b.refs = ON(a, LG_TAB_REFERRERS) != 0;
    b.agents = ON(a, LG_TAB_AGENTS) != 0;
    for (int t = 0; t < n + D + P; t++) {
        int i = t;
        if (i < n)
            stage_hash(&b, i);
        i = t - D;
        if (i >= 0 && i < n && stage_count(&b, i, file) < 0)
            return -ENOMEM;
        i = t - D - P;
        if (i >= 0 && i < n && stage_pair(&b, i) < 0)
            return -ENOMEM;
    }
    return 0;
}

int lg_agg_add(lg_agg *a, const lg_rec *r, lg_str path, uint32_t file)
{
    return lg_agg_add_block(a, r, &path, 1, file);
}

/* Order of samples: by input, then by position in it. */
static int sample_before(uint32_t f1, uint64_t o1, uint32_t f2, uint64_t o2)
{
    return f1 < f2 || (f1 == f2 && o1 < o2);
}

/* Keep s among the reason's first samples, in order. */
void lg__agg_keep_sample(lg_agg *a, int reason, const lg_sample *s)
{
    lg_sample *v = a->samples[reason];
    int n = a->nsamples[reason], at = n;
    while (at > 0 &&
           sample_before(s->file, s->offset, v[at - 1].file, v[at - 1].offset))
        at--;
    if (at > 0 && v[at - 1].file == s->file && v[at - 1].offset == s->offset)
        return; /* the same line, already kept */
    if (at >= LG_SAMPLES_PER_REASON)
        return;
    if (n == LG_SAMPLES_PER_REASON)
        n--;
    memmove(&v[at + 1], &v[at], (size_t)(n - at) * sizeof *v);
    v[at] = *s;
    a->nsamples[reason] = (uint8_t)(n + 1);
}

void lg_agg_bad(lg_agg *a, int reason, uint32_t file, uint64_t offset,
                uint64_t line_base, uint64_t line, const char *text, size_t len)
{
    if (reason <= 0 || reason >= LG_BAD_COUNT)
        return;
    a->bad[reason]++;
    a->bad_lines++;
    if (file < a->nfiles)
        lg_agg_file(a, file)->bad++;
    int n = a->nsamples[reason];
    if (n == LG_SAMPLES_PER_REASON &&
        !sample_before(file, offset, a->samples[reason][n - 1].file,
                       a->samples[reason][n - 1].offset))
        return;
    lg_sample s;
    s.file = file;
    s.offset = offset;
    s.line_base = line_base;
    s.line = line;
    s.text_len = (uint32_t)(len < LG_SAMPLE_TEXT ? len : LG_SAMPLE_TEXT);
    memcpy(s.text, text, s.text_len);
    lg__agg_keep_sample(a, reason, &s);
}

void lg_agg_file_error(lg_agg *a, uint32_t file, int err, const char *msg)
{
    if (file >= a->nfiles || a->files[file].err)
        return;
    lg_file_stat *f = lg_agg_file(a, file);
    f->err = err ? err : -EIO;
    size_t n = strlen(msg);
    if (n >= LG_ERR_TEXT)
        n = LG_ERR_TEXT - 1;
    memcpy(f->errmsg, msg, n);
    f->errmsg[n] = 0;
}

/* ---- the finished aggregate ------------------------------------------------
 */

/* Make the entries a counting table has not made yet, from the slots
 * (a sink's table has them all), then fold the counts made here (in the
 * slots, or a sink's in cnt) into the entries, which hold the merged
 * ones; idempotent.  Only ids marked in tbits can have counts in their
 * slots (count marks an id at its first hit; whatever zeroes a batch's
 * slots clears the marks), so a table with none skips the slots, which
 * it would read in random order.  Returns 0 or -ENOMEM. */
static int fold_counts(lg_tab *t)
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
    for (size_t i = 0; t->ntouched && i < t->n; i++) {
        lg_slot *s = lg_tab_slot(t, (uint32_t)i);
        t->ents[i].hits += s->hits;
        t->ents[i].bytes += s->bytes;
        s->hits = s->bytes = 0;
    }
    for (size_t i = 0; i < t->cnt_n && i < t->n; i++) {
        t->ents[i].hits += t->cnt[i].hits;
        t->ents[i].bytes += t->cnt[i].bytes;
        t->cnt[i].hits = t->cnt[i].bytes = 0;
    }
    return 0;
}

/* Count the distinct clients of the first clients_top paths in ranked
 * order from the pairs in the set and in the pending list.  Each such
 * path gets a bitmap over the client ids, when those fit in bits_max
 * bytes (LG_BITS_MAX; the top 10 paths of 60,000 clients take 75 KiB,
 * which stays in cache): a pair is then one bit test, where the set
 * would cost a cache miss.  Else the pending pairs of those paths join
 * the set, counted as they are new. */

static int count_top_clients(lg_agg *a)
{
    lg_tab *t = &a->tab[LG_TAB_PATHS];
    size_t n, words = (a->tab[LG_TAB_CLIENTS].n + 64) / 64;
    size_t k = a->clients_top < t->n ? a->clients_top : t->n;
    const lg_ent **v = lg_agg_ranked(a, LG_TAB_PATHS, k, &n);
    /* by path id: its rank + 1 among the first k, or 0 */
    uint32_t *want = calloc(t->n, sizeof *want);
    /* by rank + 1: distinct clients, and their bitmaps; 0 is the rest's,
     * counted too, so that the loop over the list has no branch to
     * mispredict */
    uint64_t *cnt = calloc(k + 1, sizeof *cnt);
    uint64_t *bits = (k + 1) * words * 8 <= a->bits_max
                         ? calloc((k + 1) * words, sizeof *bits)
                         : NULL;
    int rc = 0;
    if (!v || !want || !cnt) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < k; i++)
        want[v[i] - t->ents] = (uint32_t)i + 1;
    for (size_t i = 0; a->pairs.n && i <= a->pairs.mask; i++) {
        uint64_t p = a->pairs.slots[i];
        uint32_t r = p ? want[(p >> 32) - 1] : 0, c = (uint32_t)p;
        if (!r)
            continue;
        cnt[r]++;
        if (bits)
            bits[r * words + c / 64] |= (uint64_t)1 << (c % 64);
    }
    if (bits) {
        for (size_t i = 0; i < a->npend; i++) {
            uint64_t p = a->pend[i];
            uint32_t r = want[(p >> 32) - 1], c = (uint32_t)p;
            uint64_t *w = &bits[r * words + c / 64],
                     m = (uint64_t)1 << (c % 64);
            cnt[r] += !(*w & m);
            *w |= m;
        }
    } else {
        for (size_t i = 0; i < a->npend; i++) {
            uint64_t p = a->pend[i];
            uint32_t r = want[(p >> 32) - 1];
            if (r && (rc = lg_set_add(&a->pairs, p, lg_hash64(p))) < 0)
                goto out;
            if (r && rc == 1)
                cnt[r]++;
        }
        a->npend = 0; /* they are in the set now */
        rc = 0;
    }
    for (size_t i = 0; i < k; i++)
        t->ents[v[i] - t->ents].aux = (uint32_t)cnt[i + 1];
out:
    free(v);
    free(want);
    free(cnt);
    free(bits);
    return rc;
}

int lg_agg_finalize(lg_agg *a)
{
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        lg_tab *t = &a->tab[id];
        if (fold_counts(t) < 0)
            return -ENOMEM;
        for (size_t i = 0; i < t->n; i++)
            t->ents[i].aux = 0;
    }
    lg_tab *t = &a->tab[LG_TAB_PATHS];
    if (a->clients_top && a->clients_top < t->n)
        return count_top_clients(a);
    if (a->npend && lg__agg_unite_pending(a) < 0)
        return -ENOMEM;
    for (size_t i = 0; i <= a->pairs.mask; i++) {
        uint64_t v = a->pairs.slots[i];
        if (v && (v >> 32) - 1 < t->n)
            t->ents[(v >> 32) - 1].aux++;
    }
    return 0;
}

int64_t lg_ent_bucket(const lg_ent *e)
{
    int64_t v = 0;
    if (e->klen == sizeof v)
        memcpy(&v, e->key, sizeof v);
    return v;
}

static int key_cmp(const lg_ent *x, const lg_ent *y)
{
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int cmp_hits(const void *pa, const void *pb)
{
    const lg_ent *x = *(const lg_ent *const *)pa,
                 *y = *(const lg_ent *const *)pb;
    if (x->hits != y->hits)
        return x->hits > y->hits ? -1 : 1;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return key_cmp(x, y);
}

static int cmp_bucket(const void *pa, const void *pb)
{
    int64_t x = lg_ent_bucket(*(const lg_ent *const *)pa);
    int64_t y = lg_ent_bucket(*(const lg_ent *const *)pb);
    return x < y ? -1 : x > y;
}

const lg_ent **lg_agg_ranked(lg_agg *a, int id, size_t k, size_t *n)
{
    lg_tab *t = &a->tab[id];
    int buckets = id == LG_TAB_HOURS || id == LG_TAB_DAYS;
    *n = 0;
    if (!t->n || fold_counts(t) < 0)
        return NULL;
    if (buckets || k == 0 || k >= t->n / 8) {
        const lg_ent **v = malloc(t->n * sizeof *v);
        if (!v)
            return NULL;
        for (size_t i = 0; i < t->n; i++)
            v[i] = &t->ents[i];
        qsort(v, t->n, sizeof *v, buckets ? cmp_bucket : cmp_hits);
        *n = t->n;
        return v;
    }
    /* Only the first k are wanted: keep v[0..k) as the best k so far,
     * sorted, and insert each better entry. */
    const lg_ent **v = malloc(k * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < k; i++)
        v[i] = &t->ents[i];
    qsort(v, k, sizeof *v, cmp_hits);
    for (size_t i = k; i < t->n; i++) {
        const lg_ent *e = &t->ents[i];
        if (cmp_hits(&e, &v[k - 1]) >= 0)
            continue;
        size_t at = k - 1;
        while (at > 0 && cmp_hits(&e, &v[at - 1]) < 0) {
            v[at] = v[at - 1];
            at--;
        }
        v[at] = e;
    }
    *n = t->n;
    return v;
}

const lg_ent **lg_agg_sorted(lg_agg *a, int id, size_t *n)
{
    return lg_agg_ranked(a, id, 0, n);
}
