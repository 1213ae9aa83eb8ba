/* fuzz-parse.c - libFuzzer target for the access-log line parser.
 *
 * Each input is split into lines; every line is parsed from an exactly
 * sized heap copy (so a read past its end trips AddressSanitizer) with
 * every built-in format and a few compiled user formats, and the result
 * is checked: a record's strings must lie inside the line, its numbers in
 * range. Detection and the filters run on the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../logs/detect.h"
#include "../../logs/filter.h"
#include "../../logs/format.h"
#include "../../logs/parse.h"
#include "../../logs/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const user_specs[] = {
    "$remote_addr - $remote_user [$time_local] \"$request\" $status "
    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"",
    "$host:$server_port $remote_addr [$time_iso8601] \"$request_method "
    "$request_uri "
    "$server_protocol\" $status $bytes_sent $request_time "
    "\"$http_x_forwarded_for\"",
    "%v %h %l %u %t \\\"%r\\\" %>s %b %D \\\"%{User-Agent}i\\\"",
    "$msec $remote_addr $status $body_bytes_sent",
    "json:client=c.ip,path=r.u,status=s,time=t,duration=d:ns,bytes=b,"
    "agent=h.ua,request=q,host=v",
};
#define N_USER (sizeof user_specs / sizeof user_specs[0])

/* every built-in: the NCSA family first, then the column, W3C, HAProxy
 * and JSON engines */
static const char *const builtins[] = {
    "common", "combined", "vhost_common", "vhost_combined", "w3c",
    "alb",    "elb",      "s3",           "squid",          "traefik",
    "gandi",  "haproxy",  "caddy",        "nginx_json",     "traefik_json"};
#define N_BUILTIN (sizeof builtins / sizeof builtins[0])

static const lg_format *formats[N_BUILTIN + N_USER];
static lg_filter *filter;

static void setup(void)
{
    for (size_t i = 0; i < N_BUILTIN; i++)
        if (!(formats[i] = lg_format_builtin(builtins[i])))
            abort();
    for (size_t i = 0; i < N_USER; i++) {
        lg_format *f;
        if (lg_format_compile(user_specs[i], &f, NULL, 0) != 0)
            abort();
        formats[N_BUILTIN + i] = f;
    }
    static const char *const st[] = {"2xx,404,500-599"};
    static const char *const cl[] = {"10.0.0.0/8", "2001:db8::/32", "::1"};
    static const char *const inc[] = {"^/", "\\.php"};
    static const char *const exc[] = {"(?i)wp-admin"};
    lg_filter_opts o = {.since = "2000-01-01",
                        .until = "2030-01-01T00:00+02:00",
                        .status = st,
                        .n_status = 1,
                        .clients = cl,
                        .n_clients = 3,
                        .include = inc,
                        .n_include = 2,
                        .exclude = exc,
                        .n_exclude = 1,
                        .exclude_static = 1};
    if (lg_filter_new(&o, &filter, NULL, 0) != 0)
        abort();
}

/* The string is absent or lies within [b, e). */
static void check_str(lg_str s, const char *b, const char *e)
{
    if (s.n && (s.p < b || s.p > e || (size_t)(e - s.p) < s.n))
        abort();
}

static void check_rec(const lg_rec *r, const char *b, const char *e)
{
    const lg_str *all[] = {&r->client,  &r->vhost,  &r->ident,  &r->user,
                           &r->request, &r->method, &r->target, &r->protocol,
                           &r->referer, &r->agent};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        check_str(*all[i], b, e);
    if (r->status != 0 && (r->status < 100 || r->status > 999))
        abort();
    if (r->req_time_us < -1)
        abort();
    if ((r->flags & LG_REC_NO_BYTES) && r->bytes != 0)
        abort();
    /* touch every byte so ASan sees any bad pointer */
    volatile unsigned sum = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        for (size_t k = 0; k < all[i]->n; k++)
            sum += (unsigned char)all[i]->p[k];
    (void)sum;
    lg_str q = lg_path_strip_query(r->target);
    if (q.n > r->target.n)
        abort();
    char buf[32];
    if (r->ts != LG_NO_TIME) {
        lg_tm tm;
        lg_time_civil(r->ts, r->tz_off, &tm);
        lg_time_format_iso(r->ts, r->tz_off, 1, buf);
    }
}

static void one_line(const char *p, size_t n)
{
    char *line = malloc(n ? n : 1);
    if (!line)
        abort();
    memcpy(line, p, n);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        lg_rec r;
        int rc = lg_parse_line(formats[i], line, n, &r);
        if (rc < 0 || rc >= LG_BAD_COUNT)
            abort();
        if (lg_bad_name(rc) == NULL)
            abort();
        if (rc == LG_OK) {
            check_rec(&r, line, line + n);
            lg_filter_match(filter, &r);
        }
    }
    int64_t ts, prec;
    int32_t off;
    lg_time_parse_iso(line, n, 0, &ts, &off, &prec);
    lg_time_parse_clf(line, n, &ts, &off);
    lg_str req = {line, n}, m, t, pr;
    lg_split_request(req, &m, &t, &pr);
    check_str(m, line, line + n);
    check_str(t, line, line + n);
    check_str(pr, line, line + n);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!filter)
        setup();
    const char *p = (const char *)data, *e = p + size;
    /* detection reads the whole buffer: give it an exact copy too */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    const lg_format *f;
    if (lg_detect(copy, size, &f) < 0 || f == NULL)
        abort();
    free(copy);
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        one_line(p, (size_t)(le - p));
        p = nl ? nl + 1 : e;
    }
    return 0;
}
