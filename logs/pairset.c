/* pairset.c - a set of non-zero 64-bit values (pairset.h). */
#include "pairset.h"

#include <errno.h>
#include <string.h>

#include "grow.h"
#include "hash.h"
#include "mem.h"

int lg_set_init(lg_set64 *s, size_t slots)
{
    s->slots = lg_mem_alloc(slots * sizeof *s->slots);
    s->mask = slots - 1;
    s->n = 0;
    return s->slots ? 0 : -ENOMEM;
}

void lg_set_destroy(lg_set64 *s)
{
    if (s->slots)
        lg_mem_free(s->slots, (s->mask + 1) * sizeof *s->slots);
    memset(s, 0, sizeof *s);
}

void lg_set_clear(lg_set64 *s)
{
    if (s->n)
        memset(s->slots, 0, (s->mask + 1) * sizeof *s->slots);
    s->n = 0;
}

static int value_used(const void *e)
{
    return *(const uint64_t *)e != 0;
}

static uint64_t value_hash(const void *e)
{
    return lg_hash64(*(const uint64_t *)e);
}

int lg__set_grow(lg_set64 *s)
{
    static const lg_grow_spec g = {sizeof(uint64_t), value_used, value_hash,
                                   NULL};
    void *v = s->slots;
    if (lg_grow_in_place(&v, s->mask + 1, &g, NULL) < 0)
        return -ENOMEM;
    s->slots = v;
    s->mask = s->mask * 2 + 1;
    return 0;
}

int lg_set_unite(lg_set64 *s, const uint64_t *v, size_t n)
{
    enum {
        AHEAD = 8
    };
    for (size_t j = 0; j < n; j++) {
        if (j + AHEAD < n)
            __builtin_prefetch(&s->slots[lg_hash64(v[j + AHEAD]) & s->mask], 1);
        if (lg_set_add(s, v[j], lg_hash64(v[j])) < 0)
            return -ENOMEM;
    }
    return 0;
}
