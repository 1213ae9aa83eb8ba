/* test-split.c - the source stage of pipefan logs (logs/split.c): where a
 * plain file is cut (line ends, chunk sizes fixed and automatic), the
 * order of compressed files, and standard input sent as chunks of whole
 * lines with their line numbers.  The stage runs in a real pipeline, in
 * serial mode, into a sink that keeps every descriptor. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#include "../../logs/job.h"
#include "../../logs/split.h"

/* ---- a job over some files, and what its source sends -------------------- */

#define MAX_CHUNKS 20000

struct got {
    size_t n;
    lg_chunk c[MAX_CHUNKS];
    char *data; /* DATA/LONG bytes, concatenated */
    size_t data_n, data_cap;
};
static struct got got;

static int keep(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    (void)arg;
    ASSERT(len >= sizeof(lg_chunk));
    ASSERT(got.n < MAX_CHUNKS);
    lg_chunk *c = &got.c[got.n++];
    memcpy(c, rec, sizeof *c);
    ASSERT_UEQ(c->magic, LG_CHUNK_MAGIC);
    size_t extra = len - sizeof *c;
    if (c->kind == LG_CHUNK_DATA || c->kind == LG_CHUNK_LONG)
        ASSERT_UEQ(extra, c->length);
    else
        ASSERT_UEQ(extra, 0);
    if (extra == 0)
        return 0;
    if (got.data_n + extra > got.data_cap) {
        got.data_cap = (got.data_n + extra) * 2;
        got.data = realloc(got.data, got.data_cap);
        ASSERT_NOT_NULL(got.data);
    }
    memcpy(got.data + got.data_n, (const char *)rec + sizeof *c, extra);
    got.data_n += extra;
    return 0;
}

static lg_config cfg;
static lg_job job;

/* A job over paths (NULL-terminated) with a fixed chunk size, or 0 for
 * the automatic one with `jobs` workers. */
static void setup(const char *const *paths, size_t chunk, int jobs)
{
    memset(&cfg, 0, sizeof cfg);
    memset(&job, 0, sizeof job);
    memset(&got.c, 0, sizeof got.c);
    got.n = got.data_n = 0;
    cfg.jobs = jobs;
    cfg.chunk_size = chunk;
    cfg.format = NULL;
    job.cfg = &cfg;
    job.chunk_size = chunk ? chunk : LG_CHUNK_MAX;
    job.fmts[1] = lg_format_builtin("combined");
    job.fmts[2] = lg_format_builtin("common");
    for (int i = 0; paths[i]; i++) {
        char err[256];
        int rc = lg_inputs_add(&job.in, paths[i], err, sizeof err);
        if (rc != 1)
            FAIL("lg_inputs_add %s: %d %s", paths[i], rc, err);
    }
    job.file_fmt = calloc(job.in.n + 1, 1);
    ASSERT_NOT_NULL(job.file_fmt);
    for (size_t i = 0; i < job.in.n; i++)
        job.file_fmt[i] = 1;
}

static void run(void)
{
    pf_pipeline *p = pf_pipeline_new();
    pf_source(p, "split", lg_split_source, &job);
    pf_stage_add(p, "keep", keep, NULL);
    pf_options o;
    pf_options_init(&o);
    o.serial = 1;
    o.progress = 0;
    ASSERT_EQ(pf_pipeline_set_options(p, &o), 0);
    ASSERT_EQ(pf_run(p), 0);
    pf_pipeline_free(p);
}

static void teardown(void)
{
    lg_inputs_free(&job.in);
    free(job.file_fmt);
}

/* Write n bytes to a new file in the test's directory; its path. */
static const char *put(const char *name, const void *data, size_t n)
{
    static char path[8][512];
    static int k;
    char *out = path[k++ % 8];
    snprintf(out, 512, "%s/%s", runner_tmpdir(), name);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, data, n), (ssize_t)n);
    close(fd);
    return out;
}

/* size bytes of lines of lengths 1..maxlen (with their '\n'); the last
 * line has no '\n' when open_end. */
static char *lines(size_t size, size_t maxlen, int open_end)
{
    char *b = malloc(size);
    ASSERT_NOT_NULL(b);
    size_t i = 0, k = 0;
    while (i < size) {
        size_t len = 1 + (k++ * 7919) % maxlen;
        for (size_t j = 0; j + 1 < len && i < size; j++, i++)
            b[i] = (char)('a' + (i + j) % 26);
        if (i < size)
            b[i++] = '\n';
    }
    if (open_end)
        b[size - 1] = 'z';
    return b;
}

/* The RANGE chunks of file f cover [0, size) in order, each but the last
 * ends just after a '\n' and is at least `min` and less than `min` plus
 * the longest line long. */
static void check_ranges(const char *buf, uint64_t size, uint32_t f,
                         uint64_t min, uint64_t maxline)
{
    uint64_t off = 0;
    size_t seen = 0;
    for (size_t i = 0; i < got.n; i++) {
        const lg_chunk *c = &got.c[i];
        if (c->file != f)
            continue;
        ASSERT_EQ(c->kind, LG_CHUNK_RANGE);
        ASSERT_UEQ(c->offset, off);
        off += c->length;
        seen++;
        if (off < size) {
            ASSERT_EQ(buf[off - 1], '\n');
            ASSERT_UGE(c->length, min);
            ASSERT_ULT(c->length, min + maxline);
        }
    }
    ASSERT_UEQ(off, size);
    ASSERT_UGT(seen, 0);
}

/* ---- lg_split_line_end --------------------------------------------------- */

TEST(line_end_finds_the_end_of_the_line_holding_a_byte)
{
    const char *text = "aaa\nbb\n\ncccc";
    int fd = open(put("t.log", text, 12), O_RDONLY);
    ASSERT(fd >= 0);
    ASSERT_EQ(lg_split_line_end(fd, 0, 12), 4);
    ASSERT_EQ(lg_split_line_end(fd, 3, 12), 4); /* the '\n' itself */
    ASSERT_EQ(lg_split_line_end(fd, 4, 12), 7);
    ASSERT_EQ(lg_split_line_end(fd, 7, 12), 8);  /* an empty line */
    ASSERT_EQ(lg_split_line_end(fd, 8, 12), 12); /* no '\n': the end */
    ASSERT_EQ(lg_split_line_end(fd, 12, 12), 12);
    ASSERT_EQ(lg_split_line_end(fd, 4, 6), 6);    /* size stops the search */
    ASSERT_EQ(lg_split_line_end(fd, 8, 100), 12); /* the file shrank */
    close(fd);
    ASSERT_EQ(lg_split_line_end(-1, 0, 12), -9); /* -EBADF */
}

TEST(line_end_reads_across_windows)
{
    size_t n = 200001;
    char *b = malloc(n + 10);
    ASSERT_NOT_NULL(b);
    memset(b, 'x', n + 10);
    b[n - 1] = '\n';
    b[n + 4] = '\n';
    int fd = open(put("long.log", b, n + 10), O_RDONLY);
    ASSERT_EQ(lg_split_line_end(fd, 5, n + 10), (int64_t)n);
    ASSERT_EQ(lg_split_line_end(fd, n, n + 10), (int64_t)n + 5);
    close(fd);
    free(b);
}

/* ---- plain files --------------------------------------------------------- */

TEST(a_plain_file_is_cut_at_line_ends_with_a_fixed_size)
{
    size_t size = 300000;
    char *b = lines(size, 300, 0);
    const char *paths[] = {put("a.log", b, size), NULL};
    setup(paths, 4096, 2);
    run();
    check_ranges(b, size, 0, 4096, 300);
    ASSERT_UGT(got.n, size / (4096 + 300));
    ASSERT_ULE(got.n, size / 4096 + 1);
    for (size_t i = 0; i < got.n; i++)
        ASSERT_EQ(got.c[i].fmt, 1);
    teardown();
    free(b);
}

TEST(edges_a_last_line_without_newline_a_line_longer_than_a_chunk_empty)
{
    size_t size = 50000;
    char *b = lines(size, 90, 1);
    char big[10000];
    memset(big, 'y', sizeof big);
    big[sizeof big - 1] = '\n';
    const char *paths[] = {put("open.log", b, size),
                           put("big.log", big, sizeof big),
                           put("empty.log", "", 0), NULL};
    setup(paths, 1000, 1);
    run();
    check_ranges(b, size, 0, 1000, 90);
    /* the long line is one chunk of the whole file */
    size_t nbig = 0;
    for (size_t i = 0; i < got.n; i++) {
        ASSERT_UNE(got.c[i].file, 2); /* nothing for the empty file */
        if (got.c[i].file == 1) {
            nbig++;
            ASSERT_UEQ(got.c[i].offset, 0);
            ASSERT_UEQ(got.c[i].length, sizeof big);
        }
    }
    ASSERT_UEQ(nbig, 1);
    teardown();
    free(b);
}

TEST(the_automatic_size_shrinks_to_the_minimum_near_the_end)
{
    /* 6 MiB for 2 workers: a quarter of each worker's share of what is
     * left is under LG_CHUNK_MIN from the start, so the chunks are about
     * 1 MiB each; with 32 workers too */
    size_t size = 6u << 20;
    char *b = lines(size, 200, 0);
    const char *paths[] = {put("auto.log", b, size), NULL};
    for (int jobs = 2; jobs <= 32; jobs *= 16) {
        setup(paths, 0, jobs);
        run();
        check_ranges(b, size, 0, LG_CHUNK_MIN, 200);
        ASSERT_UEQ(got.n, 6);
        teardown();
    }
    free(b);
}

TEST(compressed_files_go_first_largest_first_whole)
{
    /* compression is found by the magic bytes, not the name */
    char gz_small[100] = {0x1f, (char)0x8b, 8},
         gz_big[300] = {0x1f, (char)0x8b, 8};
    char zst[200] = {0x28, (char)0xb5, 0x2f, (char)0xfd};
    const char *paths[] = {put("plain.log", "1\n2\n", 4),
                           put("small", gz_small, sizeof gz_small),
                           put("big.gz", gz_big, sizeof gz_big),
                           put("mid.zst", zst, sizeof zst), NULL};
    setup(paths, 4096, 2);
    run();
    ASSERT_UEQ(got.n, 4);
    static const uint32_t order[] = {2, 3, 1, 0};
    for (int i = 0; i < 4; i++) {
        ASSERT_UEQ(got.c[i].file, order[i]);
        ASSERT_EQ(got.c[i].kind, i < 3 ? LG_CHUNK_FILE : LG_CHUNK_RANGE);
    }
    ASSERT_UEQ(got.c[3].length, 4);
    teardown();
}

/* ---- standard input ------------------------------------------------------ */

#define COMMON_LINE                                                            \
    "203.0.113.9 - bob [17/May/2015:10:05:03 +0000] \"GET /b HTTP/1.0\" 404 "  \
    "-\n"

/* Run the split with file `path` as standard input. */
static void run_on_stdin(const char *path)
{
    int saved = dup(0);
    int fd = open(path, O_RDONLY);
    ASSERT(saved >= 0 && fd >= 0);
    ASSERT_EQ(dup2(fd, 0), 0);
    close(fd);
    const char *paths[] = {"-", NULL};
    setup(paths, 0, 2);
    run();
    ASSERT_EQ(dup2(saved, 0), 0);
    close(saved);
}

TEST(stdin_is_sent_as_chunks_of_whole_lines_numbered)
{
    /* over 1 MiB of common lines: several LG_DATA_CHUNK chunks */
    size_t len = strlen(COMMON_LINE), nl = (1u << 20) / len + 7;
    char *b = malloc(nl * len);
    ASSERT_NOT_NULL(b);
    for (size_t i = 0; i < nl; i++)
        memcpy(b + i * len, COMMON_LINE, len);
    run_on_stdin(put("stdin.log", b, nl * len));
    ASSERT_UGE(got.n, 4);
    uint64_t off = 0, line = 1;
    for (size_t i = 0; i < got.n; i++) {
        const lg_chunk *c = &got.c[i];
        ASSERT_EQ(c->kind, LG_CHUNK_DATA);
        ASSERT_UEQ(c->offset, off);
        ASSERT_UEQ(c->line, line);
        ASSERT_ULE(c->length, LG_DATA_CHUNK);
        ASSERT_EQ(c->fmt, 2); /* detected: common, the job's slot 2 */
        ASSERT_EQ(got.data[off + c->length - 1], '\n');
        off += c->length;
        line += c->length / len;
    }
    ASSERT_UEQ(off, nl * len);
    ASSERT_EQ(memcmp(got.data, b, nl * len), 0);
    ASSERT_EQ(job.file_fmt[0], 2);
    teardown();
    free(b);
}

TEST(a_too_long_stdin_line_is_sent_as_its_head)
{
    size_t len = strlen(COMMON_LINE), longn = LG_DATA_CHUNK + 1000;
    size_t n = 2 * len + longn + len;
    char *b = malloc(n);
    ASSERT_NOT_NULL(b);
    memcpy(b, COMMON_LINE COMMON_LINE, 2 * len);
    memset(b + 2 * len, 'L', longn - 1);
    b[2 * len + longn - 1] = '\n';
    memcpy(b + 2 * len + longn, COMMON_LINE, len);
    run_on_stdin(put("long-stdin.log", b, n));
    size_t nlong = 0;
    uint64_t last_line = 0;
    for (size_t i = 0; i < got.n; i++) {
        const lg_chunk *c = &got.c[i];
        if (c->kind == LG_CHUNK_LONG) {
            nlong++;
            ASSERT_UEQ(c->length, 512);
            ASSERT_UEQ(c->line, 3);
        }
        last_line = c->line;
    }
    ASSERT_UEQ(nlong, 1);
    ASSERT_UEQ(last_line, 4); /* the line after the long one */
    ASSERT_EQ(got.data[got.data_n - 1], '\n');
    teardown();
    free(b);
}
