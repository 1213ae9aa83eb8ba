/* agg-wire.c - partial aggregates on the wire: serialise a worker's
 * batch, check and merge partials at the sink (agg-wire.h; the format is
 * documented in docs/WIRE.md, which this file must match).
 *
 *   header   "LGAW" u32 version u32 nsections u32 crc32(header[0..12))
 *   section  u32 kind u32 crc32(kind, length, payload) u64 length payload
 *
 * Sections, in order: one HEAD, a TABLE per table with news, one PAIRS.
 * Fixed-width fields are little-endian.  Inside a payload integers are
 * LEB128 varints (zigzag where signed):
 *
 *   HEAD   feed seq nfiles lines requests bytes ignored filtered bad_lines
 *          has_time [first_ts first_off last_ts last_off]
 *          LG_BAD_COUNT bad[]...
 *          nsamples (reason file offset line_base line text)...
 *          nstatus (code hits bytes)...
 *          nfiles (index lines requests bad err msg)...
 *   TABLE  table base ndefs key... ntouched COUNT...
 *   PAIRS  npairs PAIR...
 *
 * A table's COUNTs are in ascending id order, so the sink walks its id
 * map in order.  A COUNT is a tag byte, then three little-endian numbers
 * as short as they go: the gap from the id after the last one (1-4
 * bytes), hits (1-8) and bytes (1-8); the tag holds their lengths less
 * one in bits 0-1, 2-4 and 5-7.  Typically 5 or 6 bytes, and the sink
 * decodes one with three loads and no branch.  A PAIR is u32 path id,
 * u32 client id.
 *
 * Ids are the feed's dictionary ids: a table's defs are the keys of ids
 * base, base+1, ... (base = the ids the sink already has for this feed).
 */
#include "agg-wire.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agg-int.h"
#include "crc.h"
#include "mem.h"
#include "wire-prim.h"

#define WIRE_MAGIC "LGAW"
#define HDR_BYTES 16
#define SEC_BYTES 16
#define MAX_SECTIONS (LG_TAB_COUNT + 2)
#define COUNT_MIN 4  /* the smallest COUNT: a tag and three bytes */
#define COUNT_MAX 21 /* the largest: 1 + 4 + 8 + 8 */
#define LE_SLACK 8   /* a number is written and read 8 bytes at a time */
#define PAIR_BYTES 8 /* u32 path id, u32 client id */
#define MAX_FEEDS 65536

enum sec_kind {
    SEC_HEAD = 1,
    SEC_TABLE = 2,
    SEC_PAIRS = 3
};

const char *lg_wire_strerror(int rc)
{
    switch (rc) {
    case 0:
        return "ok";
    case -ENOMEM:
        return "out of memory";
    case LG_WIRE_ECORRUPT:
        return "corrupt or truncated partial aggregate";
    case LG_WIRE_EVERSION:
        return "partial aggregate of another format version";
    case LG_WIRE_EMISMATCH:
        return "partial aggregate does not fit this run";
    default:
        return "invalid partial aggregate";
    }
}

static uint32_t rd32le(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static uint64_t rd64le(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

/* The CRC of a section at s: over its kind, its length and payload. */
static uint32_t sec_crc(const unsigned char *s, uint64_t len)
{
    uint32_t c = lg_crc32(0, s, 4);
    return lg_crc32(c, s + 8, 8 + len);
}

/* ---- writing ------------------------------------------------------------- */

/* Writers assume room was reserved. */
static inline void put_var(lg_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        b->p[b->n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b->p[b->n++] = (unsigned char)v;
}

static inline uint64_t zig(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzig(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void put_u32(lg_buf *b, uint32_t v)
{
    memcpy(b->p + b->n, &v, 4);
    b->n += 4;
}

/* Bytes v needs as a little-endian number, at least 1. */
static inline unsigned le_len(uint64_t v)
{
    return v ? (unsigned)(71 - __builtin_clzll(v)) / 8 : 1;
}

/* Write v's len low bytes; 8 bytes must be writable. */
static inline void put_le(lg_buf *b, uint64_t v, unsigned len)
{
    uint64_t x = htole64(v);
    memcpy(b->p + b->n, &x, 8);
    b->n += len;
}

static inline void put_bytes(lg_buf *b, const void *p, size_t n)
{
    put_var(b, n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* Open a section of kind at out's end (SEC_BYTES reserved): its offset. */
static size_t sec_begin(lg_buf *out, uint32_t kind)
{
    size_t at = out->n;
    memset(out->p + at, 0, SEC_BYTES);
    wr32(out->p + at, kind);
    out->n += SEC_BYTES;
    return at;
}

/* Close the section at offset at: its length and checksum. */
static void sec_end(lg_buf *out, size_t at)
{
    uint64_t len = out->n - at - SEC_BYTES, le = htole64(len);
    memcpy(out->p + at + 8, &le, 8);
    wr32(out->p + at + 4, sec_crc(out->p + at, len));
}

/* The batch's scalars, bad-line counts and samples, statuses and files. */
static int put_head(const lg_agg *a, lg_buf *out)
{
    size_t nfiles = 0, nsamples = 0;
    for (size_t i = a->file_lo; i < a->file_hi; i++)
        nfiles += a->files[i].lines || a->files[i].err;
    for (int r = 0; r < LG_BAD_COUNT; r++)
        nsamples += a->nsamples[r];
    if (lg_buf_reserve(out, SEC_BYTES + 256 + 16 * LG_BAD_COUNT +
                                30 * a->nstatus_seen +
                                (40 + LG_ERR_TEXT) * nfiles +
                                (50 + LG_SAMPLE_TEXT) * nsamples) < 0)
        return -ENOMEM;
    size_t at = sec_begin(out, SEC_HEAD);
    put_var(out, a->feed);
    put_var(out, a->seq);
    put_var(out, a->nfiles);
    put_var(out, a->tot.lines);
    put_var(out, a->tot.requests);
    put_var(out, a->tot.bytes);
    put_var(out, a->tot.ignored);
    put_var(out, a->tot.filtered);
    put_var(out, a->tot.bad_lines);
    put_var(out, a->tot.first_ts != LG_NO_TIME);
    if (a->tot.first_ts != LG_NO_TIME) {
        put_var(out, zig(a->tot.first_ts));
        put_var(out, zig(a->tot.first_off));
        put_var(out, zig(a->tot.last_ts));
        put_var(out, zig(a->tot.last_off));
    }
    put_var(out, LG_BAD_COUNT);
    for (int r = 0; r < LG_BAD_COUNT; r++)
        put_var(out, a->tot.bad[r]);
    put_var(out, nsamples);
    for (int r = 0; r < LG_BAD_COUNT; r++)
        for (int k = 0; k < a->nsamples[r]; k++) {
            const lg_sample *s = &a->samples[r][k];
            put_var(out, (uint64_t)r);
            put_var(out, s->file);
            put_var(out, s->offset);
            put_var(out, s->line_base);
            put_var(out, s->line);
            put_bytes(out, s->text, s->text_len);
        }
    put_var(out, a->nstatus_seen);
    for (size_t k = 0; k < a->nstatus_seen; k++) {
        const lg_status_cnt *st = &a->status[a->status_seen[k]];
        put_var(out, a->status_seen[k]);
        put_var(out, st->hits);
        put_var(out, st->bytes);
    }
    put_var(out, nfiles);
    for (size_t i = a->file_lo; i < a->file_hi; i++) {
        const lg_file_stat *f = &a->files[i];
        if (!f->lines && !f->err)
            continue;
        put_var(out, i);
        put_var(out, f->lines);
        put_var(out, f->requests);
        put_var(out, f->bad);
        put_var(out, zig(f->err));
        put_bytes(out, f->errmsg, strlen(f->errmsg));
    }
    sec_end(out, at);
    return 0;
}

/* One table's new keys and the counts of the batch, which it zeroes. */
static int put_table(lg_tab *t, int id, lg_buf *out)
{
    enum {
        AHEAD = 8
    };
    size_t keys = 0;
    for (size_t i = t->sent; i < t->n; i++)
        keys += lg_tab_slot(t, (uint32_t)i)->klen;
    if (lg_buf_reserve(out, SEC_BYTES + 40 + keys + 10 * (t->n - t->sent) +
                                COUNT_MAX * t->ntouched + LE_SLACK) < 0)
        return -ENOMEM;
    size_t at = sec_begin(out, SEC_TABLE);
    put_var(out, (uint64_t)id);
    put_var(out, t->sent);
    put_var(out, t->n - t->sent);
    for (size_t i = t->sent; i < t->n; i++) {
        const lg_slot *s = lg_tab_slot(t, (uint32_t)i);
        put_bytes(out, s->key, s->klen);
    }
    size_t nt = t->ntouched ? lg_tab_take_touched(t) : 0;
    uint32_t next = 0;
    put_var(out, nt);
    for (size_t k = 0; k < nt; k++) {
        if (k + AHEAD < nt)
            __builtin_prefetch(lg_tab_slot(t, t->touched[k + AHEAD]), 1);
        lg_slot *s = lg_tab_slot(t, t->touched[k]);
        uint32_t gap = t->touched[k] - next;
        unsigned gl = le_len(gap), hl = le_len(s->hits), bl = le_len(s->bytes);
        out->p[out->n++] =
            (unsigned char)((gl - 1) | (hl - 1) << 2 | (bl - 1) << 5);
        put_le(out, gap, gl);
        put_le(out, s->hits, hl);
        put_le(out, s->bytes, bl);
        next = t->touched[k] + 1;
        s->hits = s->bytes = 0;
    }
    t->ntouched = 0;
    sec_end(out, at);
    return 0;
}

int lg_agg_serialize(lg_agg *a, lg_buf *out)
{
    size_t ntabs = 0, start = out->n, at;
    for (int i = 0; i < LG_TAB_COUNT; i++)
        ntabs += a->tab[i].n > a->tab[i].sent || a->tab[i].ntouched;
    if (lg_buf_reserve(out, HDR_BYTES) < 0)
        return -ENOMEM;
    memcpy(out->p + start, WIRE_MAGIC, 4);
    wr32(out->p + start + 4, LG_WIRE_VERSION);
    wr32(out->p + start + 8, (uint32_t)(ntabs + 2));
    wr32(out->p + start + 12, lg_crc32(0, out->p + start, 12));
    out->n += HDR_BYTES;
    if (put_head(a, out) < 0)
        return -ENOMEM;
    for (int id = 0; id < LG_TAB_COUNT; id++) {
        lg_tab *t = &a->tab[id];
        if ((t->n > t->sent || t->ntouched) && put_table(t, id, out) < 0)
            return -ENOMEM;
    }
    if (lg_buf_reserve(out, SEC_BYTES + 10 + PAIR_BYTES * a->nnew) < 0)
        return -ENOMEM;
    at = sec_begin(out, SEC_PAIRS);
    put_var(out, a->nnew);
    for (size_t k = 0; k < a->nnew; k++) {
        put_u32(out, (uint32_t)(a->newpairs[k] >> 32) - 1);
        put_u32(out, (uint32_t)a->newpairs[k] - 1);
    }
    sec_end(out, at);
    return 0;
}

/* ---- reading ------------------------------------------------------------- */

static const unsigned char *get_bytes(rd *r, size_t *n)
{
    uint64_t len = get_var(r);
    if (r->bad || len > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        *n = 0;
        return NULL;
    }
    const unsigned char *p = r->p;
    r->p += len;
    *n = (size_t)len;
    return p;
}

/* The len low bytes of the little-endian number at p. */
static inline uint64_t le_at(const unsigned char *p, unsigned len, int fast)
{
    uint64_t v = 0;
    if (fast) { /* 8 bytes are readable at p */
        memcpy(&v, p, 8);
        v = le64toh(v);
        return len == 8 ? v : v & (((uint64_t)1 << (8 * len)) - 1);
    }
    for (unsigned i = len; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* A COUNT: gap, hits and bytes. */
static inline void get_count(rd *r, uint64_t *gap, uint64_t *hits,
                             uint64_t *bytes)
{
    if (r->p >= r->end) {
        r->bad = 1;
        return;
    }
    unsigned tag = *r->p, gl = (tag & 3) + 1, hl = (tag >> 2 & 7) + 1,
             bl = (tag >> 5) + 1;
    const unsigned char *p = r->p + 1;
    int fast = r->end - p >= 4 + 8 + 8 + LE_SLACK;
    if (!fast && (size_t)(r->end - p) < gl + hl + bl) {
        r->bad = 1;
        return;
    }
    *gap = le_at(p, gl, fast);
    *hits = le_at(p + gl, hl, fast);
    *bytes = le_at(p + gl + hl, bl, fast);
    r->p = p + gl + hl + bl;
}

/* The sink's state for feed f (made on first use); NULL when out of
 * memory. */
static lg_feed *feed_get(lg_agg *dst, size_t f)
{
    if (f >= dst->nfeeds) {
        size_t n = f + 1 > 2 * dst->nfeeds ? f + 1 : 2 * dst->nfeeds;
        lg_feed **nf = realloc(dst->feeds, n * sizeof *nf);
        if (!nf)
            return NULL;
        memset(nf + dst->nfeeds, 0, (n - dst->nfeeds) * sizeof *nf);
        dst->feeds = nf;
        dst->nfeeds = n;
    }
    if (!dst->feeds[f])
        dst->feeds[f] = calloc(1, sizeof **dst->feeds);
    return dst->feeds[f];
}

static int map_push(lg_feed *fd, int id, uint32_t v)
{
    if (fd->n[id] == fd->cap[id]) {
        size_t cap = fd->cap[id] ? fd->cap[id] * 2 : 256;
        uint32_t *nm = lg_mem_grow(fd->map[id], fd->cap[id] * sizeof *nm,
                                   cap * sizeof *nm);
        if (!nm)
            return -ENOMEM;
        fd->map[id] = nm;
        fd->cap[id] = cap;
    }
    fd->map[id][fd->n[id]++] = v;
    return 0;
}

/* Scalars, bad lines, samples, statuses and files of a partial. */
static int merge_head(lg_agg *dst, rd *r)
{
    dst->tot.lines += get_var(r);
    dst->tot.requests += get_var(r);
    lg_bytes_add(&dst->tot.bytes, get_var(r));
    dst->tot.ignored += get_var(r);
    dst->tot.filtered += get_var(r);
    dst->tot.bad_lines += get_var(r);
    if (get_var(r)) {
        int64_t fts = unzig(get_var(r));
        int32_t foff = (int32_t)unzig(get_var(r));
        int64_t lts = unzig(get_var(r));
        int32_t loff = (int32_t)unzig(get_var(r));
        if (dst->tot.first_ts == LG_NO_TIME || fts < dst->tot.first_ts ||
            (fts == dst->tot.first_ts && foff < dst->tot.first_off)) {
            dst->tot.first_ts = fts;
            dst->tot.first_off = foff;
        }
        if (dst->tot.last_ts == LG_NO_TIME || lts > dst->tot.last_ts ||
            (lts == dst->tot.last_ts && loff > dst->tot.last_off)) {
            dst->tot.last_ts = lts;
            dst->tot.last_off = loff;
        }
    }
    if (get_var(r) != LG_BAD_COUNT)
        return LG_WIRE_ECORRUPT;
    for (int i = 0; i < LG_BAD_COUNT; i++)
        dst->tot.bad[i] += get_var(r);
    uint64_t ns = get_var(r);
    for (uint64_t k = 0; k < ns && !r->bad; k++) {
        lg_sample s;
        size_t tl;
        uint64_t reason = get_var(r);
        s.file = (uint32_t)get_var(r);
        s.offset = get_var(r);
        s.line_base = get_var(r);
        s.line = get_var(r);
        const unsigned char *t = get_bytes(r, &tl);
        if (r->bad || reason == 0 || reason >= LG_BAD_COUNT ||
            tl > LG_SAMPLE_TEXT || s.file >= dst->nfiles)
            return LG_WIRE_ECORRUPT;
        memcpy(s.text, t, tl);
        s.text_len = (uint32_t)tl;
        lg__agg_keep_sample(dst, (int)reason, &s);
    }
    uint64_t nst = get_var(r);
    for (uint64_t k = 0; k < nst && !r->bad; k++) {
        uint64_t code = get_var(r);
        if (code == 0 || code >= LG_STATUS_MAX)
            return LG_WIRE_ECORRUPT;
        dst->status[code].hits += get_var(r);
        lg_bytes_add(&dst->status[code].bytes, get_var(r));
    }
    uint64_t nf = get_var(r);
    for (uint64_t k = 0; k < nf && !r->bad; k++) {
        uint64_t i = get_var(r);
        size_t ml;
        if (i >= dst->nfiles)
            return LG_WIRE_ECORRUPT;
        lg_file_stat *f = &dst->files[i];
        f->lines += get_var(r);
        f->requests += get_var(r);
        f->bad += get_var(r);
        int err = (int)unzig(get_var(r));
        const unsigned char *m = get_bytes(r, &ml);
        if (r->bad)
            return LG_WIRE_ECORRUPT;
        if (err && !f->err) {
            f->err = err;
            if (ml >= LG_ERR_TEXT)
                ml = LG_ERR_TEXT - 1;
            memcpy(f->errmsg, m, ml);
            f->errmsg[ml] = 0;
        }
    }
    return r->bad || r->p != r->end ? LG_WIRE_ECORRUPT : 0;
}

/* One table of a partial: define the new keys, add the counts. */
static int merge_table(lg_agg *dst, lg_feed *fd, rd *r)
{
    uint64_t id = get_var(r), base = get_var(r), ndefs = get_var(r);
    if (r->bad || id >= LG_TAB_COUNT || ndefs > (uint64_t)(r->end - r->p))
        return LG_WIRE_ECORRUPT;
    if (base != fd->n[id])
        return LG_WIRE_EMISMATCH;
    lg_tab *t = &dst->tab[id];
    enum {
        KEYS = 64
    };
    for (uint64_t i = 0; i < ndefs; i += KEYS) {
        const void *key[KEYS];
        size_t kl[KEYS], m = ndefs - i < KEYS ? (size_t)(ndefs - i) : KEYS;
        uint32_t ix[KEYS];
        for (size_t j = 0; j < m; j++)
            key[j] = get_bytes(r, &kl[j]);
        if (r->bad)
            return LG_WIRE_ECORRUPT;
        if (lg_tab_upsert_many(t, key, kl, m, ix) < 0)
            return -ENOMEM;
        for (size_t j = 0; j < m; j++)
            if (map_push(fd, (int)id, ix[j]) < 0)
                return -ENOMEM;
    }
    uint64_t nt = get_var(r);
    if (r->bad || nt > (uint64_t)(r->end - r->p) / COUNT_MIN)
        return LG_WIRE_ECORRUPT;
    if (lg_tab_cnt_reserve(t) < 0)
        return -ENOMEM;
    /* Merged counts go to the dense 16-byte counters (not the 64-byte
     * slots): 60,000 clients' fit in the L2 cache.  Decode a run, then add
     * with the counters prefetched. */
    enum {
        RUN = 64
    };
    const uint32_t *map = fd->map[id];
    uint64_t next = 0, known = fd->n[id];
    for (uint64_t k = 0; k < nt; k += RUN) {
        int m = nt - k < RUN ? (int)(nt - k) : RUN;
        uint32_t sid[RUN];
        uint64_t hits[RUN], bytes[RUN];
        for (int j = 0; j < m; j++) {
            uint64_t gap = 0;
            get_count(r, &gap, &hits[j], &bytes[j]);
            if (r->bad)
                return LG_WIRE_ECORRUPT;
            if (gap >= known || next + gap >= known)
                return LG_WIRE_EMISMATCH;
            uint64_t lid = next + gap;
            next = lid + 1;
            sid[j] = map[lid];
            __builtin_prefetch(&t->cnt[sid[j]], 1);
        }
        for (int j = 0; j < m; j++) {
            t->cnt[sid[j]].hits += hits[j];
            lg_bytes_add(&t->cnt[sid[j]].bytes, bytes[j]);
        }
    }
    return r->p == r->end ? 0 : LG_WIRE_ECORRUPT;
}

/* Decode n pairs of a partial into v, in the sink's ids. */
static int decode_pairs(const lg_feed *fd, rd *r, uint64_t *v, size_t n)
{
    const uint32_t *mp = fd->map[LG_TAB_PATHS], *mc = fd->map[LG_TAB_CLIENTS];
    uint32_t npaths = (uint32_t)fd->n[LG_TAB_PATHS],
             nclients = (uint32_t)fd->n[LG_TAB_CLIENTS];
    for (size_t j = 0; j < n; j++, r->p += PAIR_BYTES) {
        uint32_t pi, ci;
        memcpy(&pi, r->p, 4);
        memcpy(&ci, r->p + 4, 4);
        if (pi >= npaths || ci >= nclients)
            return LG_WIRE_EMISMATCH;
        v[j] = ((uint64_t)mp[pi] + 1) << 32 | ((uint64_t)mc[ci] + 1);
    }
    return 0;
}

/* The new pairs of a partial: on the sink's list when it has one and
 * there is room (agg.h), else into its set a run at a time. */
static int merge_pairs(lg_agg *dst, lg_feed *fd, rd *r)
{
    enum {
        RUN = 512
    };
    uint64_t np = get_var(r);
    if (r->bad || np != (uint64_t)(r->end - r->p) / PAIR_BYTES ||
        (size_t)(r->end - r->p) % PAIR_BYTES)
        return LG_WIRE_ECORRUPT;
    if (dst->clients_top && dst->npend + np > dst->pend_max &&
        lg__agg_unite_pending(dst) < 0)
        return -ENOMEM;
    if (dst->clients_top && np <= dst->pend_max) {
        if (lg__agg_pend_reserve(dst, np) < 0)
            return -ENOMEM;
        if (decode_pairs(fd, r, dst->pend + dst->npend, np) < 0)
            return LG_WIRE_EMISMATCH;
        dst->npend += np;
        return 0;
    }
    uint64_t v[RUN];
    for (uint64_t k = 0; k < np; k += RUN) {
        size_t m = np - k < RUN ? (size_t)(np - k) : RUN;
        if (decode_pairs(fd, r, v, m) < 0)
            return LG_WIRE_EMISMATCH;
        if (lg_set_unite(&dst->pairs, v, m) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* A checked section: its kind and payload. */
typedef struct sec {
    uint32_t kind;
    const unsigned char *p;
    size_t n;
} sec;

/* Check the framing of blob[0..len): header, its checksum, and every
 * section's bounds, checksum and place in the order HEAD TABLE* PAIRS;
 * the sections to v.  Returns their count or an LG_WIRE_E* code. */
static int check_frame(const unsigned char *b, size_t len, sec *v)
{
    if (len < HDR_BYTES || memcmp(b, WIRE_MAGIC, 4) != 0 ||
        rd32le(b + 12) != lg_crc32(0, b, 12))
        return LG_WIRE_ECORRUPT;
    if (rd32le(b + 4) != LG_WIRE_VERSION)
        return LG_WIRE_EVERSION;
    uint32_t ns = rd32le(b + 8);
    if (ns < 2 || ns > MAX_SECTIONS)
        return LG_WIRE_ECORRUPT;
    size_t at = HDR_BYTES;
    for (uint32_t i = 0; i < ns; i++) {
        if (len - at < SEC_BYTES)
            return LG_WIRE_ECORRUPT;
        const unsigned char *s = b + at;
        uint64_t n = rd64le(s + 8);
        uint32_t kind = rd32le(s);
        uint32_t want = i == 0 ? SEC_HEAD : i + 1 == ns ? SEC_PAIRS : SEC_TABLE;
        if (kind != want || n > len - at - SEC_BYTES ||
            rd32le(s + 4) != sec_crc(s, n))
            return LG_WIRE_ECORRUPT;
        v[i] = (sec){kind, s + SEC_BYTES, (size_t)n};
        at += SEC_BYTES + (size_t)n;
    }
    return at == len ? (int)ns : LG_WIRE_ECORRUPT;
}

int lg_agg_merge(lg_agg *dst, const void *blob, size_t len)
{
    sec v[MAX_SECTIONS];
    int ns = check_frame(blob, len, v), rc;
    if (ns < 0)
        return ns;
    rd r = {v[0].p, v[0].p + v[0].n, 0};
    uint64_t feed = get_var(&r), seq = get_var(&r), nfiles = get_var(&r);
    if (r.bad || feed >= MAX_FEEDS)
        return LG_WIRE_ECORRUPT;
    if (nfiles != dst->nfiles)
        return LG_WIRE_EMISMATCH;
    lg_feed *fd = feed_get(dst, (size_t)feed);
    if (!fd)
        return -ENOMEM;
    if (seq == 0) { /* a new dictionary */
        for (int i = 0; i < LG_TAB_COUNT; i++)
            fd->n[i] = 0;
        fd->next_seq = 0;
    }
    if (seq != fd->next_seq)
        return LG_WIRE_EMISMATCH; /* a partial of this feed is missing */
    if ((rc = merge_head(dst, &r)) < 0)
        return rc;
    for (int k = 1; k + 1 < ns; k++) {
        rd t = {v[k].p, v[k].p + v[k].n, 0};
        if ((rc = merge_table(dst, fd, &t)) < 0)
            return rc;
    }
    rd pr = {v[ns - 1].p, v[ns - 1].p + v[ns - 1].n, 0};
    if ((rc = merge_pairs(dst, fd, &pr)) < 0)
        return rc;
    fd->next_seq = seq + 1;
    return 0;
}
