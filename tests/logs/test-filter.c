/* test-filter.c - record filters and the --strip-query transform. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

#include "../../logs/filter.h"
#include "../../logs/parse.h"

/* A record with just the fields filters look at. */
static lg_rec rec(const char *client, int64_t ts, int status,
                  const char *target)
{
    lg_rec r;
    memset(&r, 0, sizeof r);
    r.client.p = client;
    r.client.n = strlen(client);
    r.ts = ts;
    r.status = status;
    r.target.p = target;
    r.target.n = strlen(target);
    r.req_time_us = -1;
    return r;
}

static lg_filter *make(const lg_filter_opts *o)
{
    lg_filter *f = NULL;
    char err[256];
    int rc = lg_filter_new(o, &f, err, sizeof err);
    if (rc)
        FAIL("lg_filter_new failed (%d): %s", rc, err);
    return f;
}

/* lg_filter_new must fail with -EINVAL and a message containing `what`. */
static void expect_error(const lg_filter_opts *o, const char *what)
{
    lg_filter *f = (lg_filter *)1;
    char err[256] = "";
    int rc = lg_filter_new(o, &f, err, sizeof err);
    if (rc != -22 || f != NULL || !strstr(err, what))
        FAIL("expected -EINVAL with '%s', got %d '%s'", what, rc, err);
}

static int keeps(lg_filter *f, const char *client, int64_t ts, int status,
                 const char *target)
{
    lg_rec r = rec(client, ts, status, target);
    return lg_filter_match(f, &r);
}

TEST(empty_filter_keeps_everything)
{
    lg_filter_opts o = {0};
    lg_filter *f = make(&o);
    ASSERT(lg_filter_is_empty(f));
    ASSERT(keeps(f, "", LG_NO_TIME, 0, ""));
    lg_filter_free(f);
    lg_filter_free(NULL);
}

TEST(status_codes_classes_ranges_and_lists)
{
    const char *st[] = {"404", "5xx, 200-204", "3XX"};
    lg_filter_opts o = {.status = st, .n_status = 3};
    lg_filter *f = make(&o);
    ASSERT(!lg_filter_is_empty(f));
    int yes[] = {404, 500, 503, 599, 200, 204, 300, 399};
    int no[] = {0, 403, 405, 205, 199, 600, 100, 999};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!keeps(f, "1.2.3.4", 0, yes[i], "/"))
            FAIL("status %d dropped", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (keeps(f, "1.2.3.4", 0, no[i], "/"))
            FAIL("status %d kept", no[i]);
    lg_filter_free(f);

    const char *bad[] = {"",   "abc",  "5x",   "6xxx", "299-200",
                         "99", "1000", "200-", "404,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lg_filter_opts ob = {.status = &bad[i], .n_status = 1};
        expect_error(&ob, "--status");
    }
}

TEST(client_cidr_ipv4_edges)
{
    const char *c[] = {"10.0.0.0/8", "192.168.1.128/25", "203.0.113.7",
                       "172.16.5.9/12"};
    lg_filter_opts o = {.clients = c, .n_clients = 4};
    lg_filter *f = make(&o);
    ASSERT(keeps(f, "10.0.0.0", 0, 200, "/"));
    ASSERT(keeps(f, "10.255.255.255", 0, 200, "/"));
    ASSERT(!keeps(f, "11.0.0.0", 0, 200, "/"));
    ASSERT(!keeps(f, "9.255.255.255", 0, 200, "/"));
    ASSERT(keeps(f, "192.168.1.128", 0, 200, "/"));
    ASSERT(keeps(f, "192.168.1.255", 0, 200, "/"));
    ASSERT(!keeps(f, "192.168.1.127", 0, 200, "/"));
    ASSERT(keeps(f, "203.0.113.7", 0, 200, "/"));
    ASSERT(!keeps(f, "203.0.113.8", 0, 200, "/"));
    ASSERT(keeps(f, "172.31.255.255", 0, 200,
                 "/")); /* host bits in the CIDR ignored */
    ASSERT(!keeps(f, "172.32.0.0", 0, 200, "/"));
    ASSERT(keeps(f, "::ffff:10.1.2.3", 0, 200, "/")); /* IPv4-mapped */
    ASSERT(!keeps(f, "2001:db8::1", 0, 200, "/"));
    ASSERT(!keeps(f, "host.example.com", 0, 200, "/"));
    ASSERT(!keeps(f, "", 0, 200, "/"));
    ASSERT(!keeps(f, "10.0.0.1.5", 0, 200, "/"));
    lg_filter_free(f);

    const char *all[] = {"0.0.0.0/0"};
    lg_filter_opts oa = {.clients = all, .n_clients = 1};
    f = make(&oa);
    ASSERT(keeps(f, "255.255.255.255", 0, 200, "/"));
    ASSERT(keeps(f, "0.0.0.0", 0, 200, "/"));
    ASSERT(!keeps(f, "::1", 0, 200, "/"));
    lg_filter_free(f);
}

TEST(client_cidr_ipv6_edges)
{
    const char *c[] = {"2001:db8::/32", "::1", "fe80::/10", "2001:218::/127"};
    lg_filter_opts o = {.clients = c, .n_clients = 4};
    lg_filter *f = make(&o);
    ASSERT(keeps(f, "2001:db8::", 0, 200, "/"));
    ASSERT(keeps(f, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0, 200, "/"));
    ASSERT(keeps(f, "2001:DB8:1:2:3:4:5:6", 0, 200, "/"));
    ASSERT(!keeps(f, "2001:db9::", 0, 200, "/"));
    ASSERT(!keeps(f, "2001:db7:ffff::", 0, 200, "/"));
    ASSERT(keeps(f, "::1", 0, 200, "/"));
    ASSERT(!keeps(f, "::2", 0, 200, "/"));
    ASSERT(keeps(f, "fe80::1%eth0", 0, 200, "/"));
    ASSERT(keeps(f, "febf:ffff::", 0, 200, "/"));
    ASSERT(!keeps(f, "fec0::", 0, 200, "/"));
    ASSERT(keeps(f, "2001:218::", 0, 200, "/"));
    ASSERT(keeps(f, "2001:218::1", 0, 200, "/"));
    ASSERT(!keeps(f, "2001:218::2", 0, 200, "/"));
    ASSERT(!keeps(f, "1.2.3.4", 0, 200, "/"));
    lg_filter_free(f);

    const char *bad[] = {"10.0.0.0/33", "::/129",        "10.0.0/8",
                         "nothost",     "1.2.3.4/",      "/8",
                         "1.2.3.4/8x",  "2001:db8:::/32"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lg_filter_opts ob = {.clients = &bad[i], .n_clients = 1};
        expect_error(&ob, "--client");
    }
}

TEST(since_until_with_offsets_and_precision)
{
    /* 2015-05-19T12:00:00Z = 1432036800 */
    int64_t noon = 1432036800;
    lg_filter_opts o = {.since = "2015-05-19T14:00:00+02:00",
                        .until = "2015-05-19T13:00Z"};
    lg_filter *f = make(&o);
    ASSERT(!keeps(f, "x", noon - 1, 200, "/"));
    ASSERT(keeps(f, "x", noon, 200, "/"));
    ASSERT(
        keeps(f, "x", noon + 3659, 200, "/")); /* 13:00:59 is inside "13:00" */
    ASSERT(!keeps(f, "x", noon + 3660, 200, "/"));
    ASSERT(!keeps(f, "x", LG_NO_TIME, 200, "/"));
    lg_filter_free(f);

    /* a date until includes the whole day; no offset = opts.tz_off */
    lg_filter_opts od = {
        .since = "2015-05-19", .until = "2015-05-19", .tz_off = -7 * 3600};
    f = make(&od);
    int64_t start = 1431993600 + 7 * 3600; /* 2015-05-19T00:00-07:00 */
    ASSERT(!keeps(f, "x", start - 1, 200, "/"));
    ASSERT(keeps(f, "x", start, 200, "/"));
    ASSERT(keeps(f, "x", start + 86399, 200, "/"));
    ASSERT(!keeps(f, "x", start + 86400, 200, "/"));
    lg_filter_free(f);

    lg_filter_opts os = {.since = "2015-05-19 14:00"};
    f = make(&os);
    ASSERT(keeps(f, "x", 1432044000, 200, "/"));
    ASSERT(!keeps(f, "x", 1432043999, 200, "/"));
    lg_filter_free(f);

    lg_filter_opts b1 = {.since = "19/May/2015"};
    expect_error(&b1, "--since");
    lg_filter_opts b2 = {.until = "2015-05-19T25:00"};
    expect_error(&b2, "--until");
}

TEST(include_exclude_regexes)
{
    const char *inc[] = {"^/blog/", "\\.php$"};
    const char *exc[] = {"(?i)/wp-admin", "feed"};
    lg_filter_opts o = {
        .include = inc, .n_include = 2, .exclude = exc, .n_exclude = 2};
    lg_filter *f = make(&o);
    ASSERT(keeps(f, "x", 0, 200, "/blog/a"));
    ASSERT(keeps(f, "x", 0, 200, "/index.php"));
    ASSERT(!keeps(f, "x", 0, 200,
                  "/index.php?x")); /* the query is part of the subject */
    ASSERT(!keeps(f, "x", 0, 200, "/other"));
    ASSERT(!keeps(f, "x", 0, 200, "/blog/feed"));
    ASSERT(!keeps(f, "x", 0, 200, "/blog/WP-Admin/x.php"));
    ASSERT(!keeps(f, "x", 0, 200, "")); /* no target fails every include */
    lg_filter_free(f);

    lg_filter_opts oe = {.exclude = exc, .n_exclude = 1};
    f = make(&oe);
    ASSERT(keeps(f, "x", 0, 200, "")); /* ... and passes every exclude */
    ASSERT(!keeps(f, "x", 0, 200, "/wp-admin/"));
    lg_filter_free(f);

    const char *nul_target = "/a\0b";
    lg_filter_opts on = {.include = (const char *[]){"b$"}, .n_include = 1};
    f = make(&on);
    lg_rec r = rec("x", 0, 200, "");
    r.target.p = nul_target;
    r.target.n = 4; /* lengths, not NUL-termination, bound the subject */
    ASSERT(lg_filter_match(f, &r));
    r.target.n = 3;
    ASSERT(!lg_filter_match(f, &r));
    lg_filter_free(f);

    const char *bad[] = {"(unclosed"};
    lg_filter_opts ob = {.include = bad, .n_include = 1};
    expect_error(&ob, "--include '(unclosed'");
    lg_filter_opts ob2 = {.exclude = (const char *[]){"a", "[z-a]"},
                          .n_exclude = 2};
    expect_error(&ob2, "--exclude '[z-a]'");
}

TEST(static_assets_and_strip_query)
{
    lg_filter_opts o = {.exclude_static = 1};
    lg_filter *f = make(&o);
    const char *stat[] = {"/style2.css", "/a/b.JS",      "/img/x.png?v=3",
                          "/f.woff2#x",  "/favicon.ico", "/m.js.map",
                          "/v.webm"};
    const char *dyn[] = {
        "/",           "/blog/",   "/x.php",    "/css",      "/a.css/",
        "/index.html", "/doc.pdf", "/?f=a.css", "/x.tar.gz", ""};
    for (size_t i = 0; i < sizeof stat / sizeof stat[0]; i++)
        if (keeps(f, "x", 0, 200, stat[i]))
            FAIL("%s kept", stat[i]);
    for (size_t i = 0; i < sizeof dyn / sizeof dyn[0]; i++)
        if (!keeps(f, "x", 0, 200, dyn[i]))
            FAIL("%s dropped", dyn[i]);
    lg_filter_free(f);

    lg_str t = {"/a/b?c=d#e", 10};
    lg_str s = lg_path_strip_query(t);
    ASSERT_EQ(s.n, 4);
    ASSERT(s.p == t.p);
    t.n = 4;
    ASSERT_EQ(lg_path_strip_query(t).n, 4);
    lg_str h = {"/x#frag?q", 9};
    ASSERT_EQ(lg_path_strip_query(h).n, 2);
    lg_str e = {NULL, 0};
    ASSERT_EQ(lg_path_strip_query(e).n, 0);
}

TEST(combined_filters_and_use_after_fork)
{
    const char *st[] = {"2xx"};
    const char *cl[] = {"10.0.0.0/8"};
    const char *inc[] = {"^/api/"};
    lg_filter_opts o = {.status = st,
                        .n_status = 1,
                        .clients = cl,
                        .n_clients = 1,
                        .include = inc,
                        .n_include = 1,
                        .since = "2015-01-01"};
    lg_filter *f = make(&o);
    /* each child process uses its own copy of the filter made before fork */
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        ASSERT(kids[i] >= 0);
        if (kids[i] == 0) {
            int ok = 1;
            for (int k = 0; k < 10000; k++) {
                ok &= keeps(f, "10.1.2.3", 1432036800, 200 + k % 100,
                            "/api/x") == 1;
                ok &= keeps(f, "11.1.2.3", 1432036800, 200, "/api/x") == 0;
                ok &= keeps(f, "10.1.2.3", 1432036800, 404, "/api/x") == 0;
                ok &= keeps(f, "10.1.2.3", 1432036800, 200, "/web/x") == 0;
                ok &= keeps(f, "10.1.2.3", 1400000000, 200, "/api/x") == 0;
            }
            lg_filter_free(f);
            _exit(ok ? 0 : 1);
        }
    }
    for (int i = 0; i < 3; i++) {
        int st_;
        ASSERT_EQ(waitpid(kids[i], &st_, 0), kids[i]);
        ASSERT(RUNNER_EXITED(st_, 0));
    }
    ASSERT(keeps(f, "10.1.2.3", 1432036800, 200, "/api/x"));
    lg_filter_free(f);
}

/* Issue 19 item 8: a regex that hits PCRE2's match limit must not pass as
 * "no match".  (a+)+z backtracks 2^n times on n a's with no z. */
#define EVIL "^/(?:(a+)+z|a*!)"
#define FORTY_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static uint64_t undecided_of(const lg_filter *f, size_t i)
{
    uint64_t n = 99;
    if (lg_filter_regex_stat(f, i, NULL, NULL, &n) != 0)
        FAIL("lg_filter_regex_stat(%zu) failed", i);
    return n;
}

TEST(regex_hitting_match_limit_is_counted_not_a_no_match)
{
    const char *inc[] = {EVIL};
    lg_filter_opts o = {.include = inc, .n_include = 1};
    lg_filter *f = make(&o);
    ASSERT_EQ(lg_filter_regex_count(f), 1);
    ASSERT_EQ(lg_filter_undecided_last(f), -1);
    ASSERT_EQ(keeps(f, "1.2.3.4", 0, 200, "/aaa!"), 1);
    ASSERT_EQ(keeps(f, "1.2.3.4", 0, 200, "/b"), 0);
    ASSERT_UEQ(undecided_of(f, 0), 0);
    /* before the fix this returned 0, like "/b", with nothing counted */
    ASSERT_EQ(keeps(f, "1.2.3.4", 0, 200, "/" FORTY_A "!"),
              LG_FILTER_UNDECIDED);
    ASSERT_EQ(keeps(f, "1.2.3.4", 0, 200, "/" FORTY_A "a!"),
              LG_FILTER_UNDECIDED);
    ASSERT_UEQ(undecided_of(f, 0), 2);
    ASSERT_UEQ(lg_filter_undecided_total(f), 2);
    ASSERT_EQ(lg_filter_undecided_last(f), 0);
    const char *opt, *pat;
    ASSERT_EQ(lg_filter_regex_stat(f, 0, &opt, &pat, NULL), 0);
    ASSERT_STREQ(opt, "--include");
    ASSERT_STREQ(pat, EVIL);
    ASSERT_EQ(lg_filter_regex_stat(f, 1, NULL, NULL, NULL), -22);
    char m[256];
    ASSERT_UEQ(lg_filter_undecided_message(f, 0, m, sizeof m), 2);
    ASSERT_STRSTR(m, "--include '" EVIL "': 2 lines hit a PCRE2 limit");
    ASSERT_STRSTR(m, "dropped");
    ASSERT_UEQ(lg_filter_undecided_message(f, 1, m, sizeof m), 0);
    ASSERT_STREQ(m, "");

    /* the count is shared with copies made by fork (the parse workers) */
    pid_t kid = fork();
    ASSERT(kid >= 0);
    if (kid == 0)
        _exit(keeps(f, "1.2.3.4", 0, 200, "/" FORTY_A "!") ==
                      LG_FILTER_UNDECIDED
                  ? 0
                  : 1);
    int st;
    ASSERT_EQ(waitpid(kid, &st, 0), kid);
    ASSERT(RUNNER_EXITED(st, 0));
    ASSERT_UEQ(undecided_of(f, 0), 3);
    lg_filter_free(f);
}

TEST(regex_that_gives_up_only_matters_when_it_decides)
{
    /* another include matches: kept, nothing counted */
    const char *inc[] = {EVIL, "a!$"};
    lg_filter_opts o = {.include = inc, .n_include = 2};
    lg_filter *f = make(&o);
    ASSERT_EQ(keeps(f, "1.2.3.4", 0, 200, "/" FORTY_A "!"), 1);
    ASSERT_UEQ(lg_filter_undecided_total(f), 0);
    lg_filter_free(f);

    /* an exclude that gives up on a line the includes keep: undecided,
     * counted against the exclude (index n_include + 0) */
    const char *inc2[] = {"^/"}, *exc[] = {"x", EVIL};
    lg_filter_opts o2 = {
        .include = inc2, .n_include = 1, .exclude = exc, .n_exclude = 2};
    f = make(&o2);
    ASSERT_EQ(lg_filter_regex_count(f), 3);
    ASSERT_EQ(keeps(f, "1.2.3.4", 0, 200, "/" FORTY_A "!"),
              LG_FILTER_UNDECIDED);
    ASSERT_UEQ(undecided_of(f, 0), 0);
    ASSERT_UEQ(undecided_of(f, 1), 0);
    ASSERT_UEQ(undecided_of(f, 2), 1);
    ASSERT_EQ(lg_filter_undecided_last(f), 2);
    char d[128];
    ASSERT_EQ(lg_filter_describe(f, 2, d, sizeof d), 0);
    ASSERT_STREQ(d, "--exclude '" EVIL "'");
    /* another exclude drops it anyway: decided */
    ASSERT_EQ(keeps(f, "1.2.3.4", 0, 200, "/x" FORTY_A "!"), 0);
    /* an include that gives up on a line an exclude drops: decided */
    lg_filter_free(f);
    const char *inc3[] = {EVIL}, *exc3[] = {"!$"};
    lg_filter_opts o3 = {
        .include = inc3, .n_include = 1, .exclude = exc3, .n_exclude = 1};
    f = make(&o3);
    ASSERT_EQ(keeps(f, "1.2.3.4", 0, 200, "/" FORTY_A "!"), 0);
    ASSERT_UEQ(lg_filter_undecided_total(f), 0);
    lg_filter_free(f);
}

TEST(describe_escapes_control_bytes_of_a_pattern)
{
    const char *inc[] = {"a\033\\[2J\\d"};
    lg_filter_opts o = {.include = inc, .n_include = 1};
    lg_filter *f = make(&o);
    char d[64];
    ASSERT_EQ(lg_filter_describe(f, 0, d, sizeof d), 0);
    ASSERT_STREQ(d, "--include 'a\\x1b\\[2J\\d'");
    char small[12];
    ASSERT_EQ(lg_filter_describe(f, 0, small, sizeof small), 0);
    ASSERT(strlen(small) < sizeof small);
    lg_filter_free(f);
    /* a compile error names the pattern escaped too */
    const char *bad[] = {"\033]52;c;x\007("};
    lg_filter_opts ob = {.include = bad, .n_include = 1};
    expect_error(&ob, "--include '\\x1b]52;c;x\\x07('");
}
