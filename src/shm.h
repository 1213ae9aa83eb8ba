/*
 * shm.h - the shared region: one memfd named "pipefan", mapped
 * MAP_SHARED before fork, its fd closed at once.  The kernel frees it when
 * the last process that maps it exits, so nothing is left behind even when
 * the supervisor is SIGKILLed.
 *
 * Layout (offsets, never pointers, so any process can find anything):
 *   pf__shm_hdr | pf__wctl[nworkers] | pf__ring[nrings] | ring data areas
 */
#ifndef PF_SHM_H
#define PF_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"

#define PF__SHM_MAGIC 0x70666e31u /* "pfn1" */
#define PF__SHM_VERSION 1u

/* Values of pf__shm_hdr.stop. */
enum {
    PF__RUN = 0,
    PF__STOP_SOURCES = 1,
    PF__STOP_NOW = 2
};

struct pf__shm_hdr {
    uint32_t magic;        /* set before fork */
    uint32_t version;      /* set before fork */
    uint64_t size;         /* region bytes; set before fork */
    _Atomic uint32_t stop; /* supervisor: PF__RUN / PF__STOP_* */
    uint32_t nworkers;     /* set before fork */
    uint64_t wctl_off;     /* set before fork */
    uint64_t ring_off;     /* set before fork */
    char pad[24];
};
_Static_assert(sizeof(struct pf__shm_hdr) == 64, "header is one line");

/* Ring sentinels: where an input ring index (pf__wctl.cur_ring and
 * skip_ring, pf_ctx.in_cur, pf__txn.in_ring, the supervisor's failure
 * points) names no ring.  NONE: no ring; at a failure point, a source,
 * whose position is its count of records.  HOOK: a failure point outside
 * any record (a hook), whose position is the worker's commit count.
 * UNSET: a failure point not yet seen. */
#define PF__RING_NONE (-1)
#define PF__RING_HOOK (-2)
#define PF__RING_UNSET (-3)

/* Worker states (pf__wctl.state), written by the worker. */
#define PF__WSTATE_MAP(X)                                                      \
    X(IDLE, 0, "idle")                                                         \
    X(STARTING, 1, "starting")                                                 \
    X(RUNNING, 2, "running")                                                   \
    X(FINISHING, 3, "finishing")                                               \
    X(DONE, 4, "done")                                                         \
    X(FAILED, 5, "failed")

enum pf__wstate {
#define PF__WSTATE_ENUM(name, value, text) PF__W_##name = (value),
    PF__WSTATE_MAP(PF__WSTATE_ENUM)
#undef PF__WSTATE_ENUM
};

/* One per worker.  Each field says who writes it. */
struct pf__wctl {
    /* Written by the worker. */
    _Atomic uint32_t state;     /* pf__wstate */
    _Atomic int32_t error;      /* PF_E* when state is FAILED */
    _Atomic uint32_t in_sleep;  /* 1 while sleeping on in_seq */
    _Atomic uint32_t out_sleep; /* 1 while sleeping on out_seq */
    _Atomic int32_t pid;
    uint32_t pad0;
    _Atomic uint64_t t_start, t_end; /* monotonic ns */
    char pad1[24];
    /* Bumped by producers (and the supervisor) to wake the worker's
     * input wait; by consumers to wake its output wait. */
    _Atomic uint32_t in_seq;
    char pad2[60];
    _Atomic uint32_t out_seq;
    char pad3[60];
    /* Counters, written by the worker with relaxed stores. */
    _Atomic uint64_t records_in, bytes_in, records_out, bytes_out;
    _Atomic uint64_t ns_wait_in, ns_wait_out;
    /* When the wait in progress began (monotonic ns), 0 when not
     * waiting: the supervisor adds it to the live figures.  Cleared
     * before the wait is added to ns_wait_*, both with release. */
    _Atomic uint64_t wait_in_since, wait_out_since;
    /* Fault tolerance (used when retries > 0 or a stall limit is set). */
    _Atomic uint64_t txn_seq;  /* worker: commits made; slot seq & 1 */
    _Atomic uint64_t cur_pos;  /* worker: position of the record in a call */
    _Atomic int32_t cur_ring;  /* worker: that record's ring, or NONE */
    _Atomic uint32_t in_call;  /* worker: 1 while user code runs */
    _Atomic uint32_t unsafe;   /* worker: published past its last commit */
    _Atomic uint32_t restarts; /* supervisor */
    _Atomic uint64_t beats;    /* worker: records started, for stalls */
    _Atomic uint64_t skip_pos; /* supervisor: poison record to skip */
    _Atomic int32_t skip_ring; /* supervisor: its ring, or NONE */
    uint32_t pad5;
    _Atomic uint64_t quarantined; /* supervisor */
    uint64_t txn_off;             /* set before fork: the two commit slots */
    _Atomic uint64_t fail_record; /* worker: input record whose call failed */
    _Atomic uint64_t fail_stream; /* worker: its index in the producer's
                                     output (seqmap.h), 0 unknown */
    _Atomic int32_t fail_from;    /* worker: that producer, -1 unknown */
    _Atomic int32_t fail_code;    /* worker: what the function returned */
    char pad6[32];
};
_Static_assert(sizeof(struct pf__wctl) == 384, "wctl is six lines");
_Static_assert(offsetof(struct pf__wctl, in_seq) == 64, "in_seq own line");
_Static_assert(offsetof(struct pf__wctl, out_seq) == 128, "out_seq own line");

const char *pf__wstate_name(int state);

/* Map a fresh region of size bytes; NULL and *err on failure. */
void *pf__shm_map(size_t size, int *err);
void pf__shm_unmap(void *base, size_t size);

#endif
