/* fuzz-wire.c - libFuzzer target for the partial-aggregate decoder
 * (lg_agg_merge, agg-wire.h; the format is docs/WIRE.md).  It will read
 * state files, so it must refuse any bytes cleanly.
 *
 * The first input byte picks a mode; the rest is the blob, copied to an
 * exactly sized heap buffer so a read past its end trips AddressSanitizer.
 * With bit 0 set, the header's and sections' CRC-32s are recomputed
 * before the merge, so the fuzzer reaches the section decoders instead of
 * stopping at the checksums.  Bits 1-2 pick the sink's clients_top, and
 * bit 3 merges the blob twice (the second one must be refused or add).
 * A blob that is accepted is then finalised and ranked, and every kept
 * sample must name an input that exists.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../logs/agg-wire.h"
#include "../../logs/agg.h"
#include "../../logs/rank.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFILES 3

static void wr32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

/* Recompute the header's and the sections' checksums in place. */
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

static void check(lg_agg *d)
{
    size_t nf, k;
    if (lg_agg_finalize(d) < 0)
        return;
    for (int id = 0; id < LG_TAB_COUNT; id++)
        free(lg_agg_ranked(d, id, 5, &k));
    lg_agg_files(d, &nf);
    for (int r = 1; r < LG_BAD_COUNT; r++) {
        int ns;
        const lg_sample *s = lg_agg_samples(d, r, &ns);
        for (int i = 0; i < ns; i++)
            if (s[i].file >= nf || s[i].text_len > LG_SAMPLE_TEXT)
                abort();
    }
    const lg_status_cnt *st = lg_agg_status(d);
    if (st[0].hits)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t tops[4] = {0, 1, 3, 10};
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    size_t n = size - 1;
    unsigned char *blob = malloc(n ? n : 1);
    if (!blob)
        return 0;
    memcpy(blob, data + 1, n);
    if (mode & 1)
        fix_crcs(blob, n);
    lg_agg *d = lg_agg_new_sink(NFILES, (1u << LG_TAB_COUNT) - 1, 1,
                                tops[(mode >> 1) & 3]);
    if (d) {
        int rc = lg_agg_merge(d, blob, n);
        if (rc == 0 && (mode & 8))
            rc = lg_agg_merge(d, blob, n);
        if (rc > 0)
            abort();
        check(d);
        lg_agg_free(d);
    }
    free(blob);
    return 0;
}
