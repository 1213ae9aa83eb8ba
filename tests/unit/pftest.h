/*
 * pftest.h - what the runtime's tests share: memory every worker can
 * write and the test can read after pf_run, and a deterministic record
 * generator with an order-independent checksum.
 */
#ifndef PFTEST_H
#define PFTEST_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "pipefan.h"
#include "runner.h"

/* Zeroed memory shared with every process forked after this call. */
static inline void *shared_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    ASSERT(p != MAP_FAILED);
    return p;
}

static inline void shared_free(void *p, size_t n)
{
    munmap(p, n);
}

/* Record i of a generated stream: length from the cycle, bytes from i. */
struct gen {
    uint64_t n;      /* records */
    size_t lens[16]; /* length cycle */
    int nlens;
};

static inline size_t gen_len(const struct gen *g, uint64_t i)
{
    return g->lens[i % (uint64_t)g->nlens];
}

static inline void gen_fill(unsigned char *p, size_t len, uint64_t i)
{
    for (size_t j = 0; j < len; j++)
        p[j] = (unsigned char)(i * 131u + j * 7u + (j >> 8));
}

/* Checksum of one record; summed, so order does not matter. */
static inline uint64_t rec_hash(const void *rec, size_t len)
{
    const unsigned char *p = rec;
    uint64_t h = 0xcbf29ce484222325u ^ len;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* What a sink saw, in shared memory. */
struct seen {
    _Atomic uint64_t records, bytes, hash_sum;
    _Atomic int finished; /* finish hooks run */
    _Atomic int flag;     /* test-specific */
    _Atomic uint64_t value;
};

/* Expected totals of a generator, computed in the test process. */
static inline void gen_expect(const struct gen *g, uint64_t *bytes,
                              uint64_t *hash_sum, unsigned char *scratch)
{
    *bytes = 0;
    *hash_sum = 0;
    for (uint64_t i = 0; i < g->n; i++) {
        size_t len = gen_len(g, i);
        gen_fill(scratch, len, i);
        *bytes += len;
        *hash_sum += rec_hash(scratch, len);
    }
}

#endif
