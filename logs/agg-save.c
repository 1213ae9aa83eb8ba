/* agg-save.c - a whole sink aggregate as one self-contained partial, and
 * loading such a partial into a fresh aggregate (agg-save.h).
 *
 * The partial is an ordinary wire blob (docs/WIRE.md): feed 0, number 0
 * (a new dictionary), every key of every table defined in the sink's id
 * order, every id's count, and every (path, client) pair.  So any reader
 * of partials reads it, and merging it is merging a partial.
 */
#include "agg-save.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agg-int.h"
#include "agg-wire.h"
#include "crc.h"
#include "wire-prim.h"

#define HDR_BYTES 16
#define SEC_BYTES 16

static void put_var(lg_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        b->p[b->n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b->p[b->n++] = (unsigned char)v;
}

static uint64_t zig(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void put_bytes(lg_buf *b, const void *p, size_t n)
{
    put_var(b, n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static unsigned le_len(uint64_t v)
{
    return v ? (unsigned)(71 - __builtin_clzll(v)) / 8 : 1;
}

static void put_le(lg_buf *b, uint64_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        b->p[b->n++] = (unsigned char)(v >> (8 * i));
}

static size_t sec_begin(lg_buf *out, uint32_t kind)
{
    size_t at = out->n;
    memset(out->p + at, 0, SEC_BYTES);
    wr32(out->p + at, kind);
    out->n += SEC_BYTES;
    return at;
}

static void sec_end(lg_buf *out, size_t at)
{
    uint64_t len = out->n - at - SEC_BYTES, le = htole64(len);
    memcpy(out->p + at + 8, &le, 8);
    uint32_t c = lg_crc32(0, out->p + at, 4);
    wr32(out->p + at + 4, lg_crc32(c, out->p + at + 8, 8 + len));
}

/* Totals, bad lines, samples, statuses and the files, remapped. */
static int save_head(const lg_agg *a, const uint32_t *fmap, size_t nout,
                     lg_buf *out)
{
    size_t nst = 0, ns = 0, nf = 0;
    for (int c = 1; c < LG_STATUS_MAX; c++)
        nst += a->status[c].hits || a->status[c].bytes;
    for (int r = 0; r < LG_BAD_COUNT; r++)
        ns += a->nsamples[r];
    for (size_t i = 0; i < a->nfiles; i++)
        nf += a->files[i].lines || a->files[i].err || a->files[i].requests;
    if (lg_buf_reserve(out, SEC_BYTES + 256 + 16 * LG_BAD_COUNT + 30 * nst +
                                (60 + LG_ERR_TEXT) * nf +
                                (60 + LG_SAMPLE_TEXT) * ns) < 0)
        return -ENOMEM;
    size_t at = sec_begin(out, 1);
    const lg_totals *t = &a->tot;
    put_var(out, 0);
    put_var(out, 0);
    put_var(out, nout);
    put_var(out, t->lines);
    put_var(out, t->requests);
    put_var(out, t->bytes);
    put_var(out, t->ignored);
    put_var(out, t->filtered);
    put_var(out, t->bad_lines);
    put_var(out, t->first_ts != LG_NO_TIME);
    if (t->first_ts != LG_NO_TIME) {
        put_var(out, zig(t->first_ts));
        put_var(out, zig(t->first_off));
        put_var(out, zig(t->last_ts));
        put_var(out, zig(t->last_off));
    }
    put_var(out, LG_BAD_COUNT);
    for (int r = 0; r < LG_BAD_COUNT; r++)
        put_var(out, t->bad[r]);
    put_var(out, ns);
    for (int r = 0; r < LG_BAD_COUNT; r++)
        for (int k = 0; k < a->nsamples[r]; k++) {
            const lg_sample *s = &a->samples[r][k];
            put_var(out, (uint64_t)r);
            put_var(out, fmap ? fmap[s->file] : s->file);
            put_var(out, s->offset);
            put_var(out, s->line_base);
            put_var(out, s->line);
            put_bytes(out, s->text, s->text_len);
        }
    put_var(out, nst);
    for (int c = 1; c < LG_STATUS_MAX; c++)
        if (a->status[c].hits || a->status[c].bytes) {
            put_var(out, (uint64_t)c);
            put_var(out, a->status[c].hits);
            put_var(out, a->status[c].bytes);
        }
    put_var(out, nf);
    for (size_t i = 0; i < a->nfiles; i++) {
        const lg_file_stat *f = &a->files[i];
        if (!f->lines && !f->err && !f->requests)
            continue;
        put_var(out, fmap ? fmap[i] : i);
        put_var(out, f->lines);
        put_var(out, f->requests);
        put_var(out, f->bad);
        put_var(out, zig(f->err));
        put_bytes(out, f->errmsg, strnlen(f->errmsg, LG_ERR_TEXT - 1));
    }
    sec_end(out, at);
    return 0;
}

/* Every key of a sink's table, in id order, and every id's count. */
static int save_table(const lg_tab *t, int id, lg_buf *out)
{
    size_t keys = 0;
    for (size_t i = 0; i < t->n; i++)
        keys += t->ents[i].klen;
    if (lg_buf_reserve(out, SEC_BYTES + 40 + keys + 10 * t->n + 21 * t->n) < 0)
        return -ENOMEM;
    size_t at = sec_begin(out, 2);
    put_var(out, (uint64_t)id);
    put_var(out, 0);
    put_var(out, t->n);
    for (size_t i = 0; i < t->n; i++)
        put_bytes(out, t->ents[i].key, t->ents[i].klen);
    put_var(out, t->n);
    for (size_t i = 0; i < t->n; i++) {
        uint64_t h = t->ents[i].hits, b = t->ents[i].bytes;
        if (i < t->cnt_n) {
            h += t->cnt[i].hits;
            lg_bytes_add(&b, t->cnt[i].bytes);
        }
        unsigned hl = le_len(h), bl = le_len(b);
        out->p[out->n++] = (unsigned char)((hl - 1) << 2 | (bl - 1) << 5);
        put_le(out, 0, 1); /* gap: ids follow each other */
        put_le(out, h, hl);
        put_le(out, b, bl);
    }
    sec_end(out, at);
    return 0;
}

int lg_agg_save(lg_agg *a, const uint32_t *fmap, size_t nout, lg_buf *out)
{
    if (!a->sink)
        return -EINVAL;
    /* only the inputs that counted something need a place in the output */
    for (size_t i = 0; fmap && i < a->nfiles; i++)
        if (fmap[i] >= nout &&
            (a->files[i].lines || a->files[i].err || a->files[i].requests))
            return -EINVAL;
    for (int r = 0; fmap && r < LG_BAD_COUNT; r++)
        for (int k = 0; k < a->nsamples[r]; k++)
            if (fmap[a->samples[r][k].file] >= nout)
                return -EINVAL;
    if (!fmap && a->nfiles != nout)
        return -EINVAL;
    if (a->npend && lg__agg_unite_pending(a) < 0)
        return -ENOMEM;
    size_t ntabs = 0, start = out->n;
    for (int i = 0; i < LG_TAB_COUNT; i++)
        ntabs += a->tab[i].n > 0;
    if (lg_buf_reserve(out, HDR_BYTES) < 0)
        return -ENOMEM;
    memcpy(out->p + start, "LGAW", 4);
    wr32(out->p + start + 4, LG_WIRE_VERSION);
    wr32(out->p + start + 8, (uint32_t)(ntabs + 2));
    wr32(out->p + start + 12, lg_crc32(0, out->p + start, 12));
    out->n += HDR_BYTES;
    if (save_head(a, fmap, nout, out) < 0)
        return -ENOMEM;
    for (int id = 0; id < LG_TAB_COUNT; id++)
        if (a->tab[id].n > 0 && save_table(&a->tab[id], id, out) < 0)
            return -ENOMEM;
    size_t np = a->pairs.slots ? a->pairs.n : 0;
    if (lg_buf_reserve(out, SEC_BYTES + 10 + 8 * np) < 0)
        return -ENOMEM;
    size_t at = sec_begin(out, 3);
    put_var(out, np);
    for (size_t i = 0; np && i <= a->pairs.mask; i++) {
        uint64_t v = a->pairs.slots[i];
        if (!v)
            continue;
        uint32_t p = (uint32_t)(v >> 32) - 1, c = (uint32_t)v - 1;
        memcpy(out->p + out->n, &p, 4);
        memcpy(out->p + out->n + 4, &c, 4);
        out->n += 8;
    }
    sec_end(out, at);
    return 0;
}

/* blob[0..len) with its HEAD section saying nfiles inputs instead of
 * nblob, to o (empty; caller frees).  0, -ENOMEM, LG_WIRE_ECORRUPT
 * (no HEAD section whose checksum holds) or LG_WIRE_EMISMATCH (the blob
 * is not of nblob inputs).  The other sections are copied as they are:
 * lg_agg_merge checks them. */
static int widen(const unsigned char *b, size_t len, size_t nblob,
                 size_t nfiles, lg_buf *o)
{
    uint64_t hl;
    if (len < HDR_BYTES + SEC_BYTES)
        return LG_WIRE_ECORRUPT;
    const unsigned char *s = b + HDR_BYTES;
    memcpy(&hl, s + 8, 8);
    hl = le64toh(hl);
    uint32_t crc;
    memcpy(&crc, s + 4, 4);
    if (hl > len - HDR_BYTES - SEC_BYTES ||
        le32toh(crc) != lg_crc32(lg_crc32(0, s, 4), s + 8, 8 + hl))
        return LG_WIRE_ECORRUPT;
    rd r = {s + SEC_BYTES, s + SEC_BYTES + hl, 0};
    uint64_t feed = get_var(&r), seq = get_var(&r), nf = get_var(&r);
    if (r.bad)
        return LG_WIRE_ECORRUPT;
    if (nf != nblob)
        return LG_WIRE_EMISMATCH;
    if (lg_buf_reserve(o, len + 32) < 0)
        return -ENOMEM;
    memcpy(o->p, b, HDR_BYTES);
    o->n = HDR_BYTES;
    size_t at = sec_begin(o, 1);
    put_var(o, feed);
    put_var(o, seq);
    put_var(o, nfiles);
    size_t rest = (size_t)(r.end - r.p);
    memcpy(o->p + o->n, r.p, rest);
    o->n += rest;
    sec_end(o, at);
    size_t tail = len - HDR_BYTES - SEC_BYTES - (size_t)hl;
    memcpy(o->p + o->n, r.end, tail);
    o->n += tail;
    return 0;
}

int lg_agg_load(const void *blob, size_t len, size_t nblob, size_t nfiles,
                unsigned tabs_on, size_t clients_top, lg_agg **out)
{
    *out = NULL;
    lg_buf wide = {0};
    if (nfiles < nblob)
        return -EINVAL;
    if (nfiles > nblob) {
        int rc = widen(blob, len, nblob, nfiles, &wide);
        if (rc < 0) {
            lg_buf_free(&wide);
            return rc;
        }
        blob = wide.p;
        len = wide.n;
    }
    lg_agg *a = lg_agg_new_sink(nfiles, tabs_on, 1, clients_top);
    int rc = a ? lg_agg_merge(a, blob, len) : -ENOMEM;
    lg_buf_free(&wide);
    if (rc < 0) {
        lg_agg_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

int lg_agg_absorb(lg_agg *dst, lg_agg *src, const uint32_t *fmap)
{
    lg_buf b = {0};
    int rc = lg_agg_save(src, fmap, dst->nfiles, &b);
    if (rc == 0)
        rc = lg_agg_merge(dst, b.p, b.n);
    lg_buf_free(&b);
    return rc;
}
