/* test-esc.c - the one escaping path (logs/esc.h): terminal, messages,
 * JSON and CSV escaping, the formula guard, column widths and the cuts;
 * and output files that follow no symlink (logs/outfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"

#include "../../logs/esc.h"
#include "../../logs/outfile.h"

/* What a writer writes for s, in a static buffer (one at a time). */
static char out[4096];
static int ret;

enum {
    TERM,
    TERM_MID,
    JSON,
    CSV,
    CSV_RAW,
    HTML,
    JSON_SCRIPT
};

static const char *w(int kind, const char *s, int max)
{
    memset(out, 0, sizeof out);
    FILE *f = fmemopen(out, sizeof out, "w");
    if (!f)
        FAIL("fmemopen");
    ret = 0;
    switch (kind) {
    case TERM:
        ret = lg_esc_term(f, s, strlen(s), max);
        break;
    case TERM_MID:
        ret = lg_esc_term_mid(f, s, strlen(s), max);
        break;
    case JSON:
        lg_esc_json(f, s, strlen(s));
        break;
    case CSV:
        lg_esc_csv(f, s, strlen(s), LG_ESC_CSV_GUARD);
        break;
    case HTML:
        ret =
            (int)lg_esc_html(f, s, strlen(s), max < 0 ? SIZE_MAX : (size_t)max);
        break;
    case JSON_SCRIPT:
        lg_esc_json_script(f, s, strlen(s));
        break;
    default:
        lg_esc_csv(f, s, strlen(s), 0);
        break;
    }
    fclose(f); /* writes the NUL */
    return out;
}

#define RLO "\xe2\x80\xae"  /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define ZWSP "\xe2\x80\x8b" /* U+200B ZERO WIDTH SPACE */
#define LRI "\xe2\x81\xa6"  /* U+2066 LEFT-TO-RIGHT ISOLATE */
#define CSI "\xc2\x9b"      /* U+009B, a C1 control */
#define HAN "\xe4\xb8\xad"  /* U+4E2D, East Asian Wide */
#define EACUTE "e\xcc\x81"  /* e + U+0301 COMBINING ACUTE */

TEST(term_passes_text_and_escapes_controls)
{
    ASSERT_STREQ(w(TERM, "/index.html?q=a\\b", INT_MAX), "/index.html?q=a\\b");
    ASSERT_STREQ(w(TERM, "caf\xc3\xa9 " HAN, INT_MAX), "caf\xc3\xa9 " HAN);
    ASSERT_STREQ(w(TERM, "a\033]52;c;x\007b\033[2J", INT_MAX),
                 "a\\x1b]52;c;x\\x07b\\x1b[2J");
    ASSERT_STREQ(w(TERM, "tab\there\x7f", INT_MAX), "tab\\x09here\\x7f");
    ASSERT_STREQ(w(TERM, "c1-" CSI "31m", INT_MAX), "c1-\\xc2\\x9b31m");
    ASSERT_STREQ(w(TERM,
                   "raw-\x9b"
                   "2J",
                   INT_MAX),
                 "raw-\\x9b2J");
    ASSERT_STREQ(w(TERM, "bad\xff\xc3(", INT_MAX), "bad\\xff\\xc3(");
    ASSERT_STREQ(w(TERM, "over\xc0\xaflong", INT_MAX), "over\\xc0\\xaflong");
}

TEST(term_escapes_bidi_and_invisible_characters)
{
    ASSERT_STREQ(w(TERM, "/rlo-" RLO "fdp.exe", INT_MAX),
                 "/rlo-\\u202efdp.exe");
    ASSERT_STREQ(w(TERM, "a" ZWSP "b" LRI "c", INT_MAX), "a\\u200bb\\u2066c");
    ASSERT_STREQ(w(TERM,
                   "\xef\xbb\xbf"
                   "bom",
                   INT_MAX),
                 "\\ufeffbom");
    ASSERT_STREQ(w(TERM, "x\xe2\x80\x8fy\xe2\x81\xa0z", INT_MAX),
                 "x\\u200fy\\u2060z");
    ASSERT_STREQ(w(TERM,
                   "ls\xe2\x80\xa8"
                   "x",
                   INT_MAX),
                 "ls\\u2028x");
    /* the escapes count as the columns they take */
    ASSERT_EQ(lg_esc_term_width("a" RLO, strlen("a" RLO)), 7);
}

TEST(columns_of_wide_and_combining_characters)
{
    ASSERT_EQ(lg_esc_cols('a'), 1);
    ASSERT_EQ(lg_esc_cols(0x4e2d), 2);  /* CJK */
    ASSERT_EQ(lg_esc_cols(0xac00), 2);  /* Hangul */
    ASSERT_EQ(lg_esc_cols(0xff21), 2);  /* fullwidth A */
    ASSERT_EQ(lg_esc_cols(0x1f600), 2); /* emoji */
    ASSERT_EQ(lg_esc_cols(0x20000), 2); /* CJK extension B */
    ASSERT_EQ(lg_esc_cols(0x0301), 0);  /* combining acute */
    ASSERT_EQ(lg_esc_cols(0x00e9), 1);
    ASSERT_EQ(lg_esc_cols(0x303f), 1); /* the one narrow one of the block */
    ASSERT_EQ(lg_esc_cols(0xff61), 1); /* halfwidth katakana */
    const char *s = HAN HAN "x" EACUTE;
    ASSERT_EQ(lg_esc_term_width(s, strlen(s)), 6);
}

TEST(term_cuts_on_the_right_by_columns)
{
    ASSERT_STREQ(w(TERM, "abcdefghij", 10), "abcdefghij");
    ASSERT_EQ(ret, 10);
    ASSERT_STREQ(w(TERM, "abcdefghijk", 10), "abcdefg...");
    ASSERT_EQ(ret, 10);
    /* a wide character is never split: 7 columns leave room for 3 */
    ASSERT_STREQ(w(TERM, HAN HAN HAN HAN HAN HAN, 10), HAN HAN HAN "...");
    ASSERT_EQ(ret, 9);
    /* an escape is never split either */
    ASSERT_STREQ(w(TERM, "abcde\033xyzw", 10), "abcde...");
    ASSERT_EQ(ret, 8);
}

TEST(term_mid_keeps_the_end_of_a_file_name)
{
    const char *a = "/var/log/nginx/archive/2026/access.log.1.gz";
    const char *b = "/var/log/nginx/archive/2026/access.log.2.gz";
    ASSERT_STREQ(w(TERM_MID, a, 100), a);
    w(TERM_MID, a, 24);
    ASSERT_EQ(ret, 24);
    ASSERT_STREQ(out, "/var/.../access.log.1.gz");
    char first[sizeof out];
    memcpy(first, out, sizeof out);
    ASSERT_STRNE(first, w(TERM_MID, b, 24));
    /* a last component longer than the room: its end */
    w(TERM_MID, "/d/a-very-long-file-name-indeed.log", 16);
    ASSERT_STREQ(out, "...me-indeed.log");
    ASSERT_EQ(ret, 16);
    /* escapes and wide characters are whole pieces there too */
    w(TERM_MID, "/" HAN HAN HAN HAN HAN HAN HAN HAN "/\033" HAN ".log", 16);
    ASSERT_LE(ret, 16);
    ASSERT(strstr(out, "\\x1b" HAN ".log") != NULL);
    ASSERT(strchr(out, '\033') == NULL);
}

TEST(names_for_messages)
{
    char b[64];
    ASSERT_STREQ(lg_esc_name("fn/evil\033]52;c;cHduZWQ=\007.log", b, sizeof b),
                 "fn/evil\\x1b]52;c;cHduZWQ=\\x07.log");
    ASSERT_STREQ(lg_esc_name(RLO "gol.log", b, sizeof b), "\\u202egol.log");
    char small[12];
    lg_esc_name("\033\033\033\033\033", small, sizeof small);
    ASSERT_STREQ(small, "\\x1b\\x1b...");
    lg_esc_name("abcdefghijkl", small, sizeof small);
    ASSERT_STREQ(small, "abcdefgh...");
    lg_esc_name("abcdefghijk", small, sizeof small);
    ASSERT_STREQ(small, "abcdefghijk");
}

TEST(json_keeps_the_string_and_escapes_what_shows_badly)
{
    ASSERT_STREQ(w(JSON, "a\"b\\c\n", 0), "\"a\\\"b\\\\c\\n\"");
    ASSERT_STREQ(w(JSON, "\033[2J\x7f", 0), "\"\\u001b[2J\\u007f\"");
    ASSERT_STREQ(w(JSON, "c1" CSI, 0), "\"c1\\u009b\"");
    ASSERT_STREQ(w(JSON, RLO ZWSP "\xef\xbb\xbf", 0),
                 "\"\\u202e\\u200b\\ufeff\"");
    ASSERT_STREQ(w(JSON, "bad\xff" HAN "\xc3\xa9", 0),
                 "\"bad\\ufffd" HAN "\xc3\xa9\"");
}

TEST(csv_quotes_as_rfc4180)
{
    ASSERT_STREQ(w(CSV, "/plain", 0), "/plain");
    ASSERT_STREQ(w(CSV, "a,b", 0), "\"a,b\"");
    ASSERT_STREQ(w(CSV, "say \"hi\"", 0), "\"say \"\"hi\"\"\"");
    ASSERT_STREQ(w(CSV, "tab\tin", 0), "tab\tin");
    ASSERT_STREQ(w(CSV, "bad\xff", 0), "bad\xef\xbf\xbd");
    ASSERT_STREQ(w(CSV, HAN, 0), HAN);
}

TEST(csv_escapes_controls_bidi_and_c1)
{
    ASSERT_STREQ(w(CSV, "x\033[2J", 0), "x\\x1b[2J");
    ASSERT_STREQ(w(CSV, "x" CSI "2J", 0), "x\\xc2\\x9b2J");
    ASSERT_STREQ(w(CSV, "x\x9b", 0), "x\xef\xbf\xbd");
    ASSERT_STREQ(w(CSV, "/rlo-" RLO "fdp", 0), "/rlo-\\u202efdp");
    /* a CR or LF is escaped, and the field still quoted */
    ASSERT_STREQ(w(CSV, "a\r\nb", 0), "\"a\\x0d\\x0ab\"");
}

TEST(csv_formula_guard)
{
    ASSERT_STREQ(w(CSV, "=HYPERLINK(\"http://evil/\",\"x\")", 0),
                 "\"'=HYPERLINK(\"\"http://evil/\"\",\"\"x\"\")\"");
    ASSERT_STREQ(w(CSV, "@SUM(1)", 0), "'@SUM(1)");
    ASSERT_STREQ(w(CSV, "+1+1", 0), "'+1+1");
    ASSERT_STREQ(w(CSV, "-2+3", 0), "'-2+3");
    ASSERT_STREQ(w(CSV, "-", 0), "'-");
    ASSERT_STREQ(w(CSV, "\t=1+1", 0), "'\t=1+1");
    ASSERT_STREQ(w(CSV, "\r=1", 0), "\"'\\x0d=1\"");
    /* only the first character counts */
    ASSERT_STREQ(w(CSV, "/a=1+2", 0), "/a=1+2");
    ASSERT_STREQ(w(CSV, "", 0), "");
    /* off for programs (--csv-raw): escaping stays */
    ASSERT_STREQ(w(CSV_RAW, "=1+2", 0), "=1+2");
    ASSERT_STREQ(w(CSV_RAW, "-", 0), "-");
    ASSERT_STREQ(w(CSV_RAW, "-\033", 0), "-\\x1b");
}

TEST(html_text_is_never_markup)
{
    ASSERT_STREQ(w(HTML, "<script>alert(1)</script>", -1),
                 "&lt;script&gt;alert(1)&lt;/script&gt;");
    ASSERT_STREQ(w(HTML, "\"><img src=x onerror='a&b'>", -1),
                 "&quot;&gt;&lt;img src=x onerror=&#39;a&amp;b&#39;&gt;");
    ASSERT_STREQ(w(HTML, "javascript:alert(1)", -1), "javascript:alert(1)");
    ASSERT_STREQ(w(HTML, "caf\xc3\xa9 " HAN, -1), "caf\xc3\xa9 " HAN);
}

TEST(html_text_is_valid_utf8_without_controls)
{
    ASSERT_STREQ(w(HTML, "a\033[2J\x07" CSI, -1), "a\\x1b[2J\\x07\\xc2\\x9b");
    ASSERT_STREQ(w(HTML, "bad\xff\xc3(", -1), "bad\\xff\\xc3(");
    ASSERT_STREQ(w(HTML, "ls\xe2\x80\xa8ps\xe2\x80\xa9" RLO, -1),
                 "ls\\u2028ps\\u2029\\u202e");
}

TEST(html_text_is_cut_at_a_character)
{
    ASSERT_STREQ(w(HTML, "abcdef", 3), "abc\xe2\x80\xa6");
    ASSERT_EQ(ret, 3);
    /* a 3-byte character that does not fit is left out whole */
    ASSERT_STREQ(w(HTML, "ab" HAN, 4), "ab\xe2\x80\xa6");
    ASSERT_STREQ(w(HTML, "ab" HAN, 5), "ab" HAN);
    ASSERT_EQ(ret, 5);
}

TEST(json_for_a_script_block_cannot_end_it)
{
    ASSERT_STREQ(w(JSON_SCRIPT, "{\"p\": \"</script><!--&\"}", 0),
                 "{\"p\": \"\\u003c/script\\u003e\\u003c!--\\u0026\"}");
    ASSERT_STREQ(w(JSON_SCRIPT, "[\"\xe2\x80\xa8\xe2\x80\xa9" HAN "\"]", 0),
                 "[\"\\u2028\\u2029" HAN "\"]");
}

/* ---- outfile ------------------------------------------------------------- */

static char dir[] = "/tmp/test-esc.XXXXXX";

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        FAIL("open %s", path);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

TEST(outfile_replaces_a_symlink_and_never_writes_through_it)
{
    char p[256], v[256], v2[256], buf[64];
    if (!mkdtemp(dir))
        FAIL("mkdtemp");
    snprintf(v, sizeof v, "%s/victim", dir);
    snprintf(v2, sizeof v2, "%s/victim2", dir);
    FILE *f = fopen(v, "w");
    fputs("precious\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/out", dir);
    int d = lg_outdir_open(p);
    ASSERT_GE(d, 0);
    char l1[300], l2[300];
    snprintf(l1, sizeof l1, "%s/totals.csv", p);
    snprintf(l2, sizeof l2, "%s/paths.csv", p);
    ASSERT_EQ(symlink("../victim", l1), 0);
    ASSERT_EQ(symlink("../victim2", l2), 0);
    lg_outfile o;
    ASSERT_EQ(lg_outfile_open(&o, d, "totals.csv"), 0);
    fputs("new\n", o.f);
    ASSERT_EQ(lg_outfile_commit(&o), 0);
    ASSERT_EQ(lg_outfile_open(&o, d, "paths.csv"), 0);
    fputs("p\n", o.f);
    ASSERT_EQ(lg_outfile_commit(&o), 0);
    slurp(v, buf, sizeof buf);
    ASSERT_STREQ(buf, "precious\n");
    ASSERT(access(v2, F_OK) < 0);
    struct stat st;
    ASSERT_EQ(lstat(l1, &st), 0);
    ASSERT(S_ISREG(st.st_mode));
    slurp(l1, buf, sizeof buf);
    ASSERT_STREQ(buf, "new\n");
    /* aborted: no temporary file is left */
    ASSERT_EQ(lg_outfile_open(&o, d, "x.csv"), 0);
    lg_outfile_abort(&o);
    ASSERT_EQ(lg_outfile_open(&o, d, "a/b"), -EINVAL);
    close(d);
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "test \"$(ls -A %s)\" = \"$(printf 'paths.csv\\ntotals.csv')\"",
             p);
    ASSERT_EQ(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
}
