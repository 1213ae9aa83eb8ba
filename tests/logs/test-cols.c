/* test-cols.c - the fixed-column formats (alb, elb, s3, squid, traefik,
 * gandi) and HAProxy: every field of a sample line, and broken lines. */
#include "lgtest.h"

TEST(alb_every_field)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(
        lgt_fmt("alb"),
        "https 2020-01-01T00:55:04.127531Z app/my-alb/abcdef 192.0.2.7:2817 "
        "10.0.0.1:80 0.001 0.102 0.000 200 503 225 24950 \"GET "
        "https://www.example.com:443/path/index.html?a=1 HTTP/1.1\" \"curl/8.0 "
        "(x)\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:x \"Root=1-abc\" "
        "\"www.example.com\" \"-\" 0 2020-01-01T00:55:04.023000Z \"forward\" "
        "\"-\" \"-\" \"10.1.1.1:80\" \"200\"",
        &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.client, "192.0.2.7");
    ASSERT_EQ(r.ts, 1577840104);
    ASSERT_EQ(r.tz_off, 0);
    ASSERT_LGSTR(
        r.request,
        "GET https://www.example.com:443/path/index.html?a=1 HTTP/1.1");
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/path/index.html?a=1");
    ASSERT_LGSTR(r.protocol, "HTTP/1.1");
    ASSERT_LGSTR(r.vhost, "www.example.com");
    ASSERT_EQ(r.status, 200); /* the balancer's, not the target's 503 */
    ASSERT_UEQ(r.bytes, 24950);
    ASSERT_LGSTR(r.agent, "curl/8.0 (x)");
    ASSERT_LGSTR(r.referer, "");
    ASSERT_LGSTR(r.user, "");
    ASSERT_EQ(r.req_time_us, 103000); /* the three times added */
    ASSERT_UEQ(r.flags, 0);
    free(k);
}

TEST(elb_every_field_and_tcp_line)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(lgt_fmt("elb"),
                       "2015-05-13T23:39:43.945958Z my-lb 1.2.3.4:2817 "
                       "10.0.0.1:80 0.000086 0.001048 -1 404 404 0 57 "
                       "\"GET http://www.example.com:80/a HTTP/1.1\" "
                       "\"Mozilla/5.0\" DHE-RSA-AES128-SHA TLSv1.2",
                       &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_EQ(r.ts, 1431560383);
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/a");
    ASSERT_LGSTR(r.vhost, "www.example.com");
    ASSERT_LGSTR(r.protocol, "HTTP/1.1");
    ASSERT_EQ(r.status, 404);
    ASSERT_UEQ(r.bytes, 57);
    ASSERT_LGSTR(r.agent, "Mozilla/5.0");
    ASSERT_EQ(r.req_time_us, 86 + 1048); /* "-1": no target time */
    free(k);
    /* a TCP listener line has no HTTP status */
    rc = lgt_parse(lgt_fmt("elb"),
                   "2015-05-13T23:39:43.945958Z my-lb 192.168.131.39:2817 "
                   "10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "
                   "\"- - - \" \"-\" - -",
                   &r, &k);
    ASSERT_EQ(rc, LG_BAD_STATUS);
    free(k);
}

TEST(s3_every_field)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(
        lgt_fmt("s3"),
        "b659b576cff1e15e www.example.com [10/Feb/2012:16:42:07 -0500] "
        "1.2.3.4 arn:aws:iam::1:user/x EB3502676500C6BE WEBSITE.GET.OBJECT "
        "index \"GET /index?x=y HTTP/1.1\" 200 - 368 400 10 9 "
        "\"http://ref.example/\" \"Mozilla/5.0 (X11)\" - abc= SigV4",
        &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.vhost, "www.example.com");
    ASSERT_EQ(r.ts, 1328910127);
    ASSERT_EQ(r.tz_off, -5 * 3600);
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_LGSTR(r.request, "GET /index?x=y HTTP/1.1");
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/index?x=y");
    ASSERT_LGSTR(r.protocol, "HTTP/1.1");
    ASSERT_EQ(r.status, 200);
    ASSERT_UEQ(r.bytes, 368);
    ASSERT_EQ(r.req_time_us, 10000);
    ASSERT_LGSTR(r.referer, "http://ref.example/");
    ASSERT_LGSTR(r.agent, "Mozilla/5.0 (X11)");
    free(k);
}

TEST(squid_every_field)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(lgt_fmt("squid"),
                       "1286536309.450    143 192.168.0.1 TCP_MISS/404 1234 "
                       "GET http://www.example.com:8080/x?y - "
                       "DIRECT/1.2.3.4 text/html",
                       &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_EQ(r.ts, 1286536309);
    ASSERT_EQ(r.req_time_us, 143000);
    ASSERT_LGSTR(r.client, "192.168.0.1");
    ASSERT_EQ(r.status, 404);
    ASSERT_UEQ(r.bytes, 1234);
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.vhost, "www.example.com");
    ASSERT_LGSTR(r.target, "/x?y");
    ASSERT_LGSTR(r.user, "");
    free(k);
    rc = lgt_parse(lgt_fmt("squid"),
                   "1286536309.450 5 10.0.0.9 TCP_TUNNEL/200 99 CONNECT "
                   "example.com:443 bob HIER_DIRECT/1.2.3.4 -",
                   &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.target, "example.com:443");
    ASSERT_LGSTR(r.user, "bob");
    free(k);
}

TEST(traefik_clf_every_field)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(lgt_fmt("traefik"),
                       "10.1.2.3 - bob [10/Oct/2023:13:55:36 +0000] \"GET "
                       "/api/v1 HTTP/2.0\" 201 512 \"https://ref/\" \"curl/8\" "
                       "42 \"router@docker\" \"http://10.0.0.2:80\" 12ms",
                       &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.client, "10.1.2.3");
    ASSERT_LGSTR(r.user, "bob");
    ASSERT_EQ(r.ts, 1696946136);
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/api/v1");
    ASSERT_LGSTR(r.protocol, "HTTP/2.0");
    ASSERT_EQ(r.status, 201);
    ASSERT_UEQ(r.bytes, 512);
    ASSERT_LGSTR(r.referer, "https://ref/");
    ASSERT_LGSTR(r.agent, "curl/8");
    ASSERT_EQ(r.req_time_us, 12000);
    free(k);
}

TEST(gandi_every_field)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(lgt_fmt("gandi"),
                       "www.example.com 1.2.3.4 - theuser "
                       "[10/Feb/2012:16:42:07 -0500] (0 s) \"GET / HTTP/1.1\" "
                       "301 368 \"-\" \"Mozilla/5.0\"",
                       &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.vhost, "www.example.com");
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_LGSTR(r.user, "theuser");
    ASSERT_EQ(r.ts, 1328910127);
    ASSERT_LGSTR(r.target, "/");
    ASSERT_EQ(r.status, 301);
    ASSERT_UEQ(r.bytes, 368);
    ASSERT_LGSTR(r.referer, "");
    ASSERT_LGSTR(r.agent, "Mozilla/5.0");
    free(k);
}

TEST(haproxy_every_field_with_and_without_syslog)
{
    static const char *const lines[] = {
        "Sep 25 06:05:27 host haproxy[6801]: 4.3.2.1:55008 "
        "[25/Sep/2018:06:05:27.584] ft_https~ bk_https/abc 0/0/0/72/75 200 "
        "7456 - - ---- 5/4/0/1/0 0/0 {ex.com|Moz} \"POST /user/?a HTTP/1.1\"",
        "4.3.2.1:55008 [25/Sep/2018:06:05:27.584] ft_https~ bk_https/abc "
        "0/0/0/72/75 200 7456 - - ---- 5/4/0/1/0 0/0 \"POST /user/?a "
        "HTTP/1.1\"",
    };
    for (int i = 0; i < 2; i++) {
        lg_rec r;
        char *k;
        ASSERT_EQ(lgt_parse(lgt_fmt("haproxy"), lines[i], &r, &k), LG_OK);
        ASSERT_LGSTR(r.client, "4.3.2.1");
        ASSERT_EQ(r.ts, 1537855527);
        ASSERT(r.flags & LG_REC_NO_TZ);
        ASSERT_EQ(r.req_time_us, 75000);
        ASSERT_EQ(r.status, 200);
        ASSERT_UEQ(r.bytes, 7456);
        ASSERT_LGSTR(r.method, "POST");
        ASSERT_LGSTR(r.target, "/user/?a");
        ASSERT_LGSTR(r.protocol, "HTTP/1.1");
        free(k);
    }
}

TEST(column_formats_reject_other_lines)
{
    static const char *const names[] = {"alb",     "elb",   "s3",     "squid",
                                        "traefik", "gandi", "haproxy"};
    static const char *const junk[] = {
        "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1",
        "just some words",
        "\"unterminated",
        "[",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++) {
            lg_rec r;
            char *k;
            int rc = lgt_parse(lgt_fmt(names[i]), junk[j], &r, &k);
            free(k);
            if (rc == LG_OK && !(i == 4 && j == 0)) /* traefik reads CLF */
                FAIL("%s accepted \"%s\"", names[i], junk[j]);
        }
}
