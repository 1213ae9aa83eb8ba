/* resolve-ares.c - resolve-dns.h with c-ares: one channel per worker
 * process, one query in flight, waited for with poll(2) up to the
 * query's deadline.
 *
 * c-ares sends the queries and reads the replies (UDP, TCP on a truncated
 * answer, the servers of resolv.conf or --resolve-server); the raw reply
 * is read by dns-msg.c, which keeps the TTLs and a name's own bytes.
 */
#include "resolve-dns.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "resolve.h"

struct lg_dns {
    ares_channel ch;
    unsigned timeout_ms;
};

/* One query: what the callback found. */
typedef struct query {
    int done;
    int status;         /* ares status */
    unsigned char *msg; /* the reply, copied; or NULL */
    size_t len;
} query;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int lg_dns_open(lg_dns **out, const char *server, unsigned timeout_ms)
{
    static int lib_ready;
    *out = NULL;
    if (!lib_ready) {
        if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
            return -ENOMEM;
        lib_ready = 1;
    }
    lg_dns *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.timeout = (int)timeout_ms;
    o.tries = 1; /* one try per query: the deadline is ours */
    o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    int rc = ares_init_options(
        &d->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
    if (rc != ARES_SUCCESS) {
        free(d);
        return rc == ARES_ENOMEM ? -ENOMEM : -EINVAL;
    }
    if (server && ares_set_servers_ports_csv(d->ch, server) != ARES_SUCCESS) {
        ares_destroy(d->ch);
        free(d);
        return -EINVAL;
    }
    d->timeout_ms = timeout_ms;
    *out = d;
    return 0;
}

void lg_dns_close(lg_dns *d)
{
    if (!d)
        return;
    ares_destroy(d->ch);
    free(d);
}

static void on_reply(void *arg, int status, int timeouts, unsigned char *abuf,
                     int alen)
{
    query *q = arg;
    (void)timeouts;
    q->done = 1;
    q->status = status;
    if (abuf && alen > 0 && (q->msg = malloc((size_t)alen))) {
        memcpy(q->msg, abuf, (size_t)alen);
        q->len = (size_t)alen;
    }
}

/* Drive the channel until q is answered or deadline_ns passes (then the
 * query is cancelled: its status is ARES_ECANCELLED). */
static void wait_for(lg_dns *d, query *q, int64_t deadline_ns)
{
    while (!q->done) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        /* the bits by hand: ARES_GETSOCK_WRITABLE shifts an int by 31 */
        unsigned bits =
            (unsigned)ares_getsock(d->ch, socks, ARES_GETSOCK_MAXNUM);
        int n = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev =
                (short)((bits >> i & 1u ? POLLIN : 0) |
                        (bits >> (i + ARES_GETSOCK_MAXNUM) & 1u ? POLLOUT : 0));
            if (ev) {
                pfd[n].fd = socks[i];
                pfd[n].events = ev;
                pfd[n].revents = 0;
                n++;
            }
        }
        int64_t left = deadline_ns - now_ns();
        if (left <= 0) {
            ares_cancel(d->ch);
            break;
        }
        struct timeval tv, *tvp = ares_timeout(d->ch, NULL, &tv);
        int64_t ms = left / 1000000 + 1;
        if (tvp && tvp->tv_sec * 1000 + tvp->tv_usec / 1000 + 1 < ms)
            ms = tvp->tv_sec * 1000 + tvp->tv_usec / 1000 + 1;
        int r = poll(pfd, (nfds_t)n, (int)ms);
        if (r <= 0) {
            ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            continue;
        }
        for (int i = 0; i < n && !q->done; i++)
            ares_process_fd(
                d->ch,
                pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd
                                                              : ARES_SOCKET_BAD,
                pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
    }
}

/* Send one query and wait; q holds the reply. */
static void ask(lg_dns *d, const char *name, int type, int64_t deadline_ns,
                query *q)
{
    memset(q, 0, sizeof *q);
    int64_t mine = now_ns() + (int64_t)d->timeout_ms * 1000000;
    ares_query(d->ch, name, ns_c_in, type, on_reply, q);
    wait_for(d, q, mine < deadline_ns ? mine : deadline_ns);
    if (!q->done) { /* not even the cancel reached the callback */
        q->done = 1;
        q->status = ARES_ETIMEOUT;
    }
}

/* Could name be asked for as a host name?  Letters, digits, '-', '_'
 * and dots between labels. */
static int hostname_like(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              (c == '.' && i > 0 && s[i - 1] != '.')))
            return 0;
    }
    return 1;
}

/* The forward check of a's name: does it resolve back to bin? */
static void confirm(lg_dns *d, const unsigned char *bin, int family,
                    int64_t deadline_ns, lg_dns_answer *a)
{
    query q;
    uint32_t ttl = 0;
    if (!hostname_like(a->name, a->nlen)) {
        a->confirmed = 0;
        a->status = LG_RDNS_UNCONFIRMED;
        return;
    }
    ask(d, a->name, family == AF_INET ? ns_t_a : ns_t_aaaa, deadline_ns, &q);
    if (q.status == ARES_ETIMEOUT || q.status == ARES_ECANCELLED) {
        a->status = LG_RDNS_TIMEOUT;
    } else {
        int r = q.msg ? lg_dns_has_addr(q.msg, q.len, bin,
                                        family == AF_INET ? 4 : 16, &ttl)
                      : 0;
        a->confirmed = r > 0;
        if (r > 0 && ttl < a->ttl)
            a->ttl = ttl;
        if (r <= 0)
            a->status = LG_RDNS_UNCONFIRMED;
    }
    free(q.msg);
}

void lg_dns_lookup(lg_dns *d, const char *addr, size_t n, int want_confirm,
                   int64_t deadline_ns, lg_dns_answer *a)
{
    char qname[80];
    unsigned char bin[16];
    int family;
    query q;
    memset(a, 0, sizeof *a);
    a->confirmed = -1;
    if (lg_dns_ptr_name(addr, n, qname, bin, &family) < 0) {
        a->status = LG_RDNS_NOTADDR;
        return;
    }
    if (now_ns() >= deadline_ns) {
        a->status = LG_RDNS_SKIPPED;
        return;
    }
    ask(d, qname, ns_t_ptr, deadline_ns, &q);
    switch (q.status) {
    case ARES_SUCCESS:
    case ARES_ENODATA:
    case ARES_ENOTFOUND: {
        int r = q.msg
                    ? lg_dns_read_ptr(q.msg, q.len, a->name, &a->nlen, &a->ttl)
                    : 0;
        a->status = r > 0 && a->nlen ? LG_RDNS_OK
                    : r < 0          ? LG_RDNS_FAIL
                                     : LG_RDNS_NONE;
        break;
    }
    case ARES_ETIMEOUT:
    case ARES_ECANCELLED:
        a->status = LG_RDNS_TIMEOUT;
        break;
    default:
        a->status = LG_RDNS_FAIL;
        break;
    }
    free(q.msg);
    if (a->status != LG_RDNS_OK) {
        a->name[0] = 0;
        a->nlen = 0;
    } else if (want_confirm) {
        confirm(d, bin, family, deadline_ns, a);
    }
}

const char *lg_dns_backend(void)
{
    static char v[48];
    if (!v[0])
        snprintf(v, sizeof v, "c-ares %s", ares_version(NULL));
    return v;
}
