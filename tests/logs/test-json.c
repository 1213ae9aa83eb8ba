/* test-json.c - the JSON-lines engine: Caddy, nginx escape=json and
 * Traefik lines field by field, --json-fields mappings, broken JSON. */
#include "lgtest.h"

TEST(caddy_every_field)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(
        lgt_fmt("caddy"),
        "{\"level\":\"info\",\"ts\":1703373474.8155608,\"logger\":\"http.log."
        "access\",\"msg\":\"handled request\",\"request\":{\"remote_ip\":\"1.2."
        "3.4\",\"remote_port\":\"64985\",\"client_ip\":\"1.2.3.4\",\"proto\":"
        "\"HTTP/2.0\",\"method\":\"GET\",\"host\":\"example.com\",\"uri\":\"/"
        "beta/?q=\\\"x\\\"\",\"headers\":{\"Te\":[\"trailers\"],\"User-Agent\":"
        "[\"Mozilla/5.0 (Mac)\"],\"Referer\":[\"https://example.com/\"]},"
        "\"tls\":{\"resumed\":false,\"version\":772}},\"bytes_read\":0,"
        "\"user_id\":\"bob\",\"duration\":0.001335486,\"size\":3609,\"status\":"
        "200,\"resp_headers\":{\"Server\":[\"Caddy\"],\"X\":[{\"a\":[1,2]}]}}",
        &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_EQ(r.ts, 1703373474);
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_LGSTR(r.protocol, "HTTP/2.0");
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.vhost, "example.com");
    ASSERT_LGSTR(r.target, "/beta/?q=\\\"x\\\""); /* escapes kept */
    ASSERT_LGSTR(r.agent, "Mozilla/5.0 (Mac)");
    ASSERT_LGSTR(r.referer, "https://example.com/");
    ASSERT_LGSTR(r.user, "bob");
    ASSERT_EQ(r.req_time_us, 1335);
    ASSERT_UEQ(r.bytes, 3609);
    ASSERT_EQ(r.status, 200);
    free(k);
}

TEST(nginx_json_every_field)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(
        lgt_fmt("nginx_json"),
        "{\"idsite\":1,\"ip\": \"1.2.3.4\",\"host\": \"www.piwik.org\","
        "\"path\": \"/piwik.php?a=1\",\"status\": \"200\",\"referrer\": "
        "\"http://clearcode.cc/\",\"user_agent\": \"Mozilla/5.0 (Windows)\","
        "\"length\": 192,\"generation_time_milli\": 8,\"date\": "
        "\"2013-10-10T16:52:00+02:00\"}",
        &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_LGSTR(r.vhost, "www.piwik.org");
    ASSERT_LGSTR(r.target, "/piwik.php?a=1");
    ASSERT_EQ(r.status, 200);
    ASSERT_LGSTR(r.referer, "http://clearcode.cc/");
    ASSERT_LGSTR(r.agent, "Mozilla/5.0 (Windows)");
    ASSERT_UEQ(r.bytes, 192);
    ASSERT_EQ(r.req_time_us, 8000);
    ASSERT_EQ(r.ts, 1381416720);
    ASSERT_EQ(r.tz_off, 7200);
    free(k);
    /* nginx's own variable names, a CLF time and a request */
    rc = lgt_parse(lgt_fmt("nginx_json"),
                   "{\"remote_addr\":\"::1\",\"remote_user\":\"\",\"time_local"
                   "\":\"10/Oct/2023:13:55:36 +0000\",\"request\":\"GET /x "
                   "HTTP/1.1\",\"status\":\"301\",\"body_bytes_sent\":\"5\","
                   "\"request_time\":\"0.250\",\"http_referer\":\"\","
                   "\"http_user_agent\":\"curl/8\"}",
                   &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.client, "::1");
    ASSERT_LGSTR(r.user, "");
    ASSERT_EQ(r.ts, 1696946136);
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/x");
    ASSERT_LGSTR(r.protocol, "HTTP/1.1");
    ASSERT_EQ(r.status, 301);
    ASSERT_UEQ(r.bytes, 5);
    ASSERT_EQ(r.req_time_us, 250000);
    ASSERT_LGSTR(r.referer, "");
    ASSERT_LGSTR(r.agent, "curl/8");
    free(k);
}

TEST(traefik_json_every_field)
{
    lg_rec r;
    char *k;
    int rc = lgt_parse(
        lgt_fmt("traefik_json"),
        "{\"ClientAddr\": \"172.20.0.1:52458\",\"ClientHost\": \"1.2.3.4\","
        "\"ClientUsername\":\"-\",\"request_User-Agent\":\"Prometheus/2.40.5\","
        "\"request_Referer\":\"www.example.com\",\"DownstreamContentSize\":15,"
        "\"DownstreamStatus\":\"200\",\"Duration\":10002425284,"
        "\"OriginStatus\":504,\"RequestHost\":\"localhost\",\"RequestMethod\":"
        "\"GET\",\"RequestPath\":\"/my/app?id=1\",\"RequestProtocol\":"
        "\"HTTP/1.1\",\"ServiceURL\":{\"Scheme\":\"http\",\"User\":null},"
        "\"StartUTC\":\"2023-08-11T11:39:21.773360139Z\",\"time\":"
        "\"2023-08-11T11:41:25\"}",
        &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.client, "1.2.3.4");
    ASSERT_LGSTR(r.user, "");
    ASSERT_LGSTR(r.agent, "Prometheus/2.40.5");
    ASSERT_LGSTR(r.referer, "www.example.com");
    ASSERT_UEQ(r.bytes, 15);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.req_time_us, 10002425);
    ASSERT_LGSTR(r.vhost, "localhost");
    ASSERT_LGSTR(r.method, "GET");
    ASSERT_LGSTR(r.target, "/my/app?id=1");
    ASSERT_LGSTR(r.protocol, "HTTP/1.1");
    ASSERT_EQ(r.ts, 1691753961); /* StartUTC, the first time key seen */
    free(k);
}

TEST(json_fields_mapping)
{
    lg_format *f;
    char err[256];
    ASSERT_EQ(lg_format_compile("json:client=c.ip,path=r.u,status=s,"
                                "time=t,duration=d:ms,bytes=b,agent=h.ua,"
                                "method=m,host=v,user=u,referer=ref,"
                                "protocol=p",
                                &f, err, sizeof err),
              0);
    ASSERT_STREQ(lg_format_name(f), "json");
    lg_rec r;
    char *k;
    int rc = lgt_parse(f,
                       "{\"c\":{\"ip\":\"9.9.9.9\"},\"r\":{\"u\":\"https://h.x"
                       ":8443/p?q\"},\"s\":418,\"t\":\"2023-10-10T13:55:36Z\","
                       "\"d\":2.5,\"b\":null,\"h\":{\"ua\":[\"UA\",\"x\"]},"
                       "\"m\":\"PUT\",\"u\":\"-\",\"ref\":\"-\",\"p\":"
                       "\"HTTP/1.0\",\"more\":[true,false,null,{\"s\":1}]}",
                       &r, &k);
    ASSERT_EQ(rc, LG_OK);
    ASSERT_LGSTR(r.client, "9.9.9.9");
    ASSERT_LGSTR(r.vhost, "h.x");
    ASSERT_LGSTR(r.target, "/p?q");
    ASSERT_EQ(r.status, 418);
    ASSERT_EQ(r.ts, 1696946136);
    ASSERT_EQ(r.req_time_us, 2500);
    ASSERT_UEQ(r.bytes, 0);
    ASSERT(r.flags & LG_REC_NO_BYTES);
    ASSERT_LGSTR(r.agent, "UA");
    ASSERT_LGSTR(r.method, "PUT");
    ASSERT_LGSTR(r.user, "");
    ASSERT_LGSTR(r.referer, "");
    ASSERT_LGSTR(r.protocol, "HTTP/1.0");
    free(k);
    lg_format_free(f);
    ASSERT_EQ(lg_format_compile("json:client=ip", &f, err, sizeof err),
              -EINVAL);
    ASSERT_STRSTR(err, "status=");
    ASSERT_EQ(
        lg_format_compile("json:colour=x,status=s,path=p", &f, err, sizeof err),
        -EINVAL);
    ASSERT_STRSTR(err, "unknown field 'colour'");
    ASSERT_EQ(
        lg_format_compile("json:status=s,path=a.b.c.d.e", &f, err, sizeof err),
        -EINVAL);
    ASSERT_EQ(lg_format_compile("json:status=s:ms,path=p", &f, err, sizeof err),
              -EINVAL);
    ASSERT_EQ(lg_format_compile("json", &f, err, sizeof err), -EINVAL);
}

TEST(broken_json_lines)
{
    static const char *const bad[] = {
        "{",
        "{\"status\":200,\"path\":\"/a\"",
        "{\"status\":200,\"path\":\"/a}",
        "{\"status\" 200}",
        "{\"status\":200,\"path\":\"/a\"} trailing",
        "[1,2]",
        "{\"a\":{\"b\":[1,{\"c\":\"}\"}]},\"status\":200,\"path\":\"/a\",}",
        "not json",
    };
    lg_format *f;
    ASSERT_EQ(lg_format_compile("json:status=status,path=path", &f, NULL, 0),
              0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lg_rec r;
        char *k;
        int rc = lgt_parse(f, bad[i], &r, &k);
        free(k);
        if (rc == LG_OK)
            FAIL("accepted \"%s\"", bad[i]);
    }
    lg_rec r;
    char *k;
    ASSERT_EQ(lgt_parse(f,
                        "{\"a\":{\"b\":[1,{\"c\":\"}\\\"\"}]},\"status\":200,"
                        "\"path\":\"/a\"}",
                        &r, &k),
              LG_OK);
    free(k);
    ASSERT_EQ(lgt_parse(f, "{\"path\":\"/a\"}", &r, &k), LG_BAD_STATUS);
    free(k);
    ASSERT_EQ(lgt_parse(f, "{\"status\":200}", &r, &k), LG_BAD_REQUEST);
    free(k);
    ASSERT_EQ(lgt_parse(f, "{\"status\":\"abc\",\"path\":\"/\"}", &r, &k),
              LG_BAD_STATUS);
    free(k);
    lg_format_free(f);
}
