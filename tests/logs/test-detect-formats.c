/* test-detect-formats.c - format detection beyond the NCSA family: small
 * self-written samples of every format, and every file of
 * ../shared/realdata/fixtures/matomo-formats (skipped without ../shared)
 * parsed whole with the format detected. */
#include "lgtest.h"

#include "../../logs/detect.h"
#include "../../logs/parse-cols.h"

static const char *detected(const char *sample)
{
    const lg_format *f = NULL;
    int n = lg_detect(sample, strlen(sample), &f);
    if (n <= 0)
        FAIL("nothing parsed in \"%.60s\"", sample);
    return lg_format_name(f);
}

TEST(detect_small_samples)
{
    ASSERT_STREQ(detected("#Fields: date time c-ip cs-method cs-uri-stem "
                          "sc-status\n2012-04-01 00:00:13 1.2.3.4 GET / 200\n"),
                 "w3c");
    ASSERT_STREQ(detected("{\"ts\":1.5,\"request\":{\"remote_ip\":\"1.2.3.4\","
                          "\"uri\":\"/\"},\"status\":200}\n"),
                 "caddy");
    ASSERT_STREQ(detected("{\"ClientHost\":\"1.2.3.4\",\"RequestPath\":\"/\","
                          "\"DownstreamStatus\":200}\n"),
                 "traefik_json");
    ASSERT_STREQ(detected("{\"remote_addr\":\"1.2.3.4\",\"request\":\"GET / "
                          "HTTP/1.1\",\"status\":\"200\"}\n"),
                 "nginx_json");
    ASSERT_STREQ(detected("h2 2020-01-01T00:55:04.1Z app/x 1.2.3.4:1 "
                          "10.0.0.1:80 0.1 0.1 0.1 200 200 1 2 \"GET "
                          "https://x/ HTTP/2.0\" \"ua\" c p\n"),
                 "alb");
    ASSERT_STREQ(detected("2015-05-13T23:39:43.9Z lb 1.2.3.4:1 10.0.0.1:80 "
                          "0.1 0.1 0.1 200 200 0 57 \"GET http://x/ "
                          "HTTP/1.1\" \"ua\" - -\n"),
                 "elb");
    ASSERT_STREQ(detected("own bucket [10/Feb/2012:16:42:07 -0500] 1.2.3.4 "
                          "- ID OP key \"GET / HTTP/1.1\" 200 - 1 1 1 1 "
                          "\"-\" \"ua\"\n"),
                 "s3");
    ASSERT_STREQ(detected("1286536309.450 143 1.2.3.4 TCP_MISS/200 1 GET "
                          "http://x/ - DIRECT/1.2.3.4 text/html\n"),
                 "squid");
    ASSERT_STREQ(detected("4.3.2.1:5 [25/Sep/2018:06:05:27.584] f b/s "
                          "0/0/0/72/72 200 7 - - ---- 5/4/0/1/0 0/0 \"GET / "
                          "HTTP/1.1\"\n"),
                 "haproxy");
    /* the NCSA family is untouched */
    ASSERT_STREQ(detected("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
                          "HTTP/1.0\" 200 1 \"-\" \"ua\"\n"),
                 "combined");
    ASSERT_STREQ(detected("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
                          "HTTP/1.0\" 200 1\n"),
                 "common");
}

/* Parse a whole fixture with the format lg_detect picks; counts of LG_OK
 * and of bad (not blank, not comment) lines. */
static void parse_fixture(const char *name, const char *want, int ok_want,
                          int bad_want)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/matomo-formats/%s", name);
    size_t len;
    char *buf = lgt_slurp(lgt_realdata(rel), &len);
    const lg_format *f;
    lg_detect(buf, len, &f);
    if (strcmp(lg_format_name(f), want) != 0)
        FAIL("%s: detected %s, expected %s", name, lg_format_name(f), want);
    lg_w3c_begin(NULL, 0); /* as a worker starting the file */
    int ok = 0, bad = 0;
    for (const char *p = buf, *e = buf + len; p < e;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        lg_rec r;
        int rc = lg_parse_line(f, p, (size_t)(le - p), &r);
        if (rc == LG_OK)
            ok++;
        else if (!lg_bad_is_ignorable(rc))
            bad++;
        p = le + 1;
    }
    free(buf);
    if (ok != ok_want || bad != bad_want)
        FAIL("%s: %d parsed, %d bad; expected %d and %d", name, ok, bad,
             ok_want, bad_want);
}

TEST(every_matomo_format_fixture)
{
    /* file, format, lines parsed, bad lines (ELB: a TCP line with no HTTP
     * status; Incapsula: a connection closed before any status) */
    parse_fixture("alb.log", "alb", 1, 0);
    parse_fixture("amazon_cloudfront_web.log", "w3c", 1, 0);
    parse_fixture("caddy_json.log", "caddy", 3, 0);
    parse_fixture("elb.log", "elb", 1, 1);
    parse_fixture("gandi.log", "gandi", 2, 0);
    parse_fixture("haproxy.log", "haproxy", 1, 0);
    parse_fixture("icecast2.log", "combined", 1, 0);
    parse_fixture("iis.log", "w3c", 1, 0);
    parse_fixture("iis_custom.log", "w3c", 3, 0);
    parse_fixture("incapsula_w3c.log", "w3c", 1, 1);
    parse_fixture("netscaler.log", "w3c", 1, 0);
    parse_fixture("nginx_json.log", "nginx_json", 2, 0);
    parse_fixture("ovh.log", "combined", 1, 0);
    parse_fixture("s3.log", "s3", 1, 0);
    parse_fixture("splitted_date_and_time.log", "w3c", 1, 0);
    parse_fixture("traefik_json.log", "traefik_json", 1, 0);
}
