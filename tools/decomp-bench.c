/*
 * decomp-bench - measure the gzip and zstd decoders pipefan logs could use,
 * on one file held in memory, single-threaded, output discarded:
 *   ISA-L igzip (streaming), zlib (streaming), libdeflate (whole buffer
 *   only: needs the whole output in memory) and libzstd (streaming).
 *
 *   decomp-bench FILE.gz [FILE.zst]
 *
 * Prints decompressed MB/s, best of 3 runs per decoder.  docs/LOGS.md
 * keeps the numbers that chose the decoder.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#define OUT (1u << 20)

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)sz);
    if (!p || fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        perror(path);
        exit(1);
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char out[OUT];

static size_t run_isal(const unsigned char *in, size_t n)
{
    struct inflate_state st;
    size_t total = 0;
    isal_inflate_init(&st);
    st.crc_flag = ISAL_GZIP;
    st.next_in = (uint8_t *)in;
    st.avail_in = (uint32_t)n;
    do {
        st.next_out = out;
        st.avail_out = OUT;
        if (isal_inflate(&st) != ISAL_DECOMP_OK)
            return 0;
        total += OUT - st.avail_out;
    } while (st.block_state != ISAL_BLOCK_FINISH);
    return total;
}

static size_t run_zlib(const unsigned char *in, size_t n)
{
    z_stream z = {0};
    size_t total = 0;
    int rc;
    inflateInit2(&z, 15 + 16);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    do {
        z.next_out = out;
        z.avail_out = OUT;
        rc = inflate(&z, Z_NO_FLUSH);
        total += OUT - z.avail_out;
    } while (rc == Z_OK);
    inflateEnd(&z);
    return rc == Z_STREAM_END ? total : 0;
}

static size_t run_deflate(const unsigned char *in, size_t n)
{
    /* the gzip trailer's ISIZE: the whole output must fit in memory */
    uint32_t isize;
    memcpy(&isize, in + n - 4, 4);
    unsigned char *big = malloc(isize);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t got = 0;
    if (libdeflate_gzip_decompress(d, in, n, big, isize, &got) !=
        LIBDEFLATE_SUCCESS)
        got = 0;
    libdeflate_free_decompressor(d);
    free(big);
    return got;
}

static size_t run_zstd(const unsigned char *in, size_t n)
{
    ZSTD_DStream *z = ZSTD_createDStream();
    ZSTD_inBuffer ib = {in, n, 0};
    size_t total = 0, rc;
    do {
        ZSTD_outBuffer ob = {out, OUT, 0};
        rc = ZSTD_decompressStream(z, &ob, &ib);
        if (ZSTD_isError(rc))
            return 0;
        total += ob.pos;
    } while (ib.pos < ib.size || rc != 0);
    ZSTD_freeDStream(z);
    return total;
}

static void bench(const char *name, size_t (*fn)(const unsigned char *, size_t),
                  const unsigned char *in, size_t n)
{
    double best = 1e9;
    size_t got = 0;
    for (int i = 0; i < 3; i++) {
        double t = now();
        got = fn(in, n);
        t = now() - t;
        if (t < best)
            best = t;
    }
    printf("%-22s %8.0f MB/s  (%zu bytes out, %.3f s)\n", name,
           (double)got / best / 1e6, got, best);
}

int main(int argc, char **argv)
{
    size_t n;
    if (argc < 2) {
        fprintf(stderr, "usage: decomp-bench FILE.gz [FILE.zst]\n");
        return 2;
    }
    unsigned char *gz = slurp(argv[1], &n);
    bench("isa-l igzip (stream)", run_isal, gz, n);
    bench("zlib (stream)", run_zlib, gz, n);
    bench("libdeflate (whole)", run_deflate, gz, n);
    free(gz);
    if (argc > 2) {
        unsigned char *zs = slurp(argv[2], &n);
        bench("zstd (stream)", run_zstd, zs, n);
        free(zs);
    }
    return 0;
}
