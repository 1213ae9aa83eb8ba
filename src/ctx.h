/*
 * ctx.h - pf_ctx: what a stage function's worker knows about itself.
 * One per worker process in process mode; one per stage in serial mode.
 */
#ifndef PF_CTX_H
#define PF_CTX_H

#include <stdint.h>

#include "pipeline.h"
#include "ring.h"

struct pf_ctx {
    pf_pipeline *p;
    pf_stage *st;
    int widx;   /* index within the stage */
    int serial; /* 1 in serial mode */

    /* Serial mode. */
    pf_ctx *next; /* the next stage's context; NULL at the sink */
    pf_worker_stats *sstats;

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
    uint64_t *bstart;    /* [nout]: where the open batch began */
    uint64_t *blim;      /* [nout]: adaptive batch size, bytes */
    uint64_t *tseen;     /* [nout]: consumer's tail at the last batch */
    uint64_t *tmoved;    /* [nout]: when that tail last moved, 0 unknown */
    int cur;             /* output ring being filled */
    int dist;            /* enum pf_dist */
    int deal;            /* next stage ordered: deal batches strictly */
    int deal_open;       /* records written since the last MARK */
    int mark_follow;     /* ordered stage: a MARK out per MARK in */
    int collect;         /* previous stage ordered: read rings in turn */
    uint64_t pend_since; /* coarse time of the oldest unpublished byte */
    size_t frag_max;
    unsigned char *big; /* reassembly of fragmented records */
    size_t big_cap;

    /* Transactional mode (retries > 0), see txn.h. */
    int txn;    /* commits go through commit records */
    int mid_ok; /* may commit at a record boundary mid-batch */
    int track;  /* keep cur_pos / in_call / beats current */
    struct pf__txn *slot[2];
    uint64_t txn_seq;
    int in_cur;          /* input ring being consumed, -1 none */
    int mid_record;      /* a stage call or a source record is in progress */
    int source_rec;      /* a source's record is being written */
    uint64_t rec_pos;    /* that record's position in ring in_cur */
    uint64_t epoch;      /* records started */
    uint64_t *rec_epoch; /* [nout]: epoch of the last write to a ring */
    uint64_t *rec_start; /* [nout]: wpos before that record's writes */
    uint64_t emitted;    /* records emitted */
    uint64_t resume;     /* a restarted source drops this many first */
    int turn;            /* the collector's turn */
    int restarts;

    /* Counters, mirrored into me by push_stats. */
    uint64_t rin, bin, rout, bout, wait_in, wait_out;
};

/* Run worker w of stage s of a process-mode run; never returns. */
_Noreturn void pf__worker_main(pf_pipeline *p, struct pf__run *run, int s,
                               int w, int restart);

/* pf_emit for serial mode. */
int pf__serial_emit(pf_ctx *ctx, const void *rec, size_t len);

#endif
