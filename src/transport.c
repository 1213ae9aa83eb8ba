/*
 * transport.c - the shared-memory transport's edges: which ring of the
 * region joins two workers (layout in shm.h, rings in ring.h).
 */
#include "transport.h"

struct pf__ring *pf__edge_ring(const struct pf__run *run, int s, int u, int d)
{
    /* Rings of an edge: producer-major, one per (producer, consumer). */
    int consumers = run->first[s + 2] - run->first[s + 1];
    return &run->rings[run->ring_first[s] + u * consumers + d];
}

void pf__edge_frame_at(const struct pf__run *run, int s, int u, int d,
                       uint64_t pos, pf__frame *f)
{
    pf__ring_frame_at(pf__edge_ring(run, s, u, d), run->base, pos, f);
}
