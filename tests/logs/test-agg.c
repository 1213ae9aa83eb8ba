/* test-agg.c - exact aggregates: counting, serialise/merge round trips,
 * merging partials of any split gives the counts of the whole, ranking
 * ties broken by key, bad-line samples kept in input order, and a
 * corrupt blob refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#include "../../logs/agg-int.h"
#include "../../logs/agg-wire.h"
#include "../../logs/agg.h"
#include "../../logs/rank.h"

#define ALL_TABS ((1u << LG_TAB_COUNT) - 1)

static lg_str S(const char *s)
{
    lg_str r = {s, strlen(s)};
    return r;
}

/* Record i of a small synthetic log: 7 clients, 5 paths, 3 statuses. */
static lg_rec rec_of(int i, char *cbuf, char *pbuf)
{
    lg_rec r;
    memset(&r, 0, sizeof r);
    snprintf(cbuf, 32, "10.0.0.%d", i % 7);
    snprintf(pbuf, 32, "/p%d", (i * 3) % 5);
    r.client = S(cbuf);
    r.target = S(pbuf);
    r.method = S(i % 4 ? "GET" : "POST");
    r.protocol = S("HTTP/1.1");
    r.status = i % 10 == 0 ? 404 : i % 3 ? 200 : 304;
    r.bytes = (uint64_t)i * 10;
    r.ts = 1700000000 + i * 600;
    r.tz_off = 3600;
    r.referer = S(i % 2 ? "http://r/" : "");
    r.referer.n = i % 2 ? r.referer.n : 0;
    r.agent = S("ua");
    return r;
}

static void fill(lg_agg *a, int from, int to)
{
    char c[32], p[32];
    for (int i = from; i < to; i++) {
        lg_rec r = rec_of(i, c, p);
        ASSERT_EQ(lg_agg_add(a, &r, r.target, 0), 0);
        lg_agg_count_lines(a, 0, 1, 0, 0);
    }
}

static lg_agg *merged_from(int nparts, const int *cuts)
{
    lg_agg *dst = lg_agg_new_sink(1, ALL_TABS, 1, 0);
    for (int k = 0; k < nparts; k++) {
        lg_agg *part = lg_agg_new(1, ALL_TABS, 1);
        lg_buf b = {0};
        fill(part, cuts[k], cuts[k + 1]);
        ASSERT_EQ(lg_agg_serialize(part, &b), 0);
        ASSERT_EQ(lg_agg_merge(dst, b.p, b.n), 0);
        lg_buf_free(&b);
        lg_agg_free(part);
    }
    lg_agg_finalize(dst);
    return dst;
}

/* Serialise the finalised aggregate's sorted view to compare two. */
static char *describe(lg_agg *a)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    n += (size_t)snprintf(
        s + n, cap - n, "%llu %llu %llu %lld %lld|",
        (unsigned long long)a->tot.requests, (unsigned long long)a->tot.bytes,
        (unsigned long long)a->tot.lines, (long long)a->tot.first_ts,
        (long long)a->tot.last_ts);
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        size_t k;
        const lg_ent **v = lg_agg_sorted(a, id, &k);
        for (size_t i = 0; i < k; i++)
            n += (size_t)snprintf(s + n, cap - n, "%d:%.*s=%llu/%llu/%u ", id,
                                  (int)v[i]->klen, v[i]->key,
                                  (unsigned long long)v[i]->hits,
                                  (unsigned long long)v[i]->bytes, v[i]->aux);
        free(v);
    }
    for (int c = 0; c < 1000; c++)
        if (a->status[c].hits)
            n += (size_t)snprintf(s + n, cap - n, "s%d=%llu ", c,
                                  (unsigned long long)a->status[c].hits);
    return s;
}

TEST(counts_one_aggregate_exactly)
{
    lg_agg *a = lg_agg_new(1, ALL_TABS, 1);
    fill(a, 0, 100);
    lg_agg_finalize(a);
    ASSERT_UEQ(a->tot.requests, 100);
    ASSERT_UEQ(a->tab[LG_TAB_CLIENTS].n, 7);
    ASSERT_UEQ(a->tab[LG_TAB_PATHS].n, 5);
    ASSERT_UEQ(a->status[404].hits, 10);
    ASSERT_UEQ(a->tab[LG_TAB_NOT_FOUND].n, 1); /* i%10==0 -> (i*3)%5 == 0 */
    ASSERT_UEQ(a->tab[LG_TAB_REFERRERS].ents[0].hits, 50);
    /* every path was requested by every client: 7 distinct each */
    for (size_t i = 0; i < a->tab[LG_TAB_PATHS].n; i++)
        ASSERT_EQ(a->tab[LG_TAB_PATHS].ents[i].aux, 7);
    /* hours are local time as logged: ts + 3600 */
    size_t nh;
    const lg_ent **h = lg_agg_sorted(a, LG_TAB_HOURS, &nh);
    ASSERT_EQ(lg_ent_bucket(h[0]), (1700000000 + 3600) / 3600);
    free(h);
    lg_agg_free(a);
}

/* The few-key tables (methods: more of them than the recent-key cache
 * holds) and the hour and day buckets, with times going back and forth
 * across bucket edges and before 1970, counted against a plain tally. */
TEST(recent_keys_and_time_buckets_count_every_hit)
{
    static const char *const methods[] = {"GET",    "POST",  "HEAD",
                                          "DELETE", "PATCH", "OPTIONS"};
    static const int64_t times[] = {-86401, -3601, -3600, -1,   0,     3599,
                                    3600,   86399, 86400, -1,   7200,  -3600,
                                    86400,  0,     90000, 3599, -86400};
    enum {
        NM = 6,
        NT = sizeof times / sizeof times[0],
        N = 600
    };
    uint64_t mhits[NM] = {0};
    lg_agg *a = lg_agg_new(1, ALL_TABS, 1);
    for (int i = 0; i < N; i++) {
        lg_rec r;
        memset(&r, 0, sizeof r);
        r.client = S("10.0.0.1");
        r.target = S("/");
        /* runs of one method, then a stride through all of them */
        int m = i < 200 ? (i / 7) % NM : (i * 5) % NM;
        mhits[m]++;
        r.method = S(methods[m]);
        r.protocol = S(i % 3 ? "HTTP/1.1" : "HTTP/2.0");
        r.status = 200;
        r.ts = times[i % NT];
        ASSERT_EQ(lg_agg_add(a, &r, r.target, 0), 0);
    }
    lg_agg_finalize(a);
    size_t n;
    const lg_ent **v = lg_agg_sorted(a, LG_TAB_METHODS, &n);
    ASSERT_UEQ(n, NM);
    for (size_t i = 0; i < n; i++)
        for (int m = 0; m < NM; m++)
            if (v[i]->klen == strlen(methods[m]) &&
                memcmp(v[i]->key, methods[m], v[i]->klen) == 0)
                ASSERT_UEQ(v[i]->hits, mhits[m]);
    free(v);
    static const int64_t width[2] = {3600, 86400};
    for (int w = 0; w < 2; w++) {
        v = lg_agg_sorted(a, w ? LG_TAB_DAYS : LG_TAB_HOURS, &n);
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t want = 0;
            for (int k = 0; k < N; k++) {
                int64_t t = times[k % NT], b = t / width[w];
                if (t % width[w] < 0)
                    b--;
                want += b == lg_ent_bucket(v[i]);
            }
            ASSERT_UEQ(v[i]->hits, want);
            total += v[i]->hits;
        }
        ASSERT_UEQ(total, N);
        free(v);
    }
    lg_agg_free(a);
}

/* Counts made in the slots reach the entries however often they are
 * folded (ranking folds), and counts made after a fold are not lost. */
TEST(counting_after_a_ranking_keeps_every_hit)
{
    lg_agg *a = lg_agg_new(1, ALL_TABS, 1);
    size_t n;
    fill(a, 0, 40);
    free(lg_agg_sorted(a, LG_TAB_CLIENTS, &n));
    free(lg_agg_sorted(a, LG_TAB_CLIENTS, &n));
    fill(a, 40, 100);
    lg_agg_finalize(a);
    const lg_ent **v = lg_agg_sorted(a, LG_TAB_CLIENTS, &n);
    uint64_t hits = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        hits += v[i]->hits;
        bytes += v[i]->bytes;
    }
    free(v);
    ASSERT_UEQ(n, 7);
    ASSERT_UEQ(hits, 100);
    ASSERT_UEQ(bytes, 10 * (99 * 100 / 2)); /* record i has i * 10 bytes */
    lg_agg_free(a);
}

/* A counting aggregate (a worker's) makes no per-id entries while it
 * counts - its slots hold the keys - but when it is ranked, and then also
 * for the keys it adds after a ranking. */
TEST(a_counting_table_makes_its_entries_when_ranked)
{
    lg_agg *a = lg_agg_new(1, ALL_TABS, 1);
    const lg_tab *t = &a->tab[LG_TAB_CLIENTS];
    size_t n;
    fill(a, 0, 3); /* clients 10.0.0.0 to .2 */
    ASSERT_UEQ(t->n, 3);
    ASSERT_UEQ(t->nents, 0);
    ASSERT(t->ents == NULL);
    free(lg_agg_sorted(a, LG_TAB_CLIENTS, &n));
    ASSERT_UEQ(t->nents, 3);
    fill(a, 3, 10); /* .3 to .6 are new */
    ASSERT_UEQ(t->nents, 3);
    const lg_ent **v = lg_agg_sorted(a, LG_TAB_CLIENTS, &n);
    ASSERT_UEQ(n, 7);
    uint64_t hits = 0;
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        ASSERT_UEQ(v[i]->klen, strlen("10.0.0.0"));
        ASSERT_EQ(memcmp(v[i]->key, "10.0.0.", 7), 0);
        seen |= 1u << (v[i]->key[7] - '0');
        hits += v[i]->hits;
    }
    ASSERT_UEQ(seen, 0x7f);
    ASSERT_UEQ(hits, 10);
    free(v);
    lg_agg_free(a);
}

/* Tables equal entry by entry in their sorted views: keys, counts and
 * distinct clients. */
static void assert_same_tables(lg_agg *x, lg_agg *y)
{
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        size_t nx, ny;
        const lg_ent **vx = lg_agg_sorted(x, id, &nx);
        const lg_ent **vy = lg_agg_sorted(y, id, &ny);
        ASSERT_UEQ(nx, ny);
        for (size_t i = 0; i < nx; i++) {
            ASSERT_UEQ(vx[i]->klen, vy[i]->klen);
            ASSERT(memcmp(vx[i]->key, vy[i]->key, vx[i]->klen) == 0);
            ASSERT_UEQ(vx[i]->hits, vy[i]->hits);
            ASSERT_UEQ(vx[i]->bytes, vy[i]->bytes);
            ASSERT_UEQ(vx[i]->aux, vy[i]->aux);
        }
        free(vx);
        free(vy);
    }
}

/* A sink's tables find their keys through an index that grows many times
 * over: 20,000 requests, 3,001 clients and 2,003 paths, from two feeds in
 * batches, give what one aggregate counting them all gives.  A sink does
 * not count requests itself. */
TEST(a_sink_indexes_thousands_of_keys_from_two_feeds)
{
    lg_agg *whole = lg_agg_new(1, ALL_TABS, 1);
    lg_agg *f[2] = {lg_agg_new(1, ALL_TABS, 1), lg_agg_new(1, ALL_TABS, 1)};
    lg_agg *dst = lg_agg_new_sink(1, ALL_TABS, 1, 0);
    lg_buf b = {0};
    lg_agg_set_feed(f[1], 1);
    for (int i = 0; i < 20000; i++) {
        char c[32], p[32];
        lg_rec r = rec_of(i, c, p);
        snprintf(c, sizeof c, "10.%d.%d.1", (i * 7919) % 3001 / 256,
                 (i * 7919) % 3001 % 256);
        snprintf(p, sizeof p, "/page/%d", (i * 31) % 2003);
        r.client = S(c);
        r.target = S(p);
        ASSERT_EQ(lg_agg_add(whole, &r, r.target, 0), 0);
        ASSERT_EQ(lg_agg_add(f[i % 2], &r, r.target, 0), 0);
        if (i % 2500 == 2499)
            for (int k = 0; k < 2; k++) {
                b.n = 0;
                ASSERT_EQ(lg_agg_serialize(f[k], &b), 0);
                ASSERT_EQ(lg_agg_merge(dst, b.p, b.n), 0);
                lg_agg_sent(f[k]);
            }
        if (i == 0)
            ASSERT_EQ(lg_agg_add(dst, &r, r.target, 0), -EINVAL);
    }
    lg_agg_finalize(whole);
    lg_agg_finalize(dst);
    ASSERT_UEQ(dst->tab[LG_TAB_CLIENTS].n, 3001);
    ASSERT_UEQ(dst->tab[LG_TAB_PATHS].n, 2003);
    ASSERT_UEQ(dst->tot.requests, whole->tot.requests);
    assert_same_tables(whole, dst);
    lg_buf_free(&b);
    lg_agg_free(whole);
    lg_agg_free(f[0]);
    lg_agg_free(f[1]);
    lg_agg_free(dst);
}

/* Partials of two feeds, 20,000 requests of 2,003 clients and 1,002
 * paths (the squares mod 2,003, so some far more requested than others;
 * request i and i + 2003 make the same pair, on the other feed), merged
 * into a sink that wants the clients of its top k paths only, its list of
 * pairs holding at most pend_max. */
static lg_agg *top_sink(size_t k, size_t pend_max, size_t bits_max,
                        lg_agg *whole)
{
    lg_agg *f[2] = {lg_agg_new(1, ALL_TABS, 1), lg_agg_new(1, ALL_TABS, 1)};
    lg_agg *dst = lg_agg_new_sink(1, ALL_TABS, 1, k);
    lg_buf b = {0};
    dst->pend_max = pend_max;
    dst->bits_max = bits_max;
    lg_agg_set_feed(f[1], 1);
    for (int i = 0; i < 20000; i++) {
        char c[32], p[32];
        lg_rec r = rec_of(i, c, p);
        int ci = (i % 2003) * 7919 % 3001;
        snprintf(c, sizeof c, "10.%d.%d.1", ci / 256, ci % 256);
        snprintf(p, sizeof p, "/page/%d", (i * i) % 2003);
        r.client = S(c);
        r.target = S(p);
        if (whole)
            ASSERT_EQ(lg_agg_add(whole, &r, r.target, 0), 0);
        ASSERT_EQ(lg_agg_add(f[i % 2], &r, r.target, 0), 0);
        if (i % 1500 == 1499 || i == 19999)
            for (int j = 0; j < 2; j++) {
                b.n = 0;
                ASSERT_EQ(lg_agg_serialize(f[j], &b), 0);
                ASSERT_EQ(lg_agg_merge(dst, b.p, b.n), 0);
                lg_agg_sent(f[j]);
            }
    }
    ASSERT_EQ(lg_agg_finalize(dst), 0);
    lg_buf_free(&b);
    lg_agg_free(f[0]);
    lg_agg_free(f[1]);
    return dst;
}

/* A sink told to count the clients of its top k paths gets them exact,
 * whether its list of pairs never fills, fills now and then, or is never
 * used (pend_max 0), and whether it counts them in bitmaps or in the set
 * (bits_max 0): the ranked heads of sink and whole agree, key, hits and
 * clients.  The paths below the top are not counted (0). */
TEST(a_sink_counts_the_clients_of_its_top_paths)
{
    lg_agg *whole = lg_agg_new(1, ALL_TABS, 1);
    const size_t ks[] = {1, 10, 200, 5000};
    const size_t maxes[] = {LG_PEND_MAX, 700, 0};
    size_t nw;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 4; j++) {
            lg_agg *dst = top_sink(ks[j], maxes[i % 3], i < 3 ? LG_BITS_MAX : 0,
                                   i + j ? NULL : whole);
            if (i + j == 0) {
                ASSERT_EQ(lg_agg_finalize(whole), 0);
                ASSERT_UEQ(whole->tab[LG_TAB_PATHS].n, 1002);
            }
            size_t n;
            const lg_ent **v = lg_agg_sorted(dst, LG_TAB_PATHS, &n);
            const lg_ent **w = lg_agg_sorted(whole, LG_TAB_PATHS, &nw);
            ASSERT_UEQ(n, nw);
            for (size_t r = 0; r < n; r++) {
                ASSERT_UEQ(v[r]->klen, w[r]->klen);
                ASSERT(memcmp(v[r]->key, w[r]->key, v[r]->klen) == 0);
                ASSERT_UEQ(v[r]->hits, w[r]->hits);
                ASSERT_UEQ(v[r]->aux, r < ks[j] ? w[r]->aux : 0);
            }
            ASSERT(w[0]->aux > 1 && w[0]->aux < w[0]->hits);
            free(v);
            free(w);
            lg_agg_free(dst);
        }
    lg_agg_free(whole);
}

TEST(merged_partials_equal_the_whole_for_any_split)
{
    int whole[] = {0, 1000};
    int halves[] = {0, 500, 1000};
    int odd[] = {0, 1, 2, 333, 334, 999, 1000};
    lg_agg *w = merged_from(1, whole), *h = merged_from(2, halves),
           *o = merged_from(6, odd);
    char *dw = describe(w), *dh = describe(h), *dodd = describe(o);
    ASSERT_STREQ(dw, dh);
    ASSERT_STREQ(dw, dodd);
    ASSERT_UEQ(w->tot.requests, 1000);
    free(dw);
    free(dh);
    free(dodd);
    lg_agg_free(w);
    lg_agg_free(h);
    lg_agg_free(o);
}

TEST(ranking_breaks_ties_by_bytes_then_key)
{
    lg_agg *a = lg_agg_new(1, ALL_TABS, 0);
    const char *paths[] = {"/b", "/a", "/c", "/d"};
    uint64_t bytes[] = {5, 5, 9, 1};
    for (int i = 0; i < 4; i++) {
        lg_rec r;
        memset(&r, 0, sizeof r);
        r.client = S("1.1.1.1");
        r.ts = LG_NO_TIME;
        r.bytes = bytes[i];
        r.status = 200;
        ASSERT_EQ(lg_agg_add(a, &r, S(paths[i]), 0), 0);
    }
    size_t n;
    const lg_ent **v = lg_agg_sorted(a, LG_TAB_PATHS, &n);
    ASSERT_EQ(n, 4);
    ASSERT(memcmp(v[0]->key, "/c", 2) == 0);
    ASSERT(memcmp(v[1]->key, "/a", 2) == 0);
    ASSERT(memcmp(v[2]->key, "/b", 2) == 0);
    ASSERT(memcmp(v[3]->key, "/d", 2) == 0);
    free(v);
    lg_agg_free(a);
}

TEST(bad_samples_keep_the_first_by_input_order)
{
    lg_agg *a = lg_agg_new(3, ALL_TABS, 0), *b = lg_agg_new(3, ALL_TABS, 0);
    lg_agg_bad(a, LG_BAD_TIME, 1, 500, 0, 9, "x", 1);
    lg_agg_bad(a, LG_BAD_TIME, 2, 10, 0, 2, "y", 1);
    lg_agg_bad(b, LG_BAD_TIME, 0, 900, 0, 20, "z", 1);
    lg_agg_bad(b, LG_BAD_TIME, 1, 100, 0, 3, "w", 1);
    lg_buf buf = {0};
    ASSERT_EQ(lg_agg_serialize(b, &buf), 0);
    ASSERT_EQ(lg_agg_merge(a, buf.p, buf.n), 0);
    ASSERT_UEQ(a->tot.bad[LG_BAD_TIME], 4);
    ASSERT_UEQ(a->tot.bad_lines, 4);
    ASSERT_EQ(a->nsamples[LG_BAD_TIME], LG_SAMPLES_PER_REASON);
    ASSERT_EQ(a->samples[LG_BAD_TIME][0].text[0], 'z');
    ASSERT_EQ(a->samples[LG_BAD_TIME][1].text[0], 'w');
    ASSERT_EQ(a->samples[LG_BAD_TIME][2].text[0], 'x');
    lg_buf_free(&buf);
    lg_agg_free(a);
    lg_agg_free(b);
}

TEST(corrupt_or_truncated_blobs_are_refused)
{
    lg_agg *a = lg_agg_new(1, ALL_TABS, 1),
           *d = lg_agg_new_sink(1, ALL_TABS, 1, 0);
    lg_buf b = {0};
    fill(a, 0, 50);
    ASSERT_EQ(lg_agg_serialize(a, &b), 0);
    for (size_t cut = 0; cut < b.n; cut += 7)
        ASSERT_EQ(lg_agg_merge(d, b.p, cut), LG_WIRE_ECORRUPT);
    b.p[0] ^= 1;
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n), LG_WIRE_ECORRUPT);
    lg_agg *e = lg_agg_new_sink(2, ALL_TABS, 1, 0); /* another input count */
    b.p[0] ^= 1;
    ASSERT_EQ(lg_agg_merge(e, b.p, b.n), LG_WIRE_EMISMATCH);
    lg_buf_free(&b);
    lg_agg_free(a);
    lg_agg_free(d);
    lg_agg_free(e);
}

TEST(many_distinct_keys_grow_the_tables)
{
    lg_agg *a = lg_agg_new(1, ALL_TABS, 1);
    char c[32], p[32];
    for (int i = 0; i < 200000; i++) {
        lg_rec r;
        memset(&r, 0, sizeof r);
        snprintf(c, sizeof c, "c%d", i % 50021);
        snprintf(p, sizeof p, "/%d", i % 30011);
        r.client = S(c);
        r.ts = LG_NO_TIME;
        r.status = 200;
        ASSERT_EQ(lg_agg_add(a, &r, S(p), 0), 0);
    }
    lg_agg_finalize(a);
    ASSERT_UEQ(a->tab[LG_TAB_CLIENTS].n, 50021);
    ASSERT_UEQ(a->tab[LG_TAB_PATHS].n, 30011);
    uint64_t pairs = 0;
    for (size_t i = 0; i < a->tab[LG_TAB_PATHS].n; i++)
        pairs += a->tab[LG_TAB_PATHS].ents[i].aux;
    ASSERT_UEQ(pairs, a->pairs.n);
    ASSERT_UEQ(pairs, 200000); /* gcd(50021, 30011) = 1: every pair distinct */
    lg_agg_free(a);
}

/* Tables and sets double in place (agg.c), and the hard entries are those
 * whose home is the last slot: they wrap to the head of the array, and
 * on doubling some stay near the old end while others go to the new one.
 * For each size 2^b from 64 to 65,536 slots, keys and values are picked
 * whose home is the last slot, half of them moving to the new end on the
 * next doubling; then ordinary ones grow the table through every size.
 * Each must still be found once, and each id's slot must hold that id. */
static int ends_at(uint64_t h, int b, int high)
{
    uint64_t m = ((uint64_t)1 << (b + 1)) - 1;
    return (h & m) == (((uint64_t)high << b) | (m >> 1));
}

TEST(tables_and_sets_grow_in_place_keeping_wrapped_entries)
{
    enum {
        EACH = 3,
        BITS = 11, /* b = 6 .. 16 */
        WRAPPED = BITS * 2 * EACH,
        PLAIN = 150000
    };
    lg_agg *a = lg_agg_new(1, ALL_TABS, 1);
    lg_tab *t = &a->tab[LG_TAB_CLIENTS];
    static uint64_t vw[WRAPPED];
    static char kw[WRAPPED][24];
    int nv = 0, nk = 0;
    /* values above 2^63, apart from the plain ones */
    uint64_t v = (uint64_t)1 << 63;
    unsigned i = 0;
    for (int b = 6; b < 6 + BITS; b++)
        for (int high = 0; high < 2; high++)
            for (int e = 0; e < EACH; e++) {
                while (!ends_at(lg_hash64(v), b, high))
                    v++;
                vw[nv++] = v++;
                for (;; i++) {
                    snprintf(kw[nk], sizeof kw[nk], "w%u", i);
                    if (ends_at(lg_hash(kw[nk], strlen(kw[nk])), b, high))
                        break;
                }
                nk++, i++;
            }
    for (int w = 0; w < WRAPPED; w++) {
        ASSERT_EQ(lg_set_add(&a->pairs, vw[w], lg_hash64(vw[w])), 1);
        ASSERT(lg_tab_upsert(t, kw[w], strlen(kw[w])) >= 0);
    }
    char k[24];
    for (int p = 0; p < PLAIN; p++) {
        uint64_t pv = (uint64_t)p + 1;
        ASSERT_EQ(lg_set_add(&a->pairs, pv, lg_hash64(pv)), 1);
        snprintf(k, sizeof k, "k%d", p);
        ASSERT(lg_tab_upsert(t, k, strlen(k)) >= 0);
    }
    ASSERT_UEQ(a->pairs.n, PLAIN + WRAPPED);
    ASSERT_UEQ(t->n, PLAIN + WRAPPED);
    ASSERT(a->pairs.mask + 1 >= ((size_t)2 << (6 + BITS)));
    for (int w = 0; w < WRAPPED; w++) {
        ASSERT_EQ(lg_set_add(&a->pairs, vw[w], lg_hash64(vw[w])), 0);
        long id = lg_tab_upsert(t, kw[w], strlen(kw[w]));
        ASSERT(id >= 0 && (size_t)id == (size_t)w);
        ASSERT_UEQ(lg_tab_slot(t, (uint32_t)id)->idp1, (uint64_t)id + 1);
    }
    for (int p = 0; p < PLAIN; p++) {
        uint64_t pv = (uint64_t)p + 1;
        ASSERT_EQ(lg_set_add(&a->pairs, pv, lg_hash64(pv)), 0);
        snprintf(k, sizeof k, "k%d", p);
        long id = lg_tab_upsert(t, k, strlen(k));
        ASSERT(id == WRAPPED + p);
        ASSERT_UEQ(lg_tab_slot(t, (uint32_t)id)->idp1, (uint64_t)id + 1);
    }
    ASSERT_UEQ(a->pairs.n, PLAIN + WRAPPED);
    ASSERT_UEQ(t->n, PLAIN + WRAPPED);
    lg_agg_free(a);
}

/* A parse worker keeps one aggregate for every batch: serialise, mark
 * sent, count the next batch.  Its partials name known keys by id, and
 * must merge to the whole; a second worker (another feed) interleaves; a
 * worker that starts again (lg_agg_forget: a restart) begins a new
 * dictionary at partial 0. */
TEST(batches_of_two_feeds_and_a_restart_merge_to_the_whole)
{
    int whole[] = {0, 1000};
    lg_agg *w = merged_from(1, whole);
    lg_agg *f0 = lg_agg_new(1, ALL_TABS, 1), *f1 = lg_agg_new(1, ALL_TABS, 1);
    lg_agg *dst = lg_agg_new_sink(1, ALL_TABS, 1, 0);
    lg_buf b = {0};
    lg_agg_set_feed(f1, 1);
    lg_agg_bad(f0, LG_BAD_TIME, 0, 5, 0, 1, "x", 1);
    for (int from = 0, k = 0; from < 1000; from += 97, k++) {
        lg_agg *f = k % 3 == 2 ? f1 : f0;
        fill(f, from, from + 97 < 1000 ? from + 97 : 1000);
        b.n = 0;
        ASSERT_EQ(lg_agg_serialize(f, &b), 0);
        ASSERT_EQ(lg_agg_merge(dst, b.p, b.n), 0);
        if (k == 4) {
            lg_agg_forget(f); /* as if the partial was lost with its worker */
        } else {
            lg_agg_sent(f);
        }
        ASSERT_UEQ(f->tot.requests, 0);
    }
    /* a partial out of order is refused */
    fill(f0, 0, 1);
    b.n = 0;
    ASSERT_EQ(lg_agg_serialize(f0, &b), 0);
    f0->seq += 5;
    lg_buf c = {0};
    ASSERT_EQ(lg_agg_serialize(f0, &c), 0);
    ASSERT_EQ(lg_agg_merge(dst, c.p, c.n), -EINVAL);
    lg_agg_finalize(dst);
    ASSERT_UEQ(dst->tot.bad_lines, 1);
    dst->tot.bad_lines = 0;
    char *dw = describe(w), *dd = describe(dst);
    ASSERT_STREQ(dw, dd);
    free(dw);
    free(dd);
    lg_buf_free(&b);
    lg_buf_free(&c);
    lg_agg_free(w);
    lg_agg_free(f0);
    lg_agg_free(f1);
    lg_agg_free(dst);
}

/* lg_agg_ranked puts the first k entries in the full sort's order, for
 * every k, with ties broken the same way. */
/* A worker past LG_DICT_EARLY_KEYS (E) keys starts a new dictionary when
 * its next batch could double a table (issue 22): batches of 0.4 E new
 * clients and paths keep its tables at 4 E slots, the dictionary restarts
 * after the fifth (2 E keys: a sixth would pass 4 E / 2), and the keys a
 * new dictionary sends again merge into the sink's own. */
TEST(a_worker_starts_a_new_dictionary_before_a_table_doubles)
{
    enum {
        BATCH = LG_DICT_EARLY_KEYS / 5 * 2,
        BATCHES = 7
    };
    unsigned tabs = (1u << LG_TAB_CLIENTS) | (1u << LG_TAB_PATHS);
    lg_agg *f = lg_agg_new(1, tabs, 1), *dst = lg_agg_new_sink(1, tabs, 1, 0);
    lg_buf b = {0};
    int reset_at = -1;
    char c[32], p[32];
    for (int k = 0; k < BATCHES; k++) {
        /* the last batch counts the first batch's keys again */
        int from = (k == BATCHES - 1 ? 0 : k) * BATCH;
        for (int i = from; i < from + BATCH; i++) {
            lg_rec r;
            memset(&r, 0, sizeof r);
            snprintf(c, sizeof c, "c%d", i);
            snprintf(p, sizeof p, "/p%d", i);
            r.client = S(c);
            r.target = S(p);
            r.status = 200;
            r.bytes = 1;
            r.ts = LG_NO_TIME;
            ASSERT_EQ(lg_agg_add(f, &r, r.target, 0), 0);
        }
        b.n = 0;
        ASSERT_EQ(lg_agg_serialize(f, &b), 0);
        ASSERT_EQ(lg_agg_merge(dst, b.p, b.n), 0);
        lg_agg_sent(f);
        ASSERT(f->tab[LG_TAB_CLIENTS].mask + 1 <=
               4 * (size_t)LG_DICT_EARLY_KEYS);
        ASSERT(f->tab[LG_TAB_PATHS].mask + 1 <= 4 * (size_t)LG_DICT_EARLY_KEYS);
        if (f->seq == 0 && reset_at < 0)
            reset_at = k;
    }
    ASSERT_EQ(reset_at, 4);
    ASSERT_EQ(lg_agg_finalize(dst), 0);
    ASSERT_UEQ(dst->tot.requests, (uint64_t)BATCH * BATCHES);
    ASSERT_UEQ(lg_agg_keys(dst, LG_TAB_CLIENTS),
               (uint64_t)BATCH * (BATCHES - 1));
    ASSERT_UEQ(lg_agg_keys(dst, LG_TAB_PATHS), (uint64_t)BATCH * (BATCHES - 1));
    size_t n;
    const lg_ent **v = lg_agg_sorted(dst, LG_TAB_CLIENTS, &n);
    ASSERT_UEQ(n, (uint64_t)BATCH * (BATCHES - 1));
    ASSERT_UEQ(v[0]->hits, 2);
    ASSERT_UEQ(v[BATCH - 1]->hits, 2);
    ASSERT_UEQ(v[BATCH]->hits, 1);
    free(v);
    lg_buf_free(&b);
    lg_agg_free(f);
    lg_agg_free(dst);
}

TEST(ranked_top_k_is_the_head_of_the_full_sort)
{
    lg_agg *a = lg_agg_new(1, ALL_TABS, 0);
    char p[32];
    for (int i = 0; i < 3000; i++) {
        lg_rec r;
        memset(&r, 0, sizeof r);
        r.client = S("1.1.1.1");
        r.ts = LG_NO_TIME;
        r.status = 200;
        r.bytes = (uint64_t)(i % 7);
        snprintf(p, sizeof p, "/p%d", (i * 7919) % 997);
        for (int rep = 0; rep <= (i * 31) % 5; rep++)
            ASSERT_EQ(lg_agg_add(a, &r, S(p), 0), 0);
    }
    size_t n, m;
    const lg_ent **full = lg_agg_sorted(a, LG_TAB_PATHS, &n);
    for (size_t k = 1; k < 60; k += 7) {
        const lg_ent **top = lg_agg_ranked(a, LG_TAB_PATHS, k, &m);
        ASSERT_UEQ(m, n);
        for (size_t i = 0; i < k; i++)
            ASSERT(top[i] == full[i]);
        free(top);
    }
    free(full);
    lg_agg_free(a);
}

/* Paths crafted to collide under a known secret make a worker's paths
 * table rehash in the middle of a block: every count must still land on
 * its key (the block's hashes computed ahead are redone). */
TEST(counts_survive_a_rehash_mid_block)
{
    enum {
        N = 1200
    };
    static char keys[N][17];
    static const lg_hash_key known = {1, 3, 5, 7};
    lg__hash_secret = known;
    unsigned long long c = 0;
    for (int k = 0; k < N; k++)
        for (;; c++) {
            snprintf(keys[k], sizeof keys[k], "/c%014llu", c);
            if ((lg_hash(keys[k], 16) & 2047) == 0) {
                c++;
                break;
            }
        }
    lg_agg *a = lg_agg_new(1, ALL_TABS, 1);
    lg_rec r[LG_AGG_BLOCK];
    lg_str p[LG_AGG_BLOCK];
    int nb = 0;
    for (int rep = 0; rep < 3; rep++)
        for (int k = 0; k < N; k++) {
            memset(&r[nb], 0, sizeof r[nb]);
            r[nb].client = S("192.0.2.1");
            r[nb].status = k % 2 ? 200 : 404;
            r[nb].bytes = (uint64_t)k;
            r[nb].ts = LG_NO_TIME;
            p[nb] = S(keys[k]);
            if (++nb == LG_AGG_BLOCK) {
                ASSERT_EQ(lg_agg_add_block(a, r, p, nb, 0), 0);
                nb = 0;
            }
        }
    ASSERT_EQ(lg_agg_add_block(a, r, p, nb, 0), 0);
    ASSERT_UGE(a->tab[LG_TAB_PATHS].gen, 1);
    ASSERT_EQ(lg_agg_finalize(a), 0);
    ASSERT_UEQ(a->tab[LG_TAB_PATHS].n, N);
    ASSERT_UEQ(a->tab[LG_TAB_NOT_FOUND].n, N / 2);
    for (int k = 0; k < N; k++) {
        const lg_ent *e = &a->tab[LG_TAB_PATHS].ents[k];
        ASSERT_EQ(memcmp(e->key, keys[k], 16), 0);
        ASSERT_UEQ(e->hits, 3);
        ASSERT_UEQ(e->bytes, 3 * (uint64_t)k);
        ASSERT_UEQ(e->aux, 1);
    }
    lg_agg_free(a);
}

/* Byte sums saturate at UINT64_MAX instead of wrapping (issue 19 item 7):
 * in the worker's batch, in the tables, and in the sink's merge. */
TEST(byte_totals_saturate_instead_of_wrapping)
{
    lg_agg *w = lg_agg_new(1, ALL_TABS, 1);
    lg_agg *d = lg_agg_new_sink(1, ALL_TABS, 1, 0);
    lg_rec r;
    lg_buf b = {0};
    memset(&r, 0, sizeof r);
    r.client = S("192.0.2.7");
    r.method = S("GET");
    r.status = 200;
    r.ts = LG_NO_TIME;
    r.bytes = 9999999999999999999ull; /* twice this wraps */
    for (int part = 0; part < 2; part++) {
        ASSERT_EQ(lg_agg_add(w, &r, S("/big"), 0), 0);
        lg_agg_count_lines(w, 0, 1, 0, 0);
        b.n = 0;
        ASSERT_EQ(lg_agg_serialize(w, &b), 0);
        ASSERT_EQ(lg_agg_merge(d, b.p, b.n), 0);
        lg_agg_sent(w);
    }
    ASSERT_EQ(lg_agg_add(w, &r, S("/big"), 0), 0);
    ASSERT_EQ(lg_agg_add(w, &r, S("/big"), 0), 0);
    ASSERT_UEQ(lg_agg_totals(w)->bytes, LG_BYTES_SATURATED);
    ASSERT_UEQ(lg_agg_totals(d)->bytes, LG_BYTES_SATURATED);
    ASSERT_UEQ(lg_agg_status(d)[200].bytes, LG_BYTES_SATURATED);
    ASSERT_EQ(lg_agg_finalize(d), 0);
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        size_t n;
        const lg_ent **v = lg_agg_sorted(d, id, &n);
        for (size_t i = 0; i < n; i++)
            ASSERT_UEQ(v[i]->bytes, LG_BYTES_SATURATED);
        free(v);
    }
    ASSERT_EQ(lg_agg_finalize(w), 0);
    ASSERT_UEQ(w->tab[LG_TAB_PATHS].ents[0].bytes, LG_BYTES_SATURATED);
    lg_buf_free(&b);
    lg_agg_free(w);
    lg_agg_free(d);
}

/* A block adds its byte sums plainly only when the batch's total cannot
 * pass UINT64_MAX: one that takes it there mid-block, and the small
 * blocks after it, saturate every sum (a key's, a status's, an hour's). */
TEST(byte_sums_saturate_within_a_block)
{
    lg_agg *w = lg_agg_new(1, ALL_TABS, 1);
    lg_rec r[3];
    lg_str p[3];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 3; i++) {
        r[i].client = S("192.0.2.7");
        r[i].method = S("GET");
        r[i].status = 200;
        r[i].ts = 1700000000;
        r[i].bytes = i == 1 ? UINT64_MAX - 5 : 4;
        p[i] = S("/x");
    }
    ASSERT_EQ(lg_agg_add_block(w, r, p, 3, 0), 0); /* 4 + max-5 + 4 */
    ASSERT_UEQ(lg_agg_totals(w)->bytes, LG_BYTES_SATURATED);
    ASSERT_UEQ(lg_agg_status(w)[200].bytes, LG_BYTES_SATURATED);
    r[0].bytes = 1;
    ASSERT_EQ(lg_agg_add_block(w, r, p, 1, 0), 0); /* stays saturated */
    ASSERT_EQ(lg_agg_finalize(w), 0);
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        size_t n;
        const lg_ent **v = lg_agg_sorted(w, id, &n);
        for (size_t i = 0; i < n; i++)
            ASSERT_UEQ(v[i]->bytes, LG_BYTES_SATURATED);
        free(v);
    }
    lg_agg_sent(w); /* a new batch adds plainly again */
    r[0].bytes = 7;
    ASSERT_EQ(lg_agg_add_block(w, r, p, 1, 0), 0);
    ASSERT_UEQ(lg_agg_totals(w)->bytes, 7);
    ASSERT_UEQ(lg_agg_status(w)[200].bytes, 7);
    lg_agg_free(w);
}
