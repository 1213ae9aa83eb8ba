/* crc-zlib.c - lg_crc32 by zlib (crc.h). */
#include "crc.h"

#include <zlib.h>

uint32_t lg_crc32(uint32_t crc, const void *p, uint64_t n)
{
    const unsigned char *b = p;
    while (n > 0) { /* zlib takes at most a uInt at a time */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, b, k);
        b += k;
        n -= k;
    }
    return crc;
}
