/* test-mem.c - the tables' memory: blocks zeroed, aligned and apart,
 * freed blocks coming back clean, growth keeping what was written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#include "../../logs/mem.h"

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

TEST(sizes_are_powers_of_two_from_4k)
{
    ASSERT_EQ(lg_mem_size(0), 4096);
    ASSERT_EQ(lg_mem_size(1), 4096);
    ASSERT_EQ(lg_mem_size(4096), 4096);
    ASSERT_EQ(lg_mem_size(4097), 8192);
    ASSERT_EQ(lg_mem_size(3u << 20), 4u << 20);
    ASSERT_EQ(lg_mem_size(SIZE_MAX / 2), 0);
}

TEST(blocks_are_zeroed_and_aligned)
{
    static const size_t sizes[] = {1,      100,      4096,           5000,
                                   300000, 1u << 20, (2u << 20) + 1, 5u << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        unsigned char *p = lg_mem_alloc(sizes[k]);
        ASSERT(p != NULL);
        ASSERT_EQ((uintptr_t)p % 64, 0);
        ASSERT(all_zero(p, sizes[k]));
        memset(p, 0xab, sizes[k]);
        lg_mem_free(p, sizes[k]);
    }
}

TEST(a_freed_block_comes_back_zeroed)
{
    for (int round = 0; round < 3; round++) {
        unsigned char *p = lg_mem_alloc(20000);
        ASSERT(p != NULL);
        ASSERT(all_zero(p, 20000));
        memset(p, 0xcd, 20000);
        lg_mem_free(p, 20000);
    }
}

TEST(growing_keeps_the_head_and_zeroes_the_rest)
{
    size_t n = 100;
    unsigned char *p = lg_mem_grow(NULL, 0, n);
    ASSERT(p != NULL);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 1);
    static const size_t steps[] = {200,      4096,     70000,
                                   1u << 20, 3u << 20, 9u << 20};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        size_t want = steps[k];
        p = lg_mem_grow(p, n, want);
        ASSERT(p != NULL);
        for (size_t i = 0; i < 100; i++)
            ASSERT_EQ(p[i], (unsigned char)(i * 7 + 1));
        ASSERT(all_zero(p + 100, want - 100));
        n = want;
    }
    ASSERT(lg_mem_grow(p, n, n / 2) == p);
    lg_mem_free(p, n);
}

/* A block of huge pages grows by moving its pages: every byte written
 * stays and the rest is zero. */
TEST(growing_a_big_block_keeps_every_byte)
{
    size_t n = (4u << 20) + 12345;
    unsigned char *p = lg_mem_alloc(n);
    ASSERT(p != NULL);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i % 251 + 1);
    static const size_t steps[] = {(9u << 20) + 1, 33u << 20};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        size_t want = steps[k];
        p = lg_mem_grow(p, n, want);
        ASSERT(p != NULL);
        for (size_t i = 0; i < (4u << 20) + 12345; i++)
            if (p[i] != (unsigned char)(i % 251 + 1))
                FAIL("byte %zu lost growing to %zu", i, want);
        ASSERT(all_zero(p + (4u << 20) + 12345, want - (4u << 20) - 12345));
        n = want;
    }
    lg_mem_free(p, n);
}

/* Many blocks of many sizes, live at once, each filled with its own
 * byte: none may overlap another. */
TEST(live_blocks_never_overlap)
{
    enum {
        N = 300
    };
    unsigned char *p[N];
    size_t len[N];
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        len[i] = 1 + (size_t)(x % (700u << 10));
        p[i] = lg_mem_alloc(len[i]);
        ASSERT(p[i] != NULL);
        memset(p[i], i & 0xff, len[i]);
        if (i % 3 == 0) { /* free some, so later ones reuse them */
            lg_mem_free(p[i], len[i]);
            p[i] = NULL;
        }
    }
    for (int i = 0; i < N; i++)
        for (size_t k = 0; p[i] && k < len[i]; k += 509)
            ASSERT_EQ(p[i][k], (unsigned char)(i & 0xff));
    for (int i = 0; i < N; i++)
        lg_mem_free(p[i], len[i]);
}
