/* test-input.c - where log bytes come from: compression found by magic
 * bytes, FILE arguments expanded (files, directories, globs, missing
 * paths), plain byte ranges read with pread, gzip (both decoders) and zstd
 * decoded whole, across members and frames, truncated or corrupt, pipes
 * with a sniffed prefix, and line blocks: whole lines, long lines cut,
 * offsets, and moving a reader to another stream. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

#include "../../logs/input.h"

#define CAP (64 * 1024) /* the smallest reader buffer */

/* ---- helpers ---- */

/* Path of name inside the test's temporary directory. */
static void tmp_path(char *out, size_t size, const char *name)
{
    int k = snprintf(out, size, "%s/%s", runner_tmpdir(), name);
    ASSERT(k > 0 && (size_t)k < size);
}

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t off = 0;
    if (fd < 0)
        FAIL("open %s: %s", path, strerror(errno));
    while (off < n) {
        ssize_t w = write(fd, (const char *)data + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            FAIL("write %s: %s", path, strerror(errno));
        off += (size_t)w;
    }
    ASSERT_EQ(close(fd), 0);
}

/* Write a file named name in the temporary directory; path copied to out. */
static void put(char *out, size_t size, const char *name, const void *data,
                size_t n)
{
    tmp_path(out, size, name);
    write_file(out, data, n);
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* About target bytes of log-like lines made from seed: varied lengths,
 * some empty lines and some of a few KB, each ending in '\n'.  Caller
 * frees. */
static char *gen_log(uint32_t seed, size_t target, size_t *n)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789/_-.=";
    size_t cap = target + 8192, len = 0;
    char *b = malloc(cap);
    ASSERT_NOT_NULL(b);
    while (len < target) {
        uint32_t kind = lcg(&seed) % 64;
        if (kind == 0) {
            b[len++] = '\n';
            continue;
        }
        if (kind == 1) { /* a long line of 1000..3999 bytes */
            size_t k = 1000 + lcg(&seed) % 3000;
            for (size_t i = 0; i < k; i++)
                b[len++] = abc[lcg(&seed) % (sizeof abc - 1)];
            b[len++] = '\n';
            continue;
        }
        /* draw the numbers first: argument order is unspecified */
        unsigned v[9];
        for (int i = 0; i < 9; i++)
            v[i] = lcg(&seed);
        len += (size_t)snprintf(b + len, cap - len,
                                "10.%u.%u.%u - - [%02u/Oct/2024:%02u:%02u:%02u"
                                " +0000] \"GET /",
                                v[0] % 256, v[1] % 256, v[2] % 256,
                                1 + v[3] % 28, v[4] % 24, v[5] % 60, v[6] % 60);
        for (size_t i = 0, k = 1 + lcg(&seed) % 80; i < k; i++)
            b[len++] = abc[lcg(&seed) % (sizeof abc - 1)];
        len += (size_t)snprintf(b + len, cap - len, " HTTP/1.1\" %u %u\n",
                                200 + v[7] % 300, v[8] % 100000);
    }
    *n = len;
    return b;
}

/* data[0..n) compressed by the command line tool "gzip" or "zstd".
 * Caller frees. */
static char *compress(const char *tool, const void *data, size_t n,
                      size_t *outn)
{
    char *gzip_argv[] = {"gzip", "-c", "-n", NULL};
    char *zstd_argv[] = {"zstd", "-q", "-c", NULL};
    char *const *argv = strcmp(tool, "gzip") == 0 ? gzip_argv : zstd_argv;
    struct runner_output o;
    int st = runner_capture(argv, NULL, data, n, &o);
    if (!RUNNER_EXITED(st, 0))
        FAIL("%s -c failed (status %d): %s", tool, st, o.err ? o.err : "");
    free(o.err);
    *outn = o.out_len;
    return o.out;
}

/* SKIP unless this build decodes zstd and the zstd tool runs. */
static void need_zstd(void)
{
    char *argv[] = {"zstd", "--version", NULL};
    if (!lg_have_zstd())
        SKIP("this build has no zstd support");
    if (!RUNNER_EXITED(runner_capture(argv, NULL, NULL, 0, NULL), 0))
        SKIP("the zstd command is not installed");
}

/* Pick the gzip decoder for this test process ("isa-l" or "zlib"); the
 * choice is read once, at the first use. */
static void use_gzip_backend(const char *name)
{
    if (strcmp(name, "zlib") == 0)
        ASSERT_EQ(setenv("PIPEFAN_GZIP", "zlib", 1), 0);
    else
        ASSERT_EQ(unsetenv("PIPEFAN_GZIP"), 0);
    if (strcmp(lg_gzip_backend(), name) != 0)
        SKIP("gzip decoder %s is not in this build", name);
}

static int open_ro(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        FAIL("open %s: %s", path, strerror(errno));
    return fd;
}

static uint64_t file_size(int fd)
{
    struct stat st;
    ASSERT_EQ(fstat(fd, &st), 0);
    return (uint64_t)st.st_size;
}

/* Read s to its end or error, with read sizes from 1 byte to 1 MB.
 * Returns the bytes (caller frees), their count in *n and the last
 * lg_stream_read result (0 or an error) in *rc. */
static char *read_all(lg_stream *s, size_t *n, int *rc)
{
    static const size_t sizes[] = {1, 17, 4096, 65536, 1 << 20, 333};
    size_t cap = 1 << 20, len = 0;
    char *b = malloc(cap);
    ASSERT_NOT_NULL(b);
    for (size_t i = 0;; i++) {
        size_t want = sizes[i % (sizeof sizes / sizeof sizes[0])];
        if (cap - len < want) {
            cap = cap * 2 + want;
            b = realloc(b, cap);
            ASSERT_NOT_NULL(b);
        }
        ssize_t r = lg_stream_read(s, b + len, want);
        if (r <= 0) {
            *rc = (int)r;
            break;
        }
        ASSERT_ULE(r, want);
        len += (size_t)r;
    }
    *n = len;
    return b;
}

/* Decode the whole file at path with compression comp.  Returns the bytes
 * (caller frees), *n and the final result *rc; *consumed is what the stream
 * says it read. */
static char *decode_file(const char *path, int comp, size_t *n, int *rc,
                         uint64_t *consumed)
{
    int fd = open_ro(path);
    lg_stream *s = NULL;
    ASSERT_EQ(lg_stream_open(&s, fd, comp, 0, file_size(fd)), 0);
    char *b = read_all(s, n, rc);
    /* the end or the error stays */
    char one;
    ASSERT_EQ(lg_stream_read(s, &one, 1), *rc);
    if (consumed)
        *consumed = lg_stream_consumed(s);
    lg_stream_close(s);
    close(fd);
    return b;
}

/* A pipe whose write end a forked child fills with data[0..n) in uneven
 * writes and then closes.  Returns the read end; the child is *pid. */
static int pipe_from_child(const void *data, size_t n, pid_t *pid)
{
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    fflush(NULL);
    *pid = fork();
    ASSERT_GE(*pid, 0);
    if (*pid == 0) {
        uint32_t seed = 99;
        size_t off = 0;
        close(p[0]);
        while (off < n) {
            size_t k = 1 + lcg(&seed) % 9000;
            if (k > n - off)
                k = n - off;
            ssize_t w = write(p[1], (const char *)data + off, k);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(p[1]);
    return p[0];
}

static void reap(pid_t pid)
{
    int st;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    ASSERT(RUNNER_EXITED(st, 0));
}

/* Read up to want bytes from fd (fewer only at its end). */
static size_t read_full(int fd, void *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, (char *)buf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        ASSERT_GE(r, 0);
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* Number of lines in data[0..n) whose text (without '\n') is cap bytes
 * or more: the ones a reader must cut. */
static size_t count_long_lines(const char *data, size_t n, size_t cap)
{
    size_t count = 0, start = 0;
    while (start < n) {
        const char *nl = memchr(data + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - data) : n;
        count += end - start >= cap;
        start = end + 1;
    }
    return count;
}

/*
 * Read every block of r and check it against want[0..n), the bytes of the
 * stream: blocks follow one another from offset 0 (block_off says where),
 * each starts a line, each but the last ends one, none is longer than the
 * buffer, and a too-long line comes as its first cap bytes with long_line
 * set, its rest skipped.  Returns the number of long lines; the reader
 * must end with rc.
 */
static size_t check_reader(lg_reader *r, const char *want, size_t n, int rc)
{
    size_t pos = 0, longs = 0, len;
    const char *p;
    int got;
    while ((got = lg_reader_next(r, &p, &len)) == 1) {
        ASSERT_UEQ(r->block_off, pos);
        ASSERT_UGT(len, 0);
        ASSERT_ULE(len, r->cap);
        ASSERT_ULE(pos + len, n);
        ASSERT_MEMEQ(p, want + pos, len);
        if (r->long_line) {
            const char *nl = memchr(want + pos, '\n', n - pos);
            ASSERT_UEQ(len, r->cap);
            ASSERT(nl == NULL || (size_t)(nl - (want + pos)) >= len);
            pos = nl ? (size_t)(nl - want) + 1 : n;
            longs++;
        } else {
            pos += len;
            if (pos < n)
                ASSERT_EQ(p[len - 1], '\n');
        }
    }
    ASSERT_EQ(got, rc);
    ASSERT_UEQ(pos, n);
    /* the end (or the error) stays */
    ASSERT_EQ(lg_reader_next(r, &p, &len), rc);
    return longs;
}

/* ---- compression detection ---- */

TEST(comp_detect_reads_magic_bytes)
{
    static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00};
    static const unsigned char zs[] = {0x28, 0xb5, 0x2f, 0xfd, 0x24};
    static const unsigned char near_zs[] = {0x28, 0xb5, 0x2f, 0xfe};
    ASSERT_EQ(lg_comp_detect(gz, sizeof gz), LG_COMP_GZIP);
    ASSERT_EQ(lg_comp_detect(gz, 2), LG_COMP_GZIP);
    ASSERT_EQ(lg_comp_detect(zs, sizeof zs), LG_COMP_ZSTD);
    ASSERT_EQ(lg_comp_detect(zs, 4), LG_COMP_ZSTD);
    ASSERT_EQ(lg_comp_detect("GET / HTTP/1.1\n", 15), LG_COMP_NONE);
    ASSERT_EQ(lg_comp_detect(near_zs, 4), LG_COMP_NONE);
    /* too short to hold the magic */
    ASSERT_EQ(lg_comp_detect(gz, 1), LG_COMP_NONE);
    ASSERT_EQ(lg_comp_detect(gz, 0), LG_COMP_NONE);
    ASSERT_EQ(lg_comp_detect(zs, 3), LG_COMP_NONE);
    ASSERT_EQ(lg_comp_detect(zs, 2), LG_COMP_NONE);
    ASSERT_STREQ(lg_comp_name(LG_COMP_NONE), "none");
    ASSERT_STREQ(lg_comp_name(LG_COMP_GZIP), "gzip");
    ASSERT_STREQ(lg_comp_name(LG_COMP_ZSTD), "zstd");
    ASSERT_STREQ(lg_comp_name(-1), "unknown");
    ASSERT_STREQ(lg_comp_name(3), "unknown");
}

TEST(comp_detect_knows_zstd_skippable_frames)
{
    /* 0x184D2A50..0x184D2A5F little-endian: pzstd writes one first */
    for (unsigned lo = 0x50; lo <= 0x5f; lo++) {
        unsigned char b[] = {(unsigned char)lo, 0x2a, 0x4d, 0x18};
        ASSERT_EQ(lg_comp_detect(b, sizeof b), LG_COMP_ZSTD);
        ASSERT_EQ(lg_comp_detect(b, 3), LG_COMP_NONE);
    }
    static const unsigned char after[] = {0x60, 0x2a, 0x4d, 0x18};
    static const unsigned char before[] = {0x4f, 0x2a, 0x4d, 0x18};
    static const unsigned char other[] = {0x50, 0x2a, 0x4d, 0x19};
    ASSERT_EQ(lg_comp_detect(after, 4), LG_COMP_NONE);
    ASSERT_EQ(lg_comp_detect(before, 4), LG_COMP_NONE);
    ASSERT_EQ(lg_comp_detect(other, 4), LG_COMP_NONE);
}

TEST(stream_errors_have_messages)
{
    const char *t = lg_stream_strerror(LG_ETRUNC);
    const char *c = lg_stream_strerror(LG_ECORRUPT);
    const char *u = lg_stream_strerror(LG_ENOSUPP);
    ASSERT_UGT(strlen(t), 0);
    ASSERT_UGT(strlen(c), 0);
    ASSERT_UGT(strlen(u), 0);
    ASSERT_STRNE(t, c);
    ASSERT_STRNE(t, u);
    ASSERT_STRNE(c, u);
    ASSERT_STRSTR(t, "truncated");
    ASSERT_STRSTR(c, "corrupt");
    ASSERT_STREQ(lg_stream_strerror(-ENOENT), strerror(ENOENT));
    /* the zstd window errors say what to do */
    ASSERT_STRSTR(lg_stream_strerror(LG_EWINDOW), "--long");
    ASSERT_STRSTR(lg_stream_strerror(LG_EZMEM), "--long");
}

/* A zstd skippable frame of n payload bytes, as pzstd writes. */
static size_t skippable(unsigned char *out, unsigned magic_lo, size_t n)
{
    out[0] = (unsigned char)magic_lo;
    out[1] = 0x2a;
    out[2] = 0x4d;
    out[3] = 0x18;
    for (int i = 0; i < 4; i++)
        out[4 + i] = (unsigned char)(n >> (8 * i));
    memset(out + 8, 0xa5, n);
    return 8 + n;
}

TEST(zstd_skips_skippable_frames)
{
    char p[PATH_MAX];
    size_t n, nz, got;
    int rc;
    need_zstd();
    char *data = gen_log(8, 300 * 1000, &n);
    char *z = compress("zstd", data, n, &nz);
    /* skippable, frame, skippable (empty), frame */
    unsigned char *f = malloc(2 * nz + 64);
    ASSERT_NOT_NULL(f);
    size_t k = skippable(f, 0x50, 4);
    memcpy(f + k, z, nz);
    k += nz;
    k += skippable(f + k, 0x5f, 0);
    memcpy(f + k, z, nz);
    k += nz;
    ASSERT_EQ(lg_comp_detect(f, k), LG_COMP_ZSTD);
    put(p, sizeof p, "skip.zst", f, k);
    char *b = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, 2 * n);
    ASSERT_MEMEQ(b, data, n);
    ASSERT_MEMEQ(b + n, data, n);
    free(b);
    free(f);
    free(z);
    free(data);
}

/* A zstd frame of raw blocks holding data[0..n), whose header declares a
 * window of 2^wlog bytes and no content size, as zstd --long=N writes on
 * a pipe.  Made by hand: the zstd tool's compressor, like the decoder,
 * allocates the window, which meson's MALLOC_PERTURB_ makes it fill.
 * Caller frees. */
static unsigned char *raw_frame(const char *data, size_t n, unsigned wlog,
                                size_t *outn)
{
    unsigned char *f = malloc(6 + n + 3 * (n / (128 << 10) + 1));
    size_t k = 0, off = 0;
    ASSERT_NOT_NULL(f);
    memcpy(f, "\x28\xb5\x2f\xfd", 4);
    f[4] = 0x00;                              /* no size, no checksum */
    f[5] = (unsigned char)((wlog - 10) << 3); /* window 2^wlog */
    k = 6;
    do {
        size_t b = n - off < (128u << 10) ? n - off : (128u << 10);
        uint32_t h = (uint32_t)(b << 3) | (off + b == n); /* raw, last */
        f[k++] = (unsigned char)h;
        f[k++] = (unsigned char)(h >> 8);
        f[k++] = (unsigned char)(h >> 16);
        memcpy(f + k, data + off, b);
        k += b;
        off += b;
    } while (off < n);
    *outn = k;
    return f;
}

TEST(zstd_long_window_decodes)
{
    char p[PATH_MAX];
    size_t n, nf, got;
    int rc;
    need_zstd();
    char *data = gen_log(9, 300 * 1000, &n);
    /* 256 MiB: over libzstd's default limit of 128 MiB, which made such
     * files "corrupt after 0 lines" */
    unsigned char *f = raw_frame(data, n, 28, &nf);
    put(p, sizeof p, "long.zst", f, nf);
    char *b = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, n);
    ASSERT_MEMEQ(b, data, n);
    free(b);
    free(f);
    free(data);
}

/* ---- expanding FILE arguments ---- */

TEST(inputs_add_takes_a_file_and_stdin)
{
    char p[PATH_MAX], err[256] = "";
    lg_inputs in = {0};
    put(p, sizeof p, "access.log", "a b c\n", 6);
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 1);
    ASSERT_EQ(lg_inputs_add(&in, "-", err, sizeof err), 1);
    ASSERT_UEQ(in.n, 2);
    ASSERT_STREQ(in.v[0].path, p);
    ASSERT_UEQ(in.v[0].size, 6);
    ASSERT_EQ(in.v[0].comp, LG_COMP_NONE);
    ASSERT_EQ(in.v[0].is_stdin, 0);
    ASSERT_STREQ(in.v[1].path, "-");
    ASSERT_EQ(in.v[1].is_stdin, 1);
    ASSERT_UEQ(in.v[1].size, 0);
    ASSERT_UEQ(in.total_bytes, 6);
    ASSERT_STREQ(err, "");
    lg_inputs_free(&in);
    ASSERT_NULL(in.v);
    ASSERT_UEQ(in.n, 0);
    lg_inputs_free(&in); /* an all-zero list is fine */
}

TEST(inputs_add_directory_is_sorted_flat_and_skips_hidden)
{
    char d[PATH_MAX], p[PATH_MAX], want[PATH_MAX], err[256] = "";
    static const char *const names[] = {"dir/b.log", "dir/a.log", "dir/c.gz",
                                        "dir/a10.log"};
    static const size_t sizes[] = {3, 10, 5, 1};
    static const unsigned char gz[] = {0x1f, 0x8b, 8, 0, 0};
    const char xs[16] = "xxxxxxxxxxxxxxx";
    lg_inputs in = {0};
    tmp_path(d, sizeof d, "dir");
    ASSERT_EQ(mkdir(d, 0755), 0);
    for (int i = 0; i < 4; i++)
        put(p, sizeof p, names[i], i == 2 ? (const void *)gz : xs, sizes[i]);
    /* none of these is added */
    put(p, sizeof p, "dir/.hidden.log", "hidden\n", 7);
    tmp_path(p, sizeof p, "dir/sub");
    ASSERT_EQ(mkdir(p, 0755), 0);
    put(p, sizeof p, "dir/sub/deep.log", "deep\n", 5);
    tmp_path(p, sizeof p, "dir/fifo");
    ASSERT_EQ(mkfifo(p, 0644), 0);
    tmp_path(p, sizeof p, "dir/dangling");
    ASSERT_EQ(symlink("no-such-file", p), 0);

    ASSERT_EQ(lg_inputs_add(&in, d, err, sizeof err), 4);
    ASSERT_UEQ(in.n, 4);
    static const char *const sorted[] = {"dir/a.log", "dir/a10.log",
                                         "dir/b.log", "dir/c.gz"};
    static const uint64_t sorted_sizes[] = {10, 1, 3, 5};
    for (size_t i = 0; i < 4; i++) {
        tmp_path(want, sizeof want, sorted[i]);
        ASSERT_STREQ(in.v[i].path, want);
        ASSERT_UEQ(in.v[i].size, sorted_sizes[i]);
        ASSERT_EQ(in.v[i].comp, i == 3 ? LG_COMP_GZIP : LG_COMP_NONE);
        ASSERT_EQ(in.v[i].is_stdin, 0);
    }
    ASSERT_UEQ(in.total_bytes, 19);
    lg_inputs_free(&in);
}

/* An empty directory adds nothing and is not an error (and, under UBSan,
 * sorts no NULL array). */
TEST(inputs_add_takes_a_fifo_as_a_stream_without_opening_it)
{
    char p[PATH_MAX], err[256] = "";
    lg_inputs in = {0};
    tmp_path(p, sizeof p, "fifo");
    ASSERT_EQ(mkfifo(p, 0600), 0);
    /* opening a FIFO without writer would block: this returns at once */
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 1);
    ASSERT_UEQ(in.n, 1);
    ASSERT_EQ(in.v[0].is_stream, 1);
    ASSERT_EQ(in.v[0].is_stdin, 0);
    ASSERT_UEQ(in.v[0].size, 0);
    ASSERT_EQ(lg_inputs_add(&in, "/dev/null", err, sizeof err), 1);
    ASSERT_EQ(in.v[1].is_stream, 1);
    ASSERT_EQ(lg_inputs_add(&in, "-", err, sizeof err), 1);
    ASSERT_EQ(in.v[2].is_stream, 1);
    ASSERT_EQ(in.v[2].is_stdin, 1);
    ASSERT_UEQ(in.total_bytes, 0);
    lg_inputs_free(&in);
}

TEST(inputs_add_counts_a_file_once_however_named)
{
    char p[PATH_MAX], l[PATH_MAX], err[256] = "";
    lg_inputs in = {0};
    put(p, sizeof p, "once.log", "a b c\n", 6);
    tmp_path(l, sizeof l, "once-link.log");
    ASSERT_EQ(symlink(p, l), 0);
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 1);
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 0);
    ASSERT_STRSTR(err, "the same file as");
    ASSERT_EQ(lg_inputs_add(&in, l, err, sizeof err), 0);
    ASSERT_STRSTR(err, "once-link.log");
    ASSERT_UEQ(in.n, 1);
    ASSERT_UEQ(in.n_dups, 2);
    ASSERT_UEQ(in.total_bytes, 6);
    lg_inputs_free(&in);
}

TEST(inputs_add_failed_keeps_the_argument_with_its_error)
{
    char err[256] = "";
    lg_inputs in = {0};
    int rc = lg_inputs_add(&in, "/nonexistent/x.log", err, sizeof err);
    ASSERT_EQ(rc, -ENOENT);
    ASSERT_UEQ(in.n, 0);
    ASSERT_EQ(lg_inputs_add_failed(&in, "/nonexistent/x.log", rc), 1);
    ASSERT_UEQ(in.n, 1);
    ASSERT_UEQ(in.n_failed, 1);
    ASSERT_EQ(in.v[0].err, -ENOENT);
    ASSERT_STREQ(in.v[0].path, "/nonexistent/x.log");
    ASSERT_UEQ(in.total_bytes, 0);
    lg_inputs_free(&in);
}

TEST(inputs_add_empty_directory_adds_nothing)
{
    char p[PATH_MAX], err[256] = "";
    lg_inputs in = {0};
    tmp_path(p, sizeof p, "empty");
    ASSERT_EQ(mkdir(p, 0755), 0);
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 0);
    ASSERT_UEQ(in.n, 0);
    ASSERT_UEQ(in.total_bytes, 0);
    lg_inputs_free(&in);
}

TEST(inputs_add_expands_a_glob_in_sorted_order)
{
    char p[PATH_MAX], want[PATH_MAX], err[256] = "";
    lg_inputs in = {0};
    put(p, sizeof p, "x2.log", "22\n", 3);
    put(p, sizeof p, "x10.log", "1010\n", 5);
    put(p, sizeof p, "x1.log", "1\n", 2);
    put(p, sizeof p, "y.txt", "not me\n", 7);
    tmp_path(p, sizeof p, "x.d"); /* a directory the glob also matches */
    ASSERT_EQ(mkdir(p, 0755), 0);
    put(p, sizeof p, "x.d/in.log", "inside\n", 7);

    tmp_path(p, sizeof p, "x*");
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 4);
    ASSERT_UEQ(in.n, 4);
    static const char *const sorted[] = {"x.d/in.log", "x1.log", "x10.log",
                                         "x2.log"};
    for (size_t i = 0; i < 4; i++) {
        tmp_path(want, sizeof want, sorted[i]);
        ASSERT_STREQ(in.v[i].path, want);
    }
    ASSERT_UEQ(in.total_bytes, 7 + 2 + 5 + 3);

    /* a second argument appends after the first */
    tmp_path(p, sizeof p, "y.t?t");
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 1);
    ASSERT_UEQ(in.n, 5);
    tmp_path(want, sizeof want, "y.txt");
    ASSERT_STREQ(in.v[4].path, want);
    ASSERT_UEQ(in.total_bytes, 17 + 7);
    lg_inputs_free(&in);
}

TEST(inputs_add_missing_path_is_enoent_naming_it)
{
    char p[PATH_MAX], err[PATH_MAX + 64] = "";
    char small[8];
    lg_inputs in = {0};
    put(p, sizeof p, "real.log", "x\n", 2);
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 1);

    tmp_path(p, sizeof p, "missing.log");
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), -ENOENT);
    ASSERT_STRSTR(err, p);
    ASSERT_UEQ(in.n, 1); /* the list is unchanged */
    ASSERT_UEQ(in.total_bytes, 2);

    /* a glob that matches nothing */
    tmp_path(p, sizeof p, "*.nothing");
    err[0] = '\0';
    ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), -ENOENT);
    ASSERT_STRSTR(err, p);
    ASSERT_UEQ(in.n, 1);

    /* the message is cut to fit and NUL-terminated */
    memset(small, 'z', sizeof small);
    tmp_path(p, sizeof p, "missing.log");
    ASSERT_EQ(lg_inputs_add(&in, p, small, sizeof small), -ENOENT);
    ASSERT_UEQ(strlen(small), sizeof small - 1);
    ASSERT_MEMEQ(small, p, sizeof small - 1);
    lg_inputs_free(&in);
}

TEST(inputs_add_finds_compression_by_magic_not_name)
{
    static const unsigned char zs[] = {0x28, 0xb5, 0x2f, 0xfd, 0, 0};
    static const char text[] = "GET /index.html\n";
    char p[PATH_MAX], err[256] = "";
    size_t ngz;
    lg_inputs in = {0};
    char *gz = compress("gzip", text, strlen(text), &ngz);
    put(p, sizeof p, "x.log", gz, ngz);
    put(p, sizeof p, "y.gz", text, strlen(text));
    put(p, sizeof p, "z.txt", zs, sizeof zs);
    put(p, sizeof p, "e.gz", "", 0);
    put(p, sizeof p, "one.gz", "\x1f", 1);
    put(p, sizeof p, "two.log", "\x1f\x8b", 2);
    put(p, sizeof p, "three.zst", zs, 3);
    static const char *const names[] = {"x.log",  "y.gz",    "z.txt",    "e.gz",
                                        "one.gz", "two.log", "three.zst"};
    static const int comps[] = {LG_COMP_GZIP, LG_COMP_NONE, LG_COMP_ZSTD,
                                LG_COMP_NONE, LG_COMP_NONE, LG_COMP_GZIP,
                                LG_COMP_NONE};
    uint64_t sizes[] = {ngz, strlen(text), sizeof zs, 0, 1, 2, 3};
    uint64_t total = 0;
    for (size_t i = 0; i < 7; i++) {
        tmp_path(p, sizeof p, names[i]);
        ASSERT_EQ(lg_inputs_add(&in, p, err, sizeof err), 1);
        ASSERT_STREQ(in.v[i].path, p);
        ASSERT_EQ(in.v[i].comp, comps[i]);
        ASSERT_UEQ(in.v[i].size, sizes[i]);
        total += sizes[i];
    }
    ASSERT_UEQ(in.n, 7);
    ASSERT_UEQ(in.total_bytes, total);
    lg_inputs_free(&in);
    free(gz);
}

/* ---- plain streams ---- */

TEST(plain_stream_reads_exactly_its_byte_range)
{
    char p[PATH_MAX];
    size_t n, got;
    int rc;
    char *data = gen_log(1, 300 * 1000, &n);
    put(p, sizeof p, "plain.log", data, n);
    int fd = open_ro(p);

    /* the whole file */
    lg_stream *s;
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, 0, n), 0);
    ASSERT_UEQ(lg_stream_consumed(s), 0);
    char *b = read_all(s, &got, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, n);
    ASSERT_MEMEQ(b, data, n);
    ASSERT_UEQ(lg_stream_consumed(s), n);
    lg_stream_close(s);
    free(b);

    /* ranges inside, across the end and past the end */
    static const struct {
        uint64_t off, len, want;
    } ranges[] = {
        {1000, 5000, 5000}, {12345, 1, 1}, {0, 0, 0}, {7, 200000, 200000}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        ASSERT_EQ(
            lg_stream_open(&s, fd, LG_COMP_NONE, ranges[i].off, ranges[i].len),
            0);
        b = read_all(s, &got, &rc);
        ASSERT_EQ(rc, 0);
        ASSERT_UEQ(got, ranges[i].want);
        ASSERT_MEMEQ(b, data + ranges[i].off, got);
        ASSERT_UEQ(lg_stream_consumed(s), got);
        lg_stream_close(s);
        free(b);
    }
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, n - 10, 100), 0);
    b = read_all(s, &got, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, 10);
    ASSERT_MEMEQ(b, data + n - 10, 10);
    lg_stream_close(s);
    free(b);
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, n, 5), 0);
    char one;
    ASSERT_EQ(lg_stream_read(s, &one, 1), 0);
    ASSERT_EQ(lg_stream_read(s, &one, 1), 0);
    lg_stream_close(s);

    /* pread: the fd's own offset never moves */
    ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 0);
    lg_stream_close(NULL);
    close(fd);
    free(data);
}

TEST(plain_streams_share_one_fd)
{
    char p[PATH_MAX], a[3000], b[3000];
    size_t n;
    char *data = gen_log(2, 100 * 1000, &n);
    put(p, sizeof p, "shared.log", data, n);
    int fd = open_ro(p);
    lg_stream *s1, *s2;
    ASSERT_EQ(lg_stream_open(&s1, fd, LG_COMP_NONE, 0, 30000), 0);
    ASSERT_EQ(lg_stream_open(&s2, fd, LG_COMP_NONE, 50000, 30000), 0);
    /* interleaved reads each see their own range */
    for (size_t off = 0; off < 30000; off += 3000) {
        ASSERT_EQ(lg_stream_read(s1, a, sizeof a), 3000);
        ASSERT_EQ(lg_stream_read(s2, b, sizeof b), 3000);
        ASSERT_MEMEQ(a, data + off, 3000);
        ASSERT_MEMEQ(b, data + 50000 + off, 3000);
        ASSERT_UEQ(lg_stream_consumed(s1), off + 3000);
        ASSERT_UEQ(lg_stream_consumed(s2), off + 3000);
    }
    ASSERT_EQ(lg_stream_read(s1, a, sizeof a), 0);
    ASSERT_EQ(lg_stream_read(s2, b, sizeof b), 0);
    lg_stream_close(s1);
    lg_stream_close(s2);
    close(fd);
    free(data);
}

/* ---- gzip ---- */

/* A few MB round trip through gzip and back; consumed is the file size. */
static void gzip_round_trip(const char *backend)
{
    char p[PATH_MAX];
    size_t n, ngz, got;
    int rc;
    uint64_t used;
    use_gzip_backend(backend);
    char *data = gen_log(3, 3 * 1000 * 1000, &n);
    char *gz = compress("gzip", data, n, &ngz);
    ASSERT_UGT(ngz, 2 * 256 * 1024); /* several input buffers */
    put(p, sizeof p, "big.log.gz", gz, ngz);
    ASSERT_EQ(lg_comp_detect(gz, ngz), LG_COMP_GZIP);
    char *b = decode_file(p, LG_COMP_GZIP, &got, &rc, &used);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, n);
    ASSERT_MEMEQ(b, data, n);
    ASSERT_UEQ(used, ngz);
    free(b);
    free(gz);
    free(data);
}

TEST(gzip_isal_decodes_a_few_mb)
{
    gzip_round_trip("isa-l");
}

TEST(gzip_zlib_decodes_a_few_mb)
{
    gzip_round_trip("zlib");
}

/* Members one after the other decode to both, as gzip -d does; zero
 * padding after the last member is a clean end. */
static void gzip_members(const char *backend)
{
    char p[PATH_MAX];
    size_t na, nb, nga, ngb, got;
    int rc;
    use_gzip_backend(backend);
    char *a = gen_log(4, 400 * 1000, &na);
    char *b = gen_log(5, 300 * 1000, &nb);
    char *ga = compress("gzip", a, na, &nga);
    char *gb = compress("gzip", b, nb, &ngb);
    char *cat = malloc(nga + ngb + 4096), *both = malloc(na + nb);
    ASSERT_NOT_NULL(cat);
    ASSERT_NOT_NULL(both);
    memcpy(cat, ga, nga);
    memcpy(cat + nga, gb, ngb);
    memcpy(both, a, na);
    memcpy(both + na, b, nb);

    put(p, sizeof p, "ab.gz", cat, nga + ngb);
    char *out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, na + nb);
    ASSERT_MEMEQ(out, both, na + nb);
    free(out);

    /* three members, the middle one empty */
    size_t ne;
    char *ge = compress("gzip", "", 0, &ne);
    char *three = malloc(nga + ne + ngb);
    ASSERT_NOT_NULL(three);
    memcpy(three, ga, nga);
    memcpy(three + nga, ge, ne);
    memcpy(three + nga + ne, gb, ngb);
    put(p, sizeof p, "aeb.gz", three, nga + ne + ngb);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, na + nb);
    ASSERT_MEMEQ(out, both, na + nb);
    free(out);
    free(three);
    free(ge);

    memset(cat + nga + ngb, 0, 4096);
    put(p, sizeof p, "ab-padded.gz", cat, nga + ngb + 4096);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, na + nb);
    ASSERT_MEMEQ(out, both, na + nb);
    free(out);

    /* garbage after a member is not a clean end */
    memcpy(cat + nga + ngb, "junk", 4);
    put(p, sizeof p, "ab-junk.gz", cat, nga + ngb + 4);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ECORRUPT);
    ASSERT_UEQ(got, na + nb);
    ASSERT_MEMEQ(out, both, na + nb);
    free(out);

    free(cat);
    free(both);
    free(ga);
    free(gb);
    free(a);
    free(b);
}

TEST(gzip_isal_decodes_concatenated_members)
{
    gzip_members("isa-l");
}

TEST(gzip_zlib_decodes_concatenated_members)
{
    gzip_members("zlib");
}

/* A cut .gz gives every byte before the cut, then LG_ETRUNC. */
static void gzip_truncated(const char *backend)
{
    char p[PATH_MAX];
    size_t n, ngz, got, na, nga;
    int rc;
    use_gzip_backend(backend);
    char *data = gen_log(6, 1000 * 1000, &n);
    char *gz = compress("gzip", data, n, &ngz);

    /* without its 8-byte trailer: all the data, but no clean end */
    put(p, sizeof p, "no-trailer.gz", gz, ngz - 8);
    char *out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UEQ(got, n);
    ASSERT_MEMEQ(out, data, n);
    free(out);

    /* cut in the middle: a prefix of the data, most of it */
    put(p, sizeof p, "half.gz", gz, ngz / 2);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UGT(got, n / 3);
    ASSERT_ULT(got, n);
    ASSERT_MEMEQ(out, data, got);
    free(out);

    /* cut inside the header: nothing, and truncated */
    put(p, sizeof p, "header.gz", gz, 5);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UEQ(got, 0);
    free(out);

    /* a whole member, then a cut one: all of the first comes out */
    char *a = gen_log(7, 200 * 1000, &na);
    char *ga = compress("gzip", a, na, &nga);
    char *cat = malloc(nga + ngz / 2);
    ASSERT_NOT_NULL(cat);
    memcpy(cat, ga, nga);
    memcpy(cat + nga, gz, ngz / 2);
    put(p, sizeof p, "whole-then-half.gz", cat, nga + ngz / 2);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UGT(got, na + n / 3);
    ASSERT_MEMEQ(out, a, na);
    ASSERT_MEMEQ(out + na, data, got - na);
    free(out);

    free(cat);
    free(ga);
    free(a);
    free(gz);
    free(data);
}

TEST(gzip_isal_truncated_gives_the_bytes_then_etrunc)
{
    gzip_truncated("isa-l");
}

TEST(gzip_zlib_truncated_gives_the_bytes_then_etrunc)
{
    gzip_truncated("zlib");
}

/* Damaged data ends in LG_ECORRUPT, never a crash or a clean end. */
static void gzip_corrupt(const char *backend)
{
    char p[PATH_MAX];
    size_t n, ngz, got;
    int rc;
    use_gzip_backend(backend);
    char *data = gen_log(8, 1000 * 1000, &n);
    char *gz = compress("gzip", data, n, &ngz);

    /* a wrong CRC: good bytes, then the error (how many bytes is
     * bad_checksum_keeps_the_lines_before's concern) */
    gz[ngz - 8] ^= 0x55;
    put(p, sizeof p, "bad-crc.gz", gz, ngz);
    char *out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ECORRUPT);
    ASSERT_ULE(got, n);
    ASSERT_MEMEQ(out, data, got);
    free(out);
    gz[ngz - 8] ^= 0x55;

    /* a wrong length */
    gz[ngz - 1] ^= 0x01;
    put(p, sizeof p, "bad-size.gz", gz, ngz);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ECORRUPT);
    free(out);
    gz[ngz - 1] ^= 0x01;

    /* bytes smashed in the middle of the deflate data */
    for (size_t i = 0; i < 64; i++)
        gz[ngz / 2 + i] = (char)(0xff - i);
    put(p, sizeof p, "smashed.gz", gz, ngz);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ECORRUPT);
    free(out);

    /* not gzip at all */
    put(p, sizeof p, "text.gz", data, 4096);
    out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ECORRUPT);
    ASSERT_UEQ(got, 0);
    free(out);

    free(gz);
    free(data);
}

TEST(gzip_isal_corrupt_is_an_error)
{
    gzip_corrupt("isa-l");
}

TEST(gzip_zlib_corrupt_is_an_error)
{
    gzip_corrupt("zlib");
}

/* ---- zstd ---- */

TEST(zstd_decodes_a_few_mb_and_frames)
{
    char p[PATH_MAX];
    size_t n, nz, got, nb, nzb;
    int rc;
    uint64_t used;
    need_zstd();
    char *data = gen_log(9, 3 * 1000 * 1000, &n);
    char *zs = compress("zstd", data, n, &nz);
    ASSERT_EQ(lg_comp_detect(zs, nz), LG_COMP_ZSTD);
    put(p, sizeof p, "big.log.zst", zs, nz);
    char *out = decode_file(p, LG_COMP_ZSTD, &got, &rc, &used);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, n);
    ASSERT_MEMEQ(out, data, n);
    ASSERT_UEQ(used, nz);
    free(out);

    /* two frames one after the other */
    char *b = gen_log(10, 200 * 1000, &nb);
    char *zb = compress("zstd", b, nb, &nzb);
    char *cat = malloc(nz + nzb), *both = malloc(n + nb);
    ASSERT_NOT_NULL(cat);
    ASSERT_NOT_NULL(both);
    memcpy(cat, zs, nz);
    memcpy(cat + nz, zb, nzb);
    memcpy(both, data, n);
    memcpy(both + n, b, nb);
    put(p, sizeof p, "two.zst", cat, nz + nzb);
    out = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, n + nb);
    ASSERT_MEMEQ(out, both, n + nb);
    free(out);

    free(cat);
    free(both);
    free(zb);
    free(b);
    free(zs);
    free(data);
}

TEST(zstd_truncated_or_corrupt_is_an_error)
{
    char p[PATH_MAX];
    size_t n, nz, got;
    int rc;
    need_zstd();
    char *data = gen_log(11, 1000 * 1000, &n);
    char *zs = compress("zstd", data, n, &nz);

    put(p, sizeof p, "half.zst", zs, nz / 2);
    char *out = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UGT(got, n / 4);
    ASSERT_ULT(got, n);
    ASSERT_MEMEQ(out, data, got);
    free(out);

    /* without the 4-byte checksum: all the data, but no clean end */
    put(p, sizeof p, "no-sum.zst", zs, nz - 4);
    out = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UEQ(got, n);
    ASSERT_MEMEQ(out, data, n);
    free(out);

    put(p, sizeof p, "header.zst", zs, 3);
    out = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UEQ(got, 0);
    free(out);

    /* the checksum at the end is wrong */
    zs[nz - 1] ^= 0x40;
    put(p, sizeof p, "bad-sum.zst", zs, nz);
    out = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ECORRUPT);
    ASSERT_ULE(got, n);
    ASSERT_MEMEQ(out, data, got);
    free(out);
    zs[nz - 1] ^= 0x40;

    for (size_t i = 0; i < 64; i++)
        zs[nz / 2 + i] = (char)(0xff - i);
    put(p, sizeof p, "smashed.zst", zs, nz);
    out = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ECORRUPT);
    free(out);

    free(zs);
    free(data);
}

/*
 * Data whose only fault is a bad checksum at its very end: every line is
 * intact, so the reader must hand out all of them before LG_ECORRUPT
 * (input.h: "a stream that fails part way still delivered every complete
 * line before the error"), including those decoded by the read that met
 * the error.
 */
static void bad_checksum_keeps_the_lines(int comp)
{
    char p[PATH_MAX];
    const char *b;
    size_t n, nz, len, total = 0;
    int rc;
    lg_reader r;
    lg_stream *s;
    char *data = gen_log(16, 1000 * 1000, &n);
    char *z = compress(comp == LG_COMP_GZIP ? "gzip" : "zstd", data, n, &nz);
    z[comp == LG_COMP_GZIP ? nz - 8 : nz - 1] ^= 0x40;
    put(p, sizeof p, "bad-sum", z, nz);
    int fd = open_ro(p);
    ASSERT_EQ(lg_stream_open(&s, fd, comp, 0, 0), 0);
    ASSERT_EQ(lg_reader_init(&r, s, CAP), 0);
    while ((rc = lg_reader_next(&r, &b, &len)) == 1) {
        ASSERT_UEQ(r.block_off, total);
        ASSERT_ULE(total + len, n);
        ASSERT_MEMEQ(b, data + total, len);
        total += len;
    }
    lg_reader_destroy(&r);
    lg_stream_close(s);
    close(fd);
    free(z);
    free(data);
    ASSERT_EQ(rc, LG_ECORRUPT);
    ASSERT_UEQ(total, n);
}

TEST(gzip_isal_bad_checksum_keeps_the_lines_before)
{
    use_gzip_backend("isa-l");
    bad_checksum_keeps_the_lines(LG_COMP_GZIP);
}

TEST(gzip_zlib_bad_checksum_keeps_the_lines_before)
{
    use_gzip_backend("zlib");
    bad_checksum_keeps_the_lines(LG_COMP_GZIP);
}

TEST(zstd_bad_checksum_keeps_the_lines_before)
{
    need_zstd();
    bad_checksum_keeps_the_lines(LG_COMP_ZSTD);
}

/* An empty file said to be compressed is cut short, as gzip -d and
 * zstd -d say ("unexpected end of file"). */
TEST(empty_compressed_input_is_truncated)
{
    char p[PATH_MAX];
    size_t got;
    int rc;
    put(p, sizeof p, "empty", "", 0);
    char *out = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UEQ(got, 0);
    free(out);
    need_zstd();
    out = decode_file(p, LG_COMP_ZSTD, &got, &rc, NULL);
    free(out);
    ASSERT_UEQ(got, 0);
    ASSERT_EQ(rc, LG_ETRUNC);
}

/* ---- sequential streams over pipes ---- */

/* Feed raw through a pipe, sniff its first `sniff` bytes as a caller
 * would, and check the sequential stream gives want[0..nwant). */
static void seq_check(const char *raw, size_t nraw, size_t sniff, int comp,
                      const char *want, size_t nwant)
{
    char pre[4096];
    size_t got;
    int rc;
    pid_t pid;
    lg_stream *s;
    ASSERT_ULE(sniff, sizeof pre);
    int fd = pipe_from_child(raw, nraw, &pid);
    size_t npre = read_full(fd, pre, sniff);
    ASSERT_UEQ(npre, sniff);
    ASSERT_EQ(lg_comp_detect(pre, npre), comp);
    ASSERT_EQ(lg_stream_open_seq(&s, fd, comp, pre, npre), 0);
    memset(pre, 0, sizeof pre); /* the stream keeps its own copy */
    char *out = read_all(s, &got, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_UEQ(got, nwant);
    ASSERT_MEMEQ(out, want, nwant);
    ASSERT_UEQ(lg_stream_consumed(s), nraw);
    lg_stream_close(s);
    close(fd);
    reap(pid);
    free(out);
}

TEST(seq_stream_over_a_pipe_gives_the_bytes)
{
    size_t n, ngz;
    char *data = gen_log(12, 1500 * 1000, &n);
    char *gz = compress("gzip", data, n, &ngz);
    seq_check(data, n, 4, LG_COMP_NONE, data, n);
    seq_check(data, n, 4000, LG_COMP_NONE, data, n);
    seq_check(gz, ngz, 4, LG_COMP_GZIP, data, n);
    seq_check(gz, ngz, 3000, LG_COMP_GZIP, data, n);
    free(gz);
    if (lg_have_zstd()) {
        char *argv[] = {"zstd", "--version", NULL};
        if (RUNNER_EXITED(runner_capture(argv, NULL, NULL, 0, NULL), 0)) {
            size_t nz;
            char *zs = compress("zstd", data, n, &nz);
            seq_check(zs, nz, 4, LG_COMP_ZSTD, data, n);
            free(zs);
        } else {
            runner_note("zstd command missing: zstd pipe not checked");
        }
    }
    free(data);
}

TEST(seq_stream_refuses_an_oversized_prefix)
{
    size_t big = 256 * 1024 + 1;
    char *pre = calloc(1, big);
    lg_stream *s = NULL;
    int fd = open_ro("/dev/null");
    ASSERT_NOT_NULL(pre);
    ASSERT_EQ(lg_stream_open_seq(&s, fd, LG_COMP_NONE, pre, big), -EINVAL);
    ASSERT_EQ(lg_stream_open_seq(&s, fd, LG_COMP_GZIP, pre, big), -EINVAL);
    ASSERT_NULL(s);
    /* an empty prefix is fine: /dev/null is at its end */
    ASSERT_EQ(lg_stream_open_seq(&s, fd, LG_COMP_NONE, pre, 0), 0);
    ASSERT_EQ(lg_stream_read(s, pre, 16), 0);
    ASSERT_UEQ(lg_stream_consumed(s), 0);
    lg_stream_close(s);
    close(fd);
    free(pre);
}

/* ---- line blocks ---- */

TEST(reader_hands_out_whole_lines_with_offsets)
{
    char p[PATH_MAX];
    size_t n;
    lg_reader r;
    lg_stream *s;
    char *data = gen_log(13, 2 * 1000 * 1000, &n);
    ASSERT_EQ(count_long_lines(data, n, CAP), 0);
    put(p, sizeof p, "lines.log", data, n);
    int fd = open_ro(p);
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, 0, n), 0);
    ASSERT_EQ(lg_reader_init(&r, s, CAP), 0);
    ASSERT_UEQ(r.cap, CAP);

    /* the first block: whole lines, from offset 0, at most a buffer */
    const char *b;
    size_t len;
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_UEQ(r.block_off, 0);
    ASSERT_UGT(len, CAP - 5000); /* a full buffer minus a partial line */
    ASSERT_ULE(len, CAP);
    ASSERT_EQ(b[len - 1], '\n');
    ASSERT_EQ(data[len - 1], '\n');
    ASSERT_MEMEQ(b, data, len);

    /* the rest, on a fresh stream from the start */
    lg_stream_close(s);
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, 0, n), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(check_reader(&r, data, n, 0), 0);
    lg_stream_close(s);

    /* a byte range in the middle, starting on a line */
    const char *nl = memchr(data + n / 2, '\n', n / 2);
    ASSERT_NOT_NULL(nl);
    size_t off = (size_t)(nl - data) + 1;
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, off, 300000), 0);
    lg_reader_attach(&r, s);
    check_reader(&r, data + off, 300000, 0);
    lg_stream_close(s);

    lg_reader_destroy(&r);
    ASSERT_NULL(r.buf);
    close(fd);
    free(data);
}

TEST(reader_buffer_is_at_least_64k)
{
    lg_reader r;
    ASSERT_EQ(lg_reader_init(&r, NULL, 100), 0);
    ASSERT_UEQ(r.cap, CAP);
    lg_reader_destroy(&r);
    ASSERT_EQ(lg_reader_init(&r, NULL, 3 * CAP), 0);
    ASSERT_UEQ(r.cap, 3 * CAP);
    lg_reader_destroy(&r);
}

TEST(reader_delivers_a_last_line_without_newline)
{
    static const char text[] = "one\ntwo\nthree without newline";
    char p[PATH_MAX];
    const char *b;
    size_t len, n = strlen(text);
    lg_reader r;
    lg_stream *s;
    put(p, sizeof p, "tail.log", text, n);
    int fd = open_ro(p);
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, 0, n), 0);
    ASSERT_EQ(lg_reader_init(&r, s, CAP), 0);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_UEQ(len, 8);
    ASSERT_MEMEQ(b, "one\ntwo\n", 8);
    ASSERT_UEQ(r.block_off, 0);
    ASSERT_EQ(r.long_line, 0);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_UEQ(len, n - 8);
    ASSERT_MEMEQ(b, "three without newline", n - 8);
    ASSERT_UEQ(r.block_off, 8);
    ASSERT_EQ(r.long_line, 0);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 0);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 0);
    lg_stream_close(s);

    /* a file with only that line, and an empty file */
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, 8, n - 8), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_UEQ(len, n - 8);
    ASSERT_MEMEQ(b, text + 8, n - 8);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 0);
    lg_stream_close(s);
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, 0, 0), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 0);
    lg_stream_close(s);

    lg_reader_destroy(&r);
    close(fd);
}

/* "short\n", a 200 KiB line, then "after\n" and "last" (no newline). */
static char *long_line_input(size_t *n)
{
    size_t big = 200 * 1024, k = 0;
    char *d = malloc(big + 64);
    ASSERT_NOT_NULL(d);
    memcpy(d, "short\n", 6);
    k = 6;
    for (size_t i = 0; i < big; i++)
        d[k++] = (char)('a' + i % 26);
    d[k++] = '\n';
    memcpy(d + k, "after\nlast", 10);
    *n = k + 10;
    return d;
}

TEST(reader_cuts_a_long_line_once_and_goes_on)
{
    char p[PATH_MAX];
    const char *b;
    size_t n, len;
    lg_reader r;
    lg_stream *s;
    char *data = long_line_input(&n);
    put(p, sizeof p, "long.log", data, n);
    int fd = open_ro(p);
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_NONE, 0, n), 0);
    ASSERT_EQ(lg_reader_init(&r, s, CAP), 0);

    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_UEQ(len, 6);
    ASSERT_MEMEQ(b, "short\n", 6);
    ASSERT_EQ(r.long_line, 0);

    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_EQ(r.long_line, 1);
    ASSERT_UEQ(len, CAP);
    ASSERT_UEQ(r.block_off, 6);
    ASSERT_MEMEQ(b, data + 6, CAP);

    /* the rest of the long line is skipped; the next line is whole */
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_EQ(r.long_line, 0);
    ASSERT_UEQ(r.block_off, 6 + 200 * 1024 + 1);
    ASSERT_UEQ(len, 6);
    ASSERT_MEMEQ(b, "after\n", 6);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_EQ(r.long_line, 0);
    ASSERT_UEQ(len, 4);
    ASSERT_MEMEQ(b, "last", 4);
    ASSERT_UEQ(r.block_off, n - 4);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 0);
    lg_stream_close(s);

    /* the same through gzip and through a pipe with short reads */
    size_t ngz;
    char *gz = compress("gzip", data, n, &ngz);
    put(p, sizeof p, "long.log.gz", gz, ngz);
    int gfd = open_ro(p);
    ASSERT_EQ(lg_stream_open(&s, gfd, LG_COMP_GZIP, 0, 0), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(check_reader(&r, data, n, 0), 1);
    lg_stream_close(s);
    close(gfd);
    free(gz);

    pid_t pid;
    int pfd = pipe_from_child(data, n, &pid);
    ASSERT_EQ(lg_stream_open_seq(&s, pfd, LG_COMP_NONE, "", 0), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(check_reader(&r, data, n, 0), 1);
    lg_stream_close(s);
    close(pfd);
    reap(pid);

    lg_reader_destroy(&r);
    close(fd);
    free(data);
}

TEST(reader_handles_lines_around_the_buffer_size)
{
    /* text lengths cap-1 (fits with its '\n'), cap and cap+1 (cut), a
     * 500 KiB line, and short lines between them, through a pipe */
    static const size_t texts[] = {CAP - 1, 3,          CAP, 0,
                                   CAP + 1, 500 * 1024, 10,  CAP - 2};
    size_t cap = 0, n = 0;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        cap += texts[i] + 1;
    char *data = malloc(cap);
    ASSERT_NOT_NULL(data);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        for (size_t j = 0; j < texts[i]; j++)
            data[n++] = (char)('A' + (i + j) % 26);
        data[n++] = '\n';
    }
    ASSERT_UEQ(count_long_lines(data, n, CAP), 3);

    lg_reader r;
    lg_stream *s;
    pid_t pid;
    int fd = pipe_from_child(data, n, &pid);
    ASSERT_EQ(lg_stream_open_seq(&s, fd, LG_COMP_NONE, "", 0), 0);
    ASSERT_EQ(lg_reader_init(&r, s, CAP), 0);
    ASSERT_EQ(check_reader(&r, data, n, 0), 3);
    lg_stream_close(s);
    close(fd);
    reap(pid);

    /* and the gzip of it, from a file */
    char p[PATH_MAX];
    size_t ngz;
    char *gz = compress("gzip", data, n, &ngz);
    put(p, sizeof p, "edges.gz", gz, ngz);
    fd = open_ro(p);
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_GZIP, 0, 0), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(check_reader(&r, data, n, 0), 3);
    lg_stream_close(s);
    close(fd);
    free(gz);

    lg_reader_destroy(&r);
    free(data);
}

TEST(reader_attach_starts_the_next_stream_clean)
{
    char pa[PATH_MAX], pb[PATH_MAX];
    const char *b;
    size_t na, nb, len;
    lg_reader r;
    lg_stream *s;
    char *a = long_line_input(&na);
    char *other = gen_log(14, 500 * 1000, &nb);
    put(pa, sizeof pa, "a.log", a, na);
    put(pb, sizeof pb, "b.log", other, nb);
    int fa = open_ro(pa), fb = open_ro(pb);

    /* leave a stream in the middle of a long line */
    ASSERT_EQ(lg_stream_open(&s, fa, LG_COMP_NONE, 0, na), 0);
    ASSERT_EQ(lg_reader_init(&r, s, CAP), 0);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_EQ(r.long_line, 1);
    lg_stream_close(s);

    /* the next stream starts at its own offset 0, nothing skipped */
    ASSERT_EQ(lg_stream_open(&s, fb, LG_COMP_NONE, 0, nb), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(r.long_line, 0);
    ASSERT_EQ(lg_reader_next(&r, &b, &len), 1);
    ASSERT_UEQ(r.block_off, 0);
    ASSERT_MEMEQ(b, other, len);
    lg_stream_close(s);

    /* leave one with a partial line in the buffer, then read b whole */
    ASSERT_EQ(lg_stream_open(&s, fb, LG_COMP_NONE, 0, nb), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(check_reader(&r, other, nb, 0), 0);
    lg_stream_close(s);

    /* a stream that ended with an error leaves none behind */
    size_t ngz;
    char *gz = compress("gzip", other, nb, &ngz);
    char p[PATH_MAX];
    put(p, sizeof p, "cut.gz", gz, ngz - 8);
    int fg = open_ro(p);
    ASSERT_EQ(lg_stream_open(&s, fg, LG_COMP_GZIP, 0, 0), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(check_reader(&r, other, nb, LG_ETRUNC), 0);
    lg_stream_close(s);
    ASSERT_EQ(lg_stream_open(&s, fa, LG_COMP_NONE, 0, na), 0);
    lg_reader_attach(&r, s);
    ASSERT_EQ(r.err, 0);
    ASSERT_EQ(check_reader(&r, a, na, 0), 1);
    lg_stream_close(s);

    lg_reader_destroy(&r);
    close(fg);
    close(fa);
    close(fb);
    free(gz);
    free(a);
    free(other);
}

TEST(reader_gives_every_line_before_a_stream_error)
{
    char p[PATH_MAX];
    size_t n, ngz, got, len, total = 0;
    int rc;
    const char *b;
    lg_reader r;
    lg_stream *s;
    char *data = gen_log(15, 1000 * 1000, &n);
    char *gz = compress("gzip", data, n, &ngz);
    put(p, sizeof p, "half.gz", gz, ngz / 2);

    /* what the stream alone gives */
    char *ref = decode_file(p, LG_COMP_GZIP, &got, &rc, NULL);
    ASSERT_EQ(rc, LG_ETRUNC);
    const char *last_nl = NULL;
    for (size_t i = got; i > 0 && !last_nl; i--)
        if (ref[i - 1] == '\n')
            last_nl = ref + i - 1;
    ASSERT_NOT_NULL(last_nl);
    size_t whole = (size_t)(last_nl - ref) + 1;

    int fd = open_ro(p);
    ASSERT_EQ(lg_stream_open(&s, fd, LG_COMP_GZIP, 0, 0), 0);
    ASSERT_EQ(lg_reader_init(&r, s, CAP), 0);
    while ((rc = lg_reader_next(&r, &b, &len)) == 1) {
        ASSERT_UEQ(r.block_off, total);
        ASSERT_ULE(total + len, got);
        ASSERT_MEMEQ(b, data + total, len);
        total += len;
        if (total < whole)
            ASSERT_EQ(b[len - 1], '\n');
    }
    ASSERT_EQ(rc, LG_ETRUNC);
    ASSERT_UGE(total, whole); /* every complete line came out */
    ASSERT_EQ(lg_reader_next(&r, &b, &len), LG_ETRUNC);
    lg_stream_close(s);
    lg_reader_destroy(&r);
    close(fd);
    free(ref);
    free(gz);
    free(data);
}
