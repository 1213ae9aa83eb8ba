/* resolve-dns.h - one reverse lookup at a time, blocking until an answer
 * or a deadline: what each worker of the --resolve stage calls.
 *
 * resolve-ares.c implements it with c-ares (when meson found libcares);
 * resolve-none.c, in a build without it, fails every call with
 * -ENOTSUP.  The statuses are resolve.h's LG_RDNS_*.
 */
#ifndef LOGS_RESOLVE_DNS_H
#define LOGS_RESOLVE_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "dns-msg.h"

typedef struct lg_dns lg_dns;

/* What one lookup found. */
typedef struct lg_dns_answer {
    int status;    /* LG_RDNS_* (resolve.h) */
    int confirmed; /* 1 forward-confirmed, 0 not, -1 not checked */
    uint32_t ttl;  /* seconds, for OK and NONE */
    size_t nlen;
    char name[LG_DNS_NAME_MAX + 1]; /* the PTR name, raw bytes */
} lg_dns_answer;

/* Open a resolver: server "ADDR[:PORT]" ("[v6]:PORT"), or NULL for the
 * system's (resolv.conf); each query waits at most timeout_ms.  0 and
 * *out (caller frees with lg_dns_close), -ENOTSUP without c-ares,
 * -EINVAL for a server c-ares does not take, -ENOMEM. */
int lg_dns_open(lg_dns **out, const char *server, unsigned timeout_ms);
/* Close a resolver.  Safely does nothing on NULL. */
void lg_dns_close(lg_dns *d);

/* Look up the PTR name of the address addr[0..n) (text), and with
 * confirm its A/AAAA records too; stop at deadline_ns (CLOCK_MONOTONIC)
 * at the latest.  Fills *a; never fails (an error is a status). */
void lg_dns_lookup(lg_dns *d, const char *addr, size_t n, int confirm,
                   int64_t deadline_ns, lg_dns_answer *a);

/* The resolver library and its version ("c-ares 1.18.1"), or NULL in a
 * build without one. */
const char *lg_dns_backend(void);

#endif
