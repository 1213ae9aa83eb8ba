/* resolve-cache.h - the --resolve-cache file: reverse-DNS answers kept
 * across runs until their TTL runs out.
 *
 * A text file, one entry a line after a header line:
 *     # pipefan resolve cache 1
 *     ADDR TAB EXPIRES TAB KIND TAB CONFIRMED TAB NAME
 * ADDR the address as logged, EXPIRES a Unix time in seconds, KIND
 * "name" (NAME holds the PTR name) or "none" (no PTR record: a negative
 * answer, kept for its negative TTL), CONFIRMED "y" or "n" once the
 * forward check (--resolve-confirm) was made, "-" before.  NAME and ADDR
 * are written with every byte outside '!'..'~', and '%', as %XX.
 * Time-outs and failures are not kept: the next run asks again.
 *
 * Loading is tolerant: a file with another header is ignored whole, a
 * line that does not read as an entry is skipped, expired entries are
 * dropped; none of that fails the run.  Saving writes a temporary file
 * beside the target and renames it over (outfile.h), so a reader never
 * sees half a file and a crash leaves the old one.  libc only.
 */
#ifndef LOGS_RESOLVE_CACHE_H
#define LOGS_RESOLVE_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct lg_rcache_ent {
    char *addr; /* owned, NUL-terminated */
    char *name; /* owned, NUL-terminated (may hold NULs: nlen), or NULL
                   for a negative entry */
    size_t nlen;
    int64_t expires;
    int confirmed; /* 1 yes, 0 no, -1 not checked */
    uint64_t seq;  /* later puts win */
} lg_rcache_ent;

typedef struct lg_rcache {
    lg_rcache_ent *v;
    size_t n, cap;
    size_t nloaded; /* entries 0..nloaded are sorted by addr */
    uint64_t seq;
    size_t skipped; /* lines of the file that were not entries */
} lg_rcache;

/* Load path into c (zeroed first).  A missing file is an empty cache;
 * entries expired at now are dropped.  0, -ENOMEM, or -errno when the
 * file exists but cannot be read (the cache is then empty: the caller
 * may go on). */
int lg_rcache_load(lg_rcache *c, const char *path, int64_t now);

/* The entry for addr[0..n), or NULL. */
const lg_rcache_ent *lg_rcache_find(const lg_rcache *c, const char *addr,
                                    size_t n);

/* Add or replace the entry of addr[0..n); name (nlen bytes, copied) NULL
 * for a negative entry.  0 or -ENOMEM.  Entries added are found by
 * lg_rcache_find only after lg_rcache_save sorts them in. */
int lg_rcache_put(lg_rcache *c, const char *addr, size_t n, const char *name,
                  size_t nlen, int64_t expires, int confirmed);

/* Write the entries still valid at now to path (temporary file, then
 * rename).  0 or -errno. */
int lg_rcache_save(lg_rcache *c, const char *path, int64_t now);

/* Free what c holds.  Safely does nothing on a zeroed cache. */
void lg_rcache_destroy(lg_rcache *c);

#endif
