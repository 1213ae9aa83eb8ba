/* rank.c - the finished aggregate: entries made and counts folded in,
 * distinct clients of the paths counted, and entries ranked for display
 * (rank.h).
 */
#include "rank.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agg-int.h"
#include "hash.h"

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
        if (lg_tab_fold(t) < 0)
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
    if (!t->n || lg_tab_fold(t) < 0)
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

const lg_ent *lg_agg_entries(lg_agg *a, int id, size_t *n)
{
    lg_tab *t = &a->tab[id];
    *n = 0;
    if (!t->n || lg_tab_fold(t) < 0)
        return NULL;
    *n = t->n;
    return t->ents;
}
