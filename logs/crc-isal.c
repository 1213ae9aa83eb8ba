/* crc-isal.c - lg_crc32 by ISA-L (crc.h). */
#include "crc.h"

#include <isa-l/crc.h>

uint32_t lg_crc32(uint32_t crc, const void *p, uint64_t n)
{
    return crc32_gzip_refl(crc, p, n);
}
