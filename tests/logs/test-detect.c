/* test-detect.c - choosing the built-in format from a sample of lines
 * (logs/detect.c): the four layouts, majorities, what is skipped (blank,
 * comment and error-log lines), the line limit, and a cut-short last
 * line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#include "../../logs/detect.h"

#define COMBINED                                                               \
    "203.0.113.9 - - [17/May/2015:10:05:03 +0000] \"GET /a HTTP/1.1\" 200 "    \
    "512 \"http://r/\" \"Mozilla/5.0\"\n"
#define COMMON                                                                 \
    "203.0.113.9 - bob [17/May/2015:10:05:03 +0000] \"GET /b HTTP/1.0\" 404 "  \
    "-\n"
#define VHOST_COMBINED                                                         \
    "www.example.com:443 10.1.2.3 - - [17/Oct/2023:05:57:49 +1100] \"GET /a "  \
    "HTTP/1.1\" 200 5 \"-\" \"UA\"\n"
#define VHOST_COMMON                                                           \
    "www.example.com:80 10.1.2.3 - - [17/Oct/2023:05:57:49 +1100] \"GET /a "   \
    "HTTP/1.1\" 200 5\n"
#define ERROR_LINE                                                             \
    "2023/10/17 05:57:49 [error] 123#0: *1 open() failed (2: No such file "    \
    "or directory)\n"

/* lg_detect on s; the chosen name in *name. */
static int detect(const char *s, const char **name)
{
    const lg_format *f = NULL;
    int n = lg_detect(s, strlen(s), &f);
    ASSERT_NOT_NULL(f);
    *name = lg_format_name(f);
    return n;
}

/* a lines of A then b lines of B, in a static buffer */
static const char *mix(const char *a, int na, const char *b, int nb)
{
    static char buf[64 * 1024];
    buf[0] = '\0';
    for (int i = 0; i < na; i++)
        strcat(buf, a);
    for (int i = 0; i < nb; i++)
        strcat(buf, b);
    return buf;
}

TEST(each_layout_is_recognised)
{
    const char *name;
    ASSERT_EQ(detect(mix(COMBINED, 3, "", 0), &name), 3);
    ASSERT_STREQ(name, "combined");
    ASSERT_EQ(detect(mix(COMMON, 3, "", 0), &name), 3);
    ASSERT_STREQ(name, "common");
    ASSERT_EQ(detect(mix(VHOST_COMBINED, 2, "", 0), &name), 2);
    ASSERT_STREQ(name, "vhost_combined");
    ASSERT_EQ(detect(mix(VHOST_COMMON, 4, "", 0), &name), 4);
    ASSERT_STREQ(name, "vhost_common");
}

TEST(the_majority_decides_and_a_tie_goes_to_the_richer_layout)
{
    const char *name;
    ASSERT_EQ(detect(mix(COMMON, 6, COMBINED, 4), &name), 10);
    ASSERT_STREQ(name, "common");
    ASSERT_EQ(detect(mix(COMMON, 4, COMBINED, 6), &name), 10);
    ASSERT_STREQ(name, "combined");
    ASSERT_EQ(detect(mix(COMMON, 5, COMBINED, 5), &name), 10);
    ASSERT_STREQ(name, "combined");
    /* vhost needs more than half */
    ASSERT_EQ(detect(mix(VHOST_COMBINED, 5, COMBINED, 5), &name), 10);
    ASSERT_STREQ(name, "combined");
    ASSERT_EQ(detect(mix(VHOST_COMBINED, 6, COMBINED, 4), &name), 10);
    ASSERT_STREQ(name, "vhost_combined");
}

TEST(blank_comment_and_error_log_lines_are_not_counted)
{
    const char *name;
    char buf[4096];
    snprintf(buf, sizeof buf, "\n#Fields: x\n%s%s\n%s", ERROR_LINE, COMMON,
             ERROR_LINE);
    ASSERT_EQ(detect(buf, &name), 1);
    ASSERT_STREQ(name, "common");
}

TEST(nothing_that_parses_gives_combined_and_zero)
{
    const char *name;
    ASSERT_EQ(detect("", &name), 0);
    ASSERT_STREQ(name, "combined");
    ASSERT_EQ(detect("hello world\nthis is not a log\n", &name), 0);
    ASSERT_STREQ(name, "combined");
    ASSERT_EQ(detect(mix(ERROR_LINE, 5, "", 0), &name), 0);
    ASSERT_STREQ(name, "combined");
}

TEST(only_the_first_lines_are_sampled)
{
    const char *name;
    /* LG_DETECT_LINES common lines, then more combined ones than that:
     * the combined ones are past the sample */
    ASSERT_EQ(
        detect(mix(COMMON, LG_DETECT_LINES, COMBINED, LG_DETECT_LINES + 5),
               &name),
        LG_DETECT_LINES);
    ASSERT_STREQ(name, "common");
    /* bad lines count towards the limit too */
    ASSERT_EQ(detect(mix("junk\n", LG_DETECT_LINES - 1, COMMON, 5), &name), 1);
    ASSERT_STREQ(name, "common");
}

TEST(a_cut_short_last_line_is_used_only_when_alone)
{
    const char *name;
    /* one whole common line and a combined one cut before its newline:
     * the cut line is ignored (it may be short only because of the read) */
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%.*s", COMMON, (int)strlen(COMBINED) - 1,
             COMBINED);
    ASSERT_EQ(detect(buf, &name), 1);
    ASSERT_STREQ(name, "common");
    /* with no complete line, the partial one is all there is */
    snprintf(buf, sizeof buf, "%.*s", (int)strlen(COMBINED) - 1, COMBINED);
    ASSERT_EQ(detect(buf, &name), 1);
    ASSERT_STREQ(name, "combined");
}

TEST(the_sample_is_read_within_its_length)
{
    /* an exactly sized copy with no terminator: ASan/valgrind catch a
     * read past it */
    size_t n = strlen(COMBINED) * 2;
    char *p = malloc(n);
    ASSERT_NOT_NULL(p);
    memcpy(p, mix(COMBINED, 2, "", 0), n);
    const lg_format *f;
    ASSERT_EQ(lg_detect(p, n - 1, &f), 1); /* the second line is cut */
    ASSERT_STREQ(lg_format_name(f), "combined");
    free(p);
}
