/* resolve.c - the --resolve stage: cache, lookup pipeline, names into
 * the report (resolve.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pipefan.h>

#include "esc.h"
#include "report.h"
#include "resolve-cache.h"
#include "resolve-dns.h"

#define MAX_TTL (7 * 86400u) /* keep no answer in the cache longer */

/* The answer record, lookup worker -> sink -> caller, then the name. */
typedef struct answer_rec {
    uint32_t idx;              /* CLIENTS entry */
    uint8_t status, confirmed; /* LG_RDNS_*; 1, 0, or 255 for -1 */
    uint16_t nlen;
    uint32_t ttl;
} answer_rec;

/* What the stages share: set before pf_run, read-only in the workers. */
typedef struct rjob {
    const lg_config *cfg;
    const lg_ent *clients;
    const uint32_t *todo; /* CLIENTS entries to ask for */
    size_t ntodo;
    int64_t deadline_ns; /* CLOCK_MONOTONIC, the same in every process */
    unsigned timeout_ms;
    int fd; /* memfd the sink appends answers to */
} rjob;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *lg_rdns_text(int status)
{
    switch (status) {
#define LG__RDNS_TEXT(name, value, text)                                       \
    case LG_RDNS_##name:                                                       \
        return text;
        LG_RDNS_MAP(LG__RDNS_TEXT)
#undef LG__RDNS_TEXT
    default:
        return "?";
    }
}

const char *lg_resolve_backend(void)
{
    return lg_dns_backend();
}

int lg_resolve_check_server(const char *s)
{
    char host[64];
    unsigned char bin[16];
    const char *port = NULL;
    size_t n;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close)
            return -EINVAL;
        n = (size_t)(close - s - 1);
        if (n >= sizeof host)
            return -EINVAL;
        memcpy(host, s + 1, n);
        host[n] = 0;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            return -EINVAL;
        if (inet_pton(AF_INET6, host, bin) != 1)
            return -EINVAL;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) /* bare IPv6 */
            return inet_pton(AF_INET6, s, bin) == 1 ? 0 : -EINVAL;
        n = colon ? (size_t)(colon - s) : strlen(s);
        if (n >= sizeof host)
            return -EINVAL;
        memcpy(host, s, n);
        host[n] = 0;
        port = colon ? colon + 1 : NULL;
        if (inet_pton(AF_INET, host, bin) != 1)
            return -EINVAL;
    }
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (*port < '0' || *port > '9' || *end || p < 1 || p > 65535)
            return -EINVAL;
    }
    return 0;
}

/* ---- the pipeline ------------------------------------------------------ */

/* Source: one record per address to ask for: the entry index, the text. */
static int emit_addresses(pf_ctx *ctx, void *arg)
{
    const rjob *rj = arg;
    char rec[4 + 256];
    for (size_t i = 0; i < rj->ntodo; i++) {
        const lg_ent *e = &rj->clients[rj->todo[i]];
        size_t n = e->klen < 256 ? e->klen : 256;
        memcpy(rec, &rj->todo[i], 4);
        memcpy(rec + 4, e->key, n);
        if (pf_emit(ctx, rec, 4 + n) < 0)
            return 0; /* stopping */
    }
    return 0;
}

static int lookup_init(pf_ctx *ctx, void *arg)
{
    const rjob *rj = arg;
    lg_dns *d;
    int rc = lg_dns_open(&d, rj->cfg->resolve_server, rj->timeout_ms);
    if (rc < 0) {
        pf_log(ctx, PF_LOG_ERROR, "resolve: cannot start a resolver: %s",
               strerror(-rc));
        return rc;
    }
    return pf_worker_set_data(ctx, d);
}

static int lookup_finish(pf_ctx *ctx, void *arg)
{
    (void)arg;
    lg_dns_close(pf_worker_data(ctx));
    return pf_worker_set_data(ctx, NULL);
}

static void dns_free(void *d)
{
    lg_dns_close(d);
}

/* Lookup worker: ask for one address, pass the answer on. */
static int lookup(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    const rjob *rj = arg;
    lg_dns_answer a;
    unsigned char out[sizeof(answer_rec) + LG_DNS_NAME_MAX];
    answer_rec h;
    if (len < 4)
        return -EINVAL;
    lg_dns_lookup(pf_worker_data(ctx), (const char *)rec + 4, len - 4,
                  rj->cfg->resolve_confirm, rj->deadline_ns, &a);
    memcpy(&h.idx, rec, 4);
    h.status = (uint8_t)a.status;
    h.confirmed = a.confirmed < 0 ? 255 : (uint8_t)a.confirmed;
    h.nlen = (uint16_t)a.nlen;
    h.ttl = a.ttl;
    memcpy(out, &h, sizeof h);
    memcpy(out + sizeof h, a.name, a.nlen);
    return pf_emit(ctx, out, sizeof h + a.nlen);
}

/* Sink: append each answer to the memfd. */
static int collect(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    const rjob *rj = arg;
    const char *p = rec;
    (void)ctx;
    while (len) {
        ssize_t w = write(rj->fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Run the lookups of rj->todo; their answers end up in rj->fd. */
static int run_lookups(const rjob *rj, int jobs)
{
    pf_pipeline *p = pf_pipeline_new();
    if (!p)
        return -ENOMEM;
    pf_options o;
    pf_options_init(&o);
    o.serial = rj->cfg->serial;
    o.progress = 0;
    o.stop_signals = 0;
    o.ring_bytes = 64 << 10; /* records of a few dozen bytes */
    o.flush_us = 200;        /* each one is a reply someone waits for */
    pf_pipeline_set_options(p, &o);
    pf_source(p, "addresses", emit_addresses, (void *)rj);
    pf_stage *s = pf_stage_add(p, "lookup", lookup, (void *)rj);
    pf_stage_workers(s, jobs);
    pf_stage_hooks(s, lookup_init, lookup_finish);
    pf_stage_data_free(s, dns_free);
    /* a record is a query that waits: hand it to whichever worker is
     * free, not to one with a queue of them */
    pf_stage_prefetch(s, 1);
    pf_stage_add(p, "names", collect, (void *)rj);
    int rc = pf_run(p);
    pf_pipeline_free(p);
    return rc;
}

/* ---- around it: which addresses, the cache, the answers ---------------- */

static void set_host(lg_host *h, int status, const char *name, size_t n)
{
    h->status = (uint8_t)status;
    if (status != LG_RDNS_OK || !name || !n)
        return;
    h->name = malloc(n + 1);
    if (!h->name) {
        h->status = LG_RDNS_FAIL;
        return;
    }
    memcpy(h->name, name, n);
    h->name[n] = 0;
    h->len = (uint16_t)n;
}

/* Answer entry i from the cache when it may: 1 answered, 0 ask. */
static int from_cache(const lg_rcache *c, int confirm, const lg_ent *e,
                      lg_host *h)
{
    const lg_rcache_ent *ce = lg_rcache_find(c, e->key, e->klen);
    if (!ce || (confirm && ce->name && ce->confirmed < 0))
        return 0;
    h->cached = 1;
    if (!ce->name)
        set_host(h, LG_RDNS_NONE, NULL, 0);
    else if (confirm && !ce->confirmed)
        set_host(h, LG_RDNS_UNCONFIRMED, NULL, 0);
    else
        set_host(h, LG_RDNS_OK, ce->name, ce->nlen);
    return 1;
}

/* Read the answers back from fd into hosts and the cache; counts per
 * status into seen. */
static void read_answers(int fd, lg_host *hosts, size_t nclients,
                         const lg_ent *clients, lg_rcache *cache, int64_t now,
                         size_t seen[LG_RDNS_COUNT])
{
    unsigned char buf[sizeof(answer_rec) + LG_DNS_NAME_MAX];
    off_t off = 0;
    answer_rec h;
    while (pread(fd, &h, sizeof h, off) == (ssize_t)sizeof h) {
        if (h.nlen > LG_DNS_NAME_MAX ||
            pread(fd, buf, h.nlen, off + (off_t)sizeof h) != (ssize_t)h.nlen)
            break;
        off += (off_t)(sizeof h + h.nlen);
        if (h.idx >= nclients || h.status >= LG_RDNS_COUNT)
            continue;
        set_host(&hosts[h.idx], h.status, (char *)buf, h.nlen);
        seen[h.status]++;
        int keep = h.status == LG_RDNS_OK || h.status == LG_RDNS_NONE ||
                   h.status == LG_RDNS_UNCONFIRMED;
        uint32_t ttl = h.ttl < MAX_TTL ? h.ttl : MAX_TTL;
        const lg_ent *e = &clients[h.idx];
        if (cache && keep && ttl > 0 &&
            lg_rcache_put(cache, e->key, e->klen,
                          h.status == LG_RDNS_NONE ? NULL : (char *)buf, h.nlen,
                          now + ttl, h.confirmed == 255 ? -1 : h.confirmed) < 0)
            cache = NULL; /* out of memory: keep the old file */
    }
}

/* Ask the DNS for the entries in todo; answers into hosts (and cache). */
static void ask(const lg_report *r, rjob *rj, lg_host *hosts, lg_rcache *cache,
                size_t seen[LG_RDNS_COUNT])
{
    const lg_config *cfg = r->job->cfg;
    int jobs = cfg->resolve_jobs > 0 ? cfg->resolve_jobs : LG_RESOLVE_JOBS;
    if ((size_t)jobs > rj->ntodo)
        jobs = (int)rj->ntodo;
    rj->fd = memfd_create("pipefan-resolve", MFD_CLOEXEC);
    if (rj->fd < 0) {
        pf_log(NULL, PF_LOG_WARN, "resolve: memfd_create: %s", strerror(errno));
        return;
    }
    int rc = run_lookups(rj, jobs);
    if (rc < 0)
        pf_log(NULL, PF_LOG_WARN,
               "resolve: the lookup stage failed (%s): the names it found "
               "are shown, the rest unresolved",
               pf_strerror(rc));
    read_answers(rj->fd, hosts, r->nclients, r->clients, cache, time(NULL),
                 seen);
    close(rj->fd);
}

/* Does the output show the clients panel?  Not a CSV of another one. */
static int clients_written(const lg_config *cfg)
{
    if (cfg->output != LG_OUT_CSV)
        return 1;
    const char *t = cfg->csv_target ? cfg->csv_target : "paths";
    int p = lg_panel_find(t);
    return p < 0 || p == LG_PANEL_CLIENTS; /* a directory has them all */
}

int lg_resolve_report(lg_report *r)
{
    const lg_config *cfg = r->job->cfg;
    int all = cfg->resolve == LG_RESOLVE_ALL;
    size_t want = all ? r->nclients : lg_report_shown(r, LG_TAB_CLIENTS);
    size_t seen[LG_RDNS_COUNT] = {0}, cached = 0;
    if (!r->nclients || !clients_written(cfg))
        return 0;
    int64_t t0 = mono_ns();
    lg_host *hosts = calloc(r->nclients, sizeof *hosts);
    uint32_t *todo = calloc(want ? want : 1, sizeof *todo);
    if (!hosts || !todo) {
        free(hosts);
        free(todo);
        return -ENOMEM;
    }
    for (size_t i = 0; i < r->nclients; i++)
        hosts[i].status = LG_RDNS_SKIPPED; /* not asked for */
    lg_rcache cache, *cp = NULL;
    char eb[512];
    if (cfg->resolve_cache) {
        int rc = lg_rcache_load(&cache, cfg->resolve_cache, time(NULL));
        if (rc == -ENOMEM) {
            free(hosts);
            free(todo);
            return rc;
        }
        if (rc < 0)
            pf_log(NULL, PF_LOG_WARN, "resolve: %s: %s (not used)",
                   lg_esc_name(cfg->resolve_cache, eb, sizeof eb),
                   strerror(-rc));
        else if (cache.skipped)
            pf_log(NULL, PF_LOG_WARN,
                   "resolve: %s: %zu line(s) were not cache entries and "
                   "were skipped",
                   lg_esc_name(cfg->resolve_cache, eb, sizeof eb),
                   cache.skipped);
        cp = &cache;
    }
    rjob rj = {.cfg = cfg, .clients = r->clients, .todo = todo};
    for (size_t k = 0; k < want; k++) {
        const lg_ent *e = all ? &r->clients[k] : r->rows[LG_TAB_CLIENTS][k];
        size_t i = (size_t)(e - r->clients);
        if (cp && from_cache(cp, cfg->resolve_confirm, e, &hosts[i]))
            cached++;
        else
            todo[rj.ntodo++] = (uint32_t)i;
    }
    rj.timeout_ms = cfg->resolve_timeout_ms ? cfg->resolve_timeout_ms
                                            : LG_RESOLVE_TIMEOUT_MS;
    rj.deadline_ns =
        t0 + (int64_t)(cfg->resolve_total_ms ? cfg->resolve_total_ms
                                             : LG_RESOLVE_TOTAL_MS) *
                 1000000;
    if (rj.ntodo)
        ask(r, &rj, hosts, cp, seen);
    if (cp) {
        int rc = lg_rcache_save(cp, cfg->resolve_cache, time(NULL));
        if (rc < 0)
            pf_log(NULL, PF_LOG_WARN, "resolve: saving %s: %s",
                   lg_esc_name(cfg->resolve_cache, eb, sizeof eb),
                   strerror(-rc));
        lg_rcache_destroy(cp);
    }
    size_t late = rj.ntodo - seen[LG_RDNS_OK] - seen[LG_RDNS_NONE] -
                  seen[LG_RDNS_TIMEOUT] - seen[LG_RDNS_FAIL] -
                  seen[LG_RDNS_UNCONFIRMED] - seen[LG_RDNS_NOTADDR];
    if (late)
        pf_log(NULL, PF_LOG_WARN,
               "resolve: out of time: %zu address(es) not asked for "
               "(--resolve-total)",
               late);
    pf_log(NULL, PF_LOG_INFO,
           "resolve: %zu address(es), %zu from the cache, %zu asked: %zu "
           "named, %zu without a name, %zu timed out, %zu failed, %zu "
           "unconfirmed, %zu not addresses; %.2f s",
           want, cached, rj.ntodo, seen[LG_RDNS_OK], seen[LG_RDNS_NONE],
           seen[LG_RDNS_TIMEOUT], seen[LG_RDNS_FAIL], seen[LG_RDNS_UNCONFIRMED],
           seen[LG_RDNS_NOTADDR], (double)(mono_ns() - t0) / 1e9);
    free(todo);
    r->hosts = hosts;
    return 0;
}

void lg_hosts_free(lg_host *hosts, size_t n)
{
    if (!hosts)
        return;
    for (size_t i = 0; i < n; i++)
        free(hosts[i].name);
    free(hosts);
}
