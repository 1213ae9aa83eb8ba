/* test-opt.c - the option parsers both subcommands share (cli/opt.c).
 *
 * The sizes: pipefan logs and pipefan run had a parse_size each and they
 * disagreed (logs took "-1" as 16 EiB, "4BB", and wrapped "99999999999G";
 * run refused those).  The one kept is run's, made stricter: digits
 * first, a unit, an 'i' only after a unit, one 'B' or 'b', at most 1 TiB.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#include "cli.h"
#include "opt.h"

static size_t size_of(const char *s)
{
    size_t v = 12345;
    ASSERT_EQ(cli_parse_size(s, &v), 0);
    return v;
}

static void size_bad(const char *s)
{
    size_t v = 12345;
    ASSERT_EQ(cli_parse_size(s, &v), -1);
    ASSERT_UEQ(v, 12345); /* untouched */
}

TEST(size_takes_units_of_1024)
{
    ASSERT_UEQ(size_of("0"), 0);
    ASSERT_UEQ(size_of("4096"), 4096);
    ASSERT_UEQ(size_of("4k"), 4096);
    ASSERT_UEQ(size_of("4K"), 4096);
    ASSERT_UEQ(size_of("4KiB"), 4096);
    ASSERT_UEQ(size_of("4KB"), 4096);
    ASSERT_UEQ(size_of("4kb"), 4096);
    ASSERT_UEQ(size_of("1M"), 1u << 20);
    ASSERT_UEQ(size_of("1MiB"), 1u << 20);
    ASSERT_UEQ(size_of("2G"), 2ull << 30);
    ASSERT_UEQ(size_of("100b"), 100);
    ASSERT_UEQ(size_of("100B"), 100);
    ASSERT_UEQ(size_of("1024G"), 1ull << 40); /* the upper bound */
}

TEST(size_refuses_signs_spaces_junk_and_overflow)
{
    size_bad("");
    size_bad("-1"); /* strtoull would make it 2^64 - 1 */
    size_bad("-4K");
    size_bad("+4K");
    size_bad(" 4K");
    size_bad("4K ");
    size_bad("K");
    size_bad("4X");
    size_bad("4i");  /* an 'i' needs a unit */
    size_bad("4BB"); /* one B */
    size_bad("4KiBB");
    size_bad("4Ki B");
    size_bad("1025G");        /* over 1 TiB */
    size_bad("99999999999G"); /* would wrap */
    size_bad("18446744073709551616");
    size_bad("0x10");
}

TEST(int_is_decimal_within_bounds)
{
    int v = -7;
    ASSERT_EQ(cli_parse_int("5", 1, 10, &v), 0);
    ASSERT_EQ(v, 5);
    ASSERT_EQ(cli_parse_int("1", 1, 10, &v), 0);
    ASSERT_EQ(cli_parse_int("10", 1, 10, &v), 0);
    ASSERT_EQ(v, 10);
    ASSERT_EQ(cli_parse_int("0", 1, 10, &v), -1);
    ASSERT_EQ(cli_parse_int("11", 1, 10, &v), -1);
    ASSERT_EQ(cli_parse_int("", 1, 10, &v), -1);
    ASSERT_EQ(cli_parse_int("5x", 1, 10, &v), -1);
    ASSERT_EQ(cli_parse_int("99999999999999999999", 0, 10, &v), -1);
    ASSERT_EQ(v, 10);
}

TEST(fault_options_parse_and_become_pf_options)
{
    cli_fault f = {0};
    pf_options o;
    ASSERT_EQ(cli_fault_opt("t", CLI_OPT_RETRIES, "3", &f), 1);
    ASSERT_EQ(cli_fault_opt("t", CLI_OPT_STALL, "2.5", &f), 1);
    ASSERT_EQ(cli_fault_opt("t", CLI_OPT_POISON, "fail", &f), 1);
    ASSERT_EQ(cli_fault_opt("t", CLI_OPT_DEADLETTER, "dl", &f), 1);
    ASSERT_EQ(cli_fault_opt("t", 'j', "3", &f), 0); /* not one of them */
    pf_options_init(&o);
    cli_fault_options(&f, &o);
    ASSERT_EQ(o.retries, 3);
    ASSERT_UEQ(o.stall_ms, 2500);
    ASSERT_EQ(o.poison, PF_POISON_FAIL);
    ASSERT_STREQ(o.dead_letter, "dl");
    ASSERT_EQ(cli_stall_ms("0.0001"), 1);
    ASSERT_EQ(cli_stall_ms("0"), -1);
    ASSERT_EQ(cli_stall_ms("86401"), -1);
    ASSERT_EQ(cli_poison_policy("skip"), PF_POISON_SKIP);
    ASSERT_EQ(cli_poison_policy("maybe"), -1);
}

TEST(bad_fault_option_values_are_usage_errors)
{
    cli_fault f = {0};
    /* the messages go to stderr: keep the TAP stream clean */
    ASSERT_EQ(cli_fault_opt("t", CLI_OPT_RETRIES, "1001", &f), -1);
    ASSERT_EQ(cli_fault_opt("t", CLI_OPT_RETRIES, "-1", &f), -1);
    ASSERT_EQ(cli_fault_opt("t", CLI_OPT_STALL, "soon", &f), -1);
    ASSERT_EQ(cli_fault_opt("t", CLI_OPT_POISON, "maybe", &f), -1);
    ASSERT_EQ(cli_usage_error("t", "x %d", 1), CLI_EXIT_USAGE);
}

TEST(exit_codes_are_one_table)
{
    ASSERT_EQ(CLI_EXIT_OK, 0);
    ASSERT_EQ(CLI_EXIT_USAGE, 2);
    ASSERT_EQ(CLI_EXIT_BADINPUT, 3);
    ASSERT_EQ(CLI_EXIT_SOME_FAILED, 3);
    ASSERT_EQ(CLI_EXIT_QUARANTINED, 5);
    ASSERT_EQ(CLI_EXIT_SIGTERM, 143);
}
