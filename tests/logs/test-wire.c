/* test-wire.c - the partial-aggregate wire format (agg-wire.h,
 * docs/WIRE.md): a round trip keeps every count, and a truncated,
 * bit-flipped, re-versioned or mismatched blob is refused with its error
 * code, leaving the sink as it was; blobs whose checksums were fixed up
 * after a change decode without crashing. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "runner.h"

#include "../../logs/agg-wire.h"
#include "../../logs/agg.h"
#include "../../logs/crc.h"
#include "../../logs/rank.h"

#define ALL_TABS ((1u << LG_TAB_COUNT) - 1)
#define NFILES 3

static lg_str S(const char *s)
{
    lg_str r = {s, strlen(s)};
    return r;
}

/* A worker that counted n varied requests, bad lines and a file error. */
static lg_agg *worker(int n)
{
    lg_agg *a = lg_agg_new(NFILES, ALL_TABS, 1);
    char c[32], p[32], g[32];
    ASSERT(a != NULL);
    for (int i = 0; i < n; i++) {
        lg_rec r;
        memset(&r, 0, sizeof r);
        snprintf(c, sizeof c, "10.%d.0.%d", i % 3, i % 11);
        snprintf(p, sizeof p, "/path/%d?q=%d", (i * 7) % 13, i % 2);
        snprintf(g, sizeof g, "agent %d", i % 4);
        r.client = S(c);
        r.method = S(i % 5 ? "GET" : "POST");
        r.protocol = S("HTTP/1.1");
        r.referer = S(i % 3 ? "http://ref.example/" : "-");
        r.agent = S(g);
        r.vhost = S(i % 2 ? "a.example" : "b.example");
        r.status = i % 9 == 0 ? 404 : i % 4 ? 200 : 302;
        r.bytes = (uint64_t)i * 1000003u;
        r.ts = i % 17 ? 1700000000 + (int64_t)i * 1234 : LG_NO_TIME;
        r.tz_off = -7200;
        ASSERT_EQ(lg_agg_add(a, &r, S(p), (uint32_t)(i % NFILES)), 0);
    }
    /* a file's counters travel when it read lines (or failed) */
    for (uint32_t f = 0; f < NFILES; f++)
        lg_agg_count_lines(a, f, (uint64_t)n / NFILES + 2, f == 0 ? 2 : 0, 0);
    lg_agg_bad(a, LG_BAD_TIME, 1, 77, 0, 4, "bad \x01 line", 11);
    lg_agg_bad(a, LG_BAD_TIME, 0, 12, 0, 2, "another", 7);
    lg_agg_file_error(a, 2, -EIO, "read error after 3 lines");
    return a;
}

static lg_buf blob_of(int n)
{
    lg_agg *a = worker(n);
    lg_buf b = {0};
    ASSERT_EQ(lg_agg_serialize(a, &b), 0);
    lg_agg_free(a);
    return b;
}

/* Everything a report shows of a, as text. */
static char *describe(lg_agg *a)
{
    size_t cap = 1 << 20, o = 0, nf;
    char *s = malloc(cap);
    const lg_totals *t = lg_agg_totals(a);
    ASSERT(s != NULL);
    ASSERT_EQ(lg_agg_finalize(a), 0);
    o += (size_t)snprintf(
        s + o, cap - o, "%llu %llu %llu %llu %llu %lld %lld\n",
        (unsigned long long)t->lines, (unsigned long long)t->requests,
        (unsigned long long)t->bytes, (unsigned long long)t->ignored,
        (unsigned long long)t->bad_lines, (long long)t->first_ts,
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
    const lg_status_cnt *st = lg_agg_status(a);
    for (int c = 0; c < LG_STATUS_MAX; c++)
        if (st[c].hits)
            o += (size_t)snprintf(s + o, cap - o, "s%d %llu\n", c,
                                  (unsigned long long)st[c].hits);
    const lg_file_stat *f = lg_agg_files(a, &nf);
    for (size_t i = 0; i < nf; i++)
        o += (size_t)snprintf(s + o, cap - o, "f%zu %llu %llu %d %s\n", i,
                              (unsigned long long)f[i].lines,
                              (unsigned long long)f[i].requests, f[i].err,
                              f[i].errmsg);
    for (int r = 1; r < LG_BAD_COUNT; r++) {
        int ns;
        const lg_sample *v = lg_agg_samples(a, r, &ns);
        for (int k = 0; k < ns; k++)
            o += (size_t)snprintf(s + o, cap - o, "b%d %u %.*s\n", r, v[k].file,
                                  (int)v[k].text_len, v[k].text);
    }
    return s;
}

/* An untouched sink must still say this. */
static int sink_is_empty(lg_agg *d)
{
    const lg_totals *t = lg_agg_totals(d);
    return t->requests == 0 && t->lines == 0 && lg_agg_keys(d, 0) == 0;
}

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static void wr32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

/* Recompute the header's and every section's CRC-32 (docs/WIRE.md). */
static void fix_crcs(unsigned char *p, size_t n)
{
    if (n < 16)
        return;
    wr32(p + 12, (uint32_t)crc32(0, p, 12));
    for (size_t at = 16; n - at >= 16;) {
        uint64_t len;
        memcpy(&len, p + at + 8, 8);
        len = le64toh(len);
        if (len > n - at - 16)
            return;
        uint32_t c = (uint32_t)crc32(0, p + at, 4);
        c = (uint32_t)crc32(c, p + at + 8, (uInt)(8 + len));
        wr32(p + at + 4, c);
        at += 16 + (size_t)len;
    }
}

TEST(the_checksum_is_zlibs_crc32)
{
    /* the built lg_crc32 (ISA-L's or zlib's) gives zlib's value, in one
     * call or continued, at every length and alignment up to 4 KiB */
    static unsigned char b[4096 + 64];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof b; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (unsigned char)(x >> 16);
    }
    for (size_t n = 0; n <= 4096; n += n < 80 ? 1 : 61)
        for (size_t off = 0; off < 64; off += 13) {
            uint32_t want = (uint32_t)crc32(0, b + off, (uInt)n);
            ASSERT_UEQ(lg_crc32(0, b + off, n), want);
            ASSERT_UEQ(lg_crc32(lg_crc32(0, b + off, n / 3), b + off + n / 3,
                                n - n / 3),
                       want);
        }
    ASSERT_UEQ(lg_crc32(0, "123456789", 9), 0xCBF43926u); /* the check value */
}

TEST(a_round_trip_keeps_every_count)
{
    lg_agg *w = worker(400), *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 0);
    lg_buf b = {0};
    ASSERT_EQ(lg_agg_serialize(w, &b), 0);
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n), 0);
    ASSERT_EQ(memcmp(b.p, "LGAW", 4), 0);
    ASSERT_EQ(rd32(b.p + 4), LG_WIRE_VERSION);
    lg_agg *whole = worker(400);
    char *x = describe(whole), *y = describe(d);
    ASSERT_STREQ(x, y);
    free(x);
    free(y);
    lg_buf_free(&b);
    lg_agg_free(w);
    lg_agg_free(whole);
    lg_agg_free(d);
}

TEST(truncation_at_every_byte_is_refused)
{
    lg_buf b = blob_of(60);
    lg_agg *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 0);
    for (size_t cut = 0; cut < b.n; cut++)
        ASSERT_EQ(lg_agg_merge(d, b.p, cut), LG_WIRE_ECORRUPT);
    ASSERT(sink_is_empty(d));
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n), 0); /* the feed still expects it */
    ASSERT_UEQ(lg_agg_totals(d)->requests, 60);
    lg_buf_free(&b);
    lg_agg_free(d);
}

TEST(every_bit_flip_is_refused)
{
    lg_buf b = blob_of(40);
    lg_agg *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 0);
    for (size_t i = 0; i < b.n; i++)
        for (int bit = 0; bit < 8; bit++) {
            b.p[i] ^= (unsigned char)(1u << bit);
            int rc = lg_agg_merge(d, b.p, b.n);
            b.p[i] ^= (unsigned char)(1u << bit);
            if (rc != LG_WIRE_ECORRUPT)
                FAIL("flip of bit %d of byte %zu: %d", bit, i, rc);
        }
    ASSERT(sink_is_empty(d));
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n), 0);
    lg_buf_free(&b);
    lg_agg_free(d);
}

TEST(trailing_bytes_are_refused)
{
    lg_buf b = blob_of(10);
    lg_agg *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 0);
    ASSERT_EQ(lg_buf_reserve(&b, 1), 0);
    b.p[b.n] = 0;
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n + 1), LG_WIRE_ECORRUPT);
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n), 0);
    lg_buf_free(&b);
    lg_agg_free(d);
}

TEST(another_version_is_refused_as_such)
{
    lg_buf b = blob_of(10);
    lg_agg *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 0);
    wr32(b.p + 4, LG_WIRE_VERSION + 1);
    fix_crcs(b.p, b.n);
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n), LG_WIRE_EVERSION);
    ASSERT(sink_is_empty(d));
    ASSERT_STRSTR(lg_wire_strerror(LG_WIRE_EVERSION), "version");
    lg_buf_free(&b);
    lg_agg_free(d);
}

TEST(a_partial_of_another_run_or_out_of_order_is_refused)
{
    lg_agg *w = worker(10);
    lg_buf b = {0};
    lg_agg *other = lg_agg_new_sink(NFILES + 1, ALL_TABS, 1, 0);
    lg_agg *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 0);
    ASSERT_EQ(lg_agg_serialize(w, &b), 0);
    ASSERT_EQ(lg_agg_merge(other, b.p, b.n), LG_WIRE_EMISMATCH);
    lg_agg_sent(w);
    b.n = 0;
    ASSERT_EQ(lg_agg_serialize(w, &b), 0); /* partial 1 before 0 */
    ASSERT_EQ(lg_agg_merge(d, b.p, b.n), LG_WIRE_EMISMATCH);
    ASSERT(sink_is_empty(d));
    lg_buf_free(&b);
    lg_agg_free(w);
    lg_agg_free(other);
    lg_agg_free(d);
}

/* Change each byte of the payloads to a few values and fix the checksums:
 * the decoder itself must then refuse or accept without reading or
 * writing out of bounds (ASan and UBSan builds check that). */
TEST(changed_content_with_good_checksums_never_crashes)
{
    static const unsigned char vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    lg_buf b = blob_of(30);
    unsigned char *c = malloc(b.n);
    ASSERT(c != NULL);
    size_t refused = 0, tries = 0;
    for (size_t i = 16; i < b.n; i++)
        for (size_t v = 0; v < sizeof vals; v++) {
            lg_agg *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 3);
            memcpy(c, b.p, b.n);
            c[i] = vals[v];
            fix_crcs(c, b.n);
            int rc = lg_agg_merge(d, c, b.n);
            ASSERT(rc == 0 || rc == LG_WIRE_ECORRUPT ||
                   rc == LG_WIRE_EMISMATCH || rc == -ENOMEM);
            refused += rc != 0;
            tries++;
            if (rc == 0) { /* whatever it took must rank and report */
                ASSERT_EQ(lg_agg_finalize(d), 0);
                for (int id = 0; id < LG_TAB_COUNT; id++) {
                    size_t k;
                    free(lg_agg_ranked(d, id, 3, &k));
                }
                size_t nf;
                lg_agg_files(d, &nf);
                for (int r = 1; r < LG_BAD_COUNT; r++) {
                    int ns;
                    const lg_sample *s = lg_agg_samples(d, r, &ns);
                    for (int k = 0; k < ns; k++)
                        ASSERT_ULT(s[k].file, nf);
                }
            }
            lg_agg_free(d);
        }
    ASSERT_UGT(refused, 0);
    ASSERT_ULT(refused, tries);
    free(c);
    lg_buf_free(&b);
}

/* The fuzz target's seeds (tests/fuzz/corpus-wire: a mode byte, then a
 * partial) must stay valid partials of this version; with
 * PIPEFAN_WIRE_SEEDS=DIR set, they are written anew into DIR. */
TEST(fuzz_seeds_are_valid_partials)
{
    static const struct {
        const char *name;
        unsigned char mode;
        int records;
    } seeds[] = {
        {"small", 0x00, 5},
        {"medium-fixed-crcs", 0x01, 40},
        {"top3-twice", 0x0b, 40},
    };
    const char *out = getenv("PIPEFAN_WIRE_SEEDS");
    const char *root = getenv("PIPEFAN_SOURCE_ROOT");
    char path[4096];
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        lg_buf b = blob_of(seeds[i].records);
        if (out) {
            snprintf(path, sizeof path, "%s/%s", out, seeds[i].name);
            FILE *f = fopen(path, "wb");
            ASSERT(f != NULL);
            fputc(seeds[i].mode, f);
            fwrite(b.p, 1, b.n, f);
            ASSERT_EQ(fclose(f), 0);
        }
        if (!root) {
            lg_buf_free(&b);
            SKIP("PIPEFAN_SOURCE_ROOT not set");
        }
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus-wire/%s", root,
                 seeds[i].name);
        FILE *f = fopen(path, "rb");
        ASSERT(f != NULL);
        static unsigned char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        ASSERT_UGT(n, 1);
        ASSERT_EQ(buf[0], seeds[i].mode);
        ASSERT_UEQ(n - 1, b.n);
        ASSERT_EQ(memcmp(buf + 1, b.p, b.n), 0);
        lg_agg *d = lg_agg_new_sink(NFILES, ALL_TABS, 1, 0);
        ASSERT_EQ(lg_agg_merge(d, buf + 1, n - 1), 0);
        lg_agg_free(d);
        lg_buf_free(&b);
    }
}
