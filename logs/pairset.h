/* pairset.h - a set of non-zero 64-bit values: the (path id, client id)
 * pairs behind paths[].clients.
 *
 * Open addressing, linear probing from lg_hash64(v) & mask, at most 3/4
 * full (8 values share a cache line, so probes stay short), doubled in
 * place (grow.h).  The slots are public for the code that walks them.
 */
#ifndef LOGS_PAIRSET_H
#define LOGS_PAIRSET_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lg_set64 {
    uint64_t *slots; /* 0 = empty */
    size_t mask, n;  /* slots - 1, values */
} lg_set64;

/* An empty set of `slots` slots (a power of two).  0 or -ENOMEM. */
int lg_set_init(lg_set64 *s, size_t slots);
/* Free the slots. */
void lg_set_destroy(lg_set64 *s);
/* Empty the set, keeping its memory. */
void lg_set_clear(lg_set64 *s);
/* Double the set (lg_set_add's slow path).  0 or -ENOMEM. */
int lg__set_grow(lg_set64 *s);

/* Add v (non-zero) whose lg_hash64 is h: 1 when it was new, 0 when
 * present, -ENOMEM.  Inline: the counting loop adds a pair a request. */
static inline int lg_set_add(lg_set64 *s, uint64_t v, uint64_t h)
{
    size_t i = (size_t)h & s->mask;
    while (s->slots[i]) {
        if (s->slots[i] == v)
            return 0;
        i = (i + 1) & s->mask;
    }
    s->slots[i] = v;
    s->n++;
    if (s->n * 4 > (s->mask + 1) * 3 && lg__set_grow(s) < 0)
        return -ENOMEM;
    return 1;
}
/* Add the n values v, each slot prefetched a few values ahead.  0 or
 * -ENOMEM. */
int lg_set_unite(lg_set64 *s, const uint64_t *v, size_t n);

#endif
