/*
 * test-ring.c - the ring's framing in one process: wraparound, padding,
 * fragments' flags, full and empty rings, closing.
 */
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "runner.h"

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
