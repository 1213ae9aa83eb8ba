/* agg.c - exact aggregate tables: hashing, insertion, (de)serialisation and
 * merging of partial aggregates.
 */
#include "agg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ----------------------------------------------------------------
 */

#define ARENA_BLOCK (1u << 20)

struct lg_arena {
    struct arena_blk *head;
};

struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    char data[];
};

/* Copy n bytes into the arena; NULL when out of memory. */
static const char *arena_copy(lg_arena *ar, const void *p, size_t n)
{
    struct arena_blk *b = ar->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
        struct arena_blk *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        if (n > ARENA_BLOCK / 4 && b) {
            /* a big key gets its own block, behind the current one */
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

/* Forget every key but keep the newest block for reuse: a parse worker
 * empties its aggregate after each batch, and the keys of one batch
 * usually fit in one block. */
static void arena_reset(lg_arena *ar)
{
    struct arena_blk *keep = ar->head;
    if (!keep)
        return;
    for (struct arena_blk *b = keep->next, *nx; b; b = nx) {
        nx = b->next;
        free(b);
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
        free(b);
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

/* A wyhash-style hash: 16 bytes per multiply, fine for keys of any size. */
uint64_t lg_hash(const void *key, size_t len)
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
        while (i > 16) {
            seed = mix(rd64(p) ^ s1, rd64(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        a = rd64(p + i - 16);
        b = rd64(p + i - 8);
    }
    return mix(s1 ^ len, mix(a ^ s1, b ^ seed) ^ s2);
}

/* ---- tables ---------------------------------------------------------------
 */

static int tab_init(lg_tab *t, lg_arena *ar, size_t slots)
{
    memset(t, 0, sizeof *t);
    t->slots = calloc(slots, sizeof *t->slots);
    if (!t->slots)
        return -ENOMEM;
    t->mask = slots - 1;
    t->arena = ar;
    return 0;
}

static void tab_destroy(lg_tab *t)
{
    free(t->slots);
    free(t->ents);
}

static uint64_t *zalloc_slots(size_t n);

static int tab_grow(lg_tab *t)
{
    size_t nslots = (t->mask + 1) * 2;
    uint64_t *ns = zalloc_slots(nslots);
    if (!ns)
        return -ENOMEM;
    for (size_t i = 0; i <= t->mask; i++) {
        uint64_t s = t->slots[i];
        if (!s)
            continue;
        size_t j = (size_t)t->ents[(uint32_t)s - 1].hash & (nslots - 1);
        while (ns[j])
            j = (j + 1) & (nslots - 1);
        ns[j] = s;
    }
    free(t->slots);
    t->slots = ns;
    t->mask = nslots - 1;
    return 0;
}

/* Key equality without a call for the short keys that dominate
 * (addresses, methods, statuses); memcmp for the rest. */
static inline int key_eq(const char *a, const void *bv, size_t n)
{
    const unsigned char *b = bv;
    if (n <= 16) {
        if (n >= 8)
            return rd64((const unsigned char *)a) == rd64(b) &&
                   rd64((const unsigned char *)a + n - 8) == rd64(b + n - 8);
        if (n >= 4)
            return rd32((const unsigned char *)a) == rd32(b) &&
                   rd32((const unsigned char *)a + n - 4) == rd32(b + n - 4);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)a[i] != b[i])
                return 0;
        return 1;
    }
    return memcmp(a, b, n) == 0;
}

long lg_tab_upsert(lg_tab *t, const void *key, size_t klen, uint64_t hash)
{
    uint64_t tag = hash >> 32;
    size_t i = (size_t)hash & t->mask;
    for (;;) {
        uint64_t s = t->slots[i];
        if (!s)
            break;
        if ((s >> 32) == tag) {
            lg_ent *e = &t->ents[(uint32_t)s - 1];
            if (e->hash == hash && e->klen == klen && key_eq(e->key, key, klen))
                return (long)((uint32_t)s - 1);
        }
        i = (i + 1) & t->mask;
    }
    /* not found: add at most 50 % full, so probes stay short */
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        lg_ent *ne = realloc(t->ents, cap * sizeof *ne);
        if (!ne)
            return -ENOMEM;
        t->ents = ne;
        t->cap = cap;
    }
    if (t->n >= UINT32_MAX - 1 || klen > UINT32_MAX)
        return -ENOMEM;
    lg_ent *e = &t->ents[t->n];
    e->key = arena_copy(t->arena, key, klen);
    if (!e->key)
        return -ENOMEM;
    e->klen = (uint32_t)klen;
    e->aux = 0;
    e->hash = hash;
    e->hits = e->bytes = 0;
    t->slots[i] = (tag << 32) | (uint64_t)(t->n + 1);
    t->n++;
    if (t->n * 2 > t->mask + 1 && tab_grow(t) < 0)
        return -ENOMEM;
    return (long)(t->n - 1);
}

static inline uint64_t hash64(uint64_t v)
{
    return mix(v ^ 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL);
}

static int set_init(lg_set64 *s, size_t slots)
{
    s->slots = calloc(slots, sizeof *s->slots);
    s->mask = slots - 1;
    s->n = 0;
    return s->slots ? 0 : -ENOMEM;
}

/* Zeroed slots.  calloc's fresh pages are the shared zero page until
 * written, so random probes would fault twice per page; touching them in
 * order once is cheaper. */
static uint64_t *zalloc_slots(size_t n)
{
    uint64_t *p = malloc(n * sizeof *p);
    if (p)
        memset(p, 0, n * sizeof *p);
    return p;
}

static int set_grow(lg_set64 *s)
{
    size_t nslots = (s->mask + 1) * 2;
    uint64_t *ns = zalloc_slots(nslots);
    if (!ns)
        return -ENOMEM;
    for (size_t i = 0; i <= s->mask; i++) {
        uint64_t v = s->slots[i];
        if (!v)
            continue;
        size_t j = (size_t)hash64(v) & (nslots - 1);
        while (ns[j])
            j = (j + 1) & (nslots - 1);
        ns[j] = v;
    }
    free(s->slots);
    s->slots = ns;
    s->mask = nslots - 1;
    return 0;
}

/* Insert v (non-zero) whose hash64 is h; 0 or -ENOMEM. */
static int set_add_h(lg_set64 *s, uint64_t v, uint64_t h)
{
    size_t i = (size_t)h & s->mask;
    while (s->slots[i]) {
        if (s->slots[i] == v)
            return 0;
        i = (i + 1) & s->mask;
    }
    s->slots[i] = v;
    s->n++;
    if (s->n * 2 > s->mask + 1)
        return set_grow(s);
    return 0;
}

static int set_add(lg_set64 *s, uint64_t v)
{
    return set_add_h(s, v, hash64(v));
}

/* ---- the aggregate --------------------------------------------------------
 */

lg_agg *lg_agg_new(size_t nfiles, unsigned tabs_on, int track_pairs)
{
    lg_agg *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->arena = calloc(1, sizeof *a->arena);
    a->files = calloc(nfiles ? nfiles : 1, sizeof *a->files);
    if (!a->arena || !a->files)
        goto fail;
    a->nfiles = nfiles;
    a->tabs_on = tabs_on | (1u << LG_TAB_CLIENTS);
    a->track_pairs = track_pairs && (tabs_on & (1u << LG_TAB_PATHS));
    for (int i = 0; i < LG_TAB_COUNT; i++)
        if (tab_init(&a->tab[i], a->arena, 64) < 0)
            goto fail;
    if (set_init(&a->pairs, 1024) < 0)
        goto fail;
    a->first_ts = a->last_ts = LG_NO_TIME;
    a->last_hour = a->last_day = INT64_MIN;
    return a;
fail:
    lg_agg_free(a);
    return NULL;
}

void lg_agg_free(lg_agg *a)
{
    if (!a)
        return;
    for (int i = 0; i < LG_TAB_COUNT; i++)
        tab_destroy(&a->tab[i]);
    free(a->pairs.slots);
    free(a->files);
    arena_free(a->arena);
    free(a);
}

void lg_agg_reset(lg_agg *a)
{
    for (int i = 0; i < LG_TAB_COUNT; i++) {
        lg_tab *t = &a->tab[i];
        if (t->n)
            memset(t->slots, 0, (t->mask + 1) * sizeof *t->slots);
        t->n = 0;
    }
    if (a->pairs.n)
        memset(a->pairs.slots, 0, (a->pairs.mask + 1) * sizeof *a->pairs.slots);
    a->pairs.n = 0;
    arena_reset(a->arena);
    memset(a->status, 0, sizeof a->status);
    a->lines = a->requests = a->bytes = a->ignored = a->filtered = 0;
    a->bad_lines = 0;
    memset(a->bad, 0, sizeof a->bad);
    memset(a->nsamples, 0, sizeof a->nsamples);
    memset(a->files, 0, a->nfiles * sizeof *a->files);
    a->first_ts = a->last_ts = LG_NO_TIME;
    a->first_off = a->last_off = 0;
    a->last_hour = a->last_day = INT64_MIN;
}

/* Find or add key in table id and count one hit; the entry index or -1. */
static inline long bump(lg_agg *a, int id, const char *p, size_t n,
                        uint64_t bytes)
{
    lg_tab *t = &a->tab[id];
    long ix = lg_tab_upsert(t, p, n, lg_hash(p, n));
    if (ix < 0)
        return -1;
    t->ents[ix].hits++;
    t->ents[ix].bytes += bytes;
    return ix;
}

static inline int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Count one hit in the HOURS or DAYS bucket, with a one-entry cache. */
static inline int bump_bucket(lg_agg *a, int id, int64_t bucket, int64_t *last,
                              uint32_t *last_ix, uint64_t bytes)
{
    lg_tab *t = &a->tab[id];
    if (bucket != *last) {
        long ix = lg_tab_upsert(t, &bucket, sizeof bucket,
                                lg_hash(&bucket, sizeof bucket));
        if (ix < 0)
            return -ENOMEM;
        *last = bucket;
        *last_ix = (uint32_t)ix;
    }
    t->ents[*last_ix].hits++;
    t->ents[*last_ix].bytes += bytes;
    return 0;
}

#define ON(a, id) ((a)->tabs_on & (1u << (id)))

int lg_agg_add(lg_agg *a, const lg_rec *r, lg_str path, uint32_t file)
{
    uint64_t by = r->bytes;
    long ci = -1, pi;
    a->requests++;
    a->bytes += by;
    if (file < a->nfiles)
        a->files[file].requests++;
    if (r->status > 0 && r->status < 1000) {
        a->status[r->status].hits++;
        a->status[r->status].bytes += by;
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
            bump_bucket(a, LG_TAB_HOURS, floordiv(local, 3600), &a->last_hour,
                        &a->last_hour_ix, by) < 0)
            return -ENOMEM;
        if (ON(a, LG_TAB_DAYS) &&
            bump_bucket(a, LG_TAB_DAYS, floordiv(local, 86400), &a->last_day,
                        &a->last_day_ix, by) < 0)
            return -ENOMEM;
    }
    if (r->client.n &&
        (ci = bump(a, LG_TAB_CLIENTS, r->client.p, r->client.n, by)) < 0)
        return -ENOMEM;
    /* The pair set is large and probed at random: prefetch its slot now,
     * insert after the other tables are done. */
    uint64_t pair = 0, ph = 0;
    if (ON(a, LG_TAB_PATHS) && path.n) {
        if ((pi = bump(a, LG_TAB_PATHS, path.p, path.n, by)) < 0)
            return -ENOMEM;
        if (a->track_pairs && ci >= 0) {
            pair = ((uint64_t)(pi + 1) << 32) | (uint64_t)(ci + 1);
            ph = hash64(pair);
            __builtin_prefetch(&a->pairs.slots[ph & a->pairs.mask], 1);
        }
    }
    if (ON(a, LG_TAB_NOT_FOUND) && r->status == 404 && path.n &&
        bump(a, LG_TAB_NOT_FOUND, path.p, path.n, by) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_METHODS) && r->method.n &&
        bump(a, LG_TAB_METHODS, r->method.p, r->method.n, by) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_PROTOCOLS) && r->protocol.n &&
        bump(a, LG_TAB_PROTOCOLS, r->protocol.p, r->protocol.n, by) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_REFERRERS) && r->referer.n &&
        bump(a, LG_TAB_REFERRERS, r->referer.p, r->referer.n, by) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_AGENTS) && r->agent.n &&
        bump(a, LG_TAB_AGENTS, r->agent.p, r->agent.n, by) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_VHOSTS) && r->vhost.n &&
        bump(a, LG_TAB_VHOSTS, r->vhost.p, r->vhost.n, by) < 0)
        return -ENOMEM;
    if (pair && set_add_h(&a->pairs, pair, ph) < 0)
        return -ENOMEM;
    return 0;
}

/* Order of samples: by input, then by position in it. */
static int sample_before(uint32_t f1, uint64_t o1, uint32_t f2, uint64_t o2)
{
    return f1 < f2 || (f1 == f2 && o1 < o2);
}

/* Keep s among the reason's first samples, in order. */
static void keep_sample(lg_agg *a, int reason, const lg_sample *s)
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
        a->files[file].bad++;
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
    keep_sample(a, reason, &s);
}

void lg_agg_file_error(lg_agg *a, uint32_t file, int err, const char *msg)
{
    if (file >= a->nfiles || a->files[file].err)
        return;
    a->files[file].err = err ? err : -EIO;
    size_t n = strlen(msg);
    if (n >= LG_ERR_TEXT)
        n = LG_ERR_TEXT - 1;
    memcpy(a->files[file].errmsg, msg, n);
    a->files[file].errmsg[n] = 0;
}

/* ---- serialisation --------------------------------------------------------
 */

#define AGG_MAGIC "LGA1"
#define AGG_VERSION 1

int lg_buf_reserve(lg_buf *b, size_t more)
{
    if (b->cap - b->n >= more)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < more)
        cap *= 2;
    unsigned char *np = realloc(b->p, cap);
    if (!np)
        return -ENOMEM;
    b->p = np;
    b->cap = cap;
    return 0;
}

void lg_buf_free(lg_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Writers assume room was reserved. */
static inline void put_var(lg_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        b->p[b->n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b->p[b->n++] = (unsigned char)v;
}

static inline uint64_t zig(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzig(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void put_bytes(lg_buf *b, const void *p, size_t n)
{
    put_var(b, n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

int lg_agg_serialize(const lg_agg *a, lg_buf *out)
{
    size_t nstatus = 0, nfiles = 0, nsamples = 0, ntabs = 0;
    for (int i = 0; i < 1000; i++)
        nstatus += a->status[i].hits != 0;
    for (size_t i = 0; i < a->nfiles; i++)
        nfiles += a->files[i].lines || a->files[i].err;
    for (int r = 0; r < LG_BAD_COUNT; r++)
        nsamples += a->nsamples[r];
    for (int i = 0; i < LG_TAB_COUNT; i++)
        ntabs += a->tab[i].n > 0;

    if (lg_buf_reserve(out, 256 + 16 * LG_BAD_COUNT + 30 * nstatus +
                                (40 + LG_ERR_TEXT) * nfiles +
                                (50 + LG_SAMPLE_TEXT) * nsamples) < 0)
        return -ENOMEM;
    memcpy(out->p + out->n, AGG_MAGIC, 4);
    out->n += 4;
    put_var(out, AGG_VERSION);
    put_var(out, a->nfiles);
    put_var(out, a->lines);
    put_var(out, a->requests);
    put_var(out, a->bytes);
    put_var(out, a->ignored);
    put_var(out, a->filtered);
    put_var(out, a->bad_lines);
    put_var(out, a->first_ts != LG_NO_TIME);
    if (a->first_ts != LG_NO_TIME) {
        put_var(out, zig(a->first_ts));
        put_var(out, zig(a->first_off));
        put_var(out, zig(a->last_ts));
        put_var(out, zig(a->last_off));
    }
    put_var(out, LG_BAD_COUNT);
    for (int r = 0; r < LG_BAD_COUNT; r++)
        put_var(out, a->bad[r]);
    put_var(out, nsamples);
    for (int r = 0; r < LG_BAD_COUNT; r++)
        for (int k = 0; k < a->nsamples[r]; k++) {
            const lg_sample *s = &a->samples[r][k];
            put_var(out, (uint64_t)r);
            put_var(out, s->file);
            put_var(out, s->offset);
            put_var(out, s->line_base);
            put_var(out, s->line);
            put_bytes(out, s->text, s->text_len);
        }
    put_var(out, nstatus);
    for (int i = 0; i < 1000; i++)
        if (a->status[i].hits) {
            put_var(out, (uint64_t)i);
            put_var(out, a->status[i].hits);
            put_var(out, a->status[i].bytes);
        }
    put_var(out, nfiles);
    for (size_t i = 0; i < a->nfiles; i++) {
        const lg_file_stat *f = &a->files[i];
        if (!f->lines && !f->err)
            continue;
        put_var(out, i);
        put_var(out, f->lines);
        put_var(out, f->requests);
        put_var(out, f->bad);
        put_var(out, zig(f->err));
        put_bytes(out, f->errmsg, strlen(f->errmsg));
    }
    put_var(out, ntabs);
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        const lg_tab *t = &a->tab[id];
        if (!t->n)
            continue;
        if (lg_buf_reserve(out, 20) < 0)
            return -ENOMEM;
        put_var(out, (uint64_t)id);
        put_var(out, t->n);
        for (size_t i = 0; i < t->n; i++) {
            const lg_ent *e = &t->ents[i];
            if (lg_buf_reserve(out, 40 + (size_t)e->klen) < 0)
                return -ENOMEM;
            put_bytes(out, e->key, e->klen);
            put_var(out, e->hits);
            put_var(out, e->bytes);
        }
    }
    if (lg_buf_reserve(out, 10 + 12 * a->pairs.n) < 0)
        return -ENOMEM;
    put_var(out, a->pairs.n);
    for (size_t i = 0; i <= a->pairs.mask; i++) {
        uint64_t v = a->pairs.slots[i];
        if (v) {
            put_var(out, (v >> 32) - 1);
            put_var(out, (uint32_t)v - 1);
        }
    }
    return 0;
}

/* A bounds-checked reader over a blob; any overrun sets bad. */
typedef struct rd {
    const unsigned char *p, *end;
    int bad;
} rd;

static uint64_t get_var(rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->bad = 1;
            return 0;
        }
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static const unsigned char *get_bytes(rd *r, size_t *n)
{
    uint64_t len = get_var(r);
    if (r->bad || len > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        *n = 0;
        return NULL;
    }
    const unsigned char *p = r->p;
    r->p += len;
    *n = (size_t)len;
    return p;
}

int lg_agg_merge(lg_agg *dst, const void *blob, size_t len)
{
    rd r = {blob, (const unsigned char *)blob + len, 0};
    uint32_t *map[LG_TAB_COUNT] = {0};
    size_t mapn[LG_TAB_COUNT] = {0};
    int rc = -EINVAL;

    if (len < 4 || memcmp(blob, AGG_MAGIC, 4) != 0)
        return -EINVAL;
    r.p += 4;
    if (get_var(&r) != AGG_VERSION || get_var(&r) != dst->nfiles)
        return -EINVAL;
    dst->lines += get_var(&r);
    dst->requests += get_var(&r);
    dst->bytes += get_var(&r);
    dst->ignored += get_var(&r);
    dst->filtered += get_var(&r);
    dst->bad_lines += get_var(&r);
    if (get_var(&r)) {
        int64_t fts = unzig(get_var(&r));
        int32_t foff = (int32_t)unzig(get_var(&r));
        int64_t lts = unzig(get_var(&r));
        int32_t loff = (int32_t)unzig(get_var(&r));
        if (dst->first_ts == LG_NO_TIME || fts < dst->first_ts ||
            (fts == dst->first_ts && foff < dst->first_off)) {
            dst->first_ts = fts;
            dst->first_off = foff;
        }
        if (dst->last_ts == LG_NO_TIME || lts > dst->last_ts ||
            (lts == dst->last_ts && loff > dst->last_off)) {
            dst->last_ts = lts;
            dst->last_off = loff;
        }
    }
    if (get_var(&r) != LG_BAD_COUNT)
        goto out;
    for (int i = 0; i < LG_BAD_COUNT; i++)
        dst->bad[i] += get_var(&r);
    uint64_t ns = get_var(&r);
    for (uint64_t k = 0; k < ns && !r.bad; k++) {
        lg_sample s;
        size_t tl;
        uint64_t reason = get_var(&r);
        s.file = (uint32_t)get_var(&r);
        s.offset = get_var(&r);
        s.line_base = get_var(&r);
        s.line = get_var(&r);
        const unsigned char *t = get_bytes(&r, &tl);
        if (r.bad || reason == 0 || reason >= LG_BAD_COUNT ||
            tl > LG_SAMPLE_TEXT)
            goto out;
        memcpy(s.text, t, tl);
        s.text_len = (uint32_t)tl;
        keep_sample(dst, (int)reason, &s);
    }
    uint64_t nst = get_var(&r);
    for (uint64_t k = 0; k < nst && !r.bad; k++) {
        uint64_t code = get_var(&r);
        if (code >= 1000)
            goto out;
        dst->status[code].hits += get_var(&r);
        dst->status[code].bytes += get_var(&r);
    }
    uint64_t nf = get_var(&r);
    for (uint64_t k = 0; k < nf && !r.bad; k++) {
        uint64_t i = get_var(&r);
        size_t ml;
        if (i >= dst->nfiles)
            goto out;
        lg_file_stat *f = &dst->files[i];
        f->lines += get_var(&r);
        f->requests += get_var(&r);
        f->bad += get_var(&r);
        int err = (int)unzig(get_var(&r));
        const unsigned char *m = get_bytes(&r, &ml);
        if (r.bad)
            goto out;
        if (err && !f->err) {
            f->err = err;
            if (ml >= LG_ERR_TEXT)
                ml = LG_ERR_TEXT - 1;
            memcpy(f->errmsg, m, ml);
            f->errmsg[ml] = 0;
        }
    }
    uint64_t nt = get_var(&r);
    for (uint64_t k = 0; k < nt && !r.bad; k++) {
        uint64_t id = get_var(&r), n = get_var(&r);
        if (r.bad || id >= LG_TAB_COUNT || n > (uint64_t)(r.end - r.p))
            goto out;
        lg_tab *t = &dst->tab[id];
        free(map[id]);
        map[id] = malloc((n ? n : 1) * sizeof **map);
        if (!map[id]) {
            rc = -ENOMEM;
            goto out;
        }
        mapn[id] = (size_t)n;
        for (uint64_t i = 0; i < n; i++) {
            size_t kl;
            const unsigned char *key = get_bytes(&r, &kl);
            uint64_t hits = get_var(&r), bytes = get_var(&r);
            if (r.bad)
                goto out;
            long ix = lg_tab_upsert(t, key, kl, lg_hash(key, kl));
            if (ix < 0) {
                rc = -ENOMEM;
                goto out;
            }
            t->ents[ix].hits += hits;
            t->ents[ix].bytes += bytes;
            map[id][i] = (uint32_t)ix;
        }
    }
    uint64_t np = get_var(&r);
    for (uint64_t k = 0; k < np && !r.bad; k++) {
        uint64_t pi = get_var(&r), ci = get_var(&r);
        if (r.bad || pi >= mapn[LG_TAB_PATHS] || ci >= mapn[LG_TAB_CLIENTS])
            goto out;
        uint64_t v = ((uint64_t)map[LG_TAB_PATHS][pi] + 1) << 32 |
                     ((uint64_t)map[LG_TAB_CLIENTS][ci] + 1);
        if (set_add(&dst->pairs, v) < 0) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (!r.bad && r.p == r.end)
        rc = 0;
out:
    for (int i = 0; i < LG_TAB_COUNT; i++)
        free(map[i]);
    return rc;
}

void lg_agg_finalize(lg_agg *a)
{
    lg_tab *t = &a->tab[LG_TAB_PATHS];
    for (size_t i = 0; i < t->n; i++)
        t->ents[i].aux = 0;
    for (size_t i = 0; i <= a->pairs.mask; i++) {
        uint64_t v = a->pairs.slots[i];
        if (v && (v >> 32) - 1 < t->n)
            t->ents[(v >> 32) - 1].aux++;
    }
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

const lg_ent **lg_agg_sorted(const lg_agg *a, int id, size_t *n)
{
    const lg_tab *t = &a->tab[id];
    *n = 0;
    if (!t->n)
        return NULL;
    const lg_ent **v = malloc(t->n * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        v[i] = &t->ents[i];
    qsort(v, t->n, sizeof *v,
          (id == LG_TAB_HOURS || id == LG_TAB_DAYS) ? cmp_bucket : cmp_hits);
    *n = t->n;
    return v;
}
