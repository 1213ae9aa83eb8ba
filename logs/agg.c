/* agg.c - the aggregate: making and freeing it, counting requests, lines
 * and bad lines, batches and dictionaries, and reading its counts
 * (agg.h).  Its tables are table.c's, its pairs pairset.c's; ranking is
 * in rank.c and partials on the wire in agg-wire.c.
 */
#include "agg.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agg-int.h"
#include "mem.h"

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
    int rc = lg_set_unite(&a->pairs, a->pend, a->npend);
    a->npend = 0;
    return rc;
}

/* ---- the aggregate ------------------------------------------------------- */

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
        if (lg_tab_init(&a->tab[i], sink) < 0)
            goto fail;
    if (lg_set_init(&a->pairs, 1024) < 0)
        goto fail;
    a->tot.first_ts = a->tot.last_ts = LG_NO_TIME;
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
        lg_tab_destroy(&a->tab[i]);
    lg_set_destroy(&a->pairs);
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
    a->tot.lines = a->tot.requests = a->tot.bytes = a->tot.ignored =
        a->tot.filtered = 0;
    a->tot.bad_lines = 0;
    memset(a->tot.bad, 0, sizeof a->tot.bad);
    memset(a->nsamples, 0, sizeof a->nsamples);
    a->tot.first_ts = a->tot.last_ts = LG_NO_TIME;
    a->tot.first_off = a->tot.last_off = 0;
    a->nnew = 0;
}

void lg_agg_sent(lg_agg *a)
{
    size_t np = a->pairs.n, pslots = a->pairs.mask + 1;
    int big = np > 4 * (size_t)LG_DICT_MAX_KEYS ||
              (np >= 4 * (size_t)LG_DICT_EARLY_KEYS &&
               (np + a->nnew) * 4 > pslots * 3);
    for (int i = 0; i < LG_TAB_COUNT; i++) {
        lg_tab *t = &a->tab[i];
        size_t nt = t->ntouched ? lg_tab_take_touched(t) : 0;
        for (size_t k = 0; k < nt; k++) { /* not serialised */
            lg_slot *s = lg_tab_slot(t, t->touched[k]);
            s->hits = s->bytes = 0;
        }
        t->ntouched = 0;
        big |= t->n > LG_DICT_MAX_KEYS ||
               (t->slots && t->n >= LG_DICT_EARLY_KEYS &&
                (t->n + (t->n - t->sent)) * 2 > t->mask + 1);
        t->sent = t->n;
    }
    batch_clear(a);
    a->seq++;
    if (big)
        lg_agg_forget(a);
}

void lg_agg_forget(lg_agg *a)
{
    for (int i = 0; i < LG_TAB_COUNT; i++)
        lg_tab_clear(&a->tab[i]);
    lg_set_clear(&a->pairs);
    batch_clear(a);
    a->seq = 0;
    a->hour_lo = a->day_lo = INT64_MIN;
}

/* Count one hit of slot s of table t. */
static inline int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Count one hit in the HOURS or DAYS bucket of the local time `local`,
 * buckets `width` seconds wide. *lo and *ix cache the last bucket: its
 * first second and its id; no division while the time stays in it. */
static inline __attribute__((always_inline)) int
bump_bucket(lg_tab *t, int64_t local, int64_t width, int64_t *lo, uint32_t *ix,
            uint64_t bytes, int sat)
{
    if ((uint64_t)local - (uint64_t)*lo >= (uint64_t)width) {
        int64_t bucket = floordiv(local, width);
        long id = lg_tab_upsert(t, &bucket, sizeof bucket);
        if (id < 0)
            return -ENOMEM;
        *lo = bucket * width;
        *ix = (uint32_t)id;
    }
    lg_tab_count_as(t, lg_tab_slot(t, *ix), bytes, sat);
    return 0;
}

#define ON(a, id) ((a)->tabs_on & (1u << (id)))

/* Everything of one request but its totals and the keyed tables of the
 * block's passes; byte sums saturate when sat is set (add_block_as). */
static inline __attribute__((always_inline)) int
count_scalars(lg_agg *a, const lg_rec *r, uint32_t file, int sat)
{
    uint64_t by = r->bytes;
    if (file < a->nfiles)
        lg__agg_file(a, file)->requests++;
    if (r->status > 0 && r->status < LG_STATUS_MAX) {
        lg_status_cnt *st = &a->status[r->status];
        if (st->hits++ == 0)
            a->status_seen[a->nstatus_seen++] = (uint16_t)r->status;
        if (sat)
            lg_bytes_add(&st->bytes, by);
        else
            st->bytes += by;
    }
    if (r->ts != LG_NO_TIME) {
        if (a->tot.first_ts == LG_NO_TIME || r->ts < a->tot.first_ts ||
            (r->ts == a->tot.first_ts && r->tz_off < a->tot.first_off)) {
            a->tot.first_ts = r->ts;
            a->tot.first_off = r->tz_off;
        }
        if (a->tot.last_ts == LG_NO_TIME || r->ts > a->tot.last_ts ||
            (r->ts == a->tot.last_ts && r->tz_off > a->tot.last_off)) {
            a->tot.last_ts = r->ts;
            a->tot.last_off = r->tz_off;
        }
        int64_t local = r->ts + r->tz_off;
        if (ON(a, LG_TAB_HOURS) &&
            bump_bucket(&a->tab[LG_TAB_HOURS], local, 3600, &a->hour_lo,
                        &a->hour_ix, by, sat) < 0)
            return -ENOMEM;
        if (ON(a, LG_TAB_DAYS) &&
            bump_bucket(&a->tab[LG_TAB_DAYS], local, 86400, &a->day_lo,
                        &a->day_ix, by, sat) < 0)
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
        b->hc[i] = lg_tab_hash(b->tc, q->client.p, q->client.n);
        prefetch_slot(b->tc, b->hc[i]);
    }
    if (b->paths && b->path[i].n) {
        b->hp[i] = lg_tab_hash(b->tp, b->path[i].p, b->path[i].n);
        prefetch_slot(b->tp, b->hp[i]);
    }
    if (b->refs && q->referer.n) {
        b->hr[i] = lg_tab_hash(b->tr, q->referer.p, q->referer.n);
        prefetch_slot(b->tr, b->hr[i]);
    }
    if (b->agents && q->agent.n) {
        b->hg[i] = lg_tab_hash(b->tg, q->agent.p, q->agent.n);
        prefetch_slot(b->tg, b->hg[i]);
    }
}

/* Stage 2: count record i in every table (byte sums saturating when sat
 * is set); form its (path, client) pair and prefetch the pair's set
 * slot.  1 when a key was new to a table hashed ahead (which may then
 * have been rehashed), else 0; or -ENOMEM. */
static inline __attribute__((always_inline)) int
stage_count_as(blk *b, int i, uint32_t file, int sat)
{
    lg_agg *a = b->a;
    const lg_rec *q = &b->r[i];
    const lg_str *path = &b->path[i];
    uint64_t by = q->bytes;
    long ci = -1, pi = -1;
    int added = 0; /* a key new to a table hashed ahead */
    b->pair[i] = 0;
    a->tot.requests++;
    if (sat)
        lg_bytes_add(&a->tot.bytes, by);
    else
        a->tot.bytes += by;
    if (count_scalars(a, q, file, sat) < 0)
        return -ENOMEM;
    if (q->client.n && (ci = lg_tab_bump_add(b->tc, q->client.p, q->client.n,
                                             b->hc[i], by, sat, &added)) < 0)
        return -ENOMEM;
    if (b->paths && path->n) {
        if ((pi = lg_tab_bump_add(b->tp, path->p, path->n, b->hp[i], by, sat,
                                  &added)) < 0)
            return -ENOMEM;
        lg_tab *nf = &a->tab[LG_TAB_NOT_FOUND];
        /* tables of one reseed generation hash under one key, so the
         * path's hash serves unless either table was rehashed */
        if (q->status == 404 && ON(a, LG_TAB_NOT_FOUND) &&
            lg_tab_bump(nf, path->p, path->n,
                        nf->gen == b->tp->gen
                            ? b->hp[i]
                            : lg_tab_hash(nf, path->p, path->n),
                        by) < 0)
            return -ENOMEM;
        if (a->track_pairs && ci >= 0) {
            b->pair[i] = ((uint64_t)(pi + 1) << 32) | (uint64_t)(ci + 1);
            b->ph[i] = lg_hash64(b->pair[i]);
            __builtin_prefetch(&a->pairs.slots[b->ph[i] & a->pairs.mask], 1);
        }
    }
    if (ON(a, LG_TAB_METHODS) && q->method.n &&
        lg_tab_bump_repeat_as(&a->tab[LG_TAB_METHODS], q->method.p, q->method.n,
                              by, sat) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_PROTOCOLS) && q->protocol.n &&
        lg_tab_bump_repeat_as(&a->tab[LG_TAB_PROTOCOLS], q->protocol.p,
                              q->protocol.n, by, sat) < 0)
        return -ENOMEM;
    if (b->refs && q->referer.n &&
        lg_tab_bump_add(b->tr, q->referer.p, q->referer.n, b->hr[i], by, sat,
                        &added) < 0)
        return -ENOMEM;
    if (b->agents && q->agent.n &&
        lg_tab_bump_add(b->tg, q->agent.p, q->agent.n, b->hg[i], by, sat,
                        &added) < 0)
        return -ENOMEM;
    if (ON(a, LG_TAB_VHOSTS) && q->vhost.n &&
        lg_tab_bump_repeat_as(&a->tab[LG_TAB_VHOSTS], q->vhost.p, q->vhost.n,
                              by, sat) < 0)
        return -ENOMEM;
    return added;
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

/* The reseed generations of the tables hashed ahead, summed. */
static inline uint32_t tab_gens(const blk *b)
{
    return b->tc->gen + b->tp->gen + b->tr->gen + b->tg->gen;
}

/* A software pipeline over the block, so that what the big tables need
 * comes from memory in parallel rather than one miss after another: while
 * record i is counted, the slots of record i + D are on their way, and the
 * pair of record i - P is added.  Byte sums saturate when sat is set. */
static inline __attribute__((always_inline)) int
add_block_as(lg_agg *a, const lg_rec *r, const lg_str *path, int n,
             uint32_t file, int sat)
{
    enum {
        D = 12,
        P = 8
    };
    blk b;
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
    uint32_t gens = tab_gens(&b);
    for (int t = 0; t < n + D + P; t++) {
        int i = t;
        if (i < n)
            stage_hash(&b, i);
        i = t - D;
        int rc = i >= 0 && i < n ? stage_count_as(&b, i, file, sat) : 0;
        if (rc < 0)
            return -ENOMEM;
        /* a key was added, so a table may have been rehashed: if one
         * was, hash the records ahead anew */
        if (rc > 0 && tab_gens(&b) != gens) {
            for (int j = i + 1; j <= t && j < n; j++)
                stage_hash(&b, j);
            gens = tab_gens(&b);
        }
        i = t - D - P;
        if (i >= 0 && i < n && stage_pair(&b, i) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* add_block_as saturating: out of line, for the rare block that takes the
 * batch's byte total to UINT64_MAX. */
static __attribute__((noinline)) int add_block_sat(lg_agg *a, const lg_rec *r,
                                                   const lg_str *path, int n,
                                                   uint32_t file)
{
    return add_block_as(a, r, path, n, file, 1);
}

/* Every byte sum of a batch (a key's, a status's, an hour's) is a part of
 * the batch's total, zeroed with it: so while the total with this block's
 * bytes stays below UINT64_MAX, no sum can pass it, and the block adds
 * plainly.  A cheap sufficient test: a total under 2^62 and at most
 * LG_AGG_BLOCK (64) records of under 2^56 bytes each stay under 2^63.
 * Else (a huge record, or a total near saturation) every sum of the block
 * saturates. */
int lg_agg_add_block(lg_agg *a, const lg_rec *r, const lg_str *path, int n,
                     uint32_t file)
{
    _Static_assert(LG_AGG_BLOCK <= 64, "the plain-add bound below");
    if (a->sink || n > LG_AGG_BLOCK)
        return -EINVAL;
    uint64_t any = a->tot.bytes >> 6; /* under 2^62: under 2^56 here */
    for (int i = 0; i < n; i++)
        any |= r[i].bytes;
    if (any >> 56)
        return add_block_sat(a, r, path, n, file);
    return add_block_as(a, r, path, n, file, 0);
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
    a->tot.bad[reason]++;
    a->tot.bad_lines++;
    if (file < a->nfiles)
        lg__agg_file(a, file)->bad++;
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
    lg_file_stat *f = lg__agg_file(a, file);
    f->err = err ? err : -EIO;
    size_t n = strlen(msg);
    if (n >= LG_ERR_TEXT)
        n = LG_ERR_TEXT - 1;
    memcpy(f->errmsg, msg, n);
    f->errmsg[n] = 0;
}

void lg_agg_count_lines(lg_agg *a, uint32_t file, uint64_t lines,
                        uint64_t ignored, uint64_t filtered)
{
    a->tot.lines += lines;
    a->tot.ignored += ignored;
    a->tot.filtered += filtered;
    if (file < a->nfiles)
        lg__agg_file(a, file)->lines += lines;
}

/* ---- reading ------------------------------------------------------------- */

const lg_totals *lg_agg_totals(const lg_agg *a)
{
    return &a->tot;
}

const lg_status_cnt *lg_agg_status(const lg_agg *a)
{
    return a->status;
}

const lg_file_stat *lg_agg_files(const lg_agg *a, size_t *n)
{
    *n = a->nfiles;
    return a->files;
}

uint64_t lg_agg_file_lines(const lg_agg *a, uint32_t file)
{
    return file < a->nfiles ? a->files[file].lines : 0;
}

lg_sample *lg_agg_samples(lg_agg *a, int reason, int *n)
{
    if (reason <= 0 || reason >= LG_BAD_COUNT) {
        *n = 0;
        return NULL;
    }
    *n = a->nsamples[reason];
    return a->samples[reason];
}

size_t lg_agg_keys(const lg_agg *a, int id)
{
    return id >= 0 && id < LG_TAB_COUNT ? a->tab[id].n : 0;
}

int lg_agg_has_table(const lg_agg *a, int id)
{
    return id >= 0 && id < LG_TAB_COUNT && (a->tabs_on & (1u << id)) != 0;
}

size_t lg_agg_pairs(const lg_agg *a)
{
    return a->pairs.n + a->npend;
}

int lg_agg_tracks_pairs(const lg_agg *a)
{
    return a->track_pairs;
}
