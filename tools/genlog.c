/*
 * genlog - a fast, deterministic generator of realistic web access logs.
 *
 * The same seed and options always give the same bytes, so tests can
 * cross-check pipefan logs against an independent computation and
 * benchmarks can regenerate their input.  Paths, clients, referrers and
 * user agents follow Zipf laws (a few are very popular, most are rare);
 * clients are IPv4 or IPv6; statuses, methods and sizes follow the mix of
 * a typical small web site; time moves forward a little every line.
 *
 * The site is a fixed population (--model site, the default): 60,000
 * clients, 20,000 paths, 2,000 referrers, 400 user agents, and each client
 * requests only the paths of its own interest set (a visitor reads a few
 * pages and their assets; the busiest clients are crawlers with sets of
 * thousands) and mostly keeps one user agent.  So the distinct keys of
 * every table, (path, client) pairs included, stop growing once the
 * population is seen: a 4 GB log has about the distinct keys of a 1 GB
 * one.  --model independent draws path and client independently for each
 * line (the pairs then keep growing with the input: a stress test).
 *
 * --clients, --paths, --referrers and --agents set the population (a
 * busy site: hundreds of thousands of clients, bots walking every path);
 * --zipf S sets the exponent of the paths' and clients' laws (0 draws
 * them uniformly, so nearly every client of a big population shows up).
 * Without them the output of a seed is byte-for-byte what it always was.
 *
 *   genlog [--size N[KMG] | --lines N] [--seed S] [--format F]
 *          [--model site|independent] [--bad RATE] [--ipv6 RATE]
 *          [--clients N] [--paths N] [--referrers N] [--agents N]
 *          [--zipf S] [--tz +HHMM] [--start EPOCH] [--report] [-o FILE]
 *
 * --bad RATE mixes in malformed lines (binary bytes, truncated lines,
 * broken times, unterminated quotes) with that probability; --report
 * prints "lines=N good=N bad=N bytes=N" on stderr at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "genlog.h"

/* The population (--paths, --clients, --referrers, --agents); the
 * defaults are the site's, and with them the output is what it always
 * was for a seed. */
static size_t n_paths = 20000, n_clients = 60000, n_refs = 2000, n_agents = 400;
/* Zipf exponents of paths and clients (--zipf sets both; 0 = uniform). */
static double zipf_paths = 1.05, zipf_clients = 0.9;

enum fmt {
    F_COMBINED,
    F_COMMON,
    F_VHOST,
    F_W3C,  /* IIS-style W3C extended, "#Fields:" switching (genlog-fmt.c) */
    F_JSON, /* nginx log_format escape=json */
};

/* A W3C log switches its column order every this many lines. */
#define W3C_REHEADER 50000

typedef struct pool {
    char **s;
    size_t *len;
    double *cdf;
    size_t n;
} pool;

static uint64_t rng_state;

/* splitmix64: small, fast and good enough for synthetic data. */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rnd01(void)
{
    return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t rndn(uint64_t n)
{
    return rnd() % n;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "genlog: out of memory\n");
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

/* Fill the Zipf cumulative distribution of a pool with exponent s. */
static void pool_zipf(pool *p, double s)
{
    double sum = 0;
    p->cdf = xmalloc(p->n * sizeof *p->cdf);
    for (size_t i = 0; i < p->n; i++) {
        sum += 1.0 / pow((double)(i + 1), s);
        p->cdf[i] = sum;
    }
    for (size_t i = 0; i < p->n; i++)
        p->cdf[i] /= sum;
}

/* Draw an index from a pool's distribution by binary search. */
static size_t pool_pick_u(const pool *p, double u)
{
    size_t lo = 0, hi = p->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t pool_pick(const pool *p)
{
    return pool_pick_u(p, rnd01());
}

static void pool_alloc(pool *p, size_t n)
{
    p->n = n;
    p->s = xmalloc(n * sizeof *p->s);
    p->len = xmalloc(n * sizeof *p->len);
    p->cdf = NULL;
}

static void pool_free(pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->s[i]);
    free(p->s);
    free(p->len);
    free(p->cdf);
}

static void pool_set(pool *p, size_t i, const char *s)
{
    p->s[i] = xstrdup(s);
    p->len[i] = strlen(s);
}

static const char *const words[] = {
    "about",     "blog",  "news",   "archive", "tags",     "posts",
    "docs",      "api",   "static", "images",  "css",      "js",
    "downloads", "wiki",  "search", "user",    "projects", "presentations",
    "team",      "help",  "feeds",  "media",   "shop",     "cart",
    "login",     "admin", "assets", "fonts",   "v1",       "v2",
    "release",
};
#define NWORDS (sizeof words / sizeof words[0])

static const char *const exts[] = {
    "",    "",     "",     ".html", ".html", ".php",  ".png", ".jpg", ".css",
    ".js", ".gif", ".ico", ".svg",  ".xml",  ".json", ".txt", ".pdf", ".woff2",
};
#define NEXTS (sizeof exts / sizeof exts[0])

static void make_paths(pool *p)
{
    char buf[256];
    pool_alloc(p, n_paths);
    pool_set(p, 0, "/");
    pool_set(p, 1, "/favicon.ico");
    pool_set(p, 2, "/robots.txt");
    pool_set(p, 3, "/style.css");
    for (size_t i = 4; i < p->n; i++) {
        int depth = 1 + (int)rndn(3);
        size_t o = 0;
        for (int d = 0; d < depth; d++)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "/%s",
                                  words[rndn(NWORDS)]);
        o += (size_t)snprintf(buf + o, sizeof buf - o, "/item-%zu%s", i,
                              exts[rndn(NEXTS)]);
        if (rndn(10) == 0)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "?id=%llu&ref=%s",
                                  (unsigned long long)rndn(1000),
                                  words[rndn(NWORDS)]);
        pool_set(p, i, buf);
    }
    pool_zipf(p, zipf_paths);
}

static void make_clients(pool *p, double ipv6)
{
    char buf[64];
    pool_alloc(p, n_clients);
    for (size_t i = 0; i < p->n; i++) {
        if (rnd01() < ipv6)
            snprintf(buf, sizeof buf, "2001:db8:%x:%x::%x",
                     (unsigned)rndn(65536), (unsigned)rndn(65536),
                     (unsigned)(1 + rndn(65535)));
        else
            snprintf(buf, sizeof buf, "%u.%u.%u.%u", (unsigned)(1 + rndn(223)),
                     (unsigned)rndn(256), (unsigned)rndn(256),
                     (unsigned)(1 + rndn(254)));
        pool_set(p, i, buf);
    }
    pool_zipf(p, zipf_clients);
}

static void make_refs(pool *p)
{
    char buf[256];
    static const char *const hosts[] = {
        "www.google.com", "www.bing.com",
        "duckduckgo.com", "news.ycombinator.com",
        "www.reddit.com", "example.org",
        "t.co",           "github.com",
    };
    pool_alloc(p, n_refs);
    pool_set(p, 0, "-");
    for (size_t i = 1; i < p->n; i++) {
        snprintf(buf, sizeof buf, "https://%s/%s/%s-%zu", hosts[rndn(8)],
                 words[rndn(NWORDS)], words[rndn(NWORDS)], i);
        pool_set(p, i, buf);
    }
    pool_zipf(p, 1.2);
}

static void make_agents(pool *p)
{
    char buf[256];
    static const char *const os[] = {
        "Windows NT 10.0; Win64; x64",
        "Macintosh; Intel Mac OS X 10_15_7",
        "X11; Linux x86_64",
        "iPhone; CPU iPhone OS 16_5 like Mac OS X",
        "Linux; Android 13; Pixel 7",
    };
    pool_alloc(p, n_agents);
    pool_set(p, 0,
             "Mozilla/5.0 (compatible; Googlebot/2.1; "
             "+http://www.google.com/bot.html)");
    pool_set(p, 1, "curl/7.88.1");
    pool_set(p, 2, "-");
    for (size_t i = 3; i < p->n; i++) {
        if (i % 3 == 0)
            snprintf(buf, sizeof buf,
                     "Mozilla/5.0 (%s; rv:%zu.0) Gecko/20100101 Firefox/%zu.0",
                     os[rndn(5)], 60 + i % 60, 60 + i % 60);
        else
            snprintf(buf, sizeof buf,
                     "Mozilla/5.0 (%s) AppleWebKit/537.36 (KHTML, like Gecko) "
                     "Chrome/%zu.0.%llu.%llu Safari/537.36",
                     os[rndn(5)], 70 + i % 50, (unsigned long long)rndn(6000),
                     (unsigned long long)rndn(200));
        pool_set(p, i, buf);
    }
    pool_zipf(p, 1.1);
}

/* The site model: client c requests paths[site.paths[site.first[c] + k]]
 * for slots k < site.n[c] (Zipf over the slots) and uses user agent
 * site.agent[c] 19 times in 20. */
typedef struct site {
    uint32_t *first, *n, *paths, *agent;
} site;

/* Deterministic per-(client, slot) draws, independent of the line RNG. */
static double hash01(uint64_t a, uint64_t b)
{
    uint64_t z = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e5f5ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* Interest sets: the busiest clients (crawlers) get thousands of paths, a
 * typical visitor 4 to 20; each slot is a path drawn from the site-wide
 * Zipf law, so popular pages are in many sets. */
static void make_site(site *st, const pool *paths, const pool *clients,
                      const pool *agents, uint64_t seed)
{
    size_t total = 0, nc = clients->n;
    st->first = xmalloc(nc * sizeof *st->first);
    st->n = xmalloc(nc * sizeof *st->n);
    st->agent = xmalloc(nc * sizeof *st->agent);
    for (size_t c = 0; c < nc; c++) {
        size_t k = 4 + (size_t)(hash01(seed, c) * 17) + 60000 / (c + 1);
        if (k > paths->n / 4)
            k = paths->n / 4;
        st->first[c] = (uint32_t)total;
        st->n[c] = (uint32_t)k;
        st->agent[c] = (uint32_t)pool_pick_u(agents, hash01(seed + 1, c));
        total += k;
    }
    st->paths = xmalloc(total * sizeof *st->paths);
    for (size_t c = 0; c < nc; c++)
        for (size_t k = 0; k < st->n[c]; k++)
            st->paths[st->first[c] + k] =
                (uint32_t)pool_pick_u(paths, hash01(seed + 2 + c, k));
}

/* A slot of n by a Zipf law of exponent 0.8 (continuous inverse). */
static size_t pick_slot(size_t n)
{
    const double a = 0.2; /* 1 - s */
    double x = pow((pow((double)n + 1, a) - 1) * rnd01() + 1, 1 / a) - 1;
    size_t k = (size_t)x;
    return k < n ? k : n - 1;
}

/* Output buffer: lines are appended and flushed in large writes. */
static char obuf[1 << 20];
static size_t olen;
static int ofd = 1;

static void flush_out(void)
{
    size_t off = 0;
    while (off < olen) {
        ssize_t w = write(ofd, obuf + off, olen - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            perror("genlog: write");
            exit(1);
        }
        off += (size_t)w;
    }
    olen = 0;
}

static inline void put(const char *s, size_t n)
{
    memcpy(obuf + olen, s, n);
    olen += n;
}

#define PUTS(lit) put(lit, sizeof(lit) - 1)

static inline void putc1(char c)
{
    obuf[olen++] = c;
}

static inline void putu(uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        obuf[olen++] = t[--n];
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Format "[dd/Mon/yyyy:HH:MM:SS +zzzz]" for local time t + tz. */
static size_t fmt_time(char *out, int64_t t, int tzmin)
{
    time_t lt = (time_t)(t + tzmin * 60);
    struct tm tm;
    gmtime_r(&lt, &tm);
    int a = tzmin < 0 ? -tzmin : tzmin;
    return (size_t)sprintf(out, "[%02d/%s/%04d:%02d:%02d:%02d %c%02d%02d]",
                           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
                           tm.tm_hour, tm.tm_min, tm.tm_sec,
                           tzmin < 0 ? '-' : '+', a / 60, a % 60);
}

static int pick_status(void)
{
    uint64_t r = rndn(1000);
    if (r < 840)
        return 200;
    if (r < 900)
        return 304;
    if (r < 940)
        return 404;
    if (r < 965)
        return 301;
    if (r < 975)
        return 302;
    if (r < 983)
        return 206;
    if (r < 990)
        return 403;
    if (r < 995)
        return 500;
    if (r < 998)
        return 503;
    return 400;
}

static const char *pick_method(void)
{
    uint64_t r = rndn(1000);
    if (r < 940)
        return "GET";
    if (r < 975)
        return "POST";
    if (r < 990)
        return "HEAD";
    if (r < 995)
        return "PUT";
    if (r < 998)
        return "OPTIONS";
    return "DELETE";
}

static const char *pick_proto(void)
{
    uint64_t r = rndn(100);
    if (r < 75)
        return "HTTP/1.1";
    if (r < 90)
        return "HTTP/2.0";
    return "HTTP/1.0";
}

/* Write one malformed line of a random kind. */
static void bad_line(const char *tbuf, size_t tlen)
{
    switch (rndn(5)) {
    case 0: /* binary garbage, always with a NUL */
        for (int i = 0; i < 40; i++) {
            char c = (char)rndn(256);
            putc1(c == '\n' || i == 5 ? 0 : c);
        }
        break;
    case 1: /* truncated right after the time */
        PUTS("10.1.2.3 - - ");
        put(tbuf, tlen);
        break;
    case 2: /* broken time */
        PUTS("10.1.2.3 - - [99/Foo/2024:99:99:99 +0000] \"GET / HTTP/1.1\" 200 "
             "1 \"-\" \"-\"");
        break;
    case 3: /* unterminated request quote */
        PUTS("10.1.2.3 - - ");
        put(tbuf, tlen);
        PUTS(" \"GET /unterminated");
        break;
    default: /* an error-log line */
        PUTS("[Sun Jun 07 06:25:23.123456 2020] [core:error] [pid 123] "
             "AH00126: Invalid URI in request");
        break;
    }
    putc1('\n');
}

static uint64_t parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    switch (*end) {
    case 'k':
    case 'K':
        v *= 1024;
        break;
    case 'm':
    case 'M':
        v *= 1024 * 1024;
        break;
    case 'g':
    case 'G':
        v *= 1024.0 * 1024 * 1024;
        break;
    default:
        break;
    }
    return (uint64_t)v;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: genlog [--size N[KMG] | --lines N] [--seed S] "
               "[--format combined|common|vhost_combined|w3c|json]\n"
               "              [--model site|independent] [--bad RATE] "
               "[--ipv6 RATE] [--tz +HHMM]\n"
               "              [--clients N] [--paths N] [--referrers N] "
               "[--agents N] [--zipf S]\n"
               "              [--start EPOCH] [--report] [-o FILE]\n");
}

/* --clients, --paths, --referrers or --agents (option letter opt). */
static int set_population(int opt, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    /* paths need 4 fixed ones; ids stay in 32 bits */
    if (errno || *end || arg[0] == '-' || v < 4 || v > (1ull << 31)) {
        fprintf(stderr, "genlog: a population is 4 .. 2^31, not '%s'\n", arg);
        return -1;
    }
    size_t *dst = opt == 'C'   ? &n_clients
                  : opt == 'P' ? &n_paths
                  : opt == 'R' ? &n_refs
                               : &n_agents;
    *dst = (size_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t size = 0, lines = 0, seed = 1;
    double bad = 0, ipv6 = 0.1;
    int fmt = F_COMBINED, report = 0, tzmin = 0, independent = 0;
    int64_t start = 1709251200; /* 2024-03-01T00:00:00Z */
    const char *outpath = NULL;
    static const struct option opts[] = {
        {"size", required_argument, 0, 's'},
        {"lines", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'S'},
        {"format", required_argument, 0, 'f'},
        {"bad", required_argument, 0, 'b'},
        {"ipv6", required_argument, 0, '6'},
        {"tz", required_argument, 0, 'z'},
        {"start", required_argument, 0, 't'},
        {"report", no_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        {"model", required_argument, 0, 'm'},
        {"clients", required_argument, 0, 'C'},
        {"paths", required_argument, 0, 'P'},
        {"referrers", required_argument, 0, 'R'},
        {"agents", required_argument, 0, 'A'},
        {"zipf", required_argument, 0, 'Z'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            size = parse_size(optarg);
            break;
        case 'n':
            lines = strtoull(optarg, NULL, 10);
            break;
        case 'S':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'b':
            bad = atof(optarg);
            break;
        case '6':
            ipv6 = atof(optarg);
            break;
        case 't':
            start = strtoll(optarg, NULL, 10);
            break;
        case 'r':
            report = 1;
            break;
        case 'm':
            if (!strcmp(optarg, "site") || !strcmp(optarg, "independent")) {
                independent = optarg[0] == 'i';
                break;
            }
            fprintf(stderr, "genlog: unknown model '%s'\n", optarg);
            return 2;
        case 'o':
            outpath = optarg;
            break;
        case 'C':
        case 'P':
        case 'R':
        case 'A':
            if (set_population(c, optarg) < 0)
                return 2;
            break;
        case 'Z':
            zipf_paths = zipf_clients = atof(optarg);
            if (!(zipf_paths >= 0) || zipf_paths > 10) {
                fprintf(stderr, "genlog: --zipf wants 0 .. 10\n");
                return 2;
            }
            break;
        case 'z': {
            int v = atoi(optarg + (optarg[0] == '+' || optarg[0] == '-'));
            tzmin = (v / 100) * 60 + v % 100;
            if (optarg[0] == '-')
                tzmin = -tzmin;
            break;
        }
        case 'f':
            if (!strcmp(optarg, "combined"))
                fmt = F_COMBINED;
            else if (!strcmp(optarg, "common"))
                fmt = F_COMMON;
            else if (!strcmp(optarg, "vhost_combined"))
                fmt = F_VHOST;
            else if (!strcmp(optarg, "w3c"))
                fmt = F_W3C;
            else if (!strcmp(optarg, "json"))
                fmt = F_JSON;
            else {
                fprintf(stderr, "genlog: unknown format '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || (!size && !lines)) {
        usage(stderr);
        return 2;
    }
    if (outpath) {
        FILE *f = fopen(outpath, "w");
        if (!f) {
            perror(outpath);
            return 1;
        }
        ofd = fileno(f);
    }

    rng_state = seed;
    pool paths, clients, refs, agents;
    make_paths(&paths);
    make_clients(&clients, ipv6);
    make_refs(&refs);
    make_agents(&agents);
    /* the interest sets only matter to the site model (they use no draw
     * of the line RNG, so skipping them changes no output) */
    site ss = {0};
    if (!independent)
        make_site(&ss, &paths, &clients, &agents, seed);
    static const char *const vhosts[] = {"www.example.com", "api.example.com",
                                         "static.example.com"};

    char tbuf[64];
    int64_t t = start, tcached = INT64_MIN;
    size_t tlen = 0;
    uint64_t n = 0, nbad = 0, total = 0;
    for (;;) {
        if (lines ? n >= lines : total >= size)
            break;
        if (olen > sizeof obuf - 8192) {
            total += olen;
            flush_out();
        }
        n++;
        t += (int64_t)rndn(3); /* about one line a second on average */
        if (t != tcached) {
            tlen = fmt_time(tbuf, t, tzmin);
            tcached = t;
        }
        if (bad > 0 && rnd01() < bad) {
            nbad++;
            bad_line(tbuf, tlen);
            continue;
        }
        if (fmt == F_VHOST) {
            const char *v = vhosts[rndn(3)];
            put(v, strlen(v));
            if (rndn(4))
                PUTS(":443 ");
            else
                PUTS(":80 ");
        }
        size_t ci = pool_pick(&clients);
        gl_rec g = {.t = t, .tzmin = tzmin};
        g.client = clients.s[ci];
        g.client_n = clients.len[ci];
        g.user = rndn(50) == 0 ? "alice" : "-";
        g.method = pick_method();
        size_t pi = independent ? pool_pick(&paths)
                                : ss.paths[ss.first[ci] + pick_slot(ss.n[ci])];
        g.path = paths.s[pi];
        g.path_n = paths.len[pi];
        g.proto = pick_proto();
        g.status = pick_status();
        int dash = g.status == 304 || (g.status >= 300 && rndn(4) == 0) ||
                   !strcmp(g.method, "HEAD");
        g.bytes = dash ? 0 : 200 + rndn(g.status == 200 ? 60000 : 2000);
        g.referer = g.agent = "-";
        g.referer_n = g.agent_n = 1;
        if (fmt != F_COMMON) {
            size_t ri = pool_pick(&refs), ai = pool_pick(&agents);
            if (!independent && rndn(20))
                ai = ss.agent[ci];
            g.referer = refs.s[ri];
            g.referer_n = refs.len[ri];
            g.agent = agents.s[ai];
            g.agent_n = agents.len[ai];
        }
        /* not from the generator's stream: the other formats stay equal */
        g.time_us = (uint32_t)((n * 2654435761u) % 2000000u);
        if (fmt == F_W3C) {
            if ((n - 1) % W3C_REHEADER == 0)
                olen += gl_w3c_header(obuf + olen,
                                      (int)((n - 1) / W3C_REHEADER % 2));
            olen +=
                gl_w3c_line(obuf + olen, &g, (int)((n - 1) / W3C_REHEADER % 2));
            continue;
        }
        if (fmt == F_JSON) {
            olen += gl_json_line(obuf + olen, &g);
            continue;
        }
        olen +=
            gl_ncsa_line(obuf + olen, &g, tbuf, tlen, dash, fmt != F_COMMON);
    }
    total += olen;
    flush_out();
    if (report)
        fprintf(stderr, "lines=%llu good=%llu bad=%llu bytes=%llu\n",
                (unsigned long long)n, (unsigned long long)(n - nbad),
                (unsigned long long)nbad, (unsigned long long)total);
    pool_free(&paths);
    pool_free(&clients);
    pool_free(&refs);
    pool_free(&agents);
    free(ss.first);
    free(ss.n);
    free(ss.agent);
    free(ss.paths);
    return 0;
}
