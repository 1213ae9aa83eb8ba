/* resolve-none.c - resolve-dns.h in a build without c-ares: --resolve is
 * refused before the run (lg_dns_backend is NULL), and these are never
 * reached but fail cleanly. */
#include "resolve-dns.h"

#include <errno.h>
#include <string.h>

#include "resolve.h"

int lg_dns_open(lg_dns **out, const char *server, unsigned timeout_ms)
{
    (void)server;
    (void)timeout_ms;
    *out = NULL;
    return -ENOTSUP;
}

void lg_dns_close(lg_dns *d)
{
    (void)d;
}

void lg_dns_lookup(lg_dns *d, const char *addr, size_t n, int confirm,
                   int64_t deadline_ns, lg_dns_answer *a)
{
    (void)d;
    (void)addr;
    (void)n;
    (void)confirm;
    (void)deadline_ns;
    memset(a, 0, sizeof *a);
    a->status = LG_RDNS_FAIL;
    a->confirmed = -1;
}

const char *lg_dns_backend(void)
{
    return NULL;
}
