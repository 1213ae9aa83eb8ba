/*
 * pipeline.h - what a pipeline is made of, shared by the builder, the
 * supervisor, the workers and serial mode.
 */
#ifndef PF_PIPELINE_H
#define PF_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pipefan.h"
#include "shm.h"

struct pf_stage {
    pf_pipeline *p;
    int index;  /* 0 = source */
    char *name; /* owned */
    pf_source_fn src_fn;
    pf_record_fn rec_fn;
    void *arg; /* borrowed */
    pf_hook_fn init, finish, batch;
    pf_free_fn data_free; /* frees a worker's data at its end */
    int restartable;      /* 1, 0, or -1: restartable unless it has finish */
    int workers;          /* 1..PF_MAX_WORKERS */
    int ordered;
    int dist;     /* enum pf_dist of the edge leaving this stage */
    int prefetch; /* records that may wait per worker, 0 = no limit */
    int pin;      /* bind each worker to a CPU (pf_stage_pin) */

    /* pf_stage_tick (tick.c): fn or NULL, and its period in ms. */
    pf_hook_fn tick;
    unsigned tick_ms;
};

/* A run in process mode: the shared region and where things are in it.
 * Built by the supervisor before fork; workers inherit a copy. */
struct pf__run {
    unsigned char *base; /* the shared region */
    size_t size;
    struct pf__shm_hdr *hdr;
    struct pf__wctl *wctl; /* [nworkers] */
    struct pf__ring *rings;
    int nworkers;
    int *first;      /* [nstages + 1]: first worker id of each stage */
    int *ring_first; /* [nstages]: first ring of the edge after stage */
    pid_t *pids;     /* [nworkers], supervisor only */
    pid_t supervisor;
    uint64_t ring_bytes, batch_bytes, flush_ns;
    size_t max_record;
    int txn;   /* retries > 0: transactional commits */
    int track; /* retries or a stall limit: track calls */
};

/* Whether stage s may be restarted after a crash. */
int pf__stage_restartable(const pf_pipeline *p, int s);

struct pf_pipeline {
    pf_stage **stages;
    int nstages, cap;
    int error; /* sticky: first builder error */
    pf_options opts;
    pf_progress_fn progress;
    void *progress_arg;
    int running;
    int last_signal;
    int bottleneck;
    struct pf__run *run;    /* during a process-mode run */
    pf_worker_stats *stats; /* per worker of the last run */
    int *stats_first;       /* [nstages + 1] */
    int serial_now;         /* the last run was serial */
    pf_failure *failures;   /* [nfailures] of the last run (failure.c) */
    int nfailures, failures_cap;
    /* The calls of issue 23 (each in its own file). */
    struct pf__shared_blk *shared; /* pf_shared blocks (shared.c) */
    struct pf__result *result;     /* pf_pipeline_result (result.c) */
    struct pf__map *map;           /* set by pf_map for its pipeline */
    uint64_t serial_progress_ns;   /* serial mode's last progress call */
};

/* Worker id of the first worker of each stage; out has nstages+1 slots. */
void pf__stage_offsets(const pf_pipeline *p, int *out);

/* Validate the pipeline before a run; logs and returns a PF_E* code. */
int pf__pipeline_check(pf_pipeline *p);

/* Allocate p->stats for the stage shape; zeroed. */
int pf__stats_reset(pf_pipeline *p);

#endif
