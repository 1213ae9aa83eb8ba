/*
 * ctx.h - pf_ctx: what a stage function's worker knows about itself.
 * One per worker process in process mode; one per stage in serial mode.
 */
#ifndef PF_CTX_H
#define PF_CTX_H

#include <stdatomic.h>
#include <stdint.h>

#include "futex.h"

#include "pipeline.h"
#include "transport.h"

/* Where the last records written to one output ring end, for the next
 * stage's prefetch limit (pf_stage_prefetch). */
struct pf__slots {
    uint64_t n;                    /* whole records written */
    uint64_t end[PF_PREFETCH_MAX]; /* record i ends at end[i % MAX] */
};

/* What only serial mode uses (serial.c): the chain is called directly. */
struct pf__ctx_serial {
    pf_ctx *next;           /* the next stage's context; NULL at the sink */
    pf_worker_stats *stats; /* this stage's counters in p->stats */
};

/* What only transactional mode (retries > 0) uses: the two commit
 * slots (txn.h, txn.c). */
struct pf__ctx_txn {
    int mid_ok; /* may commit at a record boundary mid-batch */
    struct pf__txn *slot[2];
    uint64_t seq; /* commits made; the current slot is seq & 1 */
};

struct pf_ctx {
    pf_pipeline *p;
    pf_stage *st;
    int widx;   /* index within the stage */
    int serial; /* 1 in serial mode */
    void *data; /* pf_worker_set_data: the user's, borrowed */

    struct pf__ctx_serial ser; /* serial mode */

    /* Process mode. */
    struct pf__run *run;
    struct pf__wctl *me;
    pf__rr *in; /* [nin]: one ring per upstream worker */
    struct pf__wctl **in_peer;
    int nin;
    pf__rw *out; /* [nout]: one ring per downstream worker */
    struct pf__wctl **out_peer;
    int nout;
    int *dirty; /* output rings written since the last flush */
    unsigned char *is_dirty;
    int ndirty;
    uint64_t *bstart;        /* [nout]: where the open batch began */
    uint64_t *blim;          /* [nout]: adaptive batch size, bytes */
    uint64_t *tseen;         /* [nout]: consumer's tail at the last batch */
    uint64_t *tmoved;        /* [nout]: when that tail last moved, 0 unknown */
    int prefetch;            /* the next stage's limit, 0 = none */
    struct pf__slots *slots; /* [nout] when prefetch > 0 */
    int cur;                 /* output ring being filled */
    int rec_cur;             /* cur when the record in progress began */
    int dist;                /* enum pf_dist */
    int deal;                /* next stage ordered: deal batches strictly */
    int deal_open;           /* records written since the last MARK */
    int mark_follow;         /* ordered stage: a MARK out per MARK in */
    int collect;             /* previous stage ordered: read rings in turn */
    uint64_t pend_since;     /* coarse time of the oldest unpublished byte */
    size_t frag_max;
    unsigned char *big; /* reassembly of fragmented records */
    size_t big_cap;
    size_t big_mapped; /* bytes of big known to be mapped in */

    /* The record in progress, where a commit may stop (txn.h); the
     * commits themselves only with retries. */
    int txn;               /* commits go through commit records */
    int track;             /* keep cur_pos / in_call / beats current */
    struct pf__ctx_txn tx; /* the commit slots, with txn */
    int in_cur;            /* input ring being consumed, or PF__RING_NONE */
    int mid_record;        /* a stage call or a source record is in progress */
    int source_rec;        /* a source's record is being written */
    uint64_t rec_pos;      /* that record's position in ring in_cur */
    uint64_t epoch;        /* records started */
    uint64_t *rec_epoch;   /* [nout]: epoch of the last write to a ring */
    uint64_t *rec_start;   /* [nout]: wpos before that record's writes */
    uint64_t emitted;      /* records emitted */
    uint64_t resume;       /* a restarted source drops this many first */
    int turn;              /* the collector's turn */
    int restarts;

    uint64_t tick_next; /* coarse time the stage's tick is due (tick.c) */
    /* Where records stand in their producers' streams (seqmap.h). */
    uint64_t *snext;     /* [nout]: index ring d's consumer gives its next
                            record, 0 unknown */
    uint64_t *sin;       /* [nin]: index of ring r's next record, 0 unknown */
    uint64_t stream_cur; /* index of the record in progress, 0 unknown */

    /* Counters, mirrored into me by push_stats. */
    uint64_t rin, bin, rout, bout, wait_in, wait_out;
};

/* ---- shared by worker.c (input, lifecycle), emit.c (output), txn.c ---- */

#define PF__SPIN_TRIES 256                /* polls before sleeping */
#define PF__SLEEP_NS (100u * 1000 * 1000) /* longest futex sleep */
#define PF__MIN_BATCH 64                  /* smallest adaptive batch */

/* Bump a worker's sequence word if it sleeps on it.  The waker claims
 * the sleep flag, so one sleep costs at most one futex_wake however many
 * batches are published before the sleeper runs again. */
static inline void pf__wake(_Atomic uint32_t *sleep_flag, _Atomic uint32_t *seq)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(sleep_flag, memory_order_relaxed) &&
        atomic_exchange_explicit(sleep_flag, 0, memory_order_relaxed)) {
        atomic_fetch_add_explicit(seq, 1, memory_order_release);
        pf__futex_wake(seq);
    }
}

/* The supervisor's stop request: PF__RUN or PF__STOP_*. */
static inline int pf__stop_level(const pf_ctx *ctx)
{
    return (int)atomic_load_explicit(&ctx->run->hdr->stop,
                                     memory_order_relaxed);
}

#endif
