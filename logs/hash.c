/* hash.c - the run's hash secret and the out-of-line hash (hash.h). */
#include "hash.h"

#include <errno.h>
#include <sys/random.h>

/* Until seeded: the constants of the unkeyed hash (so a library user that
 * never seeds hashes as before). */
__attribute__((visibility("hidden")))
lg_hash_key lg__hash_secret = {0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL,
                               0x8ebc6af09c88c6e3ULL, 0x9e3779b97f4a7c15ULL};

uint64_t lg_hash(const void *key, size_t len)
{
    return lg_hash_inline(key, len);
}

int lg_hash_seed_random(void)
{
    lg_hash_key k;
    size_t got = 0;
    while (got < sizeof k) {
        ssize_t r = getrandom((char *)&k + got, sizeof k - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -(errno ? errno : EIO);
        got += (size_t)r;
    }
    k.s1 |= 1;
    k.s2 |= 1;
    lg__hash_secret = k;
    return 0;
}

/* splitmix64's finaliser: a bijection that spreads every input bit. */
static uint64_t spread(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void lg_hash_key_derive(lg_hash_key *k, uint32_t gen)
{
    const lg_hash_key *s = &lg__hash_secret;
    if (gen == 0) {
        *k = *s;
        return;
    }
    uint64_t g = (uint64_t)gen * 0x9e3779b97f4a7c15ULL;
    k->s0 = spread(s->s0 ^ g);
    k->s1 = spread(s->s1 + g) | 1;
    k->s2 = spread(s->s2 ^ (g << 1)) | 1;
    k->p = spread(s->p + (g << 2));
}
