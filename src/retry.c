/*
 * retry.c - the failure policy when retries (or a stall limit) are set.
 *
 * A restartable worker that died is forked again on the same rings; its
 * successor replays what it had not committed (see txn.h).  The supervisor
 * remembers where each worker failed - the record in progress (ring and
 * position), a source's record count, or a hook's last commit - and a
 * record that failed its worker more than retries times is poison: by
 * policy it fails the run, or goes to the dead-letter file (format in
 * docs/RELIABILITY.md) and is skipped.  A worker that makes no progress
 * in one call for longer than the stall limit is killed and handled the
 * same way.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "clock.h"
#include "deadletter.h"
#include "failure.h"
#include "retry.h"
#include "transport.h"

/* How a worker ended, in words, for logs and the dead-letter file. */
static void describe(char *buf, size_t n, int status, int state,
                     const struct pf__failure *f)
{
    if (f != NULL && f->stalled)
        snprintf(buf, n, "stalled");
    else if (state == PF__W_FAILED)
        snprintf(buf, n, "stage function failed");
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d (SIG%s)", WTERMSIG(status),
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status))
                                                : "?");
    else
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
}

int pf__try_restart(struct pf__watch *wa, int g, int status, int err)
{
    pf_pipeline *p = wa->p;
    struct pf__run *run = wa->run;
    struct pf__wctl *c = &run->wctl[g];
    struct pf__failure *f = &wa->fail[g];
    int s, w;
    pf__worker_of(run, p->nstages, g, &s, &w);
    const char *name = p->stages[s]->name;
    pid_t pid = -run->pids[g];
    char why[96];
    int state = (int)atomic_load(&c->state);
    describe(why, sizeof why, status, state, f);
    pf_failure fr;
    pf__failure_init(&fr, p, s, w, (int)pid);
    pf__failure_cause(&fr, status, state == PF__W_FAILED, f->stalled);
    fr.restarts = atomic_load(&c->restarts);
    fr.error = err;
    if (state == PF__W_FAILED)
        pf__failure_detail(&fr, c);

    if (!pf__stage_restartable(p, s)) {
        pf__failure_log(p, &fr, PF_LOG_ERROR,
                        "stage %s worker %d (pid %d) %s; not "
                        "restarted: %s",
                        name, w, (int)pid, why,
                        s == p->nstages - 1
                            ? "a sink's effects cannot be rolled back"
                            : "the stage keeps state (finish hook)");
        return err;
    }
    if (atomic_load(&c->unsafe)) {
        fr.error = PF_EREPLAY;
        pf__failure_log(
            p, &fr, PF_LOG_ERROR,
            "stage %s worker %d (pid %d) %s while its "
            "output was published past its last commit (a record's "
            "output larger than a queue); its input cannot be replayed",
            name, w, (int)pid, why);
        return PF_EREPLAY;
    }
    /* Where it failed: the record in progress (ring, position), a
     * source's count of records, or else its heartbeat count. */
    int32_t ring =
        atomic_load(&c->in_call) ? atomic_load(&c->cur_ring) : PF__RING_HOOK;
    uint64_t pos =
        ring >= 0 ? atomic_load(&c->cur_pos) : atomic_load(&c->beats);
    if (s == 0) {
        ring = PF__RING_NONE;
        pos = atomic_load(&c->cur_pos);
    } else if (ring < 0) {
        /* Outside a record (a hook): progress is a commit made. */
        ring = PF__RING_HOOK;
        pos = atomic_load(&c->txn_seq);
    }
    if (f->ring == ring && f->pos == pos) {
        f->count++;
    } else {
        f->ring = ring;
        f->pos = pos;
        f->count = 1;
    }
    if (f->count > p->opts.retries) {
        if (ring < 0) {
            pf__failure_log(p, &fr, PF_LOG_ERROR,
                            "stage %s worker %d (pid %d) %s %d "
                            "times without progress; giving up",
                            name, w, (int)pid, why, f->count);
            return err;
        }
        /* The record in progress failed the worker every time: poison. */
        pf__frame rec;
        pf__edge_frame_at(run, s - 1, ring, w, pos, &rec);
        if (p->opts.poison == PF_POISON_FAIL || rec.flags != 0) {
            fr.error = PF_EPOISON;
            pf__failure_log(p, &fr, PF_LOG_ERROR,
                            "stage %s worker %d: a record failed "
                            "it %d times (%s); failing the run",
                            name, w, f->count, why);
            return PF_EPOISON;
        }
        int dl = pf__dead_letter_append(p, &wa->dl_fd, p->opts.dead_letter,
                                        name, w, pid, why, rec.data, rec.len);
        if (dl != 0)
            return dl;
        atomic_store(&c->skip_pos, pos);
        atomic_store(&c->skip_ring, ring);
        atomic_fetch_add(&c->quarantined, 1);
        wa->quarantined++;
        f->count = 0;
        pf_log(NULL, PF_LOG_WARN,
               "stage %s worker %d: quarantined a %u-byte "
               "record that failed it %d times (%s)",
               name, w, rec.len, p->opts.retries + 1, why);
        fr.action = PF_FAIL_QUARANTINED;
    } else {
        fr.action = PF_FAIL_RESTARTED;
    }
    fr.error = 0;
    pf__failure_log(p, &fr, PF_LOG_WARN,
                    "stage %s worker %d (pid %d) %s; restarting "
                    "it to replay its uncommitted input",
                    name, w, (int)pid, why);
    return pf__respawn(wa, g, s, w);
}

void pf__check_stalls(struct pf__watch *wa)
{
    struct pf__run *run = wa->run;
    uint64_t limit = (uint64_t)wa->p->opts.stall_ms * 1000000u;
    uint64_t now = pf__now_ns();
    for (int g = 0; g < run->nworkers; g++) {
        struct pf__wctl *c = &run->wctl[g];
        struct pf__failure *f = &wa->fail[g];
        uint64_t beats = atomic_load(&c->beats);
        if (run->pids[g] <= 0 || f->stalled)
            continue;
        /* since is 0 until the first look at a worker (a worker forked
         * before the first look must not count from time 0). */
        if (f->since == 0 || !atomic_load(&c->in_call) || beats != f->beats) {
            f->beats = beats;
            f->since = now;
        } else if (now - f->since > limit) {
            int s, w;
            pf__worker_of(run, wa->p->nstages, g, &s, &w);
            pf_log(NULL, PF_LOG_WARN,
                   "stage %s worker %d (pid %d) made no "
                   "progress for %u ms: killing it",
                   wa->p->stages[s]->name, w, (int)run->pids[g],
                   wa->p->opts.stall_ms);
            f->stalled = 1;
            kill(run->pids[g], SIGKILL);
        }
    }
}
