/* test-resolve.c - what --resolve reads that others wrote: DNS replies
 * (logs/dns-msg.h: PTR names with their raw bytes, TTLs, the negative TTL
 * of the SOA, compression loops and messages cut short) and the cache
 * file (logs/resolve-cache.h: round trip, expiry, damaged lines); and
 * the --resolve-server check. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runner.h"

#include "../../logs/dns-msg.h"
#include "../../logs/resolve-cache.h"
#include "../../logs/resolve.h"

/* A reply being built. */
typedef struct msg {
    unsigned char b[1024];
    size_t n;
} msg;

static void put(msg *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void put16(msg *m, unsigned v)
{
    unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    put(m, b, 2);
}

static void put32(msg *m, uint32_t v)
{
    put16(m, v >> 16);
    put16(m, v & 0xffff);
}

/* "a.b" as labels, with the root label */
static void put_name(msg *m, const char *s)
{
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        m->b[m->n++] = (unsigned char)n;
        put(m, s, n);
        s += n + (dot != NULL);
    }
    m->b[m->n++] = 0;
}

/* Header and the question for 4.3.2.1.in-addr.arpa PTR (at offset 12). */
static void start(msg *m, unsigned an, unsigned ns)
{
    m->n = 0;
    put16(m, 1);
    put16(m, 0x8180);
    put16(m, 1);
    put16(m, an);
    put16(m, ns);
    put16(m, 0);
    put_name(m, "4.3.2.1.in-addr.arpa");
    put16(m, 12);
    put16(m, 1);
}

/* An RR owned by the question's name: type, TTL, then rdata follows. */
static size_t rr(msg *m, unsigned type, uint32_t ttl)
{
    put16(m, 0xc00c);
    put16(m, type);
    put16(m, 1);
    put32(m, ttl);
    size_t at = m->n;
    put16(m, 0); /* rdlength, fixed by rr_end */
    return at;
}

static void rr_end(msg *m, size_t at)
{
    size_t len = m->n - at - 2;
    m->b[at] = (unsigned char)(len >> 8);
    m->b[at + 1] = (unsigned char)len;
}

TEST(reverse_names_of_ipv4_and_ipv6)
{
    char q[80];
    unsigned char bin[16];
    int fam;
    ASSERT_EQ(lg_dns_ptr_name("192.0.2.7", 9, q, bin, &fam), 0);
    ASSERT_STREQ(q, "7.2.0.192.in-addr.arpa");
    ASSERT_EQ(fam, AF_INET);
    ASSERT_EQ(lg_dns_ptr_name("2001:db8::1", 11, q, bin, &fam), 0);
    ASSERT_STREQ(q, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1."
                    "0.0.2.ip6.arpa");
    ASSERT_EQ(fam, AF_INET6);
    ASSERT_EQ(lg_dns_ptr_name("example.org", 11, q, bin, &fam), -EINVAL);
    ASSERT_EQ(lg_dns_ptr_name("1.2.3.4 ", 8, q, bin, &fam), -EINVAL);
    ASSERT_EQ(lg_dns_ptr_name("", 0, q, bin, &fam), -EINVAL);
}

TEST(ptr_name_ttl_and_compression)
{
    msg m;
    char name[LG_DNS_NAME_MAX + 1];
    size_t n;
    uint32_t ttl;
    start(&m, 2, 0);
    size_t at = rr(&m, 5, 60); /* a CNAME first (RFC 2317) is passed over */
    put_name(&m, "x.y");
    rr_end(&m, at);
    at = rr(&m, 12, 3600);
    m.b[m.n++] = 4;
    put(&m, "host", 4);
    put16(&m, 0xc000 | 20); /* -> "in-addr.arpa" of the question */
    rr_end(&m, at);
    ASSERT_EQ(lg_dns_read_ptr(m.b, m.n, name, &n, &ttl), 1);
    ASSERT_STREQ(name, "host.in-addr.arpa");
    ASSERT_UEQ(n, 17);
    ASSERT_UEQ(ttl, 3600);
}

TEST(ptr_name_keeps_hostile_bytes_raw)
{
    msg m;
    char name[LG_DNS_NAME_MAX + 1];
    size_t n;
    uint32_t ttl;
    start(&m, 1, 0);
    size_t at = rr(&m, 12, 5);
    const char evil[] = "\033[31m\0.\\";
    m.b[m.n++] = sizeof evil - 1;
    put(&m, evil, sizeof evil - 1);
    put_name(&m, "t");
    rr_end(&m, at);
    ASSERT_EQ(lg_dns_read_ptr(m.b, m.n, name, &n, &ttl), 1);
    ASSERT_UEQ(n, sizeof evil - 1 + 2);
    ASSERT_MEMEQ(name, "\033[31m\0.\\.t", n);
}

TEST(negative_answer_takes_the_soa_minimum)
{
    msg m;
    char name[LG_DNS_NAME_MAX + 1];
    size_t n;
    uint32_t ttl = 99;
    start(&m, 0, 1);
    size_t at = rr(&m, 6, 900);
    put_name(&m, "ns.test");
    put_name(&m, "admin.test");
    put32(&m, 1);     /* serial */
    put32(&m, 7200);  /* refresh */
    put32(&m, 600);   /* retry */
    put32(&m, 86400); /* expire */
    put32(&m, 300);   /* minimum */
    rr_end(&m, at);
    ASSERT_EQ(lg_dns_read_ptr(m.b, m.n, name, &n, &ttl), 0);
    ASSERT_UEQ(ttl, 300);
    start(&m, 0, 0);
    ASSERT_EQ(lg_dns_read_ptr(m.b, m.n, name, &n, &ttl), 0);
    ASSERT_UEQ(ttl, 0);
}

TEST(loops_and_short_messages_are_errors)
{
    msg m;
    char name[LG_DNS_NAME_MAX + 1];
    size_t n;
    uint32_t ttl;
    start(&m, 1, 0);
    size_t at = rr(&m, 12, 5);
    size_t self = m.n;
    put16(&m, 0xc000 | (unsigned)self); /* points at itself */
    rr_end(&m, at);
    ASSERT_EQ(lg_dns_read_ptr(m.b, m.n, name, &n, &ttl), LG_DNS_EBADMSG);
    /* a forward pointer */
    m.b[self] = 0xc0;
    m.b[self + 1] = 0xff;
    ASSERT_EQ(lg_dns_read_ptr(m.b, m.n, name, &n, &ttl), LG_DNS_EBADMSG);
    /* every cut of a good message fails cleanly or reads no PTR */
    start(&m, 1, 0);
    at = rr(&m, 12, 5);
    put_name(&m, "a.b.c");
    rr_end(&m, at);
    for (size_t cut = 0; cut < m.n; cut++) {
        unsigned char *copy = malloc(cut ? cut : 1);
        ASSERT_NOT_NULL(copy);
        memcpy(copy, m.b, cut);
        int r = lg_dns_read_ptr(copy, cut, name, &n, &ttl);
        free(copy);
        ASSERT(r == LG_DNS_EBADMSG || r == 0);
    }
    /* a name longer than 255 bytes on the wire */
    start(&m, 1, 0);
    at = rr(&m, 12, 5);
    for (int i = 0; i < 5; i++) {
        m.b[m.n++] = 63;
        memset(m.b + m.n, 'a', 63);
        m.n += 63;
    }
    m.b[m.n++] = 0;
    rr_end(&m, at);
    ASSERT_EQ(lg_dns_read_ptr(m.b, m.n, name, &n, &ttl), LG_DNS_EBADMSG);
}

TEST(forward_confirmation_finds_the_address)
{
    msg m;
    unsigned char want[4] = {192, 0, 2, 7}, other[4] = {192, 0, 2, 8};
    uint32_t ttl = 0;
    start(&m, 2, 0);
    size_t at = rr(&m, 1, 50);
    put(&m, other, 4);
    rr_end(&m, at);
    at = rr(&m, 1, 40);
    put(&m, want, 4);
    rr_end(&m, at);
    ASSERT_EQ(lg_dns_has_addr(m.b, m.n, want, 4, &ttl), 1);
    ASSERT_UEQ(ttl, 40);
    unsigned char none[4] = {10, 0, 0, 1};
    ASSERT_EQ(lg_dns_has_addr(m.b, m.n, none, 4, &ttl), 0);
}

/* A scratch file name. */
static void tmpname(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/pipefan-rcache-%ld",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
}

TEST(cache_round_trip_and_expiry)
{
    char path[256];
    tmpname(path, sizeof path);
    unlink(path);
    lg_rcache c;
    ASSERT_EQ(lg_rcache_load(&c, path, 1000), 0); /* missing: empty */
    ASSERT_UEQ(c.n, 0);
    ASSERT_EQ(lg_rcache_put(&c, "10.0.0.1", 8, "a.test", 6, 5000, -1), 0);
    ASSERT_EQ(lg_rcache_put(&c, "10.0.0.2", 8, NULL, 0, 5000, -1), 0);
    ASSERT_EQ(lg_rcache_put(&c, "10.0.0.3", 8, "old.test", 8, 1500, 1), 0);
    ASSERT_EQ(lg_rcache_put(&c, "10.0.0.4", 8, "t\tab\n\0%x", 9, 5000, 0), 0);
    ASSERT_EQ(lg_rcache_put(&c, "10.0.0.1", 8, "new.test", 8, 6000, 1), 0);
    ASSERT_EQ(lg_rcache_save(&c, path, 1000), 0);
    lg_rcache_destroy(&c);
    ASSERT_EQ(lg_rcache_load(&c, path, 2000), 0); /* 10.0.0.3 expired */
    ASSERT_UEQ(c.n, 3);
    ASSERT_UEQ(c.skipped, 0);
    const lg_rcache_ent *e = lg_rcache_find(&c, "10.0.0.1", 8);
    ASSERT_NOT_NULL(e);
    ASSERT_STREQ(e->name, "new.test");
    ASSERT_EQ(e->confirmed, 1);
    ASSERT_EQ(e->expires, 6000);
    e = lg_rcache_find(&c, "10.0.0.2", 8);
    ASSERT_NOT_NULL(e);
    ASSERT_NULL(e->name);
    e = lg_rcache_find(&c, "10.0.0.4", 8);
    ASSERT_NOT_NULL(e);
    ASSERT_UEQ(e->nlen, 9);
    ASSERT_MEMEQ(e->name, "t\tab\n\0%x", 9);
    ASSERT_EQ(e->confirmed, 0);
    ASSERT_NULL(lg_rcache_find(&c, "10.0.0.3", 8));
    ASSERT_NULL(lg_rcache_find(&c, "10.0.0.", 7));
    lg_rcache_destroy(&c);
    unlink(path);
}

TEST(cache_reads_past_damage)
{
    char path[256];
    tmpname(path, sizeof path);
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fputs("# pipefan resolve cache 1\n"
          "10.0.0.1\t9000\tname\t-\tgood.test\n"
          "10.0.0.2\tsoon\tname\t-\tbad-time.test\n"
          "10.0.0.3\t9000\tmaybe\t-\tbad-kind.test\n"
          "10.0.0.4\t9000\tname\t-\tbad%zzname\n"
          "10.0.0.5\t9000\tname\t-\ttoo\tmany\n"
          "\001\002\377\n"
          "10.0.0.6\t9000\tnone\t-\t-\n"
          "10.0.0.7\t9000\tname\t-\tcut-sh",
          f);
    fclose(f);
    lg_rcache c;
    ASSERT_EQ(lg_rcache_load(&c, path, 1000), 0);
    ASSERT_UEQ(c.n, 2);
    ASSERT_UEQ(c.skipped, 6);
    ASSERT_NOT_NULL(lg_rcache_find(&c, "10.0.0.1", 8));
    ASSERT_NOT_NULL(lg_rcache_find(&c, "10.0.0.6", 8));
    lg_rcache_destroy(&c);
    /* another header: ignored whole */
    f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fputs("# pipefan resolve cache 2\n10.0.0.1\t9000\tname\t-\tx\n", f);
    fclose(f);
    ASSERT_EQ(lg_rcache_load(&c, path, 1000), 0);
    ASSERT_UEQ(c.n, 0);
    lg_rcache_destroy(&c);
    unlink(path);
}

TEST(resolve_server_values)
{
    ASSERT_EQ(lg_resolve_check_server("127.0.0.1"), 0);
    ASSERT_EQ(lg_resolve_check_server("127.0.0.1:5353"), 0);
    ASSERT_EQ(lg_resolve_check_server("[::1]:53"), 0);
    ASSERT_EQ(lg_resolve_check_server("::1"), 0);
    ASSERT_EQ(lg_resolve_check_server("127.0.0.1:"), -EINVAL);
    ASSERT_EQ(lg_resolve_check_server("127.0.0.1:70000"), -EINVAL);
    ASSERT_EQ(lg_resolve_check_server("dns.example"), -EINVAL);
    ASSERT_EQ(lg_resolve_check_server("[::1"), -EINVAL);
    ASSERT_EQ(lg_resolve_check_server("1.2.3:53"), -EINVAL);
}
