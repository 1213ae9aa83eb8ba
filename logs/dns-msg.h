/* dns-msg.h - read the answers pipefan asks a DNS server for: PTR names
 * with their TTL, the negative-caching TTL of an answer without one
 * (RFC 2308: the SOA in the authority section), and the A/AAAA addresses
 * of a forward-confirmation query.
 *
 * The resolver library (c-ares, resolve-ares.c) sends the queries and
 * hands back the raw message; this file reads it.  A name comes back as
 * its raw label bytes joined with '.', not in DNS presentation format
 * (no \DDD escapes): a PTR answer is written by whoever controls the
 * reverse zone, so its bytes are log-like strings, escaped for each
 * output by esc.h like every other.  Every read is bounds-checked and
 * compression pointers may only point backwards, so a hostile message
 * ends in an error, never a loop or a read past its end.  libc only.
 */
#ifndef LOGS_DNS_MSG_H
#define LOGS_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

/* Longest name text: 255 wire bytes hold at most 254 text bytes. */
#define LG_DNS_NAME_MAX 255

/* Errors (negative) */
#define LG_DNS_EBADMSG (-74) /* -EBADMSG: not a well-formed message */

/* The reverse-lookup name of the address in text (IPv4 dotted quad or
 * IPv6) into out ("4.3.2.1.in-addr.arpa", "...ip6.arpa"); the binary
 * address into bin (4 or 16 bytes) and its family (AF_INET, AF_INET6)
 * into *family.  0, or -EINVAL when text (n bytes, not NUL-terminated)
 * is not an address. */
int lg_dns_ptr_name(const char *text, size_t n, char out[80],
                    unsigned char bin[16], int *family);

/* The first PTR answer of msg[0..len): its name in name (NUL-terminated,
 * *nlen bytes; a label's bytes as they are, so NUL bytes may occur) and
 * its TTL in *ttl.  1 found, 0 no PTR record in the answer section (then
 * *ttl is the negative TTL from the SOA when there is one, else 0), or
 * LG_DNS_EBADMSG. */
int lg_dns_read_ptr(const unsigned char *msg, size_t len,
                    char name[LG_DNS_NAME_MAX + 1], size_t *nlen,
                    uint32_t *ttl);

/* Non-zero when an A (alen 4) or AAAA (alen 16) record of msg[0..len)
 * holds addr; the smallest TTL of those records in *ttl.  0 when none
 * does, LG_DNS_EBADMSG. */
int lg_dns_has_addr(const unsigned char *msg, size_t len,
                    const unsigned char *addr, size_t alen, uint32_t *ttl);

#endif
