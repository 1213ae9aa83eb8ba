/* mem.h - memory for the aggregate's tables, faulted in huge pages.
 *
 * The tables of a worker grow by doubling from a few KiB to many MiB.
 * Through malloc, each 4 KiB page of that growth is one page fault, and
 * where faults are dear (a paravirtualised MMU: 11-15 us per fault,
 * measured; see docs/BENCHMARKS-logs.md) the faults cost more than the
 * counting.  These blocks come instead from 2 MiB-aligned regions that
 * ask for transparent huge pages, so one fault maps 512 pages; and a
 * table probed at random then misses the TLB far less (a 60,000-client
 * table is 8 MiB: 4 huge pages, not 2,048 small ones).
 *
 * A block's size is rounded up to a power of two of at least 4 KiB.
 * Blocks under 2 MiB are carved from shared regions and, once freed,
 * kept on a list of their size for the next table that grows; bigger
 * blocks are mappings of their own, unmapped when freed.  The regions
 * live as long as the process.
 *
 * Per process and not thread-safe: each stage of pipefan logs is a
 * process of its own.  Built with AddressSanitizer, every block is an
 * ordinary calloc so the sanitizer still sees the tables.
 */
#ifndef LOGS_MEM_H
#define LOGS_MEM_H

#include <stddef.h>

/* n zeroed bytes, 64-byte aligned; NULL when out of memory. */
void *lg_mem_alloc(size_t n);

/* Block p of n bytes (from lg_mem_alloc or lg_mem_grow, or NULL with
 * n = 0) made room for want >= n bytes: the first n kept, the rest
 * zero.  May move it; NULL, with p untouched, when out of memory. */
void *lg_mem_grow(void *p, size_t n, size_t want);

/* Give back block p of n bytes (the size it was asked for). */
void lg_mem_free(void *p, size_t n);

/* The size a block of n bytes really has. */
size_t lg_mem_size(size_t n);

/* A cap on the bytes of blocks this process holds at once (--max-memory;
 * 0 = none): an allocation that would pass it fails as out of memory and
 * marks the cap as hit. */
void lg_mem_set_limit(size_t bytes);
/* The cap (0 = none). */
size_t lg_mem_limit(void);
/* Bytes of blocks this process holds now (sizes as lg_mem_size). */
size_t lg_mem_in_use(void);
/* The most bytes of blocks this process has held at once. */
size_t lg_mem_peak(void);
/* Non-zero once an allocation failed because of the cap. */
int lg_mem_limit_hit(void);

#endif
