/* hash.h - the 64-bit hashes of the aggregate's tables and sets.
 *
 * lg_hash_inline is a wyhash-style hash of a key: keys over 32 bytes
 * (paths, referrers, user agents) go 32 bytes a round in two independent
 * multiply chains.  It is inlined where each line's keys are hashed;
 * lg_hash is the same function out of line.  lg_hash64 mixes one 64-bit
 * value (a pair of ids).  The read helpers load unaligned words.
 */
#ifndef LOGS_HASH_H
#define LOGS_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

__extension__ typedef unsigned __int128 lg_u128;

/* The high and low halves of a * b, folded. */
static inline uint64_t lg_hash_mix(uint64_t a, uint64_t b)
{
    lg_u128 r = (lg_u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* An unaligned little- or native-endian 64-bit word at p. */
static inline uint64_t lg_rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* An unaligned 32-bit word at p, widened. */
static inline uint64_t lg_rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The hash of key[0..len). */
static inline __attribute__((always_inline)) uint64_t
lg_hash_inline(const void *key, size_t len)
{
    static const uint64_t s0 = 0xa0761d6478bd642fULL,
                          s1 = 0xe7037ed1a0b428dbULL,
                          s2 = 0x8ebc6af09c88c6e3ULL;
    const unsigned char *p = key;
    uint64_t seed = s0 ^ len, a, b;
    if (len <= 16) {
        if (len >= 4) {
            a = (lg_rd32(p) << 32) | lg_rd32(p + ((len >> 3) << 2));
            b = (lg_rd32(p + len - 4) << 32) |
                lg_rd32(p + len - 4 - ((len >> 3) << 2));
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) |
                p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = len;
        if (i > 32) {
            uint64_t see1 = seed;
            do {
                seed = lg_hash_mix(lg_rd64(p) ^ s1, lg_rd64(p + 8) ^ seed);
                see1 = lg_hash_mix(lg_rd64(p + 16) ^ s2, lg_rd64(p + 24) ^ see1);
                p += 32;
                i -= 32;
            } while (i > 32);
            seed ^= see1;
        }
        if (i > 16) {
            seed = lg_hash_mix(lg_rd64(p) ^ s1, lg_rd64(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        a = lg_rd64(p + i - 16);
        b = lg_rd64(p + i - 8);
    }
    return lg_hash_mix(s1 ^ len, lg_hash_mix(a ^ s1, b ^ seed) ^ s2);
}

/* The hash of a pair value. */
static inline uint64_t lg_hash64(uint64_t v)
{
    return lg_hash_mix(v ^ 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL);
}

/* lg_hash_inline out of line: the hash every table uses. */
uint64_t lg_hash(const void *key, size_t len);

#endif
