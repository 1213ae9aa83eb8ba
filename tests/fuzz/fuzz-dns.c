/* fuzz-dns.c - libFuzzer target for the DNS reply reader (logs/dns-msg.c),
 * which reads what a DNS server - anyone's, for a reverse zone - sent.
 *
 * The input is one reply, from an exactly sized copy.  Whatever it holds,
 * the reader must stay inside it, end (compression pointers only point
 * backwards), and give a name of at most 254 bytes, NUL-terminated, or an
 * error.  The forward check reads the same bytes for A and AAAA records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../logs/dns-msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    char name[LG_DNS_NAME_MAX + 1];
    size_t n = 0;
    uint32_t ttl;
    int r = lg_dns_read_ptr(copy, size, name, &n, &ttl);
    if (r == 1 && (n > 254 || name[n] != 0))
        abort();
    if (r != 1 && r != 0 && r != LG_DNS_EBADMSG)
        abort();
    if (ttl > 0x7fffffffu)
        abort();
    static const unsigned char v4[4] = {192, 0, 2, 1}, v6[16] = {0x20, 0x01};
    r = lg_dns_has_addr(copy, size, v4, 4, &ttl);
    if (r != 1 && r != 0 && r != LG_DNS_EBADMSG)
        abort();
    r = lg_dns_has_addr(copy, size, v6, 16, &ttl);
    if (r != 1 && r != 0 && r != LG_DNS_EBADMSG)
        abort();
    free(copy);
    return 0;
}
