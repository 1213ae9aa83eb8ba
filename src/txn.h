/*
 * txn.h - commit records: how a worker makes a batch's outputs visible
 * atomically with the commit of its input, so a restarted worker can
 * replay what was not committed and nothing is seen twice.
 *
 * Each worker owns two slots in the shared region.  A commit fills the
 * slot not in use - the input ring's new tail, every output ring's new
 * head, the source's count of emitted records, the turns of ordered
 * stages - and then makes it current with one release store of the
 * worker's txn_seq.  Only after that are the heads and the tail stored
 * (the apply step).  A worker that dies before the txn_seq store leaves
 * the previous commit current; one that dies after it, during the apply
 * step, is rolled forward by its successor.  Consumers read only up to a
 * ring's head, so frames written after the last commit are never seen,
 * and the successor overwrites them.
 */
#ifndef PF_TXN_H
#define PF_TXN_H

#include <stdint.h>

#include "shm.h"

struct pf__txn {
    uint64_t in_pos;  /* in_ring committed up to here (its new tail) */
    int32_t in_ring;  /* -1: no input in this commit */
    uint32_t cur;     /* the producer's current output ring */
    uint64_t emitted; /* records the worker emitted (a source resumes) */
    uint32_t turn;    /* the collector's turn (after an ordered stage) */
    uint32_t nout;
    uint64_t out_pos[]; /* [nout]: output rings published up to here */
};
_Static_assert(sizeof(struct pf__txn) == 32, "txn header");

/* Bytes of one slot for nout output rings, cache-line aligned. */
static inline uint64_t pf__txn_slot_bytes(int nout)
{
    return (sizeof(struct pf__txn) + 8u * (uint64_t)nout + 63u) & ~63u;
}

/* Slot i (0 or 1) of worker c in the region at base. */
static inline struct pf__txn *pf__txn_slot(unsigned char *base,
                                           struct pf__wctl *c, int nout, int i)
{
    return (struct pf__txn *)(base + c->txn_off +
                              (uint64_t)i * pf__txn_slot_bytes(nout));
}

/* The current commit of worker c, or NULL when it never committed. */
static inline struct pf__txn *pf__txn_current(unsigned char *base,
                                              struct pf__wctl *c, int nout)
{
    uint64_t seq = atomic_load_explicit(&c->txn_seq, memory_order_acquire);
    return seq == 0 ? NULL : pf__txn_slot(base, c, nout, (int)(seq & 1));
}

struct pf_ctx;
struct pf_pipeline;
struct pf__run;

/* Make a commit record current and apply it; with boundary, stop before
 * the record in progress. */
void pf__txn_commit(struct pf_ctx *ctx, int boundary);
/* Commit a whole input batch with its outputs. */
void pf__commit_batch(struct pf_ctx *ctx);
/* Finish the apply step of the current commit of worker w of stage s, a
 * dead predecessor: heads and tail only move forward. */
void pf__txn_roll_forward(struct pf_pipeline *p, struct pf__run *run, int s,
                          int w);

#endif
