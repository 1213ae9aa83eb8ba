/* geoip.c - client address -> ISO country code, with a per-process cache.
 *
 * libmaxminddb maps the database read-only; a lookup walks a binary tree
 * and decodes a map, which costs far more than parsing a log line, and a
 * log has few distinct clients compared to its lines. So answers are kept
 * in an open-addressing hash table keyed by the client text as logged.
 * The table is bounded: when it reaches LG_GEOIP_CACHE_MAX entries it is
 * emptied and refilled, trading some lookups for a flat memory ceiling.
 */
#include "geoip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"

#define LG_GEOIP_CACHE_MAX (1u << 20)
#define LG_GEOIP_KEY_MAX 63 /* longer clients are not addresses */

typedef struct cache_ent {
    uint64_t hash;    /* 0 = empty slot */
    uint32_t key_off; /* into keys */
    uint8_t key_len;
    char cc[3]; /* "" when unknown */
} cache_ent;

struct lg_geoip {
    MMDB_s db;
    char *path;
    cache_ent *tab;
    size_t cap, used; /* cap is a power of two */
    char *keys;
    size_t keys_len, keys_cap;
    size_t db_lookups, hits;
};

static const char *const default_paths[] = {
    "/usr/share/GeoIP/GeoLite2-Country.mmdb",
    "/var/lib/GeoIP/GeoLite2-Country.mmdb",
    "/usr/share/GeoIP/dbip-country-lite.mmdb",
    "/usr/share/GeoIP/dbip-country.mmdb",
    "/usr/share/GeoIP/GeoLite2-City.mmdb",
    "/var/lib/GeoIP/GeoLite2-City.mmdb",
    "/usr/share/GeoIP/dbip-city-lite.mmdb",
};

static int gerr(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Store a message for the caller and return rc. */
static int gerr(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int lg_geoip_open(const char *path, lg_geoip **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!path) {
        const char *env = getenv("PIPEFAN_GEOIP_DB");
        if (env && *env) {
            path = env;
        } else {
            for (size_t i = 0;
                 i < sizeof default_paths / sizeof default_paths[0]; i++)
                if (access(default_paths[i], R_OK) == 0) {
                    path = default_paths[i];
                    break;
                }
        }
        if (!path)
            return gerr(err, errlen, -ENOENT,
                        "no GeoIP database found (install one or pass a path)");
    }
    lg_geoip *g = calloc(1, sizeof *g);
    if (!g)
        return -ENOMEM;
    g->path = strdup(path);
    g->cap = 1024;
    g->tab = calloc(g->cap, sizeof *g->tab);
    g->keys_cap = 16384;
    g->keys = malloc(g->keys_cap);
    if (!g->path || !g->tab || !g->keys) {
        lg_geoip_close(g);
        return -ENOMEM;
    }
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
    if (rc != MMDB_SUCCESS) {
        int e = rc == MMDB_FILE_OPEN_ERROR ? -EIO : -EINVAL;
        char name[512];
        gerr(err, errlen, e, "%s: %s", lg_esc_name(path, name, sizeof name),
             MMDB_strerror(rc));
        free(g->path);
        free(g->tab);
        free(g->keys);
        free(g);
        return e;
    }
    *out = g;
    return 0;
}

void lg_geoip_close(lg_geoip *g)
{
    if (!g)
        return;
    if (g->db.filename) /* set only by a successful MMDB_open */
        MMDB_close(&g->db);
    free(g->path);
    free(g->tab);
    free(g->keys);
    free(g);
}

const char *lg_geoip_path(const lg_geoip *g)
{
    return g->path;
}

void lg_geoip_stats(const lg_geoip *g, size_t *db_lookups, size_t *cache_hits)
{
    if (db_lookups)
        *db_lookups = g->db_lookups;
    if (cache_hits)
        *cache_hits = g->hits;
}

/* Look the address text up in the database: writes cc ("" if none). */
static void db_lookup(lg_geoip *g, const char *s, size_t n, char cc[3])
{
    char buf[LG_GEOIP_KEY_MAX + 1];
    union {
        struct sockaddr sa;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } sa;
    cc[0] = '\0';
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *pct = strchr(buf, '%');
    if (pct)
        *pct = '\0';
    memset(&sa, 0, sizeof sa);
    if (!strchr(buf, ':')) {
        if (inet_pton(AF_INET, buf, &sa.v4.sin_addr) != 1)
            return;
        sa.v4.sin_family = AF_INET;
    } else {
        if (inet_pton(AF_INET6, buf, &sa.v6.sin6_addr) != 1)
            return;
        sa.v6.sin6_family = AF_INET6;
    }
    g->db_lookups++;
    int mmdb_err;
    MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&g->db, &sa.sa, &mmdb_err);
    if (mmdb_err != MMDB_SUCCESS || !res.found_entry)
        return;
    static const char *const paths[][3] = {
        {"country", "iso_code", NULL},
        {"registered_country", "iso_code", NULL},
    };
    for (size_t i = 0; i < 2; i++) {
        MMDB_entry_data_s d;
        if (MMDB_aget_value(&res.entry, &d, paths[i]) == MMDB_SUCCESS &&
            d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING &&
            d.data_size == 2) {
            cc[0] = d.utf8_string[0];
            cc[1] = d.utf8_string[1];
            cc[2] = '\0';
            return;
        }
    }
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h | 1; /* never 0: 0 marks an empty slot */
}

/* Double the table (or empty it when at the ceiling). 0 or -1 (ENOMEM:
 * the caller then just does not cache). */
static int grow(lg_geoip *g)
{
    if (g->used >= LG_GEOIP_CACHE_MAX) {
        memset(g->tab, 0, g->cap * sizeof *g->tab);
        g->used = 0;
        g->keys_len = 0;
        return 0;
    }
    size_t ncap = g->cap * 2;
    cache_ent *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 0; i < g->cap; i++) {
        cache_ent *o = &g->tab[i];
        if (!o->hash)
            continue;
        size_t j = o->hash & (ncap - 1);
        while (nt[j].hash)
            j = (j + 1) & (ncap - 1);
        nt[j] = *o;
    }
    free(g->tab);
    g->tab = nt;
    g->cap = ncap;
    return 0;
}

int lg_geoip_country(lg_geoip *g, lg_str client, char out[3])
{
    out[0] = '\0';
    if (client.n == 0 || client.n > LG_GEOIP_KEY_MAX)
        return 0;
    uint64_t h = hash_bytes(client.p, client.n);
    size_t mask = g->cap - 1, i = h & mask;
    for (; g->tab[i].hash; i = (i + 1) & mask) {
        cache_ent *c = &g->tab[i];
        if (c->hash == h && c->key_len == client.n &&
            memcmp(g->keys + c->key_off, client.p, client.n) == 0) {
            g->hits++;
            memcpy(out, c->cc, 3);
            return out[0] != '\0';
        }
    }
    char cc[3];
    db_lookup(g, client.p, client.n, cc);
    memcpy(out, cc, 3);

    /* remember it (best effort) */
    if (2 * (g->used + 1) > g->cap || g->used >= LG_GEOIP_CACHE_MAX) {
        if (grow(g) < 0)
            return out[0] != '\0';
        mask = g->cap - 1;
        for (i = h & mask; g->tab[i].hash; i = (i + 1) & mask)
            ;
    }
    if (g->keys_len + client.n > g->keys_cap) {
        size_t ncap = g->keys_cap * 2;
        char *nk = realloc(g->keys, ncap);
        if (!nk)
            return out[0] != '\0';
        g->keys = nk;
        g->keys_cap = ncap;
    }
    memcpy(g->keys + g->keys_len, client.p, client.n);
    cache_ent *c = &g->tab[i];
    c->hash = h;
    c->key_off = (uint32_t)g->keys_len;
    c->key_len = (uint8_t)client.n;
    memcpy(c->cc, cc, 3);
    g->keys_len += client.n;
    g->used++;
    return out[0] != '\0';
}
