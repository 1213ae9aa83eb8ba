/* test-table.c - the aggregate's building blocks: arenas keep keys where
 * they were put, tables give a key one id however they grow (worker slots
 * and sink index alike), counts fold into entries once, the pair set
 * holds each value once, and the hash is a function of the bytes only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#include "../../logs/arena.h"
#include "../../logs/hash.h"
#include "../../logs/pairset.h"
#include "../../logs/table.h"

TEST(arena_keys_stay_put)
{
    lg_arena *ar = lg_arena_new();
    static char big[200000];
    const char *k[1000];
    char buf[32];
    ASSERT(ar != NULL);
    memset(big, 'x', sizeof big);
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "key-%d", i);
        k[i] = lg_arena_copy(ar, buf, strlen(buf));
        ASSERT(k[i] != NULL);
        if (i == 500) /* a key bigger than a block gets its own */
            ASSERT(lg_arena_copy(ar, big, sizeof big) != NULL);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "key-%d", i);
        ASSERT_EQ(memcmp(k[i], buf, strlen(buf)), 0);
    }
    lg_arena_reset(ar);
    ASSERT(lg_arena_copy(ar, "again", 5) != NULL);
    lg_arena_free(ar);
    lg_arena_free(NULL);
}

TEST(hash_depends_on_bytes_and_length_only)
{
    char a[80], b[80];
    for (size_t n = 0; n < 70; n++) {
        memset(a, 'q', sizeof a);
        memset(b, 'q', sizeof b);
        b[n] = 'r'; /* beyond the key: no effect */
        ASSERT_UEQ(lg_hash(a, n), lg_hash(b, n));
        ASSERT_UEQ(lg_hash(a, n), lg_hash_inline(b, n));
        if (n)
            ASSERT_UNE(lg_hash(a, n), lg_hash(a, n - 1));
    }
}

static void ids_are_stable(int sink)
{
    lg_tab t;
    char buf[48];
    ASSERT_EQ(lg_tab_init(&t, sink), 0);
    for (int i = 0; i < 50000; i++) {
        snprintf(buf, sizeof buf, "/a/rather/long/path/number/%d", i);
        ASSERT_EQ(lg_tab_upsert(&t, buf, strlen(buf)), i);
    }
    for (int i = 49999; i >= 0; i -= 7) {
        snprintf(buf, sizeof buf, "/a/rather/long/path/number/%d", i);
        ASSERT_EQ(lg_tab_upsert(&t, buf, strlen(buf)), i);
    }
    ASSERT_UEQ(t.n, 50000);
    ASSERT_EQ(lg_tab_fold(&t), 0);
    ASSERT_UEQ(t.nents, 50000);
    ASSERT_EQ(memcmp(t.ents[123].key, "/a/rather/long/path/number/123", 30), 0);
    lg_tab_clear(&t);
    ASSERT_UEQ(t.n, 0);
    ASSERT_EQ(lg_tab_upsert(&t, "x", 1), 0);
    lg_tab_destroy(&t);
}

TEST(worker_table_ids_survive_growth)
{
    ids_are_stable(0);
}

TEST(sink_index_ids_survive_growth)
{
    ids_are_stable(1);
}

TEST(counts_fold_into_entries_once)
{
    lg_tab t;
    ASSERT_EQ(lg_tab_init(&t, 0), 0);
    for (int i = 0; i < 10; i++) {
        ASSERT_EQ(lg_tab_bump(&t, "GET", 3, lg_hash("GET", 3), 5), 0);
        ASSERT_EQ(lg_tab_bump_repeat(&t, "POST", 4, 7), 1);
    }
    ASSERT_EQ(lg_tab_fold(&t), 0);
    ASSERT_EQ(lg_tab_fold(&t), 0); /* idempotent */
    ASSERT_UEQ(t.ents[0].hits, 10);
    ASSERT_UEQ(t.ents[0].bytes, 50);
    ASSERT_UEQ(t.ents[1].hits, 10);
    ASSERT_UEQ(t.ents[1].bytes, 70);
    lg_tab_destroy(&t);
}

TEST(pair_set_holds_each_value_once)
{
    lg_set64 s;
    ASSERT_EQ(lg_set_init(&s, 64), 0);
    for (uint64_t v = 1; v <= 100000; v++)
        ASSERT_EQ(lg_set_add(&s, v << 32 | (v % 977 + 1),
                             lg_hash64(v << 32 | (v % 977 + 1))),
                  1);
    uint64_t again[3] = {1ull << 32 | 2, 5ull << 32 | 6,
                         100000ull << 32 | (100000 % 977 + 1)};
    ASSERT_EQ(lg_set_unite(&s, again, 3), 0);
    ASSERT_UEQ(s.n, 100000); /* all three were there */
    ASSERT_EQ(lg_set_add(&s, 7ull << 32 | 1, lg_hash64(7ull << 32 | 1)), 1);
    ASSERT_UEQ(s.n, 100001);
    lg_set_clear(&s);
    ASSERT_UEQ(s.n, 0);
    lg_set_destroy(&s);
}

/* ---- hash flooding (issue 19) -------------------------------------------- */

#define FLOOD 1500    /* crafted keys */
#define FLOOD_BITS 12 /* they share the low 12 bits of their hash */
static char flood[FLOOD][17];

/* The hook a test has and the released binary does not: set the run's
 * secret to a known value, then craft FLOOD 16-byte keys whose hashes
 * under it share their low FLOOD_BITS bits, so in a table of up to
 * 2^FLOOD_BITS slots they all start probing at slot 0. */
static void craft_flood(void)
{
    static const lg_hash_key known = {
        0x0123456789abcdefULL, 0x0fedcba987654321ULL | 1,
        0x1111222233334445ULL | 1, 0x5555666677778888ULL};
    lg__hash_secret = known;
    unsigned long long c = 0;
    for (int k = 0; k < FLOOD; k++)
        for (;; c++) {
            snprintf(flood[k], sizeof flood[k], "/f%014llu", c);
            if ((lg_hash(flood[k], 16) & ((1u << FLOOD_BITS) - 1)) == 0) {
                c++;
                break;
            }
        }
}

/* Slots every key of t lies past its home: what finding them all costs. */
static uint64_t displacement(const lg_tab *t)
{
    uint64_t sum = 0;
    for (size_t id = 0; id < t->n; id++) {
        if (t->slots) {
            const lg_slot *s = lg_tab_slot(t, (uint32_t)id);
            sum += ((size_t)(s - t->slots) - (size_t)s->hash) & t->mask;
        } else {
            size_t i = (size_t)t->ents[id].hash & t->imask;
            while ((uint32_t)t->index[i] != (uint32_t)id + 1)
                i = (i + 1) & t->imask, sum++;
        }
    }
    return sum;
}

static void flood_is_bounded(int sink)
{
    lg_tab t;
    craft_flood();
    ASSERT_EQ(lg_tab_init(&t, sink), 0);
    /* the keys do collide under the known key: same home, every one */
    ASSERT_EQ(t.gen, 0);
    for (int k = 0; k < FLOOD; k++)
        ASSERT_UEQ(lg_tab_hash(&t, flood[k], 16) & ((1u << FLOOD_BITS) - 1), 0);
    for (int k = 0; k < FLOOD; k++)
        ASSERT_EQ(lg_tab_upsert(&t, flood[k], 16), k);
    /* unchecked, finding them would cost FLOOD^2/2 = 1.1 M probes; the
     * table rehashed under another key instead */
    ASSERT_UGE(t.gen, 1);
    ASSERT_ULE(t.gen, LG_RESEED_MAX);
    ASSERT_ULT(displacement(&t), 4 * FLOOD);
    for (int k = FLOOD - 1; k >= 0; k--) /* the same ids after rehashing */
        ASSERT_EQ(lg_tab_upsert(&t, flood[k], 16), k);
    ASSERT_UEQ(t.n, FLOOD);
    lg_tab_destroy(&t);
}

TEST(flooding_a_worker_table_costs_bounded_probes)
{
    flood_is_bounded(0);
}

TEST(flooding_a_sink_index_costs_bounded_probes)
{
    flood_is_bounded(1);
}

TEST(seeding_draws_a_new_secret)
{
    lg_hash_key before = lg__hash_secret;
    ASSERT_EQ(lg_hash_seed_random(), 0);
    ASSERT(memcmp(&before, &lg__hash_secret, sizeof before) != 0);
    ASSERT_UEQ(lg__hash_secret.s1 & 1, 1);
    lg_hash_key k0, k1;
    lg_hash_key_derive(&k0, 0);
    lg_hash_key_derive(&k1, 1);
    ASSERT_EQ(memcmp(&k0, &lg__hash_secret, sizeof k0), 0);
    ASSERT(memcmp(&k0, &k1, sizeof k0) != 0);
}
