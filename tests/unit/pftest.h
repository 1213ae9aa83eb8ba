/*
 * pftest.h - what the runtime's tests share: memory every worker can
 * write and the test can read after pf_run, and a deterministic record
 * generator with an order-independent checksum.
 */
#ifndef PFTEST_H
#define PFTEST_H

#include <ctype.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <time.h>

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

/* Pids of the children of ppid whose name (comm) starts with prefix;
 * returns how many, at most max.  Workers are named "pf:stage/index". */
static inline int children_named(pid_t ppid, const char *prefix, pid_t *out,
                                 int max)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d != NULL && n < max && (e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *open = strchr(buf, '('), *close = strrchr(buf, ')');
        int pp = 0;
        if (open == NULL || close == NULL ||
            sscanf(close + 2, "%*c %d", &pp) != 1 || pp != ppid)
            continue;
        *close = '\0';
        if (strncmp(open + 1, prefix, strlen(prefix)) == 0)
            out[n++] = (pid_t)atoi(e->d_name);
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* Monotonic time in nanoseconds. */
static inline uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
