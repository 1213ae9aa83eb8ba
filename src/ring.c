/*
 * ring.c - framing over the SPSC ring; see ring.h for the wire format.
 */
#include "ring.h"

#include <string.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/*
 * The data area is shared memory that each process maps in as it first
 * touches it: one page fault per 4 KiB page, in every process, a large
 * share of a consumer's time on virtual machines where a fault costs
 * 10 us or more.  So each side maps the area in itself, one window (a
 * sixteenth) at a time, just before its first use there: one madvise
 * instead of up to 64 faults.  A kernel without MADV_POPULATE_* (before
 * 5.14) refuses it, and the pages fault in as before.
 */
#define WINDOWS 16
#define ALL_MAPPED ((1u << WINDOWS) - 1)

/* Windows to map in for a data area of size bytes: none when a window
 * would be smaller than a page. */
static uint32_t unmapped(uint64_t size)
{
    return size >= WINDOWS * 4096u ? 0 : ALL_MAPPED;
}

static void map_in(unsigned char *data, uint64_t mask, uint32_t *mapped,
                   uint64_t at, uint64_t len, int advice)
{
    uint64_t win = (mask + 1) / WINDOWS;
    uint64_t first = at / win, last = (at + len - 1) / win;
    for (uint64_t k = first; k <= last && k < WINDOWS; k++)
        if (!(*mapped & (1u << k))) {
            *mapped |= 1u << k;
            (void)madvise(data + k * win, (size_t)win, advice);
        }
}

void pf__ring_init(struct pf__ring *r, uint64_t size, uint64_t data_off)
{
    memset(r, 0, sizeof *r);
    atomic_init(&r->head, 0);
    atomic_init(&r->done, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->closed, 0);
    r->magic = PF__RING_MAGIC;
    r->size = size;
    r->data_off = data_off;
}

void pf__rw_attach(pf__rw *w, struct pf__ring *r, unsigned char *base)
{
    w->r = r;
    w->data = base + r->data_off;
    w->mask = r->size - 1;
    w->wpos = w->pub = atomic_load_explicit(&r->head, memory_order_relaxed);
    w->tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    w->mapped = unmapped(r->size);
}

void pf__rr_attach(pf__rr *rd, struct pf__ring *r, unsigned char *base)
{
    rd->r = r;
    rd->data = base + r->data_off;
    rd->mask = r->size - 1;
    rd->rpos = rd->commit =
        atomic_load_explicit(&r->tail, memory_order_relaxed);
    rd->head = atomic_load_explicit(&r->head, memory_order_acquire);
    rd->mapped = unmapped(r->size);
}

/* Bytes needed at wpos for a frame of len: the frame, plus the PAD that
 * fills the data area's end when the frame would not fit before it. */
static inline uint64_t need_bytes(const pf__rw *w, size_t len)
{
    uint64_t total = pf__frame_size(len);
    uint64_t contig = w->mask + 1 - (w->wpos & w->mask);
    return total > contig ? contig + total : total;
}

int pf__rw_fits(pf__rw *w, size_t len)
{
    uint64_t need = need_bytes(w, len);
    uint64_t size = w->mask + 1;
    if (w->wpos + need - w->tail <= size)
        return 1;
    w->tail = atomic_load_explicit(&w->r->tail, memory_order_acquire);
    return w->wpos + need - w->tail <= size;
}

static inline void put_hdr(unsigned char *p, uint32_t len, uint32_t flags)
{
    memcpy(p, &len, 4);
    memcpy(p + 4, &flags, 4);
}

void *pf__rw_reserve(pf__rw *w, size_t len, uint32_t flags)
{
    if (!pf__rw_fits(w, len))
        return NULL;
    uint64_t total = pf__frame_size(len);
    uint64_t at = w->wpos & w->mask;
    uint64_t contig = w->mask + 1 - at;
    if (total > contig) {
        put_hdr(w->data + at, (uint32_t)(contig - PF__FRAME_HDR), PF__F_PAD);
        w->wpos += contig;
        at = 0;
    }
    if (w->mapped != ALL_MAPPED)
        map_in(w->data, w->mask, &w->mapped, at, total, MADV_POPULATE_WRITE);
    put_hdr(w->data + at, (uint32_t)len, flags);
    w->wpos += total;
    return w->data + at + PF__FRAME_HDR;
}

void pf__rw_close(pf__rw *w)
{
    pf__rw_done(w);
    pf__rw_publish(w);
    atomic_store_explicit(&w->r->closed, 1, memory_order_release);
}

int pf__rr_peek(pf__rr *rd, pf__frame *f)
{
    for (;;) {
        if (!pf__rr_ready(rd))
            return 0;
        uint64_t at = rd->rpos & rd->mask;
        const unsigned char *p = rd->data + at;
        uint32_t len, flags;
        if (rd->mapped != ALL_MAPPED)
            map_in(rd->data, rd->mask, &rd->mapped, at, PF__FRAME_HDR,
                   MADV_POPULATE_READ);
        memcpy(&len, p, 4);
        memcpy(&flags, p + 4, 4);
        if (rd->mapped != ALL_MAPPED)
            map_in(rd->data, rd->mask, &rd->mapped, at, pf__frame_size(len),
                   MADV_POPULATE_READ);
        if (flags & PF__F_PAD) {
            rd->rpos += PF__FRAME_HDR + len;
            continue;
        }
        f->data = p + PF__FRAME_HDR;
        f->len = len;
        f->flags = flags;
        return 1;
    }
}

void pf__ring_roll_forward(struct pf__ring *r, uint64_t head, uint64_t tail)
{
    if (head != 0 && atomic_load(&r->head) < head)
        atomic_store(&r->head, head);
    if (tail != 0 && atomic_load(&r->tail) < tail)
        atomic_store(&r->tail, tail);
}

void pf__ring_frame_at(const struct pf__ring *r, const unsigned char *base,
                       uint64_t pos, pf__frame *f)
{
    const unsigned char *p = base + r->data_off + (pos & (r->size - 1));
    memcpy(&f->len, p, 4);
    memcpy(&f->flags, p + 4, 4);
    f->data = p + PF__FRAME_HDR;
}

int pf__rr_finished(pf__rr *rd)
{
    if (!atomic_load_explicit(&rd->r->closed, memory_order_acquire))
        return 0;
    return !pf__rr_ready(rd);
}
