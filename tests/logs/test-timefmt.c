/* test-timefmt.c - CLF and ISO-8601 time parsing, civil-date arithmetic
 * and the ISO text written back (logs/timefmt.c), against times worked out
 * by hand and by date(1) (`date -u -d '2000-10-10T20:55:36Z' +%s`). */
#include <string.h>

#include "runner.h"

#include "../../logs/timefmt.h"

static int clf(const char *s, int64_t *ts, int32_t *off)
{
    return lg_time_parse_clf(s, strlen(s), ts, off);
}

static int iso(const char *s, int32_t def_off, int64_t *ts, int32_t *off,
               int64_t *prec)
{
    return lg_time_parse_iso(s, strlen(s), def_off, ts, off, prec);
}

TEST(civil_dates_round_trip_and_match_known_days)
{
    ASSERT_EQ(lg_days_from_civil(1970, 1, 1), 0);
    ASSERT_EQ(lg_days_from_civil(1969, 12, 31), -1);
    ASSERT_EQ(lg_days_from_civil(2000, 3, 1), 11017);
    ASSERT_EQ(lg_days_from_civil(2024, 2, 29), 19782);
    ASSERT_EQ(lg_days_from_civil(0, 1, 1), -719528);
    /* every day of 1900..2100 and back, leap days included */
    int64_t want = lg_days_from_civil(1900, 1, 1);
    for (int64_t days = want; days < lg_days_from_civil(2101, 1, 1); days++) {
        int64_t y;
        int m, d;
        lg_civil_from_days(days, &y, &m, &d);
        ASSERT_EQ(lg_days_from_civil(y, m, d), days);
    }
    int64_t y;
    int m, d;
    lg_civil_from_days(lg_days_from_civil(1900, 2, 28) + 1, &y, &m, &d);
    ASSERT(y == 1900 && m == 3 && d == 1); /* 1900 is not a leap year */
    lg_civil_from_days(lg_days_from_civil(2000, 2, 28) + 1, &y, &m, &d);
    ASSERT(y == 2000 && m == 2 && d == 29); /* 2000 is */
}

TEST(clf_times_with_zones)
{
    int64_t ts;
    int32_t off;
    ASSERT_EQ(clf("10/Oct/2000:13:55:36 -0700", &ts, &off), 0);
    ASSERT_EQ(ts, 971211336); /* 2000-10-10T20:55:36Z */
    ASSERT_EQ(off, -7 * 3600);
    /* the same hour again (the hour cache), then the next second */
    ASSERT_EQ(clf("10/Oct/2000:13:55:37 -0700", &ts, &off), 0);
    ASSERT_EQ(ts, 971211337);
    ASSERT_EQ(off, -25200);
    /* same date and hour, another zone: not the cached hour */
    ASSERT_EQ(clf("10/Oct/2000:13:55:36 +0530", &ts, &off), 0);
    ASSERT_EQ(ts, 971211336 - 7 * 3600 - 5 * 3600 - 1800);
    ASSERT_EQ(off, 19800);
    ASSERT_EQ(clf("17/May/2015:10:05:03 +01:00", &ts, &off), 0);
    ASSERT_EQ(ts, 1431857103 - 3600);
    ASSERT_EQ(off, 3600);
    ASSERT_EQ(clf("01/Jan/1970:00:00:00 +0000", &ts, &off), 0);
    ASSERT_EQ(ts, 0);
    ASSERT_EQ(clf("31/Dec/1969:23:59:59 +0000", &ts, &off), 0);
    ASSERT_EQ(ts, -1);
    ASSERT_EQ(clf("29/Feb/2024:23:59:60 +0000", &ts, &off), 0); /* leap s */
    ASSERT_EQ(ts, 1709251200);
}

TEST(clf_without_a_zone_is_utc_and_says_so)
{
    int64_t ts = 1;
    int32_t off = 1;
    ASSERT_EQ(clf("17/May/2015:10:05:03", &ts, &off), 1);
    ASSERT_EQ(ts, 1431857103);
    ASSERT_EQ(off, 0);
    ASSERT_EQ(clf("17/May/2015:10:05:03 ", &ts, &off), 1);
    ASSERT_EQ(ts, 1431857103);
}

TEST(clf_rejects_what_is_not_a_time)
{
    static const char *const bad[] = {
        "32/May/2015:10:05:03 +0000",
        "29/Feb/2023:10:05:03 +0000",
        "00/May/2015:10:05:03 +0000",
        "17/Mai/2015:10:05:03 +0000",
        "17/may/2015:10:05:03 +0000",
        "17/May/2015:24:05:03 +0000",
        "17/May/2015:10:60:03 +0000",
        "17/May/2015:10:05:61 +0000",
        "17/May/2015:10:05:03 +2500",
        "17/May/2015:10:05:03 +0060",
        "17/May/2015:10:05:03 x0000",
        "17/May/2015 10:05:03 +0000",
        "17/May/2015:10:05:03 +00000",
        "17/May/2015:10:05",
        "",
    };
    int64_t ts = 42;
    int32_t off = 42;
    /* prime the caches with the same date and hour first */
    ASSERT_EQ(clf("17/May/2015:10:05:03 +0000", &ts, &off), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (clf(bad[i], &ts, &off) != -1)
            FAIL("accepted '%s'", bad[i]);
    }
    /* a cut-short buffer: only n bytes are read */
    ASSERT_EQ(lg_time_parse_clf("17/May/2015:10:05:03 +0000", 19, &ts, &off),
              -1);
}

TEST(iso_precision_zones_and_default_offset)
{
    int64_t ts, prec;
    int32_t off;
    ASSERT_EQ(iso("2015-05-19", 0, &ts, &off, &prec), 0);
    ASSERT_EQ(ts, 1431993600);
    ASSERT_EQ(prec, 86400);
    ASSERT_EQ(iso("2015-05-19T14", 0, &ts, &off, &prec), 0);
    ASSERT_EQ(ts, 1431993600 + 14 * 3600);
    ASSERT_EQ(prec, 3600);
    ASSERT_EQ(iso("2015-05-19 14:00", 0, &ts, &off, &prec), 0);
    ASSERT_EQ(prec, 60);
    ASSERT_EQ(iso("2015-05-19T14:00:05.123Z", 3600, &ts, &off, &prec), 0);
    ASSERT_EQ(ts, 1431993600 + 14 * 3600 + 5);
    ASSERT_EQ(off, 0);
    ASSERT_EQ(prec, 1);
    /* without a zone the default offset applies */
    ASSERT_EQ(iso("2015-05-19T14:00:05", 7200, &ts, &off, &prec), 0);
    ASSERT_EQ(ts, 1431993600 + 12 * 3600 + 5);
    ASSERT_EQ(off, 7200);
    static const char *const zones[] = {"+02", "+0200", "+02:00"};
    for (int i = 0; i < 3; i++) {
        char s[40];
        strcpy(s, "2015-05-19T14:00:05");
        strcat(s, zones[i]);
        ASSERT_EQ(iso(s, 0, &ts, &off, NULL), 0);
        ASSERT_EQ(ts, 1431993600 + 12 * 3600 + 5);
        ASSERT_EQ(off, 7200);
    }
    ASSERT_EQ(iso("2015-05-19T14:00:05-05:30", 0, &ts, &off, NULL), 0);
    ASSERT_EQ(ts, 1431993600 + 19 * 3600 + 1800 + 5);
    ASSERT_EQ(off, -19800);
}

TEST(iso_rejects_malformed)
{
    static const char *const bad[] = {
        "2015-5-19",
        "2015-05-19T",
        "2015-13-01",
        "2015-02-29",
        "2015-05-19T24",
        "2015-05-19T14:60",
        "2015-05-19T14:00:05.",
        "2015-05-19T14:00:05+24",
        "2015-05-19 junk",
        "2015/05/19",
        "",
    };
    int64_t ts;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (iso(bad[i], 0, &ts, NULL, NULL) != -1)
            FAIL("accepted '%s'", bad[i]);
}

TEST(iso_text_written_and_read_back)
{
    char buf[32];
    ASSERT_EQ(lg_time_format_iso(971211336, -25200, 1, buf), 25);
    ASSERT_STREQ(buf, "2000-10-10T13:55:36-07:00");
    ASSERT_EQ(lg_time_format_iso(971211336, 0, 1, buf), 20);
    ASSERT_STREQ(buf, "2000-10-10T20:55:36Z");
    lg_time_format_iso(971211336, 0, 0, buf);
    ASSERT_STREQ(buf, "2000-10-10T20:55:36+00:00");
    lg_time_format_iso(-1, 19800, 0, buf);
    ASSERT_STREQ(buf, "1970-01-01T05:29:59+05:30");
    for (int64_t ts = -86400 * 400; ts < 86400 * 400; ts += 86400 * 7 + 3599) {
        int64_t back;
        int32_t off;
        int n = lg_time_format_iso(ts, -34200, 1, buf);
        ASSERT_EQ(lg_time_parse_iso(buf, (size_t)n, 0, &back, &off, NULL), 0);
        ASSERT_EQ(back, ts);
        ASSERT_EQ(off, -34200);
    }
}

TEST(civil_breakdown_for_buckets)
{
    lg_tm tm;
    lg_time_civil(971211336, -25200, &tm);
    ASSERT(tm.year == 2000 && tm.mon == 10 && tm.mday == 10);
    ASSERT(tm.hour == 13 && tm.min == 55 && tm.sec == 36);
    ASSERT_EQ(tm.wday, 2);     /* a Tuesday */
    lg_time_civil(-1, 0, &tm); /* before the epoch: floor, not truncation */
    ASSERT(tm.year == 1969 && tm.mon == 12 && tm.mday == 31);
    ASSERT(tm.hour == 23 && tm.min == 59 && tm.sec == 59);
    ASSERT_EQ(tm.wday, 3); /* a Wednesday */
}
