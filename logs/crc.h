/* crc.h - the CRC-32 of the wire format (docs/WIRE.md): gzip's, the
 * reflected IEEE polynomial 0xEDB88320, as zlib's crc32() computes it.
 * One implementation is built, chosen by meson: ISA-L's (folding with
 * carry-less multiplies, about 20 times zlib's speed) when the build has
 * ISA-L, zlib's otherwise.  Both give the same value. */
#ifndef LG_CRC_H
#define LG_CRC_H

#include <stdint.h>

/* The CRC-32 of p[0..n), continuing crc (0 to start). */
uint32_t lg_crc32(uint32_t crc, const void *p, uint64_t n);

#endif
