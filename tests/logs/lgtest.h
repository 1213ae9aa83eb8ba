/* lgtest.h - helpers shared by the format tests (test-w3c.c, test-cols.c,
 * test-json.c, test-detect.c): parse a line from an exact-size heap copy,
 * compare a borrowed string, find ../shared/realdata. */
#ifndef TESTS_LOGS_LGTEST_H
#define TESTS_LOGS_LGTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#include "../../logs/format.h"
#include "../../logs/parse.h"

/* Parse `line` from a heap copy of exactly its length, so a read past the
 * end trips AddressSanitizer; *keep is the copy (free it after use). */
static inline int lgt_parse(const lg_format *f, const char *line, lg_rec *r,
                            char **keep)
{
    size_t n = strlen(line);
    char *copy = malloc(n ? n : 1);
    ASSERT_NOT_NULL(copy);
    memcpy(copy, line, n);
    *keep = copy;
    return lg_parse_line(f, copy, n, r);
}

static inline const lg_format *lgt_fmt(const char *name)
{
    const lg_format *f = lg_format_builtin(name);
    if (!f)
        FAIL("no built-in format %s", name);
    return f;
}

#define ASSERT_LGSTR(s, want)                                                  \
    do {                                                                       \
        lg_str lgt_s_ = (s);                                                   \
        const char *lgt_w_ = (want);                                           \
        if (lgt_s_.n != strlen(lgt_w_) ||                                      \
            (lgt_s_.n && memcmp(lgt_s_.p, lgt_w_, lgt_s_.n) != 0))             \
            FAIL("%s is \"%.*s\", expected \"%s\"", #s, (int)lgt_s_.n,         \
                 lgt_s_.n ? lgt_s_.p : "", lgt_w_);                            \
    } while (0)

/* Path of a file under ../shared/realdata, or SKIP when it is absent. */
static inline const char *lgt_realdata(const char *rel)
{
    static char path[4096];
    const char *root = getenv("PIPEFAN_SOURCE_ROOT");
    if (!root || !*root)
        SKIP("PIPEFAN_SOURCE_ROOT is not set");
    snprintf(path, sizeof path, "%s/../shared/realdata/%s", root, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        SKIP("%s is not available (no ../shared beside the tree)", path);
    fclose(fp);
    return path;
}

/* A whole file in a malloc'd buffer. */
static inline char *lgt_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        FAIL("cannot open %s", path);
    size_t cap = 1 << 16, n = 0, k;
    char *buf = malloc(cap);
    ASSERT_NOT_NULL(buf);
    while ((k = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ASSERT_NOT_NULL(buf);
        }
    }
    fclose(fp);
    *len = n;
    return buf;
}

#endif
