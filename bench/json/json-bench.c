/* json-bench.c - time JSON-lines parsing: pipefan's focused scanner
 * (logs/parse-json.c through lg_parse_line, format nginx_json) against
 * jansson and json-c (Debian: libjansson-dev, libjson-c-dev), each reading
 * the same eight fields of every line of a log made by
 *   genlog --format json --lines 1000000 -o /tmp/g.json
 * The two libraries' headers clash (json_object_iter), so the program is
 * built once per library. Build and run (numbers in docs/LOG-FORMATS.md):
 *   L="logs/parse.c logs/parse-cols.c logs/parse-field.c logs/parse-json.c
 *      logs/format.c logs/format-builtin.c logs/timefmt.c -Ilogs -Ibuild/logs
 * -D_GNU_SOURCE="
 *   cc -O2 -DUSE_JANSSON -o /tmp/jb-jansson bench/json/json-bench.c $L \
 *      $(pkg-config --cflags --libs jansson)
 *   cc -O2 -DUSE_JSONC -o /tmp/jb-jsonc bench/json/json-bench.c $L \
 *      $(pkg-config --cflags --libs json-c)
 *   /tmp/jb-jansson /tmp/g.json; /tmp/jb-jsonc /tmp/g.json
 * It is a measurement tool, not part of the build.
 */
#define _GNU_SOURCE
#ifdef USE_JANSSON
#include <jansson.h>
#else
#include <json-c/json.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "parse.h"

static const char *const keys[] = {
    "time_iso8601",    "remote_addr",  "request",      "status",
    "body_bytes_sent", "request_time", "http_referer", "http_user_agent"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef unsigned long long (*run_fn)(const char *p, size_t n, size_t len);

static unsigned long long run_scanner(const char *p, size_t n, size_t len)
{
    static const lg_format *f;
    if (!f)
        f = lg_format_builtin("nginx_json");
    unsigned long long sum = 0;
    (void)len;
    lg_rec r;
    if (lg_parse_line(f, p, n, &r) == 0)
        sum += (unsigned long long)r.status + r.bytes + r.agent.n + r.client.n +
               r.referer.n + r.target.n;
    return sum;
}

#ifdef USE_JANSSON
static unsigned long long run_jansson(const char *p, size_t n, size_t len)
{
    (void)len;
    json_error_t err;
    json_t *o = json_loadb(p, n, 0, &err);
    unsigned long long sum = 0;
    if (!o)
        return 0;
    for (size_t i = 0; i < 8; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (json_is_string(v))
            sum += json_string_length(v);
        else if (json_is_integer(v))
            sum += (unsigned long long)json_integer_value(v);
    }
    json_decref(o);
    return sum;
}

#else
static struct json_tokener *tok;
static unsigned long long run_jsonc(const char *p, size_t n, size_t len)
{
    (void)len;
    json_tokener_reset(tok);
    struct json_object *o = json_tokener_parse_ex(tok, p, (int)n);
    unsigned long long sum = 0;
    if (!o)
        return 0;
    for (size_t i = 0; i < 8; i++) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, keys[i], &v))
            continue;
        if (json_object_is_type(v, json_type_string))
            sum += (unsigned long long)json_object_get_string_len(v);
        else if (json_object_is_type(v, json_type_int))
            sum += (unsigned long long)json_object_get_int64(v);
    }
    json_object_put(o);
    return sum;
}
#endif

static void bench(const char *name, run_fn fn, const char *buf, size_t len)
{
    double best = 1e9;
    unsigned long long sum = 0, lines = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        sum = lines = 0;
        for (const char *p = buf, *e = buf + len; p < e;) {
            const char *nl = memchr(p, '\n', (size_t)(e - p));
            size_t n = (size_t)((nl ? nl : e) - p);
            sum += fn(p, n, len);
            lines++;
            p += n + 1;
        }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("%-10s %8.1f ns/line %8.1f MB/s  (best of 5; checksum %llu)\n", name,
           best * 1e9 / (double)lines, (double)len / best / 1e6, sum);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: json-bench FILE\n");
        return 2;
    }
    FILE *fp = fopen(argv[1], "rb");
    if (!fp)
        return 1;
    fseek(fp, 0, SEEK_END);
    size_t len = (size_t)ftell(fp);
    rewind(fp);
    char *buf = malloc(len);
    if (!buf || fread(buf, 1, len, fp) != len)
        return 1;
    fclose(fp);
    bench("scanner", run_scanner, buf, len);
#ifdef USE_JANSSON
    bench("jansson", run_jansson, buf, len);
#else
    tok = json_tokener_new();
    bench("json-c", run_jsonc, buf, len);
#endif
    return 0;
}
