/* peak.h - what a run of pipefan logs held in memory, for --stats: each
 * process's peak resident set and the distinct keys the sink kept.
 *
 * Every process of the run (the split at its end, parse workers after
 * each batch, the sink at its end, the caller after pf_run) notes its own peak
 * RSS, the kernel's VmHWM from /proc/self/status (getrusage's ru_maxrss where
 * /proc is missing), in a slot of the run's shared block claimed by its pid.
 * The run's figure is the sum over the processes: an upper bound of the tree's
 * simultaneous peak (each process's peak, even if they came at different
 * moments; the shared rings' pages count in every process that touched them; a
 * restarted worker counts as a process of its own).
 * Beside it, each process's peak of the tables' own bytes (lg_mem_peak:
 * keys, slots, counters, pairs, partials), the part that grows with
 * distinct keys, which --stats divides by the keys and pairs.
 */
#ifndef LOGS_PEAK_H
#define LOGS_PEAK_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "agg.h"

/* Processes whose peaks a run keeps (more: the rest are left out, and
 * --stats says so). */
#define LG_PEAK_SLOTS 64

/* Roles of a process of the run. */
enum {
    LG_PEAK_CALLER, /* also a process with several roles (--serial) */
    LG_PEAK_SPLIT,
    LG_PEAK_PARSE,
    LG_PEAK_SINK,
    LG_PEAK_ROLES
};

typedef struct lg_peak_slot {
    _Atomic int pid; /* 0 = free */
    int role;        /* LG_PEAK_* */
    _Atomic uint64_t kib;
    _Atomic uint64_t tables; /* the most bytes of tables held (mem.h) */
} lg_peak_slot;

/* The run's record (in lg_shared: every process of the run writes it). */
typedef struct lg_peak {
    lg_peak_slot slot[LG_PEAK_SLOTS];
    _Atomic int dropped; /* processes that found no free slot */
    /* the sink's distinct keys by table, and its (path, client) pairs */
    uint64_t keys[LG_TAB_COUNT];
    uint64_t pairs;
    int keys_set;
} lg_peak;

/* This process's peak RSS in KiB (VmHWM, else ru_maxrss), 0 if unknown. */
uint64_t lg_peak_self_kib(void);
/* Note this process's peak (role LG_PEAK_*) in pk. */
void lg_peak_note(lg_peak *pk, int role);
/* The sink's distinct keys of aggregate a, into pk. */
void lg_peak_keys(lg_peak *pk, const lg_agg *a);
/* The memory lines of --stats: the sum and its parts, the keys. */
void lg_peak_render(const lg_peak *pk, FILE *f);

#endif
