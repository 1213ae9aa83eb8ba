/* arena.c - append-only byte arenas for the tables' keys (arena.h). */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define ARENA_BLOCK (1u << 20)
#define ARENA_FIRST (16u << 10)

#define BLK_HEAD offsetof(lg_arena_blk, data)

lg_arena *lg_arena_new(void)
{
    return calloc(1, sizeof(lg_arena));
}

/* The newest block has no room for n bytes (lg_arena_copy): a new one. */
const char *lg__arena_copy_new(lg_arena *ar, const void *p, size_t n)
{
    lg_arena_blk *b = ar->head;
    if (ar->next < ARENA_FIRST)
        ar->next = ARENA_FIRST;
    int own = n > ar->next / 4; /* a big key gets a block of its own */
    size_t size = own ? lg_mem_size(BLK_HEAD + n) : ar->next;
    if (!own && ar->next < ARENA_BLOCK)
        ar->next *= 2;
    lg_arena_blk *nb = size ? lg_mem_alloc(size) : NULL;
    if (!nb)
        return NULL;
    nb->used = 0;
    nb->cap = size - BLK_HEAD;
    if (own && b) {
        /* behind the current block, which keeps taking small keys */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        ar->head = nb;
    }
    char *d = nb->data;
    if (n)
        memcpy(d, p, n);
    nb->used = n;
    return d;
}

static void blk_free(lg_arena_blk *b)
{
    lg_mem_free(b, BLK_HEAD + b->cap);
}

void lg_arena_reset(lg_arena *ar)
{
    lg_arena_blk *keep = ar->head;
    if (!keep)
        return;
    for (lg_arena_blk *b = keep->next, *nx; b; b = nx) {
        nx = b->next;
        blk_free(b);
    }
    keep->next = NULL;
    keep->used = 0;
}

void lg_arena_free(lg_arena *ar)
{
    if (!ar)
        return;
    for (lg_arena_blk *b = ar->head, *nx; b; b = nx) {
        nx = b->next;
        blk_free(b);
    }
    free(ar);
}
