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
        ASSERT_EQ(lg_tab_upsert(&t, buf, strlen(buf), lg_hash(buf, strlen(buf))),
                  i);
    }
    for (int i = 49999; i >= 0; i -= 7) {
        snprintf(buf, sizeof buf, "/a/rather/long/path/number/%d", i);
        ASSERT_EQ(lg_tab_upsert(&t, buf, strlen(buf), lg_hash(buf, strlen(buf))),
                  i);
    }
    ASSERT_UEQ(t.n, 50000);
    ASSERT_EQ(lg_tab_fold(&t), 0);
    ASSERT_UEQ(t.nents, 50000);
    ASSERT_EQ(memcmp(t.ents[123].key, "/a/rather/long/path/number/123", 30), 0);
    lg_tab_clear(&t);
    ASSERT_UEQ(t.n, 0);
    ASSERT_EQ(lg_tab_upsert(&t, "x", 1, lg_hash("x", 1)), 0);
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
        ASSERT_EQ(lg_set_add(&s, v << 32 | (v % 977 + 1), lg_hash64(v << 32 | (v % 977 + 1))), 1);
    uint64_t again[3] = {1ull << 32 | 2, 5ull << 32 | 6, 100000ull << 32 | (100000 % 977 + 1)};
    ASSERT_EQ(lg_set_unite(&s, again, 3), 0);
    ASSERT_UEQ(s.n, 100000); /* all three were there */
    ASSERT_EQ(lg_set_add(&s, 7ull << 32 | 1, lg_hash64(7ull << 32 | 1)), 1);
    ASSERT_UEQ(s.n, 100001);
    lg_set_clear(&s);
    ASSERT_UEQ(s.n, 0);
    lg_set_destroy(&s);
}
