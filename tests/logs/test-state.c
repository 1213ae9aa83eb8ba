/* test-state.c - state files (state.h, agg-save.h, docs/STATE.md): a
 * saved aggregate loads back with every count; a truncated, bit-flipped
 * or re-versioned file is refused with a reason and never half-loaded;
 * writing is atomic, leaves no temporary file and replaces a symlink at
 * the target rather than following it. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <dirent.h>

#include "runner.h"

#include "../../logs/agg-save.h"
#include "../../logs/agg-wire.h"
#include "../../logs/agg.h"
#include "../../logs/rank.h"
#include "../../logs/state.h"

#define ALL_TABS ((1u << LG_TAB_COUNT) - 1)
#define NFILES 3

static lg_str S(const char *s)
{
    lg_str r = {s, strlen(s)};
    return r;
}

/* A sink holding n varied requests of NFILES inputs, bad lines and a
 * file error, as a run's sink would. */
static lg_agg *sink_of(int n, int salt)
{
    lg_agg *w = lg_agg_new(NFILES, ALL_TABS, 1);
    lg_agg *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 0);
    char c[32], p[32], g[32];
    lg_buf b = {0};
    ASSERT(w && d);
    for (int i = 0; i < n; i++) {
        lg_rec r;
        memset(&r, 0, sizeof r);
        snprintf(c, sizeof c, "10.%d.%d.%d", salt, i % 3, i % 29);
        snprintf(p, sizeof p, "/p/%d", (i * 7 + salt) % 41);
        snprintf(g, sizeof g, "agent %d", i % 4);
        r.client = S(c);
        r.method = S(i % 5 ? "GET" : "POST");
        r.protocol = S("HTTP/1.1");
        r.referer = S("-");
        r.agent = S(g);
        r.vhost = S("a.example");
        r.status = i % 9 == 0 ? 404 : 200;
        r.bytes = (uint64_t)i * 1009u;
        r.ts = 1700000000 + (int64_t)i * 977;
        ASSERT_EQ(lg_agg_add(w, &r, S(p), (uint32_t)(i % NFILES)), 0);
    }
    for (uint32_t f = 0; f < NFILES; f++)
        lg_agg_count_lines(w, f, (uint64_t)n / NFILES + 1, 0, 0);
    lg_agg_bad(w, LG_BAD_TIME, 1, 77, 0, 4, "bad line", 8);
    lg_agg_file_error(w, 2, -EIO, "read error");
    ASSERT_EQ(lg_agg_serialize(w, &b), 0);
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n), 0);
    lg_buf_free(&b);
    lg_agg_free(w);
    return d;
}

/* Everything a report shows of a (finalises it), as text. */
static char *describe(lg_agg *a)
{
    size_t cap = 1 << 20, o = 0, nf;
    char *s = malloc(cap);
    const lg_totals *t = lg_agg_totals(a);
    ASSERT(s != NULL);
    ASSERT_EQ(lg_agg_finalize(a), 0);
    o += (size_t)snprintf(s + o, cap - o, "%llu %llu %llu %lld %lld\n",
                          (unsigned long long)t->lines,
                          (unsigned long long)t->requests,
                          (unsigned long long)t->bytes, (long long)t->first_ts,
                          (long long)t->last_ts);
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        size_t k;
        const lg_ent **v = lg_agg_sorted(a, id, &k);
        for (size_t i = 0; i < k; i++)
            o += (size_t)snprintf(s + o, cap - o, "%d %.*s %llu %llu %u\n", id,
                                  (int)v[i]->klen, v[i]->key,
                                  (unsigned long long)v[i]->hits,
                                  (unsigned long long)v[i]->bytes, v[i]->aux);
        free(v);
    }
    const lg_file_stat *f = lg_agg_files(a, &nf);
    for (size_t i = 0; i < nf; i++)
        o += (size_t)snprintf(s + o, cap - o, "f%zu %llu %d %s\n", i,
                              (unsigned long long)f[i].lines, f[i].err,
                              f[i].errmsg);
    return s;
}

/* A state of NFILES inputs around sink_of(n), encoded. */
static lg_buf state_bytes(int n)
{
    lg_state s = {0};
    lg_buf b = {0};
    for (int i = 0; i < NFILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "access.log.%d", i);
        lg_state_input in = {.name = name,
                             .fplen = 10,
                             .fp = lg_state_fp(name, 10),
                             .offset = 1000u + (unsigned)i,
                             .lines = 10};
        ASSERT_EQ(lg_state_add(&s, &in), i);
    }
    s.options = strdup("format=auto\nstrip-query=no\n");
    s.tabs_on = ALL_TABS;
    s.agg = sink_of(n, 1);
    ASSERT_EQ(lg_state_encode(&s, &b), 0);
    lg_state_free(&s);
    return b;
}

TEST(a_saved_state_loads_back_with_every_count)
{
    lg_buf b = state_bytes(300);
    lg_state s;
    char err[256] = "";
    ASSERT_EQ(lg_state_decode(&s, b.p, b.n, 0, err, sizeof err), 0);
    ASSERT_UEQ(s.n, NFILES);
    ASSERT_STREQ(s.in[2].name, "access.log.2");
    ASSERT_UEQ(s.in[1].offset, 1001);
    ASSERT_STREQ(s.options, "format=auto\nstrip-query=no\n");
    lg_agg *ref = sink_of(300, 1);
    char *want = describe(ref), *got = describe(s.agg);
    ASSERT_STREQ(got, want);
    free(want);
    free(got);
    lg_agg_free(ref);
    lg_state_free(&s);
    lg_buf_free(&b);
}

TEST(a_state_read_lazily_widens_to_more_inputs)
{
    /* lg_state_read_head keeps the aggregate's bytes; lg_state_load_agg
     * decodes them once into a sink of more inputs: the state's counts,
     * the extra inputs empty, and then absorbing the run's counts there
     * equals absorbing both into a fresh sink */
    lg_buf b = state_bytes(300);
    char path[] = "/tmp/test-state-lazy.XXXXXX", err[256] = "";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, b.p, b.n), (ssize_t)b.n);
    close(fd);
    lg_state s;
    ASSERT_EQ(lg_state_read_head(path, &s, err, sizeof err), 1);
    ASSERT_NULL(s.agg);
    ASSERT_UEQ(s.agg_n, NFILES);
    ASSERT_EQ(lg_state_load_agg(&s, 2 * NFILES, 0, err, sizeof err), 0);
    ASSERT_NULL(s.raw);
    size_t nf;
    const lg_file_stat *f = lg_agg_files(s.agg, &nf);
    ASSERT_UEQ(nf, 2 * NFILES);
    ASSERT_UEQ(f[NFILES].lines, 0);
    lg_agg *run = sink_of(150, 2),
           *ref = lg_agg_new_sink(2 * NFILES, ALL_TABS, 1, 0);
    lg_agg *old = sink_of(300, 1);
    uint32_t fx[NFILES] = {0, 1, 2}, fy[NFILES] = {3, 4, 5};
    ASSERT_EQ(lg_agg_absorb(s.agg, run, fy), 0);
    ASSERT_EQ(lg_agg_absorb(ref, old, fx), 0);
    ASSERT_EQ(lg_agg_absorb(ref, run, fy), 0);
    char *want = describe(ref), *got = describe(s.agg);
    ASSERT_STREQ(got, want);
    free(want);
    free(got);
    /* a blob of another input count is refused, not widened; so is one
     * cut short, and a sink of fewer inputs than the blob */
    lg_state s2;
    lg_agg *w = NULL;
    ASSERT_EQ(lg_state_read_head(path, &s2, err, sizeof err), 1);
    ASSERT_EQ(lg_agg_load(s2.agg_p, s2.agg_len, NFILES + 1, 2 * NFILES,
                          ALL_TABS, 0, &w),
              LG_WIRE_EMISMATCH);
    ASSERT_EQ(lg_agg_load(s2.agg_p, 20, NFILES, 2 * NFILES, ALL_TABS, 0, &w),
              LG_WIRE_ECORRUPT);
    ASSERT_EQ(
        lg_agg_load(s2.agg_p, s2.agg_len, NFILES, NFILES - 1, ALL_TABS, 0, &w),
        -EINVAL);
    ASSERT_NULL(w);
    lg_state_free(&s2);
    lg_agg_free(run);
    lg_agg_free(ref);
    lg_agg_free(old);
    lg_state_free(&s);
    unlink(path);
    lg_buf_free(&b);
}

TEST(absorbing_two_sinks_adds_them_exactly)
{
    lg_agg *x = sink_of(200, 1), *y = sink_of(150, 2);
    lg_agg *all = lg_agg_new_sink(2 * NFILES, ALL_TABS, 1, 0);
    uint32_t fx[NFILES] = {0, 1, 2}, fy[NFILES] = {3, 4, 5};
    ASSERT_EQ(lg_agg_absorb(all, x, fx), 0);
    ASSERT_EQ(lg_agg_absorb(all, y, fy), 0);
    /* the same requests merged as partials into one sink */
    ASSERT_UEQ(lg_agg_totals(all)->requests, 350);
    size_t nf;
    const lg_file_stat *f = lg_agg_files(all, &nf);
    ASSERT_UEQ(nf, 2 * NFILES);
    ASSERT_EQ(f[5].err, -EIO);
    ASSERT_UEQ(f[3].lines, 150 / NFILES + 1);
    ASSERT_EQ(lg_agg_finalize(all), 0);
    size_t k;
    const lg_ent **v = lg_agg_sorted(all, LG_TAB_CLIENTS, &k);
    free(v);
    ASSERT_UEQ(k, 2 * 3 * 29); /* salts 1 and 2 keep clients apart */
    lg_agg_free(x);
    lg_agg_free(y);
    lg_agg_free(all);
}

TEST(a_truncated_state_is_refused_at_every_length)
{
    lg_buf b = state_bytes(60);
    for (size_t n = 0; n < b.n; n++) {
        lg_state s;
        char err[256] = "";
        unsigned char *cut = malloc(n ? n : 1);
        memcpy(cut, b.p, n);
        ASSERT_EQ(lg_state_decode(&s, cut, n, 0, err, sizeof err),
                  LG_STATE_ECORRUPT);
        ASSERT(err[0] != 0);
        ASSERT_NULL(s.agg);
        free(cut);
    }
    lg_buf_free(&b);
}

TEST_TIMEOUT(every_bit_flip_is_refused, 300)
{
    lg_buf b = state_bytes(30);
    unsigned char *p = malloc(b.n);
    for (size_t i = 0; i < b.n; i++)
        for (int bit = 0; bit < 8; bit++) {
            lg_state s;
            char err[256] = "";
            memcpy(p, b.p, b.n);
            p[i] ^= (unsigned char)(1u << bit);
            int rc = lg_state_decode(&s, p, b.n, 0, err, sizeof err);
            ASSERT(rc == LG_STATE_ECORRUPT || rc == LG_STATE_EVERSION);
            ASSERT(err[0] != 0);
        }
    free(p);
    lg_buf_free(&b);
}

TEST(another_version_is_named)
{
    lg_buf b = state_bytes(10);
    lg_state s;
    char err[256] = "";
    uint32_t v = htole32(99), c;
    memcpy(b.p + 4, &v, 4);
    c = htole32((uint32_t)crc32(0, b.p, 12));
    memcpy(b.p + 12, &c, 4);
    ASSERT_EQ(lg_state_decode(&s, b.p, b.n, 0, err, sizeof err),
              LG_STATE_EVERSION);
    ASSERT_STRSTR(err, "version 99");
    lg_buf_free(&b);
}

TEST(content_changed_under_good_checksums_never_crashes)
{
    lg_buf b = state_bytes(20);
    unsigned char *p = malloc(b.n);
    static const unsigned char vals[] = {0, 1, 0x7f, 0x80, 0xff};
    for (size_t i = 16; i < b.n; i++)
        for (size_t k = 0; k < sizeof vals; k++) {
            lg_state s;
            char err[256];
            memcpy(p, b.p, b.n);
            p[i] = vals[k];
            /* fix the section checksums up (the layout is fixed: three
             * sections after a 16-byte header) */
            for (size_t at = 16; b.n - at >= 16;) {
                uint64_t len;
                memcpy(&len, p + at + 8, 8);
                len = le64toh(len);
                if (len > b.n - at - 16)
                    break;
                uint32_t c = (uint32_t)crc32(0, p + at, 4);
                c = htole32((uint32_t)crc32(c, p + at + 8, (uInt)(8 + len)));
                memcpy(p + at + 4, &c, 4);
                at += 16 + (size_t)len;
            }
            if (lg_state_decode(&s, p, b.n, 0, err, sizeof err) == 0) {
                char *d = describe(s.agg);
                free(d);
                lg_state_free(&s);
            }
        }
    free(p);
    lg_buf_free(&b);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.' || strlen(e->d_name) > 2;
    closedir(d);
    return n - (int)0;
}

TEST(writing_is_atomic_and_replaces_a_symlink)
{
    char dir[] = "/tmp/pipefan-test-state.XXXXXX", path[256], target[256];
    char err[512] = "";
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/day.state", dir);
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    lg_state s = {0}, r;
    ASSERT_EQ(lg_state_read(path, &r, 0, err, sizeof err), 0); /* absent */
    int fd = open(target, O_WRONLY | O_CREAT, 0644);
    ASSERT(fd >= 0 && write(fd, "keep", 4) == 4);
    close(fd);
    ASSERT_EQ(symlink(target, path), 0);
    lg_state_input in = {.name = "a.log", .fplen = 3, .fp = 7, .offset = 9};
    ASSERT_EQ(lg_state_add(&s, &in), 0);
    s.options = strdup("format=auto\n");
    s.tabs_on = ALL_TABS;
    ASSERT_EQ(lg_state_write(path, &s, err, sizeof err), 0);
    struct stat st;
    ASSERT_EQ(lstat(path, &st), 0);
    ASSERT(S_ISREG(st.st_mode));
    ASSERT_EQ(stat(target, &st), 0);
    ASSERT_EQ(st.st_size, 4);         /* the symlink's target was not written */
    ASSERT_EQ(count_entries(dir), 2); /* no temporary file left */
    ASSERT_EQ(lg_state_read(path, &r, 0, err, sizeof err), 1);
    ASSERT_UEQ(r.n, 1);
    ASSERT_UEQ(r.in[0].offset, 9);
    lg_state_free(&r);
    /* a corrupt file names itself and the reason */
    fd = open(path, O_WRONLY | O_TRUNC);
    ASSERT(fd >= 0 && write(fd, "LGST junk", 9) == 9);
    close(fd);
    ASSERT_EQ(lg_state_read(path, &r, 0, err, sizeof err), LG_STATE_ECORRUPT);
    ASSERT_STRSTR(err, path);
    /* a staged state that is not committed leaves nothing behind */
    char tmp[128];
    ASSERT_GT(lg_state_stage(path, &s, tmp, sizeof tmp, err, sizeof err), 0);
    ASSERT_EQ(count_entries(dir), 3);
    ASSERT_EQ(lg_state_commit(path, tmp, 0, err, sizeof err), 0);
    ASSERT_EQ(count_entries(dir), 2);
    lg_state_free(&s);
    unlink(path);
    unlink(target);
    rmdir(dir);
}
