/* hash.c - the out-of-line table hash (hash.h). */
#include "hash.h"

uint64_t lg_hash(const void *key, size_t len)
{
    return lg_hash_inline(key, len);
}
