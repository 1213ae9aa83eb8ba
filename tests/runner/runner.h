/*
 * runner.h - the in-tree test runner, libuv style.
 *
 * Link runner_dep into a test executable and write tests with TEST(); the
 * runner provides main().  Each test runs in its own forked child, in its
 * own process group, under a timeout, and ends by proving it leaked no
 * process, file descriptor, pipefan shared-memory mapping or /dev/shm file
 * of its own (named runner-* or *pipefan*: others are left alone).
 * Results are printed as TAP 13 on stdout; a test's own stdout and stderr
 * both go to stderr.
 *
 *   TEST(emits_every_record) { ... ASSERT_EQ(n, 100); }
 *   TEST_TIMEOUT(slow_drain, 120) { ... }
 *   HELPER(crash_on_third) { ... return 0; }   run as: self --helper ...
 *
 * Command line of a test binary:
 *   (none)              run every test, in file order
 *   NAME...             run only those tests
 *   -l                  list the test names
 *   --helper NAME ARGS  run helper NAME and exit with its return value
 *   --no-fork NAME      run one test in this process (for gdb, valgrind)
 *
 * Environment: RUNNER_TIMEOUT_SCALE multiplies every timeout (e.g. 4 under
 * sanitizers, 20 under valgrind); RUNNER_KEEP_TMP=1 keeps each test's
 * temporary directory.
 */
#ifndef PIPEFAN_TEST_RUNNER_H
#define PIPEFAN_TEST_RUNNER_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define RUNNER_DEFAULT_TIMEOUT 60

/* RUNNER_ASAN is 1 in an AddressSanitizer build (gcc or clang), else 0:
 * tests may skip what cannot work under it.  There, each test also ends
 * with a LeakSanitizer check. */
#if defined(__SANITIZE_ADDRESS__)
#define RUNNER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUNNER_ASAN 1
#endif
#endif
#ifndef RUNNER_ASAN
#define RUNNER_ASAN 0
#endif

#define RUNNER__UNUSED __attribute__((unused))

typedef void (*runner_test_fn)(void);
typedef int (*runner_helper_fn)(int argc, char **argv);

/* A registered test; filled by TEST(), read by the runner. */
struct runner_test {
    const char *name;
    runner_test_fn fn;
    unsigned timeout; /* seconds, before RUNNER_TIMEOUT_SCALE */
    const char *file;
    int line;
    struct runner_test *next;
};

/* A registered helper; filled by HELPER(). */
struct runner_helper {
    const char *name;
    runner_helper_fn fn;
    struct runner_helper *next;
};

void runner__register_test(struct runner_test *t);
void runner__register_helper(struct runner_helper *h);

/* Define a test with a timeout in seconds. */
#define TEST_TIMEOUT(name, secs)                                               \
    static void test_##name(void);                                             \
    static struct runner_test runner__test_##name = {                          \
        #name, test_##name, (secs), __FILE__, __LINE__, NULL};                 \
    __attribute__((constructor)) static void runner__reg_test_##name(void)     \
    {                                                                          \
        runner__register_test(&runner__test_##name);                           \
    }                                                                          \
    static void test_##name(void)

/* Define a test with the default timeout (60 s). */
#define TEST(name) TEST_TIMEOUT(name, RUNNER_DEFAULT_TIMEOUT)

/*
 * Define a helper: the test binary re-run as `<self> --helper NAME ARGS...`
 * calls helper_NAME(argc, argv) with argv[0] == "NAME" and argv[1..] the
 * ARGS, then exits with its return value (argc and argv may go unused).  A
 * failed assertion in a helper prints the message on stderr and exits 1.
 */
#define HELPER(name)                                                           \
    static int helper_##name(int argc RUNNER__UNUSED,                          \
                             char **argv RUNNER__UNUSED);                      \
    static struct runner_helper runner__helper_##name = {#name, helper_##name, \
                                                         NULL};                \
    __attribute__((constructor)) static void runner__reg_helper_##name(void)   \
    {                                                                          \
        runner__register_helper(&runner__helper_##name);                       \
    }                                                                          \
    static int helper_##name(int argc RUNNER__UNUSED,                          \
                             char **argv RUNNER__UNUSED)

/* Absolute path of this test binary (read from /proc/self/exe at start). */
const char *runner_self(void);

/* A fresh private directory for the running test, removed recursively after
 * it.  Borrowed; valid until the test ends. */
const char *runner_tmpdir(void);

/* Name of the running test, or the helper's name inside a helper. */
const char *runner_test_name(void);

/* The timeout scale in force (RUNNER_TIMEOUT_SCALE, default 1). */
double runner_timeout_scale(void);
/* 1 when this process runs under valgrind (which replaces malloc, so a
 * test that interposes malloc itself must skip), else 0. */
int runner_under_valgrind(void);

/* Print a diagnostic line into the TAP output of the running test (shown
 * whether it passes or fails). */
void runner_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Run argv (argv[0] is looked up in PATH when it has no slash) with stdin
 * fed from in[0..inlen) (or /dev/null when in is NULL), capture its stdout
 * and stderr into malloc'd NUL-terminated buffers, and wait for it.
 * Returns the wait status, or -1 with errno set when it could not start.
 * out and err may be NULL to discard; caller frees *out and *err.  env, when
 * not NULL, is a NULL-terminated list of "NAME=value" to add or replace.
 */
struct runner_output {
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
};
int runner_capture(char *const argv[], char *const env[], const void *in,
                   size_t inlen, struct runner_output *o);
/* Free the buffers of a runner_output (safe on a zeroed one). */
void runner_output_free(struct runner_output *o);

/* Wait status helpers for runner_capture and waitpid results. */
#define RUNNER_EXITED(st, code)                                                \
    (((st)&0x7f) == 0 && (((st) >> 8) & 0xff) == (code))

/* ---- assertions -------------------------------------------------------- */

_Noreturn void runner__fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn void runner__skip(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn void runner__fail_memeq(const char *file, int line, const char *ea,
                                  const char *eb, const void *a, const void *b,
                                  size_t n);
_Noreturn void runner__fail_streq(const char *file, int line, const char *op,
                                  const char *ea, const char *eb, const char *a,
                                  const char *b);
int runner__streq(const char *a, const char *b);

/* Fail the test with a printf-style message. */
#define FAIL(...) runner__fail(__FILE__, __LINE__, __VA_ARGS__)
/* End the test as skipped, with a printf-style reason. */
#define SKIP(...) runner__skip(__FILE__, __LINE__, __VA_ARGS__)

#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (!(cond))                                                           \
            runner__fail(__FILE__, __LINE__, "assertion failed: %s", #cond);   \
    } while (0)

#define RUNNER__CMP(a, op, b, type, fmt)                                       \
    do {                                                                       \
        type runner__a = (type)(a);                                            \
        type runner__b = (type)(b);                                            \
        if (!(runner__a op runner__b))                                         \
            runner__fail(__FILE__, __LINE__,                                   \
                         "assertion failed: %s %s %s (%" fmt " %s %" fmt ")",  \
                         #a, #op, #b, runner__a, #op, runner__b);              \
    } while (0)

/* Signed comparisons, both sides converted to intmax_t. */
#define ASSERT_EQ(a, b) RUNNER__CMP(a, ==, b, intmax_t, PRIdMAX)
#define ASSERT_NE(a, b) RUNNER__CMP(a, !=, b, intmax_t, PRIdMAX)
#define ASSERT_LT(a, b) RUNNER__CMP(a, <, b, intmax_t, PRIdMAX)
#define ASSERT_LE(a, b) RUNNER__CMP(a, <=, b, intmax_t, PRIdMAX)
#define ASSERT_GT(a, b) RUNNER__CMP(a, >, b, intmax_t, PRIdMAX)
#define ASSERT_GE(a, b) RUNNER__CMP(a, >=, b, intmax_t, PRIdMAX)
/* Unsigned comparisons, both sides converted to uintmax_t. */
#define ASSERT_UEQ(a, b) RUNNER__CMP(a, ==, b, uintmax_t, PRIuMAX)
#define ASSERT_UNE(a, b) RUNNER__CMP(a, !=, b, uintmax_t, PRIuMAX)
#define ASSERT_ULT(a, b) RUNNER__CMP(a, <, b, uintmax_t, PRIuMAX)
#define ASSERT_ULE(a, b) RUNNER__CMP(a, <=, b, uintmax_t, PRIuMAX)
#define ASSERT_UGT(a, b) RUNNER__CMP(a, >, b, uintmax_t, PRIuMAX)
#define ASSERT_UGE(a, b) RUNNER__CMP(a, >=, b, uintmax_t, PRIuMAX)

/* Strings (either may be NULL; two NULLs are equal). */
#define ASSERT_STREQ(a, b)                                                     \
    do {                                                                       \
        const char *runner__sa = (a);                                          \
        const char *runner__sb = (b);                                          \
        if (!runner__streq(runner__sa, runner__sb))                            \
            runner__fail_streq(__FILE__, __LINE__, "==", #a, #b, runner__sa,   \
                               runner__sb);                                    \
    } while (0)
#define ASSERT_STRNE(a, b)                                                     \
    do {                                                                       \
        const char *runner__sa = (a);                                          \
        const char *runner__sb = (b);                                          \
        if (runner__streq(runner__sa, runner__sb))                             \
            runner__fail_streq(__FILE__, __LINE__, "!=", #a, #b, runner__sa,   \
                               runner__sb);                                    \
    } while (0)
/* haystack contains needle (neither NULL). */
#define ASSERT_STRSTR(hay, needle)                                             \
    do {                                                                       \
        const char *runner__sa = (hay);                                        \
        const char *runner__sb = (needle);                                     \
        if (runner__sa == NULL || runner__sb == NULL ||                        \
            strstr(runner__sa, runner__sb) == NULL)                            \
            runner__fail_streq(__FILE__, __LINE__, "contains", #hay, #needle,  \
                               runner__sa, runner__sb);                        \
    } while (0)

/* n bytes at a and b are equal; on failure prints the first differing
 * offset and the bytes around it. */
#define ASSERT_MEMEQ(a, b, n)                                                  \
    do {                                                                       \
        const void *runner__ma = (a);                                          \
        const void *runner__mb = (b);                                          \
        size_t runner__n = (n);                                                \
        if (runner__n != 0 && memcmp(runner__ma, runner__mb, runner__n) != 0)  \
            runner__fail_memeq(__FILE__, __LINE__, #a, #b, runner__ma,         \
                               runner__mb, runner__n);                         \
    } while (0)

#define ASSERT_NULL(p)                                                         \
    do {                                                                       \
        const void *runner__p = (const void *)(p);                             \
        if (runner__p != NULL)                                                 \
            runner__fail(__FILE__, __LINE__,                                   \
                         "assertion failed: %s is NULL (it is %p)", #p,        \
                         runner__p);                                           \
    } while (0)
#define ASSERT_NOT_NULL(p)                                                     \
    do {                                                                       \
        if ((const void *)(p) == NULL)                                         \
            runner__fail(__FILE__, __LINE__,                                   \
                         "assertion failed: %s is not NULL", #p);              \
    } while (0)

#endif /* PIPEFAN_TEST_RUNNER_H */
