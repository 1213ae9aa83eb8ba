/* test-parse.c - the line parser with built-in formats, time parsing,
 * detection, and every real-data fixture line by line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#include "../../logs/detect.h"
#include "../../logs/format.h"
#include "../../logs/parse.h"
#include "../../logs/timefmt.h"

/* ---- helpers ---- */

/* Path of a file under ../shared/realdata, or SKIP when the build did not
 * say where the source tree is. Static buffer. */
static const char *realdata(const char *rel)
{
    static char path[4096];
    const char *root = getenv("PIPEFAN_SOURCE_ROOT");
    if (!root || !*root)
        SKIP("PIPEFAN_SOURCE_ROOT is not set");
    snprintf(path, sizeof path, "%s/../shared/realdata/%s", root, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        SKIP("%s is not available", path);
    fclose(fp);
    return path;
}

/* A whole file in a malloc'd buffer (not NUL-terminated). */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        FAIL("cannot open %s", path);
    size_t cap = 1 << 16, n = 0, k;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    while ((k = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ASSERT_NOT_NULL(buf);
        }
    }
    fclose(fp);
    *len = n;
    return buf;
}

/* Parse `line` from a heap copy of exactly its length (no NUL after it),
 * so any read past the end trips AddressSanitizer. *keep is the copy the
 * record borrows from: free it after use. */
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

/* The reason a built-in "combined" gives for a line. */
static int reason(const char *line)
{
    lg_rec r;
    char *keep;
    int rc = parse_exact(lg_format_builtin("combined"), line, &r, &keep);
    free(keep);
    return rc;
}

#define ASSERT_LGSTR(s, want)                                                  \
    do {                                                                       \
        lg_str lg__s = (s);                                                    \
        const char *lg__w = (want);                                            \
        if (lg__s.n != strlen(lg__w) ||                                        \
            (lg__s.n && memcmp(lg__s.p, lg__w, lg__s.n) != 0))                 \
            FAIL("%s is \"%.*s\", expected \"%s\"", #s, (int)lg__s.n,          \
                 lg__s.n ? lg__s.p : "", lg__w);                               \
    } while (0)

/* ---- built-in formats ---- */

TEST(builtin_formats_and_aliases)
{
    ASSERT_STREQ(lg_format_name(lg_format_builtin("common")), "common");
    ASSERT_STREQ(lg_format_name(lg_format_builtin("clf")), "common");
    ASSERT_STREQ(lg_format_name(lg_format_builtin("ncsa")), "common");
    ASSERT_STREQ(lg_format_name(lg_format_builtin("combined")), "combined");
    ASSERT_STREQ(lg_format_name(lg_format_builtin("nginx")), "combined");
    ASSERT_STREQ(lg_format_name(lg_format_builtin("vhost_combined")),
                 "vhost_combined");
    ASSERT_STREQ(lg_format_name(lg_format_builtin("common_vhost")),
                 "vhost_common");
    ASSERT_NULL(lg_format_builtin("auto"));
    ASSERT_NULL(lg_format_builtin("nonsense"));
    ASSERT(lg_format_fields(lg_format_builtin("combined")) & LG_FIELD_AGENT);
    ASSERT(!(lg_format_fields(lg_format_builtin("common")) & LG_FIELD_AGENT));
    lg_format *f;
    ASSERT_EQ(lg_format_compile("combined", &f, NULL, 0), 0);
    ASSERT(f == lg_format_builtin("combined"));
    lg_format_free(f); /* a no-op for built-ins */
    lg_format_free(NULL);
}

TEST(combined_line_fields)
{
    lg_rec r;
    char *k;
    int rc = parse_exact(lg_format_builtin("combined"),
                         "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "
                         "\"GET /apache_pb.gif?x=1 HTTP/1.0\" 200 2326 "
                         "\"http://www.example.com/start.html\" "
                         "\"Mozilla/4.08 [en] (Win98; I ;Nav)\"",
                         &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.client, "127.0.0.1");
    ASSERT_LGSTR(r.ident, "");
    ASSERT_LGSTR(r.user, "frank");
    ASSERT_LGSTR(r.vhost, "");
    ASSERT_EQ(r.ts, 971211336); /* 2000-10-10T20:55:36Z */
    ASSERT_EQ(r.tz_off, -7 * 3600);
    ASSERT_LGSTR(r.request, "GET /apache_pb.gif?x=1 HTTP/1.0");
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/apache_pb.gif?x=1");
    ASSERT_LGSTR(r.protocol, "HTTP/1.0");
    ASSERT_EQ(r.status, 200);
    ASSERT_UEQ(r.bytes, 2326);
    ASSERT_LGSTR(r.referer, "http://www.example.com/start.html");
    ASSERT_LGSTR(r.agent, "Mozilla/4.08 [en] (Win98; I ;Nav)");
    ASSERT_EQ(r.req_time_us, -1);
    ASSERT_UEQ(r.flags, 0);
    free(k);
}

TEST(common_line_has_no_referer_or_agent)
{
    lg_rec r;
    char *k;
    ASSERT_EQ(parse_exact(lg_format_builtin("common"),
                          "1.2.3.4 - theuser [10/Feb/2012:16:42:07 -0500] "
                          "\"GET / HTTP/1.0\" 301 368\r",
                          &r, &k),
              LG_OK);
    ASSERT_LGSTR(r.user, "theuser");
    ASSERT_EQ(r.status, 301);
    ASSERT_UEQ(r.bytes, 368);
    ASSERT_LGSTR(r.agent, "");
    ASSERT_UEQ(r.flags, 0); /* a complete common line is not "salvaged" */
    free(k);
}

TEST(vhost_prefix_with_and_without_port)
{
    const char *lines[] = {
        "www.crowdsec11.net:80 192.168.1.1 - - [08/Jun/2020:08:04:43 +0000] "
        "\"GET /x.JPG HTTP/1.1\" 301 0 \"-\" \"UA\"",
        "www.crowdsec11.net 192.168.1.1 - - [08/Jun/2020:08:04:43 +0000] "
        "\"GET /x.JPG HTTP/1.1\" 301 0 \"-\" \"UA\"",
    };
    for (int i = 0; i < 2; i++) {
        lg_rec r;
        char *k;
        ASSERT_EQ(
            parse_exact(lg_format_builtin("vhost_combined"), lines[i], &r, &k),
            LG_OK);
        ASSERT_LGSTR(r.vhost, "www.crowdsec11.net");
        ASSERT_LGSTR(r.client, "192.168.1.1");
        ASSERT_LGSTR(r.agent, "UA");
        ASSERT_LGSTR(r.referer, "");
        free(k);
    }
}

TEST(missing_ident_and_user_fields)
{
    lg_rec r;
    char *k;
    ASSERT_EQ(parse_exact(
                  lg_format_builtin("combined"),
                  "192.168.1.1 - [08/Jun/2020:08:04:43 +0000] \"GET /api/test "
                  "HTTP/1.1\" 200 100 \"-\" \"curl/7.68.0\"",
                  &r, &k),
              LG_OK);
    ASSERT_LGSTR(r.client, "192.168.1.1");
    ASSERT_LGSTR(r.target, "/api/test");
    free(k);
    ASSERT_EQ(
        parse_exact(lg_format_builtin("combined"),
                    "192.168.202.254 [20/Jul/2009:22:59:29 +0000] \"GET /v.gz "
                    "HTTP/1.0\" 404 46210 \"-\" \"gPXE/0.9.7\"",
                    &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.client, "192.168.202.254");
    ASSERT_EQ(r.status, 404);
    free(k);
}

TEST(byte_order_mark_and_crlf_are_ignored)
{
    lg_rec r;
    char *k;
    ASSERT_EQ(parse_exact(lg_format_builtin("combined"),
                          "\xEF\xBB\xBF"
                          "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "
                          "\"GET / HTTP/1.0\" 200 1 \"-\" \"ua\"\r",
                          &r, &k),
              LG_OK);
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_LGSTR(r.agent, "ua");
    free(k);
}

TEST(ipv6_client_and_empty_quoted_fields)
{
    lg_rec r;
    char *k;
    ASSERT_EQ(
        parse_exact(lg_format_builtin("combined"),
                    "2001:db8:1:2:3:4:5:6 - - [18/Jul/2025:12:09:08 -0400] "
                    "\"GET /cover/5/md?c=1 HTTP/2.0\" 200 109757 \"\" \"\"",
                    &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.client, "2001:db8:1:2:3:4:5:6");
    ASSERT_LGSTR(r.protocol, "HTTP/2.0");
    ASSERT_LGSTR(r.referer, "");
    ASSERT_LGSTR(r.agent, "");
    ASSERT_EQ(r.tz_off, -4 * 3600);
    free(k);
}

TEST(empty_timezone_and_vhost_after_date)
{
    lg_rec r;
    char *k;
    ASSERT_EQ(
        parse_exact(
            lg_format_builtin("combined"),
            "66.249.66.1 - - - [31/Jan/2015:14:29:44 ] fail2ban.org \"GET / "
            "HTTP/1.1\" 200 814 \"-\" \"Googlebot\" + 293 1149 546",
            &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.client, "66.249.66.1");
    ASSERT_LGSTR(r.vhost, "fail2ban.org");
    ASSERT_EQ(r.ts, 1422714584); /* taken as UTC */
    ASSERT_EQ(r.tz_off, 0);
    ASSERT(r.flags & LG_REC_NO_TZ);
    ASSERT_LGSTR(r.agent, "Googlebot");
    free(k);
}

TEST(escaped_and_stray_quotes_in_request)
{
    lg_rec r;
    char *k;
    ASSERT_EQ(
        parse_exact(
            lg_format_builtin("common"),
            "172.17.0.1 - - [29/Sep/2021:12:37:05 +0000] \"GET "
            "/box.inc.php?config[\\\\\\\"sipssys\\\\\\\"]=x HTTP/1.1\" 404 196",
            &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.target, "/box.inc.php?config[\\\\\\\"sipssys\\\\\\\"]=x");
    ASSERT_EQ(r.status, 404);
    free(k);
    /* an unescaped quote not followed by " <status>" does not end it */
    ASSERT_EQ(
        parse_exact(
            lg_format_builtin("combined"),
            "1.2.3.4 - - [29/Sep/2021:12:37:05 +0000] \"GET /a\"b HTTP/1.1\" "
            "200 5 \"r\\\"ef\" \"ua\"",
            &r, &k),
        LG_OK);
    ASSERT_LGSTR(r.target, "/a\"b");
    ASSERT_LGSTR(r.referer, "r\\\"ef");
    ASSERT_LGSTR(r.agent, "ua");
    free(k);
}

TEST(odd_requests_are_requests_without_method)
{
    static const struct {
        const char *req, *method, *target, *proto;
    } cases[] = {
        {"\"\"", "", "", ""},
        {"\"-\"", "", "", ""},
        {"\"HELP\"", "HELP", "", ""},
        {"\"batman\"", "", "", ""},
        {"\"\\x16\\x03\\x01\\x01 \\x02\"", "", "", ""},
        {"\"CONNECT 123.123.123.123 HTTP/1.1\"", "CONNECT", "123.123.123.123",
         "HTTP/1.1"},
        {"\"GET /old/style\"", "GET", "/old/style", ""},
        {"\"GET /with space/x HTTP/1.1\"", "GET", "/with space/x", "HTTP/1.1"},
        /* the last word is the protocol only when it is a word */
        {"\"GET /a HTTP/1 1\"", "GET", "/a HTTP/1 1", ""},
        {"\"GET /a  HTTP/1.0\"", "GET", "/a", "HTTP/1.0"},
        {"\"GET /aHTTP/1.1\"", "GET", "/aHTTP/1.1", ""},
        {"\"GET HTTP/1.1\"", "GET", "HTTP/1.1", ""},
        {"\"GET /a HTTP/1.x\"", "GET", "/a", "HTTP/1.x"},
        {"\"GET /a HTTP/2\"", "GET", "/a", "HTTP/2"},
        {"\"\\x03\\x00\\x00/*\\xE0Cookie: mstshash=Administr\"", "", "", ""},
        /* a method is 1..32 of [A-Z_-] from a letter, then a space */
        {"\"ABCDEFGHIJKLMNOPQRSTUVWXYZ_-ABCD /a\"",
         "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-ABCD", "/a", ""},
        {"\"ABCDEFGHIJKLMNOPQRSTUVWXYZ_-ABCDE /a\"", "", "", ""},
        {"\"GE1T /a\"", "", "", ""},
        {"\"get /a\"", "", "", ""},
        {"\"-GET /a\"", "", "", ""},
        {"\"M-SEARCH * HTTP/1.1\"", "M-SEARCH", "*", "HTTP/1.1"},
        {"\"GET\t/a\"", "", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[512];
        snprintf(line, sizeof line,
                 "12.34.56.78 - - [20/Jan/2015:19:53:28 +0100] %s 400 47 \"-\" "
                 "\"-\" \"-\"",
                 cases[i].req);
        lg_rec r;
        char *k;
        ASSERT_EQ(parse_exact(lg_format_builtin("combined"), line, &r, &k),
                  LG_OK);
        ASSERT_EQ(r.status, 400);
        ASSERT_LGSTR(r.method, cases[i].method);
        ASSERT_LGSTR(r.target, cases[i].target);
        ASSERT_LGSTR(r.protocol, cases[i].proto);
        free(k);
    }
}

/* The status and bytes fields after a request, each way they can end. */
TEST(status_and_bytes_end_at_a_space_or_the_line_end)
{
    static const struct {
        const char *tail;
        int rc;
        uint64_t bytes;
        int no_bytes;
    } cases[] = {
        {"200 0", LG_OK, 0, 0},
        {"200 1234 \"-\" \"-\"", LG_OK, 1234, 0},
        {"200   77   \"-\" \"-\"", LG_OK, 77, 0},
        {"200 1234567890123456789", LG_OK, 1234567890123456789u, 0},
        {"200 12345678901234567890", LG_BAD_BYTES, 0, 0},
        {"200 12x \"-\"", LG_BAD_BYTES, 0, 0},
        {"200 -12", LG_BAD_BYTES, 0, 0},
        {"200 - \"-\" \"-\"", LG_OK, 0, 1},
        {"200", LG_OK, 0, 1},
        {"304 5", LG_OK, 5, 0},
        {"20 5", LG_BAD_STATUS, 0, 0},
        {"2 0 5", LG_BAD_STATUS, 0, 0},
        {"20x 5", LG_BAD_STATUS, 0, 0},
        {"2000 5", LG_BAD_STATUS, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[256];
        snprintf(line, sizeof line,
                 "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" "
                 "%s",
                 cases[i].tail);
        lg_rec r;
        char *k;
        int rc = parse_exact(lg_format_builtin("combined"), line, &r, &k);
        free(k);
        ASSERT_EQ(rc, cases[i].rc);
        if (rc != LG_OK)
            continue;
        ASSERT_UEQ(r.bytes, cases[i].bytes);
        ASSERT_EQ((r.flags & LG_REC_NO_BYTES) != 0, cases[i].no_bytes);
    }
}

/* A ']' where a zoned time ends does not hide an earlier one. */
TEST(time_ends_at_the_first_bracket)
{
    lg_rec r;
    char *k;
    ASSERT_EQ(parse_exact(lg_format_builtin("combined"),
                          "1.2.3.4 - - [10/Oct/2000:13:55:36] ab] \"GET / "
                          "HTTP/1.0\" 200 1",
                          &r, &k),
              LG_OK);
    ASSERT(r.flags & LG_REC_NO_TZ);
    ASSERT_LGSTR(r.vhost, "ab]");
    free(k);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:13:55:3] -0700] \"GET / "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_TIME);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:13:55:36 -07] \"GET / "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_TIME);
}

TEST(dash_bytes_and_salvaged_truncated_agent)
{
    lg_rec r;
    char *k;
    ASSERT_EQ(
        parse_exact(
            lg_format_builtin("combined"),
            "180.76.5.152 - - [20/May/2015:12:05:25 +0000] \"GET /robots.txt "
            "HTTP/1.1\" 200 - \"-\" \"Mozilla/5.0\"",
            &r, &k),
        LG_OK);
    ASSERT_UEQ(r.bytes, 0);
    ASSERT(r.flags & LG_REC_NO_BYTES);
    free(k);
    ASSERT_EQ(
        parse_exact(lg_format_builtin("combined"),
                    "46.118.127.106 - - [20/May/2015:12:05:17 +0000] \"GET "
                    "/c.py HTTP/1.1\" "
                    "200 235 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; "
                    "+http://www.google.com/bot.html",
                    &r, &k),
        LG_OK);
    ASSERT(r.flags & LG_REC_SALVAGED);
    ASSERT_UEQ(r.bytes, 235);
    ASSERT_LGSTR(r.agent, "Mozilla/5.0 (compatible; Googlebot/2.1; "
                          "+http://www.google.com/bot.html");
    free(k);
    /* ends right after the status: kept, no bytes */
    ASSERT_EQ(
        parse_exact(
            lg_format_builtin("combined"),
            "1.2.3.4 - - [20/May/2015:12:05:17 +0000] \"GET / HTTP/1.1\" 304",
            &r, &k),
        LG_OK);
    ASSERT(r.flags & LG_REC_SALVAGED);
    ASSERT(r.flags & LG_REC_NO_BYTES);
    free(k);
}

TEST(bad_line_reasons)
{
    ASSERT_EQ(reason(""), LG_BAD_EMPTY);
    ASSERT_EQ(reason("   \t \r"), LG_BAD_EMPTY);
    ASSERT_EQ(reason("# failJSON: { \"time\": 1 }"), LG_BAD_COMMENT);
    ASSERT_EQ(
        reason("[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10] "
               "[client 31.33.58.75:50229] AH01618: user sss not found: /"),
        LG_BAD_ERROR_LOG);
    ASSERT_EQ(reason("2021/12/01 13:53:33 [error] 31#31: *46 \""),
              LG_BAD_ERROR_LOG);
    ASSERT_EQ(reason("host nginx[2833]: 2015/01/21 10:56:10 [error] 2833#0: "
                     "*16336 open()"),
              LG_BAD_ERROR_LOG);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /\x01 "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_BINARY);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700]"),
              LG_BAD_TRUNCATED);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/20"), LG_BAD_TRUNCATED);
    ASSERT_EQ(reason("1.2.3.4 - -"), LG_BAD_TRUNCATED);
    ASSERT_EQ(
        reason("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\""),
        LG_BAD_TRUNCATED);
    ASSERT_EQ(reason("1.2\"3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_CLIENT);
    ASSERT_EQ(reason("[10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1"),
              LG_BAD_CLIENT);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Okt/2000:13:55:36 -0700] \"GET / "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_TIME);
    ASSERT_EQ(reason("1.2.3.4 - - [31/Nov/2000:13:55:36 -0700] \"GET / "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_TIME);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:24:00:00 -0700] \"GET / "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_TIME);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:13:55:36 +2500] \"GET / "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_TIME);
    ASSERT_EQ(reason("1.2.3.4 - - \"GET / HTTP/1.0\" 200 1"), LG_BAD_TIME);
    ASSERT_EQ(
        reason(
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0 200 1"),
        LG_BAD_REQUEST);
    ASSERT_EQ(
        reason("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] GET / HTTP/1.0 200 1"),
        LG_BAD_REQUEST);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
                     "HTTP/1.0\" 2000 1"),
              LG_BAD_STATUS);
    ASSERT_EQ(
        reason(
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" - 1"),
        LG_BAD_STATUS);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
                     "HTTP/1.0\" 099 1"),
              LG_BAD_STATUS);
    ASSERT_EQ(reason("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
                     "HTTP/1.0\" 200 12x"),
              LG_BAD_BYTES);
    ASSERT_EQ(
        reason(
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 "
            "99999999999999999999"),
        LG_BAD_BYTES);
    ASSERT_EQ(reason("a b c d e f [10/Oct/2000:13:55:36 -0700] \"GET / "
                     "HTTP/1.0\" 200 1"),
              LG_BAD_FORMAT);
}

TEST(nul_bytes_are_binary_and_len_is_respected)
{
    const char line[] =
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1";
    char buf[sizeof line];
    memcpy(buf, line, sizeof line);
    buf[20] = '\0';
    lg_rec r;
    ASSERT_EQ(
        lg_parse_line(lg_format_builtin("combined"), buf, sizeof line - 1, &r),
        LG_BAD_BINARY);
    /* a valid line followed by garbage that is outside len */
    char big[200];
    memcpy(big, line, sizeof line - 1);
    memset(big + sizeof line - 1, 'Z', sizeof big - (sizeof line - 1));
    ASSERT_EQ(
        lg_parse_line(lg_format_builtin("combined"), big, sizeof line - 1, &r),
        LG_OK);
    ASSERT_UEQ(r.bytes, 1);
}

TEST(one_mib_line_is_too_long)
{
    size_t n = 1 << 20;
    char *buf = malloc(n);
    ASSERT_NOT_NULL(buf);
    memset(buf, 'a', n);
    lg_rec r;
    ASSERT_EQ(lg_parse_line(lg_format_builtin("combined"), buf, n, &r),
              LG_BAD_TOO_LONG);
    ASSERT_EQ(
        lg_parse_line(lg_format_builtin("combined"), buf, LG_LINE_MAX, &r),
        LG_BAD_TRUNCATED);
    free(buf);
}

TEST(every_prefix_of_a_line_is_safe)
{
    const char *line =
        "www.x.org:443 2001:db8::1 - bob [10/Oct/2000:13:55:36 -0700] "
        "\"GET /a?b=\\\"c\\\" HTTP/1.1\" 200 2326 \"http://r/\" \"UA x\"";
    size_t n = strlen(line);
    for (size_t i = 0; i <= n; i++) {
        char *copy = malloc(i ? i : 1);
        ASSERT_NOT_NULL(copy);
        memcpy(copy, line, i);
        lg_rec r;
        int rc = lg_parse_line(lg_format_builtin("combined"), copy, i, &r);
        ASSERT(rc >= 0 && rc < LG_BAD_COUNT);
        if (rc == LG_OK)
            ASSERT_EQ(r.status, 200); /* only prefixes past the status parse */
        free(copy);
    }
}

TEST(bad_names_are_stable)
{
    ASSERT_STREQ(lg_bad_name(LG_OK), "ok");
    ASSERT_STREQ(lg_bad_name(LG_BAD_EMPTY), "empty");
    ASSERT_STREQ(lg_bad_name(LG_BAD_COMMENT), "comment");
    ASSERT_STREQ(lg_bad_name(LG_BAD_ERROR_LOG), "error_log");
    ASSERT_STREQ(lg_bad_name(LG_BAD_BINARY), "binary");
    ASSERT_STREQ(lg_bad_name(LG_BAD_TOO_LONG), "too_long");
    ASSERT_STREQ(lg_bad_name(LG_BAD_TRUNCATED), "truncated");
    ASSERT_STREQ(lg_bad_name(LG_BAD_CLIENT), "client");
    ASSERT_STREQ(lg_bad_name(LG_BAD_TIME), "time");
    ASSERT_STREQ(lg_bad_name(LG_BAD_REQUEST), "request");
    ASSERT_STREQ(lg_bad_name(LG_BAD_STATUS), "status");
    ASSERT_STREQ(lg_bad_name(LG_BAD_BYTES), "bytes");
    ASSERT_STREQ(lg_bad_name(LG_BAD_FORMAT), "format");
    ASSERT_STREQ(lg_bad_name(LG_BAD_COUNT), "unknown");
    ASSERT_STREQ(lg_bad_name(-1), "unknown");
    ASSERT(lg_bad_is_ignorable(LG_BAD_EMPTY) &&
           lg_bad_is_ignorable(LG_BAD_COMMENT));
    ASSERT(!lg_bad_is_ignorable(LG_BAD_ERROR_LOG) &&
           !lg_bad_is_ignorable(LG_OK));
    for (int i = 0; i < LG_BAD_COUNT; i++)
        ASSERT(strlen(lg_bad_describe(i)) > 0);
}

/* ---- time ---- */

/* The parser remembers the last hour and zone: every neighbour of a
 * remembered time must still give its own value. */
TEST(clf_time_of_the_same_hour_and_its_neighbours)
{
    static const struct {
        const char *s;
        int64_t ts;
        int32_t off;
    } seq[] = {
        {"17/Oct/2023:05:57:49 +1100", 1697482669, 39600},
        {"17/Oct/2023:05:58:00 +1100", 1697482680, 39600},
        {"17/Oct/2023:05:00:00 +1100", 1697479200, 39600},
        {"17/Oct/2023:05:00:00 +1000", 1697482800, 36000},  /* zone */
        {"17/Oct/2023:05:00:00 +1030", 1697481000, 37800},  /* its minutes */
        {"17/Oct/2023:05:00:00 -1000", 1697554800, -36000}, /* sign */
        {"17/Oct/2023:06:00:00 -1000", 1697558400, -36000}, /* hour */
        {"18/Oct/2023:06:00:00 -1000", 1697644800, -36000}, /* day */
        {"18/Oct/2024:06:00:00 -1000", 1729267200, -36000}, /* year */
        {"18/Oct/2024:06:59:60 -1000", 1729270800, -36000}, /* leap s */
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        int64_t ts = 0;
        int32_t off = 1;
        ASSERT_EQ(lg_time_parse_clf(seq[i].s, 26, &ts, &off), 0);
        if (ts != seq[i].ts || off != seq[i].off)
            FAIL("%s: %lld %d, want %lld %d", seq[i].s, (long long)ts, off,
                 (long long)seq[i].ts, seq[i].off);
    }
    /* Bad minutes and seconds after a remembered hour still fail. */
    int64_t ts;
    int32_t off;
    ASSERT_EQ(lg_time_parse_clf("18/Oct/2024:06:60:00 -1000", 26, &ts, &off),
              -1);
    ASSERT_EQ(lg_time_parse_clf("18/Oct/2024:06:00:61 -1000", 26, &ts, &off),
              -1);
    ASSERT_EQ(lg_time_parse_clf("18/Oct/2024:06:0x:00 -1000", 26, &ts, &off),
              -1);
    ASSERT_EQ(lg_time_parse_clf("18/Oct/2024:06-00:00 -1000", 26, &ts, &off),
              -1);
}

TEST(clf_time_offsets_and_calendar)
{
    int64_t ts;
    int32_t off;
    ASSERT_EQ(lg_time_parse_clf("01/Jan/1970:00:00:00 +0000", 26, &ts, &off),
              0);
    ASSERT_EQ(ts, 0);
    ASSERT_EQ(lg_time_parse_clf("01/Jan/1970:01:00:00 +0100", 26, &ts, &off),
              0);
    ASSERT_EQ(ts, 0);
    ASSERT_EQ(off, 3600);
    ASSERT_EQ(lg_time_parse_clf("31/Dec/1969:19:00:00 -0500", 26, &ts, &off),
              0);
    ASSERT_EQ(ts, 0);
    ASSERT_EQ(lg_time_parse_clf("17/Oct/2023:05:57:49 +1100", 26, &ts, &off),
              0);
    ASSERT_EQ(ts, 1697482669);
    ASSERT_EQ(lg_time_parse_clf("29/Feb/2000:12:00:00 +0530", 26, &ts, &off),
              0);
    ASSERT_EQ(ts, 951805800);
    ASSERT_EQ(off, 19800);
    ASSERT_EQ(lg_time_parse_clf("10/Oct/2000:13:55:36 +01:00", 27, &ts, &off),
              0);
    ASSERT_EQ(off, 3600);
    ASSERT_EQ(lg_time_parse_clf("29/Feb/1900:12:00:00 +0000", 26, &ts, &off),
              -1);
    ASSERT_EQ(lg_time_parse_clf("29/Feb/2001:12:00:00 +0000", 26, &ts, &off),
              -1);
    ASSERT_EQ(lg_time_parse_clf("00/Feb/2001:12:00:00 +0000", 26, &ts, &off),
              -1);
    ASSERT_EQ(lg_time_parse_clf("10/Oct/2000:13:60:00 +0000", 26, &ts, &off),
              -1);
    ASSERT_EQ(lg_time_parse_clf("10/Oct/2000:13:55:36 0000", 25, &ts, &off),
              -1);
    ASSERT_EQ(lg_time_parse_clf("10/Oct/2000:13:55", 17, &ts, &off), -1);
    /* the date cache must not answer for a different day */
    ASSERT_EQ(lg_time_parse_clf("11/Oct/2000:00:00:00 +0000", 26, &ts, &off),
              0);
    ASSERT_EQ(ts, 971222400);
    ASSERT_EQ(lg_time_parse_clf("11/Oct/2001:00:00:00 +0000", 26, &ts, &off),
              0);
    ASSERT_EQ(ts, 971222400 + 365 * 86400);
    /* DST-free: the offset is the one written, whatever the season */
    ASSERT_EQ(lg_time_parse_clf("01/Jul/2015:12:00:00 +0200", 26, &ts, &off),
              0);
    int64_t summer = ts;
    ASSERT_EQ(lg_time_parse_clf("01/Jul/2015:11:00:00 +0100", 26, &ts, &off),
              0);
    ASSERT_EQ(ts, summer);
}

TEST(iso_time_forms_and_precision)
{
    int64_t ts, prec;
    int32_t off;
    ASSERT_EQ(
        lg_time_parse_iso("2015-05-19T14:00:00+02:00", 25, 0, &ts, &off, &prec),
        0);
    ASSERT_EQ(ts, 1432036800);
    ASSERT_EQ(off, 7200);
    ASSERT_EQ(prec, 1);
    ASSERT_EQ(
        lg_time_parse_iso("2015-05-19T12:00:00Z", 20, 0, &ts, &off, &prec), 0);
    ASSERT_EQ(ts, 1432036800);
    ASSERT_EQ(lg_time_parse_iso("2015-05-19 14:00", 16, 7200, &ts, &off, &prec),
              0);
    ASSERT_EQ(ts, 1432036800);
    ASSERT_EQ(prec, 60);
    ASSERT_EQ(lg_time_parse_iso("2015-05-19", 10, 0, &ts, NULL, &prec), 0);
    ASSERT_EQ(ts, 1431993600);
    ASSERT_EQ(prec, 86400);
    ASSERT_EQ(lg_time_parse_iso("2015-05-19T14", 13, 0, &ts, NULL, &prec), 0);
    ASSERT_EQ(prec, 3600);
    ASSERT_EQ(lg_time_parse_iso("2015-05-19T14:00:00.123-0530", 28, 0, &ts,
                                &off, NULL),
              0);
    ASSERT_EQ(off, -19800);
    ASSERT_EQ(ts, 1431993600 + 19 * 3600 + 1800); /* 19:30Z */
    ASSERT_EQ(
        lg_time_parse_iso("2015-05-19T14:00:00+02", 22, 0, &ts, &off, NULL), 0);
    ASSERT_EQ(off, 7200);
    ASSERT_EQ(lg_time_parse_iso("2015-13-01", 10, 0, &ts, NULL, NULL), -1);
    ASSERT_EQ(lg_time_parse_iso("2015-02-29", 10, 0, &ts, NULL, NULL), -1);
    ASSERT_EQ(lg_time_parse_iso("2015-05-19T", 11, 0, &ts, NULL, NULL), -1);
    ASSERT_EQ(lg_time_parse_iso("2015-05-19T14:00:00+", 20, 0, &ts, NULL, NULL),
              -1);
    ASSERT_EQ(lg_time_parse_iso("2015-05-19x", 11, 0, &ts, NULL, NULL), -1);
    ASSERT_EQ(lg_time_parse_iso("15-05-19", 8, 0, &ts, NULL, NULL), -1);
}

TEST(civil_round_trip_and_formatting)
{
    for (int64_t d = -800000; d <= 800000; d += 997) {
        int64_t y;
        int m, dd;
        lg_civil_from_days(d, &y, &m, &dd);
        ASSERT_EQ(lg_days_from_civil(y, m, dd), d);
    }
    char buf[32];
    ASSERT_EQ(lg_time_format_iso(1432036800, 7200, 1, buf), 25);
    ASSERT_STREQ(buf, "2015-05-19T14:00:00+02:00");
    lg_time_format_iso(1432036800, 0, 1, buf);
    ASSERT_STREQ(buf, "2015-05-19T12:00:00Z");
    lg_time_format_iso(-1, -3600, 0, buf);
    ASSERT_STREQ(buf, "1969-12-31T22:59:59-01:00");
    lg_tm tm;
    lg_time_civil(1432036800, -7 * 3600, &tm);
    ASSERT_EQ(tm.year, 2015);
    ASSERT_EQ(tm.mon, 5);
    ASSERT_EQ(tm.mday, 19);
    ASSERT_EQ(tm.hour, 5);
    ASSERT_EQ(tm.wday, 2); /* a Tuesday */
}

/* ---- detection ---- */

TEST(detect_picks_layout)
{
    const lg_format *f;
    const char *combined =
        "# header\n\n1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
        "HTTP/1.0\" 200 1 \"-\" \"ua\"\n";
    ASSERT_EQ(lg_detect(combined, strlen(combined), &f), 1);
    ASSERT_STREQ(lg_format_name(f), "combined");
    const char *common =
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n"
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n";
    ASSERT_EQ(lg_detect(common, strlen(common), &f), 2);
    ASSERT_STREQ(lg_format_name(f), "common");
    const char *vh =
        "a.com:80 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" "
        "200 1 \"-\" \"ua\"\n";
    ASSERT_EQ(lg_detect(vh, strlen(vh), &f), 1);
    ASSERT_STREQ(lg_format_name(f), "vhost_combined");
    const char *junk = "hello\nworld\n";
    ASSERT_EQ(lg_detect(junk, strlen(junk), &f), 0);
    ASSERT_STREQ(lg_format_name(f), "combined");
    ASSERT_EQ(lg_detect("", 0, &f), 0);
    /* a cut-off last line is not judged when complete lines exist */
    const char *cut = "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
                      "HTTP/1.0\" 200 1\n1.2.3";
    ASSERT_EQ(lg_detect(cut, strlen(cut), &f), 1);
}

/* ---- real data ---- */

/* Tally every line of a file with format f. */
typedef struct tally {
    long lines, reasons[LG_BAD_COUNT], salvaged, no_bytes;
    unsigned long long bytes;
} tally;

static void tally_file(const char *path, const lg_format *f, tally *t,
                       void (*each)(const lg_rec *r, long lineno, void *arg),
                       void *arg)
{
    size_t len;
    char *buf = slurp(path, &len);
    memset(t, 0, sizeof *t);
    const char *p = buf, *e = buf + len;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        lg_rec r;
        int rc = lg_parse_line(f, p, (size_t)(le - p), &r);
        t->lines++;
        ASSERT(rc >= 0 && rc < LG_BAD_COUNT);
        t->reasons[rc]++;
        if (rc == LG_OK) {
            t->bytes += r.bytes;
            t->salvaged += (r.flags & LG_REC_SALVAGED) != 0;
            t->no_bytes += (r.flags & LG_REC_NO_BYTES) != 0;
            if (each)
                each(&r, t->lines, arg);
        }
        p = nl ? nl + 1 : e;
    }
    free(buf);
}

typedef struct apache_ref {
    long st200, st304, st404, st301, st206, st500, st416, st403, other;
    long get, head, post, options;
    long favicon, ip482, hour19;
    long salvaged_line;
} apache_ref;

static void apache_each(const lg_rec *r, long lineno, void *arg)
{
    apache_ref *a = arg;
    switch (r->status) {
    case 200:
        a->st200++;
        break;
    case 304:
        a->st304++;
        break;
    case 404:
        a->st404++;
        break;
    case 301:
        a->st301++;
        break;
    case 206:
        a->st206++;
        break;
    case 500:
        a->st500++;
        break;
    case 416:
        a->st416++;
        break;
    case 403:
        a->st403++;
        break;
    default:
        a->other++;
        break;
    }
#define IS(s, lit) ((s).n == sizeof(lit) - 1 && memcmp((s).p, lit, (s).n) == 0)
    a->get += IS(r->method, "GET");
    a->head += IS(r->method, "HEAD");
    a->post += IS(r->method, "POST");
    a->options += IS(r->method, "OPTIONS");
    a->favicon += IS(r->target, "/favicon.ico");
    a->ip482 += IS(r->client, "66.249.73.135");
#undef IS
    lg_tm tm;
    lg_time_civil(r->ts, r->tz_off, &tm);
    a->hour19 += tm.mday == 19 && tm.mon == 5 && tm.hour == 19;
    if (r->flags & LG_REC_SALVAGED)
        a->salvaged_line = lineno;
}

TEST(apache_logs_matches_reference_values)
{
    const char *path = realdata("elastic-apache_logs/apache_logs");
    size_t len;
    char *buf = slurp(path, &len);
    const lg_format *f;
    ASSERT_EQ(lg_detect(buf, len, &f), LG_DETECT_LINES);
    ASSERT_STREQ(lg_format_name(f), "combined");
    free(buf);

    tally t;
    apache_ref a = {0};
    tally_file(path, f, &t, apache_each, &a);
    ASSERT_EQ(t.lines, 10000);
    ASSERT_EQ(t.reasons[LG_OK], 10000); /* line 8899 is salvaged, not bad */
    ASSERT_UEQ(t.bytes, 2747282740ull);
    ASSERT_EQ(t.no_bytes, 669);
    ASSERT_EQ(t.salvaged, 1);
    ASSERT_EQ(a.salvaged_line, 8899);
    ASSERT_EQ(a.st200, 9126);
    ASSERT_EQ(a.st304, 445);
    ASSERT_EQ(a.st404, 213);
    ASSERT_EQ(a.st301, 164);
    ASSERT_EQ(a.st206, 45);
    ASSERT_EQ(a.st500, 3);
    ASSERT_EQ(a.st416, 2);
    ASSERT_EQ(a.st403, 2);
    ASSERT_EQ(a.other, 0);
    ASSERT_EQ(a.get, 9952);
    ASSERT_EQ(a.head, 42);
    ASSERT_EQ(a.post, 5);
    ASSERT_EQ(a.options, 1);
    ASSERT_EQ(a.favicon, 807);
    ASSERT_EQ(a.ip482, 482);
    ASSERT_EQ(a.hour19, 136);
}

/* Expected outcome of each fixture with the detected format. A file's
 * last line without '\n' counts as a line (as wc -l does not). */
static const struct fixture {
    const char *file, *format;
    long lines, ok, empty, comment, error_log, other_bad;
    unsigned long long bytes;
} fixtures[] = {
    {"crowdsec-hub/apache-http-probing.log", "common", 77, 77, 0, 0, 0, 0,
     15152},
    {"crowdsec-hub/apache2-logs.log", "combined", 9, 7, 0, 0, 2, 0, 12487},
    {"crowdsec-hub/apache2-malformed.log", "combined", 11, 11, 0, 0, 0, 0,
     2486},
    {"crowdsec-hub/apache_log4j2_cve-2021-44228.log", "combined", 5, 3, 2, 0, 0,
     0, 949},
    {"crowdsec-hub/calibre-web-ipv6.log", "combined", 16, 16, 0, 0, 0, 0,
     1150569},
    {"crowdsec-hub/nginx-http-malformed.log", "combined", 12, 12, 0, 0, 0, 0,
     1884},
    {"crowdsec-hub/nginx-http-path-traversal.log", "combined", 9, 9, 0, 0, 0, 0,
     1458},
    {"crowdsec-hub/nginx-http-sqli-probing.log", "combined", 16, 16, 0, 0, 0, 0,
     2592},
    {"crowdsec-hub/nginx-http-xss-probing.log", "combined", 26, 26, 0, 0, 0, 0,
     4212},
    {"crowdsec-hub/nginx_http-logs.log", "combined", 9, 8, 0, 0, 1, 0, 3731},
    {"fail2ban/apache-badbots", "combined", 11, 4, 3, 4, 0, 0, 1709},
    {"fail2ban/apache-fakegooglebot", "vhost_combined", 7, 3, 0, 4, 0, 0, 1960},
    {"fail2ban/nginx-bad-request", "combined", 23, 8, 7, 8, 0, 0, 606},
    {"fail2ban/nginx-botsearch", "combined", 43, 8, 14, 15, 6, 0, 606},
    {"lnav/logfile_access_log.0", "combined", 3, 3, 0, 0, 0, 0, 125273},
    {"lnav/logfile_access_log.1", "combined", 1, 1, 0, 0, 0, 0, 0},
    {"lnav/logfile_bad_access_log.0", "combined", 3, 3, 0, 0, 0, 0, 125273},
    {"matomo/common.log", "common", 1, 1, 0, 0, 0, 0, 368},
    {"matomo/common_complete.log", "vhost_combined", 1, 1, 0, 0, 0, 0, 368},
    {"matomo/common_encoding_big5.log", "vhost_combined", 1, 1, 0, 0, 0, 0,
     368},
    {"matomo/common_vhost.log", "vhost_common", 1, 1, 0, 0, 0, 0, 368},
    {"matomo/logs_to_tests.log", "combined", 6, 4, 1, 1, 0, 0, 576},
    {"matomo/ncsa_extended.log", "combined", 1, 1, 0, 0, 0, 0, 368},
};

TEST(fixtures_detect_and_classify)
{
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        const struct fixture *x = &fixtures[i];
        char rel[256];
        snprintf(rel, sizeof rel, "fixtures/%s", x->file);
        const char *path = realdata(rel);
        size_t len;
        char *buf = slurp(path, &len);
        const lg_format *f;
        lg_detect(buf, len, &f);
        free(buf);
        if (strcmp(lg_format_name(f), x->format) != 0)
            FAIL("%s: detected %s, expected %s", x->file, lg_format_name(f),
                 x->format);
        tally t;
        tally_file(path, f, &t, NULL, NULL);
        long other = t.lines - t.reasons[LG_OK] - t.reasons[LG_BAD_EMPTY] -
                     t.reasons[LG_BAD_COMMENT] - t.reasons[LG_BAD_ERROR_LOG];
        if (t.lines != x->lines || t.reasons[LG_OK] != x->ok ||
            t.reasons[LG_BAD_EMPTY] != x->empty ||
            t.reasons[LG_BAD_COMMENT] != x->comment ||
            t.reasons[LG_BAD_ERROR_LOG] != x->error_log ||
            other != x->other_bad || t.bytes != x->bytes)
            FAIL("%s: lines %ld ok %ld empty %ld comment %ld error_log %ld "
                 "other %ld "
                 "bytes %llu",
                 x->file, t.lines, t.reasons[LG_OK], t.reasons[LG_BAD_EMPTY],
                 t.reasons[LG_BAD_COMMENT], t.reasons[LG_BAD_ERROR_LOG], other,
                 t.bytes);
    }
}

/* The fused scan of scan.c: the line end is the first '\n' and the
 * clean flag holds exactly when lg_parse_line would find no control byte;
 * a clean line parses to the same record with lg_parse_line_clean.  Each
 * line sits at every offset of a 16-byte vector, and is read from a heap
 * copy of its exact length. */
TEST(line_scan_finds_the_end_and_control_bytes_like_the_parser)
{
    static const char *const lines[] = {
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.0\" 200 2326 "
        "\"-\" \"UA\"\n",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.0\" 200 2326 "
        "\"-\" \"UA\"\r\n",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\tb HTTP/1.0\" 200 "
        "2326\n",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\rb HTTP/1.0\" 200 "
        "2326\n",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\x01 HTTP/1.0\" 200 "
        "2326\n",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 5 \r "
        "\n",
        "no newline at all, and longer than sixteen bytes",
        "\n",
        "\r\n",
        "short\x1f\n",
    };
    const lg_format *f = lg_format_builtin("combined");
    for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++) {
        size_t n = strlen(lines[k]);
        for (size_t off = 0; off < 16; off++) {
            char *buf = malloc(off + n);
            ASSERT_NOT_NULL(buf);
            memset(buf, 'x', off);
            memcpy(buf + off, lines[k], n);
            const char *p = buf + off, *end = p + n;
            int clean = -1;
            const char *le = lg_line_scan(p, end, &clean);
            const char *nl = memchr(p, '\n', n);
            ASSERT(le == (nl ? nl : end));
            size_t len = (size_t)(le - p);
            lg_rec a, b;
            int ra = lg_parse_line(f, p, len, &a);
            if (ra == LG_BAD_BINARY)
                ASSERT_EQ(clean, 0);
            if (clean) {
                int rb = lg_parse_line_clean(f, p, len, &b);
                ASSERT_EQ(ra, rb);
                if (ra == LG_OK) {
                    ASSERT_EQ(a.status, b.status);
                    ASSERT(a.target.p == b.target.p &&
                           a.target.n == b.target.n);
                    ASSERT(a.agent.p == b.agent.p && a.agent.n == b.agent.n);
                }
            }
            free(buf);
        }
    }
}

/* lg_line_scan stops at the first control byte wherever it sits in a long
 * line: inside or at the edge of a 16- or 32-byte step, or in the tail
 * after the last whole step.  A TAB does not stop it. */
TEST(line_scan_finds_a_control_byte_anywhere)
{
    char line[100];
    const char stops[] = {'\n', '\x01', '\x1f', '\r', '\t'};
    for (size_t s = 0; s < sizeof stops; s++)
        for (size_t at = 0; at < sizeof line; at++) {
            int clean = -1;
            memset(line, 'a', sizeof line);
            line[at] = stops[s];
            const char *le = lg_line_scan(line, line + sizeof line, &clean);
            if (stops[s] == '\t') { /* not a stop: the line runs to the end */
                ASSERT(le == line + sizeof line);
                ASSERT_EQ(clean, 1);
            } else if (stops[s] == '\n') {
                ASSERT(le == line + at);
                ASSERT_EQ(clean, 1);
            } else { /* a bad byte: the line still ends at its end */
                ASSERT(le == line + sizeof line);
                ASSERT_EQ(clean, 0);
            }
        }
}
