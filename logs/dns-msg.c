/* dns-msg.c - read DNS answers: PTR names, negative TTLs, A/AAAA
 * addresses (dns-msg.h). */
#include "dns-msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum {
    T_A = 1,
    T_SOA = 6,
    T_PTR = 12,
    T_AAAA = 28,
    C_IN = 1,
    HEADER = 12,
    MAX_HOPS = 64, /* compression pointers followed for one name */
};

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

int lg_dns_ptr_name(const char *text, size_t n, char out[80],
                    unsigned char bin[16], int *family)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -EINVAL;
    memcpy(buf, text, n);
    buf[n] = 0;
    if (inet_pton(AF_INET, buf, bin) == 1) {
        *family = AF_INET;
        snprintf(out, 80, "%u.%u.%u.%u.in-addr.arpa", bin[3], bin[2], bin[1],
                 bin[0]);
        return 0;
    }
    if (inet_pton(AF_INET6, buf, bin) == 1) {
        static const char hex[] = "0123456789abcdef";
        char *o = out;
        *family = AF_INET6;
        for (int i = 15; i >= 0; i--) {
            *o++ = hex[bin[i] & 15];
            *o++ = '.';
            *o++ = hex[bin[i] >> 4];
            *o++ = '.';
        }
        strcpy(o, "ip6.arpa"); /* 64 + 9 bytes */
        return 0;
    }
    return -EINVAL;
}

/* Read the name at msg[*off] into out (NULL: skip it), its text length in
 * *olen; *off moves past it (past the first pointer, if any).  Pointers
 * must point before the label that holds them: no loops. */
static int read_name(const unsigned char *msg, size_t len, size_t *off,
                     char *out, size_t *olen)
{
    size_t pos = *off, n = 0, wire = 0;
    int jumped = 0, hops = 0;
    for (;;) {
        if (pos >= len)
            return LG_DNS_EBADMSG;
        unsigned c = msg[pos];
        if ((c & 0xc0) == 0xc0) {
            if (pos + 1 >= len || ++hops > MAX_HOPS)
                return LG_DNS_EBADMSG;
            size_t to = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
            if (to >= pos)
                return LG_DNS_EBADMSG;
            if (!jumped)
                *off = pos + 2;
            jumped = 1;
            pos = to;
            continue;
        }
        if (c & 0xc0)
            return LG_DNS_EBADMSG; /* the 0x40 and 0x80 label types */
        if (c == 0)
            break;
        if (pos + 1 + c > len || (wire += c + 1) > 254)
            return LG_DNS_EBADMSG;
        if (n) {
            if (out)
                out[n] = '.';
            n++;
        }
        if (out)
            memcpy(out + n, msg + pos + 1, c);
        n += c;
        pos += 1 + c;
    }
    if (!jumped)
        *off = pos + 1;
    if (out)
        out[n] = 0;
    if (olen)
        *olen = n;
    return 0;
}

/* One resource record's fixed part, after its name. */
typedef struct rr {
    uint16_t type, cls;
    uint32_t ttl;
    size_t rdata, rdlen; /* offset and length of the data */
} rr;

static int read_rr(const unsigned char *msg, size_t len, size_t *off, rr *r)
{
    int rc = read_name(msg, len, off, NULL, NULL);
    if (rc < 0)
        return rc;
    if (*off + 10 > len)
        return LG_DNS_EBADMSG;
    const unsigned char *p = msg + *off;
    r->type = rd16(p);
    r->cls = rd16(p + 2);
    r->ttl = rd32(p + 4) & 0x7fffffffu; /* RFC 2181: top bit means 0 */
    r->rdlen = rd16(p + 8);
    r->rdata = *off + 10;
    if (r->rdata + r->rdlen > len)
        return LG_DNS_EBADMSG;
    *off = r->rdata + r->rdlen;
    return 0;
}

/* Skip the header and the question section; the answer count in *an and
 * the authority count in *ns. */
static int skip_question(const unsigned char *msg, size_t len, size_t *off,
                         unsigned *an, unsigned *ns)
{
    if (len < HEADER)
        return LG_DNS_EBADMSG;
    unsigned qd = rd16(msg + 4);
    *an = rd16(msg + 6);
    *ns = rd16(msg + 8);
    *off = HEADER;
    for (unsigned i = 0; i < qd; i++) {
        int rc = read_name(msg, len, off, NULL, NULL);
        if (rc < 0)
            return rc;
        if (*off + 4 > len)
            return LG_DNS_EBADMSG;
        *off += 4;
    }
    return 0;
}

int lg_dns_read_ptr(const unsigned char *msg, size_t len,
                    char name[LG_DNS_NAME_MAX + 1], size_t *nlen, uint32_t *ttl)
{
    size_t off;
    unsigned an, ns;
    int rc = skip_question(msg, len, &off, &an, &ns);
    *ttl = 0;
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < an; i++) {
        rr r;
        if ((rc = read_rr(msg, len, &off, &r)) < 0)
            return rc;
        if (r.type != T_PTR || r.cls != C_IN)
            continue; /* a CNAME on the way (RFC 2317 delegation) */
        size_t at = r.rdata;
        if ((rc = read_name(msg, r.rdata + r.rdlen, &at, name, nlen)) < 0)
            return rc;
        *ttl = r.ttl;
        return 1;
    }
    for (unsigned i = 0; i < ns; i++) { /* RFC 2308: min(SOA TTL, MINIMUM) */
        rr r;
        if ((rc = read_rr(msg, len, &off, &r)) < 0)
            return rc;
        if (r.type != T_SOA || r.cls != C_IN)
            continue;
        size_t at = r.rdata;
        size_t end = r.rdata + r.rdlen;
        if ((rc = read_name(msg, end, &at, NULL, NULL)) < 0 ||
            (rc = read_name(msg, end, &at, NULL, NULL)) < 0)
            return rc;
        if (at + 20 > end)
            return LG_DNS_EBADMSG;
        uint32_t min = rd32(msg + at + 16) & 0x7fffffffu;
        *ttl = r.ttl < min ? r.ttl : min;
        break;
    }
    return 0;
}

int lg_dns_has_addr(const unsigned char *msg, size_t len,
                    const unsigned char *addr, size_t alen, uint32_t *ttl)
{
    size_t off;
    unsigned an, ns;
    int rc = skip_question(msg, len, &off, &an, &ns), found = 0;
    if (rc < 0)
        return rc;
    uint16_t want = alen == 4 ? T_A : T_AAAA;
    for (unsigned i = 0; i < an; i++) {
        rr r;
        if ((rc = read_rr(msg, len, &off, &r)) < 0)
            return rc;
        if (r.type != want || r.cls != C_IN || r.rdlen != alen ||
            memcmp(msg + r.rdata, addr, alen) != 0)
            continue;
        if (!found || r.ttl < *ttl)
            *ttl = r.ttl;
        found = 1;
    }
    return found;
}
