/* fuzz-state.c - libFuzzer target for the state file loader
 * (lg_state_decode, state.h; the format is docs/STATE.md).  A state file
 * is untrusted input: any bytes must be refused with an error or loaded
 * whole, never crash or leave a half-loaded state.
 *
 * The first input byte picks a mode; the rest is the file, copied to an
 * exactly sized heap buffer so a read past its end trips AddressSanitizer.
 * With bit 0 set, the state's header and section CRC-32s, and those of
 * the wire partial inside its AGG section, are recomputed first, so the
 * fuzzer reaches the decoders behind the checksums.  A state that loads
 * is encoded again and must load again with the same inputs.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../logs/agg.h"
#include "../../logs/rank.h"
#include "../../logs/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void wr32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

/* Recompute the checksums of a framed blob (16-byte header, sections of
 * a 16-byte head): the header's, and each section's; the payload of
 * section `inner` (1-based, 0 for none) is a framed blob too, fixed
 * first. */
static void fix_crcs(unsigned char *p, size_t n, int inner)
{
    if (n < 16)
        return;
    wr32(p + 12, (uint32_t)crc32(0, p, 12));
    int k = 0;
    for (size_t at = 16; n - at >= 16;) {
        uint64_t len;
        memcpy(&len, p + at + 8, 8);
        len = le64toh(len);
        if (len > n - at - 16)
            return;
        if (++k == inner)
            fix_crcs(p + at + 16, (size_t)len, 0);
        uint32_t c = (uint32_t)crc32(0, p + at, 4);
        c = (uint32_t)crc32(c, p + at + 8, (uInt)(8 + len));
        wr32(p + at + 4, c);
        at += 16 + (size_t)len;
    }
}

static void check(lg_state *s)
{
    size_t nf, k;
    lg_agg_files(s->agg, &nf);
    if (nf != s->n)
        abort();
    lg_buf b = {0};
    if (lg_state_encode(s, &b) == 0) {
        lg_state t;
        char err[256];
        if (lg_state_decode(&t, b.p, b.n, 0, err, sizeof err) != 0 ||
            t.n != s->n)
            abort();
        for (size_t i = 0; i < t.n; i++)
            if (t.in[i].offset != s->in[i].offset ||
                strcmp(t.in[i].name, s->in[i].name) != 0)
                abort();
        lg_state_free(&t);
    }
    lg_buf_free(&b);
    if (lg_agg_finalize(s->agg) < 0)
        return;
    for (int id = 0; id < LG_TAB_COUNT; id++)
        free(lg_agg_ranked(s->agg, id, 5, &k));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    size_t n = size - 1;
    unsigned char *blob = malloc(n ? n : 1);
    if (!blob)
        return 0;
    memcpy(blob, data + 1, n);
    if (mode & 1)
        fix_crcs(blob, n, 3);
    lg_state s;
    char err[256] = "";
    int rc = lg_state_decode(&s, blob, n, (mode >> 1) & 7, err, sizeof err);
    if (rc > 0 || (rc < 0 && (!err[0] || s.agg || s.n)))
        abort();
    if (rc == 0) {
        check(&s);
        lg_state_free(&s);
    }
    free(blob);
    return 0;
}
