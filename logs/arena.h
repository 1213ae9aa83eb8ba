/* arena.h - append-only byte arenas for the tables' keys.
 *
 * Each table has its own arena, so the keys of a small table (agents,
 * referrers) stay together in a few cache-friendly pages.  Blocks come
 * from mem.h and grow from 16 KiB to 1 MiB; a key bigger than a quarter
 * of the next block gets a block of its own.  Keys are not
 * NUL-terminated and stay where they are until the arena is reset.
 */
#ifndef LOGS_ARENA_H
#define LOGS_ARENA_H

#include <stddef.h>
#include <string.h>

/* The fields are arena.c's; they are here only for lg_arena_copy's
 * inline fast path (a table copies each new key). */
typedef struct lg_arena_blk {
    struct lg_arena_blk *next;
    size_t used, cap;
    char data[];
} lg_arena_blk;

typedef struct lg_arena {
    lg_arena_blk *head;
    size_t next; /* size of the next block */
} lg_arena;

/* An empty arena; NULL when out of memory.  Free with lg_arena_free. */
lg_arena *lg_arena_new(void);
/* Free the arena and every key in it.  Accepts NULL. */
void lg_arena_free(lg_arena *ar);
/* Copy p[0..n) into the arena: the copy (valid until the arena is reset
 * or freed), or NULL when out of memory. */
static inline const char *lg_arena_copy(lg_arena *ar, const void *p, size_t n);
/* lg_arena_copy's way when the newest block has no room: a new block. */
const char *lg__arena_copy_new(lg_arena *ar, const void *p, size_t n);
/* Forget every key but keep the newest block for reuse. */
void lg_arena_reset(lg_arena *ar);

static inline const char *lg_arena_copy(lg_arena *ar, const void *p, size_t n)
{
    lg_arena_blk *b = ar->head;
    if (__builtin_expect(!b || b->cap - b->used < n, 0))
        return lg__arena_copy_new(ar, p, n);
    char *d = b->data + b->used;
    if (n)
        memcpy(d, p, n);
    b->used += n;
    return d;
}

#endif
