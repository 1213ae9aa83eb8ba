/* wire-prim.h - the byte-level pieces the serialisations share: the
 * partials (agg-wire.c, agg-save.c) and state files (state.c), whose
 * formats are docs/WIRE.md and docs/STATE.md.  Private to those files. */
#ifndef LOGS_WIRE_PRIM_H
#define LOGS_WIRE_PRIM_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

/* v as 4 little-endian bytes at p. */
static inline void wr32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

/* A bounds-checked reader over a blob; any overrun sets bad. */
typedef struct rd {
    const unsigned char *p, *end;
    int bad;
} rd;

/* The next LEB128 varint (at most 64 bits), or 0 with bad set. */
static inline uint64_t get_var(rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->bad = 1;
            return 0;
        }
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

#endif
