/* test-w3c.c - W3C extended logs: every field of IIS, CloudFront,
 * Incapsula and NetScaler lines, "#Fields:" changing mid-file, and a
 * block that starts after the header (lg_w3c_begin, as scan.c does). */
#include "lgtest.h"

#include "../../logs/parse-cols.h"

/* Parse a whole text line by line; returns the number of LG_OK lines and
 * checks that every other line is a comment. */
static int parse_all(const char *text, lg_rec *last)
{
    const lg_format *f = lgt_fmt("w3c");
    int ok = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        int rc = lg_parse_line(f, p, n, last);
        if (rc == LG_OK)
            ok++;
        else if (rc != LG_BAD_COMMENT)
            FAIL("line \"%.*s\": %s", (int)n, p, lg_bad_name(rc));
        p += n + (nl != NULL);
    }
    return ok;
}

TEST(iis_every_field)
{
    lg_rec r;
    ASSERT_EQ(
        parse_all("#Software: Microsoft Internet Information Services 6.0\n"
                  "#Fields: date time s-sitename s-ip cs-method cs-uri-stem "
                  "cs-uri-query s-port cs-username c-ip cs-version "
                  "cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status "
                  "sc-substatus sc-win32-status sc-bytes cs-bytes "
                  "time-taken\n"
                  "2012-04-01 00:00:13 W3SVC1 5.6.7.8 GET /foo/bar a=1&b=2 80 "
                  "theuser 1.2.3.4 HTTP/1.1 Mozilla/5.0+(X11) c=1 "
                  "http://ref.example/ example.com:8080 404 0 2 27028 214 "
                  "1687",
                  &r),
        1);
    ASSERT_EQ(r.ts, 1333238413);
    ASSERT_EQ(r.tz_off, 0);
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/foo/bar"); /* cs-uri-query is not joined */
    ASSERT_LGSTR(r.user, "theuser");
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_LGSTR(r.protocol, "HTTP/1.1");
    ASSERT_LGSTR(r.agent, "Mozilla/5.0+(X11)");
    ASSERT_LGSTR(r.referer, "http://ref.example/");
    ASSERT_LGSTR(r.vhost, "example.com");
    ASSERT_EQ(r.status, 404);
    ASSERT_UEQ(r.bytes, 27028);
    ASSERT_EQ(r.req_time_us, 1687000); /* IIS: milliseconds */
    ASSERT_LGSTR(r.request, "");
}

TEST(cloudfront_every_field_tab_separated)
{
    lg_rec r;
    ASSERT_EQ(parse_all("#Version: 1.0\n"
                        "#Fields: date time x-edge-location sc-bytes c-ip "
                        "cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
                        "cs(User-Agent) cs-uri-query cs(Cookie) "
                        "x-edge-result-type x-edge-request-id x-host-header "
                        "cs-protocol cs-bytes time-taken\n"
                        "2014-05-23\t01:13:11\tFRA2\t182\t192.0.2.10\tGET\t"
                        "d1.cloudfront.net\t/view/my/file.html\t200\t"
                        "https://example.com/\tMozilla/5.0%20(X)\t-\t-\tMiss\t"
                        "abc==\texample.com\thttps\t217\t0.001",
                        &r),
              1);
    ASSERT_EQ(r.ts, 1400807591);
    ASSERT_UEQ(r.bytes, 182);
    ASSERT_LGSTR(r.client, "192.0.2.10");
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.vhost, "example.com"); /* x-host-header, the later */
    ASSERT_LGSTR(r.target, "/view/my/file.html");
    ASSERT_EQ(r.status, 200);
    ASSERT_LGSTR(r.referer, "https://example.com/");
    ASSERT_LGSTR(r.agent, "Mozilla/5.0%20(X)");
    ASSERT_EQ(r.req_time_us, 1000); /* CloudFront: seconds */
}

TEST(incapsula_quoted_columns_and_cs_uri)
{
    lg_rec r;
    ASSERT_EQ(parse_all("#Fields: date time c-ip cs(User-Agent) cs-uri "
                        "cs-method sc-status cs(Referrer) cs-bytes\n"
                        "\"2017-06-28\" \"07:26:35\" \"123.123.123.123\" "
                        "\"Mozilla/5.0 (Windows NT 6.1)\" "
                        "\"www.example.com/page.php\" \"GET\" \"200\" \"\" "
                        "\"10117\"",
                        &r),
              1);
    ASSERT_EQ(r.ts, 1498634795);
    ASSERT_LGSTR(r.client, "123.123.123.123");
    ASSERT_LGSTR(r.agent, "Mozilla/5.0 (Windows NT 6.1)");
    ASSERT_LGSTR(r.vhost, "www.example.com");
    ASSERT_LGSTR(r.target, "/page.php");
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_EQ(r.status, 200);
    ASSERT_LGSTR(r.referer, "");
    ASSERT_UEQ(r.bytes, 0); /* cs-bytes is what the client sent */
    ASSERT(r.flags & LG_REC_NO_BYTES);
}

TEST(split_date_time_and_dash_client)
{
    lg_rec r;
    ASSERT_EQ(parse_all("#Fields: c-ip c-dns date cs-uri-stem c-status "
                        "cs(User-Agent) sc-bytes x-duration avgbandwidth "
                        "time\n"
                        "1.2.3.4 5.6.7.8 2015-12-07 /stream?t=x 200 "
                        "NSPlayer%2F10 65580 1.5 524640 10:37:05",
                        &r),
              1);
    ASSERT_EQ(r.ts, 1449484625);
    ASSERT_LGSTR(r.target, "/stream?t=x");
    ASSERT_EQ(r.req_time_us, 1500000);
    ASSERT_EQ(parse_all("#Fields: date time-local c-ip cs-method cs-uri-stem "
                        "sc-status TimeTakenMS\n"
                        "2012-08-15 17:00:00.660 - GET /t 301 12\n",
                        &r),
              1);
    ASSERT_EQ(r.ts, 1345050000);
    ASSERT_LGSTR(r.client, "-");
    ASSERT_EQ(r.req_time_us, 12000);
}

TEST(fields_change_mid_file)
{
    lg_rec r;
    ASSERT_EQ(parse_all("#Fields: date time c-ip cs-method cs-uri-stem "
                        "sc-status sc-bytes\n"
                        "2012-04-01 00:00:13 1.1.1.1 GET /a 200 10\n"
                        "#Fields: date time cs-uri-stem sc-bytes sc-status "
                        "c-ip cs-method\n"
                        "2012-04-01 00:00:14 /b 20 404 2.2.2.2 POST\n",
                        &r),
              2);
    ASSERT_LGSTR(r.target, "/b");
    ASSERT_EQ(r.status, 404);
    ASSERT_UEQ(r.bytes, 20);
    ASSERT_LGSTR(r.client, "2.2.2.2");
    ASSERT_LGSTR(r.method, "POST");
}

TEST(block_after_the_header_needs_begin)
{
    static const char hdr[] = "#Fields: date time c-ip cs-method "
                              "cs-uri-stem sc-status sc-bytes";
    static const char line[] = "2012-04-01 00:00:13 1.1.1.1 GET /a 200 10";
    lg_rec r;
    char *k;
    ASSERT_EQ(lg_w3c_begin(NULL, 0), -1); /* a block with no header */
    ASSERT_EQ(lgt_parse(lgt_fmt("w3c"), line, &r, &k), LG_BAD_FORMAT);
    free(k);
    ASSERT_EQ(lg_w3c_begin(hdr, sizeof hdr - 1), 7);
    ASSERT_EQ(lgt_parse(lgt_fmt("w3c"), line, &r, &k), LG_OK);
    ASSERT_LGSTR(r.target, "/a");
    free(k);
    ASSERT_EQ(lg_w3c_begin("#Version: 1.0", 13), -1);
    ASSERT(lg_format_has_headers(lgt_fmt("iis")));
    ASSERT(!lg_format_has_headers(lgt_fmt("combined")));
}

TEST(short_and_bad_lines)
{
    static const char hdr[] = "#Fields: date time c-ip cs-method "
                              "cs-uri-stem sc-status sc-bytes";
    lg_rec r;
    char *k;
    lg_w3c_begin(hdr, sizeof hdr - 1);
    ASSERT_EQ(
        lgt_parse(lgt_fmt("w3c"), "2012-04-01 00:00:13 1.1.1.1 GET", &r, &k),
        LG_BAD_TRUNCATED);
    free(k);
    ASSERT_EQ(lgt_parse(lgt_fmt("w3c"),
                        "2012-13-01 00:00:13 1.1.1.1 GET /a 200 1", &r, &k),
              LG_BAD_TIME);
    free(k);
    ASSERT_EQ(lgt_parse(lgt_fmt("w3c"),
                        "2012-04-01 00:00:13 1.1.1.1 GET /a \"\" 1", &r, &k),
              LG_BAD_STATUS);
    free(k);
    ASSERT_EQ(lgt_parse(lgt_fmt("w3c"),
                        "2012-04-01 00:00:13 1.1.1.1 GET /a 200 x", &r, &k),
              LG_BAD_BYTES);
    free(k);
}
