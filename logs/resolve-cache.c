/* resolve-cache.c - the --resolve-cache file (resolve-cache.h). */
#include "resolve-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"

#define HEADER "# pipefan resolve cache 1\n"
#define MAX_LINE 4096

static int cmp_ent(const void *a, const void *b)
{
    const lg_rcache_ent *x = a, *y = b;
    int c = strcmp(x->addr, y->addr);
    if (c)
        return c;
    return x->seq > y->seq ? -1 : x->seq < y->seq; /* newest first */
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

/* %XX-decode s in place; its new length, or -1 when malformed. */
static long unpct(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0)
                return -1;
            *o++ = (char)(hi << 4 | lo);
            p += 2;
        } else if ((unsigned char)*p < '!' || (unsigned char)*p > '~') {
            return -1;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return o - s;
}

static void pct(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < '!' || c > '~' || c == '%')
            fprintf(f, "%%%02X", c);
        else
            fputc(c, f);
    }
}

/* One line (without its newline) into an entry; 0, -EINVAL, -ENOMEM. */
static int read_line(lg_rcache *c, char *line, int64_t now)
{
    char *f[6], *save = NULL;
    int nf = 0;
    for (char *t = strtok_r(line, "\t", &save); t && nf < 6;
         t = strtok_r(NULL, "\t", &save))
        f[nf++] = t;
    if (nf != 5)
        return -EINVAL;
    char *end;
    errno = 0;
    long long exp = strtoll(f[1], &end, 10);
    if (errno || *end || end == f[1] || exp < 0)
        return -EINVAL;
    int kind = strcmp(f[2], "name") == 0   ? 1
               : strcmp(f[2], "none") == 0 ? 0
                                           : -1;
    int conf = strcmp(f[3], "y") == 0   ? 1
               : strcmp(f[3], "n") == 0 ? 0
               : strcmp(f[3], "-") == 0 ? -1
                                        : -2;
    long alen = unpct(f[0]), nlen = unpct(f[4]);
    if (kind < 0 || conf < -1 || alen <= 0 || nlen < 0 || nlen > 255 ||
        (kind == 0 && strcmp(f[4], "-") != 0) || (kind == 1 && nlen == 0))
        return -EINVAL;
    if (exp <= now)
        return 0; /* expired: dropped */
    return lg_rcache_put(c, f[0], (size_t)alen, kind ? f[4] : NULL,
                         (size_t)nlen, exp, conf);
}

int lg_rcache_load(lg_rcache *c, const char *path, int64_t now)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0, first = 1;
    while ((n = getline(&line, &cap, f)) >= 0) {
        if (first) {
            first = 0;
            if (strcmp(line, HEADER) != 0) {
                c->skipped++;
                break; /* not ours, or another version: start afresh */
            }
            continue;
        }
        if (n == 0 || line[n - 1] != '\n' || n > MAX_LINE ||
            memchr(line, 0, (size_t)n)) {
            c->skipped++; /* cut short, binary, or far too long */
            continue;
        }
        line[n - 1] = 0;
        int r = read_line(c, line, now);
        if (r == -ENOMEM) {
            rc = r;
            break;
        }
        c->skipped += r < 0;
    }
    free(line);
    fclose(f);
    if (rc < 0) {
        lg_rcache_destroy(c);
        return rc;
    }
    /* sorted, one entry per address (the last line of one wins) */
    if (c->n) /* qsort's base must not be NULL, even for no entries */
        qsort(c->v, c->n, sizeof *c->v, cmp_ent);
    size_t o = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (o && strcmp(c->v[o - 1].addr, c->v[i].addr) == 0) {
            free(c->v[i].addr);
            free(c->v[i].name);
            continue;
        }
        c->v[o++] = c->v[i];
    }
    c->n = c->nloaded = o;
    return 0;
}

const lg_rcache_ent *lg_rcache_find(const lg_rcache *c, const char *addr,
                                    size_t n)
{
    size_t lo = 0, hi = c->nloaded;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = c->v[mid].addr;
        size_t kl = strlen(k);
        int d = memcmp(k, addr, kl < n ? kl : n);
        if (d == 0)
            d = kl < n ? -1 : kl > n;
        if (d == 0)
            return &c->v[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int lg_rcache_put(lg_rcache *c, const char *addr, size_t n, const char *name,
                  size_t nlen, int64_t expires, int confirmed)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        lg_rcache_ent *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    lg_rcache_ent *e = &c->v[c->n];
    memset(e, 0, sizeof *e);
    e->addr = strndup(addr, n);
    if (name) {
        e->name = malloc(nlen + 1);
        if (e->name) {
            memcpy(e->name, name, nlen);
            e->name[nlen] = 0;
        }
    }
    if (!e->addr || (name && !e->name)) {
        free(e->addr);
        free(e->name);
        return -ENOMEM;
    }
    e->nlen = nlen;
    e->expires = expires;
    e->confirmed = confirmed;
    e->seq = ++c->seq;
    c->n++;
    return 0;
}

/* Split path into its directory (opened) and its last component. */
static int open_dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        *base = path;
        return lg_outdir_open(".");
    }
    *base = slash + 1;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof dir)
        return -ENAMETOOLONG;
    memcpy(dir, path, n);
    dir[n] = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int lg_rcache_save(lg_rcache *c, const char *path, int64_t now)
{
    const char *base;
    int dfd = open_dir_of(path, &base);
    if (dfd < 0)
        return dfd;
    lg_outfile o;
    int rc = lg_outfile_open(&o, dfd, base);
    if (rc < 0) {
        close(dfd);
        return rc;
    }
    if (c->n)
        qsort(c->v, c->n, sizeof *c->v, cmp_ent);
    c->nloaded = c->n;
    fputs(HEADER, o.f);
    for (size_t i = 0; i < c->n; i++) {
        const lg_rcache_ent *e = &c->v[i];
        if (e->expires <= now || (i && strcmp(c->v[i - 1].addr, e->addr) == 0))
            continue; /* expired, or an older answer for the address */
        pct(o.f, e->addr, strlen(e->addr));
        fprintf(o.f, "\t%" PRId64 "\t%s\t%s\t", e->expires,
                e->name ? "name" : "none",
                e->confirmed < 0 ? "-"
                : e->confirmed   ? "y"
                                 : "n");
        if (e->name)
            pct(o.f, e->name, e->nlen);
        else
            fputc('-', o.f);
        fputc('\n', o.f);
    }
    rc = lg_outfile_commit(&o);
    close(dfd);
    return rc;
}

void lg_rcache_destroy(lg_rcache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].addr);
        free(c->v[i].name);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}
