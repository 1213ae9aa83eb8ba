/* grow.h - doubling an open-addressing array in place (header only: the
 * table and the pair set inline it with their own slot callbacks).
 *
 * The tables and sets are open-addressing arrays probed linearly from
 * hash & mask.  They double in place: the array grows by lg_mem_grow (a
 * big one by moving its pages, so only the new half is fresh memory, and
 * a fresh page is dear where faults are: mem.h), then the entries are
 * taken out one at a time, in slot order, and put back by probing from
 * their new home (the old home, or the same slot in the new half).  The
 * slot an entry just left is empty and comes before every slot still to
 * be taken, and the probe - from the old home, which is at or before it,
 * or through the new half's end and round from slot 0 - meets it before
 * any of those: so no entry's run passes a slot still to be taken, and
 * taking that slot later breaks none.  That needs the old home at or
 * before the entry, which fails only for entries that wrapped from the
 * end to the head of the array, before the first empty slot: those are
 * set aside first and put back last, as new keys.
 */
#ifndef LOGS_GROW_H
#define LOGS_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

typedef struct lg_grow_spec {
    size_t esize;                    /* bytes a slot */
    int (*used)(const void *e);      /* a slot holds an entry */
    uint64_t (*hash)(const void *e); /* its hash */
    void (*moved)(void *arg, const void *e, size_t at); /* or NULL */
} lg_grow_spec;

/* Put entry e (a copy, not in the array) at its place under nmask. */
static inline __attribute__((always_inline)) void
lg_grow_place(char *a, size_t nmask, const void *e, const lg_grow_spec *g,
              void *arg)
{
    size_t j = (size_t)g->hash(e) & nmask;
    while (g->used(a + j * g->esize))
        j = (j + 1) & nmask;
    memcpy(a + j * g->esize, e, g->esize);
    if (g->moved)
        g->moved(arg, e, j);
}

/* Double the array *slots of n slots (of at most 64 bytes; the array at
 * most 3/4 full); -ENOMEM, with the array as it was. */
static inline __attribute__((always_inline)) int
lg_grow_in_place(void **slots, size_t n, const lg_grow_spec *g, void *arg)
{
    const size_t es = g->esize, nmask = 2 * n - 1;
    char *a = *slots, tmp[64], spare[16 * 64];
    size_t head = 0;
    while (g->used(a + head * es))
        head++;
    char *stash = head * es <= sizeof spare ? spare : malloc(head * es);
    if (!stash)
        return -ENOMEM;
    a = lg_mem_grow(a, n * es, 2 * n * es);
    if (!a) {
        if (stash != spare)
            free(stash);
        return -ENOMEM;
    }
    *slots = a;
    memcpy(stash, a, head * es);
    memset(a, 0, head * es);
    for (size_t i = head + 1; i < n; i++) {
        char *e = a + i * es;
        if (!g->used(e))
            continue;
        memcpy(tmp, e, es);
        memset(e, 0, es);
        lg_grow_place(a, nmask, tmp, g, arg);
    }
    for (size_t k = 0; k < head; k++)
        lg_grow_place(a, nmask, stash + k * es, g, arg);
    if (stash != spare)
        free(stash);
    return 0;
}

#endif
