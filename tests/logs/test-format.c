/* test-format.c - compiling nginx and Apache format strings, and parsing
 * lines with the user formats they produce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#include "../../logs/format.h"
#include "../../logs/parse.h"

#define NGINX_COMBINED                                                         \
    "$remote_addr - $remote_user [$time_local] \"$request\" $status "          \
    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\""

#define APACHE_COMBINED                                                        \
    "%h %l %u %t \\\"%r\\\" %>s %b \\\"%{Referer}i\\\" \\\"%{User-agent}i\\\""

#define ASSERT_LGSTR(s, want)                                                  \
    do {                                                                       \
        lg_str lg__s = (s);                                                    \
        const char *lg__w = (want);                                            \
        if (lg__s.n != strlen(lg__w) ||                                        \
            (lg__s.n && memcmp(lg__s.p, lg__w, lg__s.n) != 0))                 \
            FAIL("%s is \"%.*s\", expected \"%s\"", #s, (int)lg__s.n,          \
                 lg__s.n ? lg__s.p : "", lg__w);                               \
    } while (0)

static lg_format *compile_ok(const char *spec)
{
    lg_format *f = NULL;
    char err[256];
    int rc = lg_format_compile(spec, &f, err, sizeof err);
    if (rc != 0)
        FAIL("compiling '%s' failed (%d): %s", spec, rc, err);
    return f;
}

/* Parse from an exactly-sized heap copy (no NUL after the line). */
static int parse_exact(const lg_format *f, const char *line, lg_rec *r,
                       char **keep)
{
    size_t n = strlen(line);
    char *copy = malloc(n ? n : 1);
    ASSERT_NOT_NULL(copy);
    memcpy(copy, line, n);
    *keep = copy;
    return lg_parse_line(f, copy, n, r);
}

static const char *const combined_lines[] = {
    ("127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a.gif?x=1 "
     "HTTP/1.0\" 200 2326 "
     "\"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I "
     ";Nav)\""),
    "2001:db8::1 - - [10/Oct/2000:13:55:36 +0000] \"\" 400 0 \"-\" \"-\"",
    "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /q\\\"x HTTP/1.1\" 404 - "
    "\"\" \"a \\\"b\\\"\"",
    "10.1.1.1 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 7 \"-\" "
    "\"cut off",
};

/* Two records hold the same field values. */
static void assert_same(const lg_rec *a, const lg_rec *b, const char *what)
{
    const lg_str *sa[] = {&a->client, &a->user,     &a->request, &a->method,
                          &a->target, &a->protocol, &a->referer, &a->agent};
    const lg_str *sb[] = {&b->client, &b->user,     &b->request, &b->method,
                          &b->target, &b->protocol, &b->referer, &b->agent};
    for (size_t i = 0; i < sizeof sa / sizeof sa[0]; i++)
        if (sa[i]->n != sb[i]->n ||
            (sa[i]->n && memcmp(sa[i]->p, sb[i]->p, sa[i]->n)))
            FAIL("%s: string field %zu differs: \"%.*s\" vs \"%.*s\"", what, i,
                 (int)sa[i]->n, sa[i]->n ? sa[i]->p : "", (int)sb[i]->n,
                 sb[i]->n ? sb[i]->p : "");
    ASSERT_EQ(a->ts, b->ts);
    ASSERT_EQ(a->tz_off, b->tz_off);
    ASSERT_EQ(a->status, b->status);
    ASSERT_UEQ(a->bytes, b->bytes);
    ASSERT_UEQ(a->flags, b->flags);
}

TEST(nginx_and_apache_combined_agree_with_builtin)
{
    lg_format *ng = compile_ok(NGINX_COMBINED),
              *ap = compile_ok(APACHE_COMBINED);
    ASSERT_STREQ(lg_format_name(ng), "custom");
    ASSERT_STREQ(lg_format_spec(ng), NGINX_COMBINED);
    /* the built-ins also read an optional leading vhost */
    ASSERT_UEQ(lg_format_fields(ng),
               lg_format_fields(lg_format_builtin("combined")) &
                   ~LG_FIELD_VHOST);
    ASSERT_UEQ(lg_format_fields(ap), lg_format_fields(ng));
    const lg_format *fs[3] = {lg_format_builtin("combined"), ng, ap};
    for (size_t i = 0; i < sizeof combined_lines / sizeof combined_lines[0];
         i++) {
        lg_rec r[3];
        char *k[3];
        for (int j = 0; j < 3; j++)
            if (parse_exact(fs[j], combined_lines[i], &r[j], &k[j]) != LG_OK)
                FAIL("line %zu does not parse with format %d", i, j);
        assert_same(&r[0], &r[1], "nginx");
        assert_same(&r[0], &r[2], "apache");
        for (int j = 0; j < 3; j++)
            free(k[j]);
    }
    lg_format_free(ng);
    lg_format_free(ap);
}

TEST(nginx_conf_quoting_is_concatenated)
{
    lg_format *f = compile_ok("'$remote_addr - $remote_user [$time_local] '\n"
                              "    '\"$request\" $status $body_bytes_sent'");
    lg_rec r;
    char *k;
    ASSERT_EQ(
        parse_exact(
            f,
            "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5",
            &r, &k),
        LG_OK);
    ASSERT_UEQ(r.bytes, 5);
    free(k);
    lg_format_free(f);
}

TEST(nginx_extended_variables)
{
    lg_format *f = compile_ok(
        "$remote_addr $host [$time_iso8601] \"$request\" $status "
        "$body_bytes_sent $bytes_sent $request_time \"$http_user_agent\" "
        "${upstream_addr}x");
    unsigned want = LG_FIELD_CLIENT | LG_FIELD_VHOST | LG_FIELD_TIME |
                    LG_FIELD_REQUEST | LG_FIELD_STATUS | LG_FIELD_BYTES |
                    LG_FIELD_REQ_TIME | LG_FIELD_AGENT;
    ASSERT_UEQ(lg_format_fields(f), want);
    lg_rec r;
    char *k;
    ASSERT_EQ(
        parse_exact(f,
                    "1.2.3.4 example.com:8080 [2015-05-17T10:05:03+02:00] "
                    "\"POST /api?x HTTP/2.0\" 201 12 345 0.123 \"ua 1\" "
                    "10.0.0.1:80x",
                    &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_LGSTR(r.vhost, "example.com");
    ASSERT_EQ(r.ts, 1431849903);
    ASSERT_EQ(r.tz_off, 7200);
    ASSERT_LGSTR(r.method, "POST");
    ASSERT_LGSTR(r.target, "/api?x");
    ASSERT_EQ(r.status, 201);
    ASSERT_UEQ(r.bytes, 12); /* body bytes win over $bytes_sent */
    ASSERT_EQ(r.req_time_us, 123000);
    ASSERT_LGSTR(r.agent, "ua 1");
    free(k);
    /* "-" request time is absent, a malformed one is a format error */
    ASSERT_EQ(
        parse_exact(
            f,
            "1.2.3.4 h [2015-05-17T10:05:03Z] \"GET / HTTP/1.1\" 200 1 2 - "
            "\"u\" -x",
            &r, &k),
        LG_OK);
    ASSERT_EQ(r.req_time_us, -1);
    free(k);
    ASSERT_EQ(
        parse_exact(
            f,
            "1.2.3.4 h [2015-05-17T10:05:03Z] \"GET / HTTP/1.1\" 200 1 2 0.1s "
            "\"u\" -x",
            &r, &k),
        LG_BAD_FORMAT);
    free(k);
    ASSERT_EQ(
        parse_exact(f,
                    "1.2.3.4 h [2015-05-17] \"GET / HTTP/1.1\" 200 1 2 0.1 "
                    "\"u\" -x",
                    &r, &k),
        LG_BAD_TIME);
    free(k);
    lg_format_free(f);
}

TEST(msec_time_and_split_request_fields)
{
    lg_format *f = compile_ok(
        "$msec $request_method $request_uri $server_protocol $status");
    lg_rec r;
    char *k;
    ASSERT_EQ(parse_exact(f, "1431849903.999 GET /x?y HTTP/1.1 200", &r, &k),
              LG_OK);
    ASSERT_EQ(r.ts, 1431849903);
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/x?y");
    ASSERT_LGSTR(r.protocol, "HTTP/1.1");
    ASSERT(r.flags & LG_REC_NO_BYTES);
    free(k);
    lg_format_free(f);
}

TEST(forwarded_for_is_the_client_without_remote_addr)
{
    lg_format *f = compile_ok(
        "\"$http_x_forwarded_for\" [$time_local] \"$request\" $status");
    lg_rec r;
    char *k;
    ASSERT_EQ(
        parse_exact(f,
                    "\"203.0.113.9, 10.0.0.1\" [10/Oct/2000:13:55:36 +0000] "
                    "\"GET / HTTP/1.1\" 200",
                    &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.client, "203.0.113.9");
    free(k);
    lg_format_free(f);
    f = compile_ok("$remote_addr \"$http_x_forwarded_for\" [$time_local] "
                   "\"$request\" $status");
    ASSERT_EQ(
        parse_exact(f,
                    "10.0.0.1 \"203.0.113.9\" [10/Oct/2000:13:55:36 +0000] "
                    "\"GET / HTTP/1.1\" 200",
                    &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.client, "10.0.0.1");
    free(k);
    lg_format_free(f);
}

TEST(apache_directives)
{
    lg_format *f =
        compile_ok("%v %a %l %u %t \"%m %U%q %H\" %s %B %D %T %{X-Thing}i %%");
    lg_rec r;
    char *k;
    ASSERT_EQ(
        parse_exact(f,
                    "www.x.org 1.2.3.4 - bob [10/Oct/2000:13:55:36 -0700] "
                    "\"GET /p?q HTTP/1.1\" 200 99 1500 0 thing %",
                    &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.vhost, "www.x.org");
    ASSERT_LGSTR(r.user, "bob");
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/p?q"); /* %U%q: the query stays in the target */
    ASSERT_LGSTR(r.protocol, "HTTP/1.1");
    ASSERT_EQ(r.status, 200);
    ASSERT_UEQ(r.bytes, 99);
    ASSERT_EQ(r.req_time_us, 0); /* %T came after %D and overwrote it */
    free(k);
    lg_format_free(f);
    f = compile_ok("%h %{%d/%b/%Y}t \"%r\" %>s %O");
    ASSERT_UEQ(lg_format_fields(f) & LG_FIELD_TIME,
               0); /* custom %{}t is skipped */
    ASSERT_UEQ(lg_format_fields(f) & LG_FIELD_BYTES, LG_FIELD_BYTES);
    lg_format_free(f);
}

TEST(strict_matching_and_salvage_in_user_formats)
{
    lg_format *f = compile_ok(NGINX_COMBINED);
    lg_rec r;
    char *k;
    /* literal mismatch */
    ASSERT_EQ(
        parse_exact(
            f,
            "1.2.3.4 x - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5 "
            "\"-\" \"-\"",
            &r, &k),
        LG_BAD_FORMAT);
    free(k);
    /* extra text after the last field */
    ASSERT_EQ(
        parse_exact(
            f,
            "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5 "
            "\"-\" \"-\" extra",
            &r, &k),
        LG_BAD_FORMAT);
    free(k);
    /* ends after the status: required fields are in, so it is kept */
    ASSERT_EQ(
        parse_exact(
            f,
            "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200",
            &r, &k),
        LG_OK);
    ASSERT(r.flags & LG_REC_SALVAGED);
    free(k);
    /* ends inside the time: truncated */
    ASSERT_EQ(parse_exact(f, "1.2.3.4 - - [10/Oct/2000:13", &r, &k),
              LG_BAD_TIME);
    free(k);
    ASSERT_EQ(parse_exact(f, "1.2.3.4 - -", &r, &k), LG_BAD_TRUNCATED);
    free(k);
    ASSERT_EQ(
        parse_exact(
            f,
            "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1 200 5",
            &r, &k),
        LG_BAD_REQUEST);
    free(k);
    ASSERT_EQ(
        parse_exact(
            f,
            "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" abc 5 "
            "\"-\" \"-\"",
            &r, &k),
        LG_BAD_STATUS);
    free(k);
    ASSERT_EQ(parse_exact(f,
                          "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / "
                          "HTTP/1.1\" 200 5x "
                          "\"-\" \"-\"",
                          &r, &k),
              LG_BAD_BYTES);
    free(k);
    ASSERT_EQ(
        parse_exact(
            f,
            "bad\"client - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" "
            "200 5 \"-\" \"-\"",
            &r, &k),
        LG_BAD_CLIENT);
    free(k);
    ASSERT_EQ(
        parse_exact(f, "2021/12/01 13:53:33 [error] 31#31: *46 x", &r, &k),
        LG_BAD_ERROR_LOG);
    free(k);
    /* several spaces where the format has one */
    ASSERT_EQ(parse_exact(f,
                          "1.2.3.4  -  - [10/Oct/2000:13:55:36 +0000]  \"GET / "
                          "HTTP/1.1\" 200 5 "
                          "\"-\" \"-\"",
                          &r, &k),
              LG_OK);
    free(k);
    lg_format_free(f);
}

TEST(every_prefix_is_safe_with_user_format)
{
    lg_format *f = compile_ok(
        "$host:$server_port $remote_addr - $remote_user [$time_local] "
        "\"$request\" $status $body_bytes_sent \"$http_referer\" "
        "\"$http_user_agent\" $request_time");
    const char *line = "x.org:443 ::1 - u [10/Oct/2000:13:55:36 -0700] \"GET "
                       "/a\\\"b HTTP/1.1\" "
                       "200 9 \"r\" \"a\\\"g\" 0.5";
    size_t n = strlen(line);
    lg_rec r;
    char *copy = malloc(n);
    ASSERT_NOT_NULL(copy);
    memcpy(copy, line, n);
    ASSERT_EQ(lg_parse_line(f, copy, n, &r), LG_OK);
    ASSERT_EQ(r.req_time_us, 500000);
    ASSERT_LGSTR(r.agent, "a\\\"g");
    free(copy);
    for (size_t i = 0; i < n; i++) {
        copy = malloc(i ? i : 1);
        ASSERT_NOT_NULL(copy);
        memcpy(copy, line, i);
        int rc = lg_parse_line(f, copy, i, &r);
        ASSERT(rc >= 0 && rc < LG_BAD_COUNT);
        free(copy);
    }
    lg_format_free(f);
}

TEST(compile_errors_are_reported)
{
    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"", "empty"},
        {"auto", "lg_detect"},
        {"$remote_addr$remote_user", "directly follows"},
        {"${remote_addr", "unterminated"},
        {"${} x", "empty variable"},
        {"%h %{Referer", "unterminated"},
        {"%h %", "end of the format"},
        {"%h %@", "unknown directive"},
        {"just text", "no $variable"},
        {"'$remote_addr", "unterminated single quote"},
        {"'$remote_addr' x", "outside single quotes"},
        /* issue 19 item 10: no request and no status, so any two words
         * ("hello world") were a request */
        {"$foo $bar", "reads neither the request nor the status"},
        {"$foo $bar", "not known: '$foo' and more"},
        {"$remote_addr [$time_local] $body_bytes_sent", "neither the request"},
        {"%h %l %u %t %b", "neither the request nor the status"},
        {"%h %{X-Thing}i", "not known: '%{X-Thing}i'"},
        /* unknown directive letters fail, as LOG-FORMATS.md says */
        {"%h %Z %>s", "unknown directive '%Z' at offset 3"},
        {"%h %Q %r", "unknown directive '%Q'"},
        {"%h %x %r", "unknown directive '%x'"},
        {"%h %{c}^tx %r", "unknown directive '%^'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lg_format *f = (lg_format *)1;
        char err[256] = "";
        int rc = lg_format_compile(bad[i].spec, &f, err, sizeof err);
        if (rc != -22 || f != NULL || !strstr(err, bad[i].msg))
            FAIL("'%s': rc %d, err '%s', wanted '%s'", bad[i].spec, rc, err,
                 bad[i].msg);
    }
    lg_format *f;
    ASSERT_EQ(lg_format_compile("$status$", &f, NULL, 0),
              0); /* a lone '$' is text */
    lg_format_free(f);
}

/* What is enough: the request, its method or target, or the status; known
 * Apache directives pipefan does not read, and any letter with an
 * argument (modules add those), are skipped fields. */
TEST(required_fields_and_known_directives)
{
    static const char *const good[] = {
        "$status",
        "$request_method x",
        "$uri x",
        "%r",
        "%>s",
        "%m %U",
        "%h %A %f %k %L %p %P %R %X %I %S %s",
        "%h %{SSL_PROTOCOL}x %{c}a %{Foo}^ti %{Bar}^to %{ms}T %r",
        "%h %{cookie}C %{env}e %{note}n %{hdr}o %{remote}p %{tid}P %r",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        lg_format *f = NULL;
        char err[256] = "";
        int rc = lg_format_compile(good[i], &f, err, sizeof err);
        if (rc != 0)
            FAIL("'%s': rc %d, err '%s'", good[i], rc, err);
        ASSERT(lg_format_fields(f) & (LG_FIELD_REQUEST | LG_FIELD_STATUS));
        lg_format_free(f);
    }
    /* the skipped fields must still be there */
    lg_format *f = compile_ok("%h %{Foo}^ti %s");
    lg_rec r;
    const char *ok = "1.2.3.4 trailer 200", *short_ = "1.2.3.4 200";
    ASSERT_EQ(lg_parse_line(f, ok, strlen(ok), &r), LG_OK);
    ASSERT_EQ(r.status, 200);
    ASSERT_NE(lg_parse_line(f, short_, strlen(short_), &r), LG_OK);
    lg_format_free(f);
    /* every letter without an argument: known ones compile, others fail */
    for (char d = 'A'; d <= 'z'; d++) {
        if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z')))
            continue;
        char spec[16], err[256] = "";
        snprintf(spec, sizeof spec, "%%%c \"%%r\"", d);
        lg_format *g = NULL;
        int rc = lg_format_compile(spec, &g, err, sizeof err);
        int known = strchr("aABbDfhHklLmpPqrRstTuUvVXIOS", d) != NULL;
        if (known ? rc != 0 : rc != -22)
            FAIL("'%s': rc %d, err '%s'", spec, rc, err);
        lg_format_free(g);
    }
}
