/*
 * test-ring.c - the ring's framing in one process: wraparound, padding,
 * fragments' flags, full and empty rings, closing; and the transport
 * verbs the runtime uses on them (transport.h).
 */
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "transport.h"

struct fixture {
    unsigned char *base;
    struct pf__ring *ring;
    pf__rw w;
    pf__rr r;
};

/* A ring of size bytes in private memory (one process is enough). */
static void fixture_init(struct fixture *f, uint64_t size)
{
    f->base = aligned_alloc(64, 4096 + size);
    ASSERT_NOT_NULL(f->base);
    f->ring = (struct pf__ring *)f->base;
    pf__ring_init(f->ring, size, 4096);
    pf__rw_attach(&f->w, f->ring, f->base);
    pf__rr_attach(&f->r, f->ring, f->base);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31u + i * 7u);
}

TEST(ring_empty_reads_nothing)
{
    struct fixture f;
    fixture_init(&f, 4096);
    pf__frame fr;
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 0);
    ASSERT_EQ(pf__rr_finished(&f.r), 0);
    pf__rw_close(&f.w);
    ASSERT_EQ(pf__rr_finished(&f.r), 1);
    free(f.base);
}

TEST(ring_frames_invisible_until_published)
{
    struct fixture f;
    fixture_init(&f, 4096);
    void *p = pf__rw_reserve(&f.w, 5, 0);
    ASSERT_NOT_NULL(p);
    memcpy(p, "hello", 5);
    pf__frame fr;
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 0);
    ASSERT_EQ(pf__rw_publish(&f.w), 1);
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 1);
    ASSERT_UEQ(fr.len, 5);
    ASSERT_MEMEQ(fr.data, "hello", 5);
    free(f.base);
}

TEST(ring_wraps_around_many_times_with_every_length)
{
    struct fixture f;
    const uint64_t size = 4096;
    fixture_init(&f, size);
    size_t frag_max = pf__ring_frag_max(size);
    unsigned char buf[4096], want[4096];
    unsigned wseq = 0, rseq = 0;
    /* Lengths cycle through every value 0..frag_max so every alignment
     * and every padding case at the wrap point occurs. */
    while (rseq < 20000) {
        size_t len = wseq % (frag_max + 1);
        void *p = pf__rw_reserve(&f.w, len, 0);
        if (p != NULL) {
            fill(buf, len, wseq);
            memcpy(p, buf, len);
            wseq++;
            if (wseq % 3 == 0)
                pf__rw_publish(&f.w);
            continue;
        }
        pf__rw_publish(&f.w);
        pf__frame fr;
        while (pf__rr_peek(&f.r, &fr)) {
            size_t rlen = rseq % (frag_max + 1);
            ASSERT_UEQ(fr.len, rlen);
            ASSERT_UEQ(fr.flags, 0);
            fill(want, rlen, rseq);
            ASSERT_MEMEQ(fr.data, want, rlen);
            /* A frame never crosses the end of the data area. */
            uint64_t at = (uint64_t)(fr.data - f.r.data);
            ASSERT_ULE(at + rlen, size);
            pf__rr_next(&f.r, &fr);
            rseq++;
        }
        pf__rr_commit(&f.r);
    }
    /* The counters wrapped the 4 KiB ring hundreds of times. */
    ASSERT_UGT(f.r.rpos / size, 100);
    free(f.base);
}

TEST(ring_full_refuses_until_commit)
{
    struct fixture f;
    fixture_init(&f, 4096);
    int n = 0;
    while (pf__rw_reserve(&f.w, 100, 0) != NULL)
        n++;
    /* 4096 / (8 + 104) = 36 frames fit; no more. */
    ASSERT_EQ(n, 36);
    pf__rw_publish(&f.w);
    pf__frame fr;
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 1);
    pf__rr_next(&f.r, &fr);
    /* Read but not committed: still no room. */
    ASSERT_NULL(pf__rw_reserve(&f.w, 100, 0));
    pf__rr_commit(&f.r);
    ASSERT_NOT_NULL(pf__rw_reserve(&f.w, 100, 0));
    free(f.base);
}

TEST(ring_pad_frame_is_skipped_at_the_end)
{
    struct fixture f;
    fixture_init(&f, 4096);
    /* Move to 16 bytes before the end, then write a 100-byte frame. */
    ASSERT_NOT_NULL(pf__rw_reserve(&f.w, 4096 - 16 - 8, 0));
    pf__rw_publish(&f.w);
    pf__frame fr;
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 1);
    pf__rr_next(&f.r, &fr);
    pf__rr_commit(&f.r);
    ASSERT_UEQ(f.w.wpos, 4096 - 16);
    void *p = pf__rw_reserve(&f.w, 100, PF__F_MARK);
    ASSERT_NOT_NULL(p);
    ASSERT(p == f.w.data + PF__FRAME_HDR); /* restarted at offset 0 */
    pf__rw_publish(&f.w);
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 1);
    ASSERT_UEQ(fr.len, 100);
    ASSERT_UEQ(fr.flags, PF__F_MARK);
    free(f.base);
}

TEST(ring_frame_size_is_aligned)
{
    ASSERT_UEQ(pf__frame_size(0), 8);
    ASSERT_UEQ(pf__frame_size(1), 16);
    ASSERT_UEQ(pf__frame_size(8), 16);
    ASSERT_UEQ(pf__frame_size(9), 24);
    ASSERT_UEQ(pf__ring_frag_max(65536), 32768 - 8);
}

/* ---- the transport verbs (transport.h) ----------------------------------- */

TEST(transport_positions_follow_reserve_publish_and_commit)
{
    struct fixture f;
    fixture_init(&f, 4096);
    ASSERT_UEQ(pf__rw_written(&f.w), 0);
    ASSERT_NOT_NULL(pf__rw_reserve(&f.w, 10, 0));
    uint64_t one = pf__rw_written(&f.w);
    ASSERT_UEQ(one, pf__frame_size(10));
    ASSERT_NOT_NULL(pf__rw_reserve(&f.w, 3, 0));
    uint64_t two = pf__rw_written(&f.w);
    ASSERT_UEQ(pf__rw_published(&f.w), 0);
    /* a commit publishes up to its position, never backwards */
    ASSERT_EQ(pf__rw_publish_to(&f.w, one), 1);
    ASSERT_UEQ(pf__rw_published(&f.w), one);
    ASSERT_EQ(pf__rw_publish_to(&f.w, one), 0);
    pf__frame fr;
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 1);
    ASSERT_UEQ(fr.len, 10);
    pf__rr_next(&f.r, &fr);
    ASSERT_UEQ(pf__rr_pos(&f.r), one);
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 0); /* the second is not published */
    ASSERT_EQ(pf__rw_publish(&f.w), 1);
    ASSERT_UEQ(pf__rw_published(&f.w), two);
    /* the producer sees the consumer's commit once it refreshes */
    ASSERT_EQ(pf__rr_commit_to(&f.r, one), 1);
    ASSERT_EQ(pf__rr_commit_to(&f.r, one), 0);
    ASSERT_UEQ(pf__rw_consumed(&f.w), 0);
    ASSERT_UEQ(pf__rw_refresh(&f.w), one);
    ASSERT_UEQ(pf__rw_consumed(&f.w), one);
    ASSERT_EQ(pf__rr_closed(&f.r), 0);
    ASSERT_EQ(pf__rw_closed(&f.w), 0);
    pf__rw_close(&f.w);
    ASSERT_EQ(pf__rr_closed(&f.r), 1);
    ASSERT_EQ(pf__rw_closed(&f.w), 1);
    ASSERT_EQ(pf__rr_finished(&f.r), 0); /* one frame still to read */
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 1);
    pf__rr_next(&f.r, &fr);
    ASSERT_EQ(pf__rr_finished(&f.r), 1);
    free(f.base);
}

TEST(roll_forward_only_moves_positions_forward)
{
    struct fixture f;
    fixture_init(&f, 4096);
    pf__ring_roll_forward(f.ring, 64, 32);
    ASSERT_UEQ(atomic_load(&f.ring->head), 64);
    ASSERT_UEQ(atomic_load(&f.ring->tail), 32);
    pf__ring_roll_forward(f.ring, 16, 8); /* done already: no change */
    ASSERT_UEQ(atomic_load(&f.ring->head), 64);
    ASSERT_UEQ(atomic_load(&f.ring->tail), 32);
    pf__ring_roll_forward(f.ring, 0, 48); /* 0 leaves the head alone */
    ASSERT_UEQ(atomic_load(&f.ring->head), 64);
    ASSERT_UEQ(atomic_load(&f.ring->tail), 48);
    free(f.base);
}

TEST(frame_at_reads_a_frame_where_it_was_written)
{
    struct fixture f;
    fixture_init(&f, 4096);
    /* push the write position near the end so the frame wraps to 0 */
    for (int i = 0; i < 30; i++) {
        ASSERT_NOT_NULL(pf__rw_reserve(&f.w, 120, 0));
        pf__rw_publish(&f.w);
        pf__frame fr;
        ASSERT_EQ(pf__rr_peek(&f.r, &fr), 1);
        pf__rr_next(&f.r, &fr);
        pf__rr_commit(&f.r);
    }
    unsigned char *p = pf__rw_reserve(&f.w, 300, PF__F_MARK);
    ASSERT_NOT_NULL(p);
    fill(p, 300, 9);
    pf__rw_publish(&f.w);
    pf__frame fr, at;
    ASSERT_EQ(pf__rr_peek(&f.r, &fr), 1); /* skips the PAD */
    uint64_t pos = pf__rr_pos(&f.r);
    pf__ring_frame_at(f.ring, f.base, pos, &at);
    ASSERT_UEQ(at.len, 300);
    ASSERT_UEQ(at.flags, PF__F_MARK);
    ASSERT(at.data == fr.data);
    free(f.base);
}

TEST(edge_ring_is_producer_major_per_edge)
{
    /* stages of 2, 3 and 1 workers: edge 0 has 6 rings, edge 1 has 3 */
    int first[] = {0, 2, 5, 6}, ring_first[] = {0, 6, 9};
    struct pf__ring rings[9];
    struct pf__run run = {
        .first = first, .ring_first = ring_first, .rings = rings};
    ASSERT(pf__edge_ring(&run, 0, 0, 0) == &rings[0]);
    ASSERT(pf__edge_ring(&run, 0, 0, 2) == &rings[2]);
    ASSERT(pf__edge_ring(&run, 0, 1, 0) == &rings[3]);
    ASSERT(pf__edge_ring(&run, 0, 1, 2) == &rings[5]);
    ASSERT(pf__edge_ring(&run, 1, 0, 0) == &rings[6]);
    ASSERT(pf__edge_ring(&run, 1, 2, 0) == &rings[8]);
}
