/* mem.c - memory for the aggregate's tables, faulted in huge pages
 * (mem.h). */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MIN_SHIFT 12 /* 4 KiB, the smallest block */
#define HUGE_SHIFT 21
#define HUGE ((size_t)1 << HUGE_SHIFT) /* a huge page, and a region */
#define NCLASS (HUGE_SHIFT - MIN_SHIFT)

#if defined(__SANITIZE_ADDRESS__)
#define SYSTEM_MEM 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYSTEM_MEM 1
#endif
#endif
#ifndef SYSTEM_MEM
#define SYSTEM_MEM 0
#endif

/* Per process, like the pool. */
static struct {
    size_t limit, in_use, peak;
    int hit;
} acct;

void lg_mem_set_limit(size_t bytes)
{
    acct.limit = bytes;
}

size_t lg_mem_limit(void)
{
    return acct.limit;
}

size_t lg_mem_peak(void)
{
    return acct.peak;
}

size_t lg_mem_in_use(void)
{
    return acct.in_use;
}

int lg_mem_limit_hit(void)
{
    return acct.hit;
}

/* May s more bytes be held?  Marks the cap hit when not. */
static int acct_take(size_t s)
{
    if (acct.limit &&
        (acct.in_use > acct.limit || s > acct.limit - acct.in_use)) {
        acct.hit = 1;
        return 0;
    }
    acct.in_use += s;
    if (acct.in_use > acct.peak)
        acct.peak = acct.in_use;
    return 1;
}

static void acct_give(size_t s)
{
    acct.in_use = s < acct.in_use ? acct.in_use - s : 0;
}

size_t lg_mem_size(size_t n)
{
    size_t s = (size_t)1 << MIN_SHIFT;
    if (n > SIZE_MAX / 4)
        return 0;
    while (s < n)
        s <<= 1;
    return s;
}

#if SYSTEM_MEM

void *lg_mem_alloc(size_t n)
{
    void *p = NULL;
    size_t s = lg_mem_size(n);
    if (!s || !acct_take(s))
        return NULL;
    if (posix_memalign(&p, 64, n ? n : 1) != 0) {
        acct_give(s);
        return NULL;
    }
    memset(p, 0, n);
    return p;
}

void lg_mem_free(void *p, size_t n)
{
    if (p)
        acct_give(lg_mem_size(n));
    free(p);
}

#else

/* The blocks under a huge page: freed ones by size, linked through their
 * first word, and the region being carved. */
static struct {
    void *free[NCLASS];
    char *region;
    size_t used;
} pool;

static int class_of(size_t s)
{
    return __builtin_ctzl(s) - MIN_SHIFT;
}

/* n bytes (a multiple of HUGE) of fresh zero memory at a 2 MiB boundary,
 * asking for huge pages. */
static void *map_huge(size_t n)
{
    size_t len = n + HUGE;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    size_t head = (HUGE - ((uintptr_t)p & (HUGE - 1))) & (HUGE - 1);
    if (head)
        munmap(p, head);
    munmap(p + head + n, HUGE - head);
    madvise(p + head, n, MADV_HUGEPAGE);
    return p + head;
}

static void push(char *p, size_t s)
{
    int c = class_of(s);
    *(void **)p = pool.free[c];
    pool.free[c] = p;
}

/* Put the unused bytes [from, to) of the region on the free lists, as the
 * biggest aligned blocks that fit (both ends are multiples of 4 KiB). */
static void spill(size_t from, size_t to)
{
    while (from < to) {
        size_t s = from ? (size_t)1 << __builtin_ctzl(from) : HUGE / 2;
        while (from + s > to)
            s >>= 1;
        push(pool.region + from, s);
        from += s;
    }
}

/* A zeroed block of s bytes (a power of two under HUGE). */
static void *carve(size_t s)
{
    int c = class_of(s);
    if (pool.free[c]) {
        void *p = pool.free[c];
        pool.free[c] = *(void **)p;
        memset(p, 0, s);
        return p;
    }
    size_t at = (pool.used + s - 1) & ~(s - 1);
    if (!pool.region || at + s > HUGE) {
        char *r = map_huge(HUGE);
        if (!r)
            return NULL;
        if (pool.region)
            spill(pool.used, HUGE);
        pool.region = r;
        pool.used = at = 0;
    }
    spill(pool.used, at);
    pool.used = at + s;
    return pool.region + at;
}

void *lg_mem_alloc(size_t n)
{
    size_t s = lg_mem_size(n);
    if (!s || !acct_take(s))
        return NULL;
    void *p = s < HUGE ? carve(s) : map_huge(s);
    if (!p)
        acct_give(s);
    return p;
}

void lg_mem_free(void *p, size_t n)
{
    size_t s = lg_mem_size(n);
    if (!p)
        return;
    acct_give(s);
    if (s >= HUGE)
        munmap(p, s);
    else
        push(p, s);
}

#endif

#if !SYSTEM_MEM
/* Grow a mapped block (of s >= HUGE bytes) to ws bytes by moving its pages
 * to the head of a new region rather than copying them: no copy, and no
 * fresh pages touched for it. NULL when the kernel would not. */
static void *grow_mapped(void *p, size_t s, size_t ws)
{
    char *q = map_huge(ws);
    if (!q)
        return NULL;
    if (mremap(p, s, s, MREMAP_MAYMOVE | MREMAP_FIXED, q) == MAP_FAILED) {
        munmap(q, ws);
        return NULL;
    }
    return q;
}
#endif

void *lg_mem_grow(void *p, size_t n, size_t want)
{
    if (want <= n)
        return p;
    /* a pool block is zero past what its user wrote */
    if (!SYSTEM_MEM && p && lg_mem_size(want) == lg_mem_size(n))
        return p;
#if !SYSTEM_MEM
    if (p && lg_mem_size(n) >= HUGE && lg_mem_size(want)) {
        size_t s = lg_mem_size(n), ws = lg_mem_size(want);
        if (!acct_take(ws - s))
            return NULL;
        void *q = grow_mapped(p, s, ws);
        if (q)
            return q;
        acct_give(ws - s);
    }
#endif
    void *q = lg_mem_alloc(want);
    if (!q)
        return NULL;
    if (n)
        memcpy(q, p, n);
    lg_mem_free(p, n);
    return q;
}
