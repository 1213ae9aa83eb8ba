/* hash.h - the 64-bit hashes of the aggregate's tables and sets.
 *
 * lg_hash_keyed is a wyhash-style hash of a key: keys over 32 bytes
 * (paths, referrers, user agents) go 32 bytes a round in two independent
 * multiply chains.  It is keyed: pipefan logs draws a secret per run
 * (lg_hash_seed_random) so that keys colliding in a table cannot be
 * computed offline (issue 19), and a table whose probes grow too long
 * anyway rehashes under a key derived from it (table.c).  lg_hash_inline
 * and lg_hash hash under the run's secret; lg_hash64 mixes one 64-bit
 * value (a pair of ids) with it.  The read helpers load unaligned words.
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

/* A hash key: the run's secret (lg__hash_secret) or one derived from it
 * for a table that was reseeded.  s1 and s2 are odd. */
typedef struct lg_hash_key {
    uint64_t s0, s1, s2, p;
} lg_hash_key;

/* The run's secret: fixed constants until lg_hash_seed_random replaces
 * them.  Internal: only tests set it directly, to a known value.  Hidden,
 * so that the hot path reads it straight, not through the GOT (logs/ is a
 * static library built position-independent). */
extern __attribute__((visibility("hidden"))) lg_hash_key lg__hash_secret;

/* The hash of key[0..len) under key k. */
static inline __attribute__((always_inline)) uint64_t
lg_hash_keyed(const lg_hash_key *k, const void *key, size_t len)
{
    const uint64_t s1 = k->s1, s2 = k->s2;
    const unsigned char *p = key;
    uint64_t seed = k->s0 ^ len, a, b;
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
                see1 =
                    lg_hash_mix(lg_rd64(p + 16) ^ s2, lg_rd64(p + 24) ^ see1);
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

/* The hash of key[0..len) under the run's secret. */
static inline __attribute__((always_inline)) uint64_t
lg_hash_inline(const void *key, size_t len)
{
    return lg_hash_keyed(&lg__hash_secret, key, len);
}

/* The hash of a pair value. */
static inline uint64_t lg_hash64(uint64_t v)
{
    return lg_hash_mix(v ^ lg__hash_secret.p, 0xbf58476d1ce4e5b9ULL);
}

/* lg_hash_inline out of line. */
uint64_t lg_hash(const void *key, size_t len);

/* Replace the run's secret with random bytes (getrandom), in the parent
 * before the workers fork, so every process of a run hashes alike and no
 * one outside it can compute colliding keys.  0, or -errno (the secret
 * is then left as it was). */
int lg_hash_seed_random(void);

/* The key of reseed generation gen of a table: the run's secret for 0,
 * else one derived from it and gen. */
void lg_hash_key_derive(lg_hash_key *k, uint32_t gen);

#endif
