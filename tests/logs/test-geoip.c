/* test-geoip.c - country lookups against MaxMind's test database. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

#include "../../logs/geoip.h"

/* The MaxMind Country test database under ../shared/realdata, or SKIP. */
static const char *test_db(void)
{
    static char path[4096];
    const char *root = getenv("PIPEFAN_SOURCE_ROOT");
    if (!root || !*root)
        SKIP("PIPEFAN_SOURCE_ROOT is not set");
    snprintf(path, sizeof path,
             "%s/../shared/realdata/geoip-test-mmdb/GeoLite2-Country-Test.mmdb",
             root);
    if (access(path, R_OK) != 0)
        SKIP("%s is not available", path);
    return path;
}

static lg_geoip *open_ok(const char *path)
{
    lg_geoip *g = NULL;
    char err[256];
    int rc = lg_geoip_open(path, &g, err, sizeof err);
    if (rc)
        FAIL("lg_geoip_open(%s) = %d: %s", path ? path : "NULL", rc, err);
    return g;
}

static const char *country(lg_geoip *g, const char *client, int *found)
{
    static char cc[3];
    lg_str s = {client, strlen(client)};
    *found = lg_geoip_country(g, s, cc);
    return cc;
}

TEST(known_test_networks)
{
    lg_geoip *g = open_ok(test_db());
    int found;
    ASSERT_STREQ(country(g, "81.2.69.160", &found), "GB");
    ASSERT_EQ(found, 1);
    ASSERT_STREQ(country(g, "2001:218::1", &found), "JP");
    ASSERT_EQ(found, 1);
    ASSERT_STREQ(country(g, "::ffff:81.2.69.160", &found), "GB");
    ASSERT_STREQ(country(g, "2001:218::1%eth0", &found), "JP");
    /* not in the database, or not an address at all */
    ASSERT_STREQ(country(g, "127.0.0.1", &found), "");
    ASSERT_EQ(found, 0);
    ASSERT_STREQ(country(g, "crawl.example.com", &found), "");
    ASSERT_EQ(found, 0);
    ASSERT_STREQ(country(g, "", &found), "");
    ASSERT_STREQ(country(g, "1.2.3.4.5", &found), "");
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ASSERT_STREQ(country(g, longname, &found), "");
    ASSERT_STREQ(lg_geoip_path(g), test_db());
    lg_geoip_close(g);
    lg_geoip_close(NULL);
}

TEST(each_client_is_looked_up_once)
{
    lg_geoip *g = open_ok(test_db());
    int found;
    /* clients are borrowed strings: use a buffer that changes under us */
    char buf[64];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 500; i++) {
            snprintf(buf, sizeof buf, "81.2.69.%d", i % 256);
            country(g, buf, &found);
            snprintf(buf, sizeof buf, "2001:218::%x", i);
            country(g, buf, &found);
        }
    size_t db, hits;
    lg_geoip_stats(g, &db, &hits);
    ASSERT_UEQ(db, 256 + 500);
    ASSERT_UEQ(hits, 3 * 1000 - (256 + 500));
    /* answers from the cache equal the database's */
    ASSERT_STREQ(country(g, "81.2.69.160", &found), "GB");
    ASSERT_STREQ(country(g, "2001:218::1", &found), "JP");
    lg_geoip_close(g);
}

TEST(cache_is_per_process_after_fork)
{
    lg_geoip *g = open_ok(test_db());
    int found;
    country(g, "81.2.69.160", &found);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        char cc[3];
        lg_str s = {"2001:218::1", 11};
        int ok = lg_geoip_country(g, s, cc) == 1 && strcmp(cc, "JP") == 0;
        s.p = "81.2.69.160";
        s.n = 11;
        ok &= lg_geoip_country(g, s, cc) == 1 && strcmp(cc, "GB") == 0;
        size_t db, hits;
        lg_geoip_stats(g, &db, &hits);
        ok &= db == 2 && hits == 1;
        lg_geoip_close(g);
        _exit(ok ? 0 : 1);
    }
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(RUNNER_EXITED(st, 0));
    size_t db, hits;
    lg_geoip_stats(g, &db, &hits);
    ASSERT_UEQ(db, 1); /* the child's lookups stayed in the child */
    lg_geoip_close(g);
}

TEST(open_errors)
{
    lg_geoip *g = (lg_geoip *)1;
    char err[256] = "";
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/none.mmdb", runner_tmpdir());
    ASSERT_EQ(lg_geoip_open(missing, &g, err, sizeof err), -EIO);
    ASSERT_NULL(g);
    ASSERT_STRSTR(err, "none.mmdb");
    char junk[4096];
    snprintf(junk, sizeof junk, "%s/junk.mmdb", runner_tmpdir());
    FILE *fp = fopen(junk, "w");
    ASSERT_NOT_NULL(fp);
    fputs("this is not a maxmind database\n", fp);
    fclose(fp);
    /* unreadable or not an MMDB: both fatal (exit 1), so both -EIO */
    ASSERT_EQ(lg_geoip_open(junk, &g, err, sizeof err), -EIO);
    ASSERT_NULL(g);
}

/* An ASN database has no countries: refused, not every country null. */
TEST(asn_database_refused)
{
    char asn[4096], err[256] = "";
    lg_geoip *g = (lg_geoip *)1;
    snprintf(asn, sizeof asn, "%s", test_db());
    char *slash = strrchr(asn, '/');
    snprintf(slash + 1, sizeof asn - (size_t)(slash + 1 - asn),
             "GeoLite2-ASN-Test.mmdb");
    if (access(asn, R_OK) != 0)
        SKIP("%s is not available", asn);
    ASSERT_EQ(lg_geoip_open(asn, &g, err, sizeof err), -EIO);
    ASSERT_NULL(g);
    ASSERT_STRSTR(err, "no countries");
    /* a City database has them */
    snprintf(slash + 1, sizeof asn - (size_t)(slash + 1 - asn),
             "GeoLite2-City-Test.mmdb");
    if (access(asn, R_OK) == 0) {
        g = open_ok(asn);
        lg_geoip_close(g);
    }
}

TEST(default_path_from_environment)
{
    const char *db = test_db();
    setenv("PIPEFAN_GEOIP_DB", db, 1);
    lg_geoip *g = open_ok(NULL);
    ASSERT_STREQ(lg_geoip_path(g), db);
    int found;
    ASSERT_STREQ(country(g, "81.2.69.160", &found), "GB");
    lg_geoip_close(g);
    unsetenv("PIPEFAN_GEOIP_DB");
    /* without the variable: a system database or -ENOENT, never a crash */
    char err[256];
    int rc = lg_geoip_open(NULL, &g, err, sizeof err);
    ASSERT(rc == 0 || rc == -ENOENT);
    if (rc == 0)
        lg_geoip_close(g);
    else
        ASSERT_STRSTR(err, "no GeoIP database");
}
