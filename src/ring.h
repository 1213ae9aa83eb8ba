/*
 * ring.h - the transport: a single-producer/single-consumer byte ring in
 * shared memory carrying framed records.
 *
 * The interface is five verbs - reserve, publish, read (peek/next),
 * commit, close - so another transport (MPI between hosts) can take the
 * ring's place without touching stages.
 *
 * Wire format.  head and tail are byte counters that only grow; a
 * position's place in the data area is pos & (size - 1).  Each frame is
 * an 8-byte header {u32 len, u32 flags} and len payload bytes, padded to
 * 8.  A frame never wraps: when it does not fit before the end, a PAD
 * frame fills the rest and the frame starts at 0.  A record longer than
 * half the ring travels as fragments, so no record is too big for
 * a ring.  A fragment that says FIRST makes a consumer drop whatever it
 * had assembled: a restarted producer sends the record again.
 *
 * Publication: the producer writes frames past head and makes them
 * visible with one release store of head (a batch).  It also stores done,
 * the end of the last complete frame, after every frame: a consumer that
 * has nothing published and is about to sleep may take frames up to done
 * itself, so a producer that stops mid-batch (a slow source between two
 * records) never holds a record back.  The consumer reads
 * frames between tail and head and releases space with one release store
 * of tail after it has processed them (commit after processing).  The
 * producer sets closed after its last publish: end of stream is a state
 * of the ring, never a value in the data.
 */
#ifndef PF_RING_H
#define PF_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PF__RING_MAGIC 0x70667231u /* "pfr1" */
#define PF__FRAME_HDR 8u

/* Frame flags.  A fragmented record is FIRST|MORE, MORE..., LAST. */
#define PF__F_MORE (1u << 0)  /* a fragment: more of this record follows */
#define PF__F_PAD (1u << 1)   /* filler up to the end of the data area */
#define PF__F_MARK (1u << 2)  /* end of a dealt batch (ordered stages) */
#define PF__F_FIRST (1u << 3) /* the first fragment of a record */
#define PF__F_LAST (1u << 4)  /* the last fragment of a record */
#define PF__F_SEQ                                                              \
    (1u << 5) /* 8 bytes: the producer's 1-based index of                      \
                 the ring's next record, 0 unknown */
#define PF__F_FRAG (PF__F_MORE | PF__F_FIRST | PF__F_LAST)

struct pf__ring {
    /* Written by the producer. */
    _Atomic uint64_t head;   /* bytes published */
    _Atomic uint64_t done;   /* end of the last complete frame, >= head */
    _Atomic uint32_t closed; /* 1 once the last frame is published */
    uint32_t magic;          /* PF__RING_MAGIC, set before fork */
    uint64_t size;           /* data bytes, a power of two; set before fork */
    uint64_t data_off;       /* data area, from the shared region's start */
    char pad0[24];
    /* Written by the consumer. */
    _Atomic uint64_t tail; /* bytes committed */
    char pad1[56];
};
_Static_assert(sizeof(struct pf__ring) == 128, "ring header is 2 lines");
_Static_assert(offsetof(struct pf__ring, tail) == 64, "tail on its own line");

/* The producer's private view of a ring. */
typedef struct pf__rw {
    struct pf__ring *r;
    unsigned char *data;
    uint64_t mask;
    uint64_t wpos;   /* end of the frames written so far */
    uint64_t pub;    /* head as last published */
    uint64_t tail;   /* tail as last read */
    uint32_t mapped; /* windows of the data area mapped in (ring.c) */
} pf__rw;

/* The consumer's private view of a ring. */
typedef struct pf__rr {
    struct pf__ring *r;
    unsigned char *data;
    uint64_t mask;
    uint64_t rpos;   /* next frame to read */
    uint64_t commit; /* tail as last committed */
    uint64_t head;   /* head as last read */
    uint32_t mapped; /* windows of the data area mapped in (ring.c) */
} pf__rr;

/* A frame as seen by the consumer; data points into the ring. */
typedef struct pf__frame {
    const unsigned char *data;
    uint32_t len;
    uint32_t flags;
} pf__frame;

/* Bytes a frame of len payload bytes occupies. */
static inline uint64_t pf__frame_size(size_t len)
{
    return PF__FRAME_HDR + (((uint64_t)len + 7u) & ~(uint64_t)7u);
}

/* Largest payload sent as one frame in a ring of size bytes.  A frame
 * that must skip the data area's end needs its size again as padding at
 * worst, so half the ring is the most that always fits. */
static inline size_t pf__ring_frag_max(uint64_t size)
{
    return (size_t)(size / 2 - PF__FRAME_HDR);
}

/* Set up a ring header before fork.  base is the shared region. */
void pf__ring_init(struct pf__ring *r, uint64_t size, uint64_t data_off);
void pf__rw_attach(pf__rw *w, struct pf__ring *r, unsigned char *base);
void pf__rr_attach(pf__rr *rd, struct pf__ring *r, unsigned char *base);

/* Reserve a frame of len bytes (len <= frag_max) with flags; returns where
 * to write the payload, or NULL when the ring is too full (publish, wait
 * for the consumer, retry). */
void *pf__rw_reserve(pf__rw *w, size_t len, uint32_t flags);

/* Whether a frame of len bytes would fit now (re-reads tail). */
int pf__rw_fits(pf__rw *w, size_t len);

/* Make every reserved frame visible.  Returns 1 if head moved. */
static inline int pf__rw_publish(pf__rw *w)
{
    if (w->wpos == w->pub)
        return 0;
    atomic_store_explicit(&w->r->head, w->wpos, memory_order_release);
    w->pub = w->wpos;
    return 1;
}

/* Bytes in flight: published or written, not yet committed (cached). */
static inline uint64_t pf__rw_used(const pf__rw *w)
{
    return w->wpos - w->tail;
}

/* Mark every reserved frame complete (written), not yet published. */
static inline void pf__rw_done(pf__rw *w)
{
    atomic_store_explicit(&w->r->done, w->wpos, memory_order_release);
}

/* Publish frames up to pos (a commit's head; <= what was written).
 * Returns 1 if head moved. */
static inline int pf__rw_publish_to(pf__rw *w, uint64_t pos)
{
    if (pos <= w->pub)
        return 0;
    atomic_store_explicit(&w->r->head, pos, memory_order_release);
    w->pub = pos;
    return 1;
}

/* Where the next frame will be written: the end of the frames reserved. */
static inline uint64_t pf__rw_written(const pf__rw *w)
{
    return w->wpos;
}

/* Where the published frames end (head as last stored). */
static inline uint64_t pf__rw_published(const pf__rw *w)
{
    return w->pub;
}

/* How far the consumer has committed, as last read. */
static inline uint64_t pf__rw_consumed(const pf__rw *w)
{
    return w->tail;
}

/* Read the consumer's commit again; returns it. */
static inline uint64_t pf__rw_refresh(pf__rw *w)
{
    w->tail = atomic_load_explicit(&w->r->tail, memory_order_acquire);
    return w->tail;
}

/* 1 once the ring was closed (a predecessor finished). */
static inline int pf__rw_closed(const pf__rw *w)
{
    return atomic_load_explicit(&w->r->closed, memory_order_acquire) != 0;
}

/* Publish and mark end of stream. */
void pf__rw_close(pf__rw *w);

/* Read the next frame without consuming it; skips PAD frames.  Returns 1
 * with *f filled, 0 when nothing is published past the read position. */
int pf__rr_peek(pf__rr *rd, pf__frame *f);

/* Step past the frame returned by the last peek. */
static inline void pf__rr_next(pf__rr *rd, const pf__frame *f)
{
    rd->rpos += pf__frame_size(f->len);
}

/* Release everything read so far to the producer.  Returns 1 if moved. */
static inline int pf__rr_commit(pf__rr *rd)
{
    if (rd->rpos == rd->commit)
        return 0;
    atomic_store_explicit(&rd->r->tail, rd->rpos, memory_order_release);
    rd->commit = rd->rpos;
    return 1;
}

/* The read position: where the next frame starts. */
static inline uint64_t pf__rr_pos(const pf__rr *rd)
{
    return rd->rpos;
}

/* Release frames up to pos (a commit's tail; <= the read position).
 * Returns 1 if tail moved. */
static inline int pf__rr_commit_to(pf__rr *rd, uint64_t pos)
{
    if (pos <= rd->commit)
        return 0;
    rd->commit = pos;
    atomic_store_explicit(&rd->r->tail, pos, memory_order_release);
    return 1;
}

/* 1 once the producer closed the ring (frames may still wait). */
static inline int pf__rr_closed(const pf__rr *rd)
{
    return atomic_load_explicit(&rd->r->closed, memory_order_acquire) != 0;
}

/* 1 when something is published past the read position.  (head may
 * trail rpos after a take; positions only grow, so compare.) */
static inline int pf__rr_ready(pf__rr *rd)
{
    if (rd->head > rd->rpos)
        return 1;
    uint64_t h = atomic_load_explicit(&rd->r->head, memory_order_acquire);
    if (h > rd->head)
        rd->head = h;
    return rd->head > rd->rpos;
}

/* Make complete but unpublished frames readable; 1 if there were any.
 * For a consumer with nothing else to do. */
static inline int pf__rr_take_done(pf__rr *rd)
{
    uint64_t d = atomic_load_explicit(&rd->r->done, memory_order_acquire);
    if (d <= rd->rpos)
        return 0;
    if (d > rd->head)
        rd->head = d;
    return 1;
}

/* 1 when the producer closed the ring and every frame has been read. */
int pf__rr_finished(pf__rr *rd);

/* Move a ring's head, then its tail, forward to at least head and tail
 * (0: leave it): a dead worker's commit applied by its successor.  Doing
 * it twice is harmless. */
void pf__ring_roll_forward(struct pf__ring *r, uint64_t head, uint64_t tail);

/* The frame at position pos of a ring whose data area is in the region at
 * base (the supervisor reading a poison record). */
void pf__ring_frame_at(const struct pf__ring *r, const unsigned char *base,
                       uint64_t pos, pf__frame *f);

#endif
