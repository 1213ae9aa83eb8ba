/*
 * transport.h - what an edge between two workers must do, and where the
 * runtime finds an edge's queues.
 *
 * The verbs.  A producer reserves a frame (pf__rw_reserve, or asks
 * whether one fits: pf__rw_fits), marks what it wrote complete
 * (pf__rw_done), publishes it (pf__rw_publish, or up to a commit's
 * position: pf__rw_publish_to) and at its end closes the edge
 * (pf__rw_close).  A consumer peeks at the next frame (pf__rr_peek),
 * steps past it (pf__rr_next) and commits what it processed
 * (pf__rr_commit, pf__rr_commit_to).  Each side reads the edge's state
 * through positions that only grow (pf__rw_written, _published,
 * _consumed, pf__rr_pos) and the closed flag (pf__rw_closed,
 * pf__rr_closed, pf__rr_finished).  emit.c, worker.c, txn.c and retry.c
 * use only these verbs and the functions below, never a queue's fields.
 *
 * The implementation is the shared-memory ring (ring.h, ring.c; this
 * file's transport.c says which ring joins two workers).  Another
 * transport - MPI between hosts - provides the same verbs and the
 * functions below in files of its own, chosen by the build.
 */
#ifndef PF_TRANSPORT_H
#define PF_TRANSPORT_H

#include <stdint.h>

#include "pipeline.h"
#include "ring.h"

/* The ring that carries records from worker u of stage s to worker d of
 * stage s + 1. */
struct pf__ring *pf__edge_ring(const struct pf__run *run, int s, int u, int d);

/* The frame at position pos of that ring (the supervisor reading the
 * record a dead worker was processing). */
void pf__edge_frame_at(const struct pf__run *run, int s, int u, int d,
                       uint64_t pos, pf__frame *f);

#endif
