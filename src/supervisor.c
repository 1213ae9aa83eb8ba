/*
 * supervisor.c - pf_run in process mode: lay out the shared region, fork
 * the workers, watch them through a signalfd, apply the failure policy,
 * reap every one of them and return.
 *
 * Failure policy.  By default (fail fast) any worker that ends other than
 * by finishing its work - non-zero exit, early exit, a signal - stops the
 * run: the other workers are SIGKILLed at once and pf_run returns
 * PF_EWORKER (or the error the worker reported, e.g. PF_ESTAGE).  With
 * retries, retry.c decides: a restartable worker is forked again on the
 * same rings and replays what it had not committed (txn.h); a record that
 * fails it more than retries times is quarantined and skipped.
 * Workers die with the supervisor (PR_SET_PDEATHSIG), and the shared region is
 * a memfd mapping that the kernel frees with its last user.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "ctx.h"
#include "failure.h"
#include "futex.h"
#include "pipeline.h"
#include "retry.h"
#include "supervisor.h"
#include "stats.h"
#include "txn.h"
#include "worker.h"

#define RING_BUDGET (256u << 20) /* all rings together, automatic sizing */
#define RING_MAX (4u << 20)
#define RING_MIN (64u << 10)
#define TICK_MS 200

/* Largest power of two <= x (x > 0). */
static uint64_t pow2_floor(uint64_t x)
{
    uint64_t r = 1;
    while (r <= x / 2)
        r *= 2;
    return r;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Lay out and map the region for p; fills run.  0 or PF_E*. */
static int run_layout(pf_pipeline *p, struct pf__run *run)
{
    int n = p->nstages;
    memset(run, 0, sizeof *run);
    run->first = calloc((size_t)n + 1, sizeof *run->first);
    run->ring_first = calloc((size_t)n, sizeof *run->ring_first);
    if (run->first == NULL || run->ring_first == NULL)
        return PF_ENOMEM;
    pf__stage_offsets(p, run->first);
    run->nworkers = run->first[n];
    run->pids = calloc((size_t)run->nworkers, sizeof *run->pids);
    if (run->pids == NULL)
        return PF_ENOMEM;

    int nrings = 0;
    for (int s = 0; s + 1 < n; s++) {
        run->ring_first[s] = nrings;
        nrings += p->stages[s]->workers * p->stages[s + 1]->workers;
    }
    uint64_t rb = p->opts.ring_bytes;
    if (rb == 0) {
        rb = pow2_floor(RING_BUDGET / (uint64_t)nrings);
        rb = rb > RING_MAX ? RING_MAX : rb < RING_MIN ? RING_MIN : rb;
    }
    uint64_t bb = p->opts.batch_bytes ? p->opts.batch_bytes : rb / 8;
    if (bb > rb / 4)
        bb = rb / 4;
    if (bb < 64)
        bb = 64;
    run->ring_bytes = rb;
    run->batch_bytes = bb;
    run->flush_ns = (uint64_t)p->opts.flush_us * 1000u;
    run->max_record = p->opts.max_record;

    uint64_t wctl_off = sizeof(struct pf__shm_hdr);
    uint64_t ring_off =
        wctl_off + (uint64_t)run->nworkers * sizeof(struct pf__wctl);
    uint64_t data_off =
        align_up(ring_off + (uint64_t)nrings * sizeof(struct pf__ring), 4096);
    uint64_t txn_off = data_off + (uint64_t)nrings * rb;
    uint64_t size = txn_off;
    run->txn = p->opts.retries > 0;
    run->track = run->txn || p->opts.stall_ms > 0;
    if (run->txn)
        for (int s = 0; s < n; s++) {
            int nout = s + 1 < n ? p->stages[s + 1]->workers : 0;
            size +=
                2 * pf__txn_slot_bytes(nout) * (uint64_t)p->stages[s]->workers;
        }
    int err = 0;
    run->base = pf__shm_map(size, &err);
    if (run->base == NULL)
        return err;
    run->size = size;
    run->hdr = (struct pf__shm_hdr *)run->base;
    run->hdr->magic = PF__SHM_MAGIC;
    run->hdr->version = PF__SHM_VERSION;
    run->hdr->size = size;
    run->hdr->nworkers = (uint32_t)run->nworkers;
    run->hdr->wctl_off = wctl_off;
    run->hdr->ring_off = ring_off;
    atomic_init(&run->hdr->stop, PF__RUN);
    run->wctl = (struct pf__wctl *)(run->base + wctl_off);
    run->rings = (struct pf__ring *)(run->base + ring_off);
    for (int i = 0; i < nrings; i++)
        pf__ring_init(&run->rings[i], rb, data_off + (uint64_t)i * rb);
    for (int s = 0; s < n; s++) {
        int nout = s + 1 < n ? p->stages[s + 1]->workers : 0;
        for (int w = 0; w < p->stages[s]->workers; w++) {
            struct pf__wctl *c = &run->wctl[run->first[s] + w];
            atomic_init(&c->skip_ring, PF__RING_NONE);
            atomic_init(&c->cur_ring, PF__RING_NONE);
            if (run->txn) {
                c->txn_off = txn_off;
                txn_off += 2 * pf__txn_slot_bytes(nout);
            }
        }
    }
    return 0;
}

static void run_release(struct pf__run *run)
{
    pf__shm_unmap(run->base, run->size);
    free(run->first);
    free(run->ring_first);
    free(run->pids);
    memset(run, 0, sizeof *run);
}

/* Stage and worker index of worker id g. */
void pf__worker_of(const struct pf__run *run, int nstages, int g, int *s,
                   int *w)
{
    int i = 0;
    while (i + 1 < nstages && run->first[i + 1] <= g)
        i++;
    *s = i;
    *w = g - run->first[i];
}

/* Wake every worker so it re-reads the stop flag. */
static void wake_all(struct pf__run *run)
{
    for (int g = 0; g < run->nworkers; g++) {
        atomic_fetch_add(&run->wctl[g].in_seq, 1);
        pf__futex_wake(&run->wctl[g].in_seq);
        atomic_fetch_add(&run->wctl[g].out_seq, 1);
        pf__futex_wake(&run->wctl[g].out_seq);
    }
}

static void kill_all(struct pf__run *run)
{
    atomic_store(&run->hdr->stop, PF__STOP_NOW);
    for (int g = 0; g < run->nworkers; g++)
        if (run->pids[g] > 0)
            kill(run->pids[g], SIGKILL);
}

/* What the child does between fork and the worker: signals as a worker
 * wants them, die with the supervisor, drop the supervisor's fd. */
static void child_setup(struct pf__watch *wa)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != wa->run->supervisor)
        _exit(127); /* the supervisor died before we could watch it */
    close(wa->sfd);
    pf__sigfwd_child(&wa->fwd);
    /* The supervisor handles SIGINT/SIGTERM for everyone: a terminal's
     * ^C reaches the whole process group, and workers must drain. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig != SIGKILL && sig != SIGSTOP &&
            sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
            sa.sa_handler != SIG_IGN)
            signal(sig, SIG_DFL); /* the host's handlers are not ours */
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &wa->host_mask, NULL);
}

/* Describe how a worker ended, for the log line and the failure record;
 * returns its error.  quiet: the failure is not the run's own - after an
 * abort, the workers we killed ourselves (the line that matters is the
 * first failure's), or with retries, where retry.c reports it - and is
 * logged at debug level and not recorded. */
static int judge_exit(struct pf__watch *wa, int g, int status, int quiet)
{
    pf_pipeline *p = wa->p;
    struct pf__run *run = wa->run;
    struct pf__wctl *c = &run->wctl[g];
    int state = (int)atomic_load(&c->state);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && state == PF__W_DONE)
        return 0;
    int s, w;
    pf__worker_of(run, p->nstages, g, &s, &w);
    const char *name = p->stages[s]->name;
    pid_t pid = run->pids[g];
    int level = quiet ? PF_LOG_DEBUG : PF_LOG_ERROR;
    pf_failure f;
    pf__failure_init(&f, p, s, w, (int)pid);
    pf__failure_cause(&f, status, state == PF__W_FAILED,
                      wa->fail != NULL && wa->fail[g].stalled);
    f.restarts = atomic_load(&c->restarts);
    f.error = PF_EWORKER;
    if (state == PF__W_FAILED) {
        int err = (int)atomic_load(&c->error);
        f.error = err != 0 ? err : PF_ESTAGE;
        pf__failure_detail(&f, c);
        char at[160] = "";
        if (f.stream_record != 0)
            snprintf(at, sizeof at, " on record %llu of %s[%d]",
                     (unsigned long long)f.stream_record,
                     p->stages[s - 1]->name, f.stream_worker);
        else if (f.record != 0)
            snprintf(at, sizeof at, " on its input record %llu",
                     (unsigned long long)f.record);
        if (quiet)
            pf_log(NULL, level, "stage %s worker %d (pid %d) failed: %s", name,
                   w, (int)pid, pf_strerror(err));
        else
            pf__failure_log(p, &f, level,
                            "stage %s worker %d (pid %d) failed: %s "
                            "(returned %d%s)",
                            name, w, (int)pid, pf_strerror(err), f.code, at);
        return f.error;
    }
    char how[96];
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(how, sizeof how, "killed by signal %d (SIG%s) while %s", sig,
                 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
                 pf__wstate_name(state));
    } else if (WEXITSTATUS(status) == 0) {
        snprintf(how, sizeof how,
                 "exited with status 0 before finishing (while %s)",
                 pf__wstate_name(state));
    } else {
        snprintf(how, sizeof how, "exited with status %d while %s",
                 WEXITSTATUS(status), pf__wstate_name(state));
    }
    if (quiet)
        pf_log(NULL, level, "stage %s worker %d (pid %d) %s", name, w, (int)pid,
               how);
    else
        pf__failure_log(p, &f, level, "stage %s worker %d (pid %d) %s", name, w,
                        (int)pid, how);
    return PF_EWORKER;
}

void pf__fail_fast(struct pf__watch *wa, int err)
{
    if (wa->err == 0)
        wa->err = err;
    if (!wa->aborted) {
        wa->aborted = 1;
        kill_all(wa->run);
    }
}

/* Fork worker w of stage s again after a crash; 0 or an error. */
int pf__respawn(struct pf__watch *wa, int g, int s, int w)
{
    struct pf__run *run = wa->run;
    struct pf__wctl *c = &run->wctl[g];
    atomic_store(&c->state, PF__W_IDLE);
    atomic_store(&c->error, 0);
    atomic_store(&c->in_sleep, 0);
    atomic_store(&c->out_sleep, 0);
    atomic_store(&c->in_call, 0);
    atomic_store(&c->wait_in_since, 0);
    atomic_store(&c->wait_out_since, 0);
    atomic_store(&c->fail_record, 0); /* what the last one failed on */
    atomic_store(&c->fail_stream, 0);
    atomic_store(&c->fail_code, 0);
    atomic_fetch_add(&c->restarts, 1);
    fflush(NULL); /* or the child writes the host's buffered output again */
    pid_t pid = fork();
    if (pid == 0) {
        if (wa->dl_fd >= 0)
            close(wa->dl_fd);
        child_setup(wa);
        pf__worker_main(wa->p, run, s, w, 1);
    }
    if (pid < 0) {
        pf_failure f;
        pf__failure_init(&f, wa->p, s, w, 0);
        f.error = PF_ESYS;
        pf__failure_log(wa->p, &f, PF_LOG_ERROR,
                        "fork to restart stage %s worker %d: %s",
                        wa->p->stages[s]->name, w, strerror(errno));
        return PF_ESYS;
    }
    run->pids[g] = pid;
    atomic_store(&c->pid, pid);
    wa->alive++;
    wa->fail[g].beats = atomic_load(&c->beats);
    wa->fail[g].since = pf__now_ns();
    wa->fail[g].stalled = 0;
    return 0;
}

/* Reap every worker that has ended; judge each. */
static void reap(struct pf__watch *wa)
{
    struct pf__run *run = wa->run;
    for (int g = 0; g < run->nworkers && wa->alive > 0; g++) {
        if (run->pids[g] <= 0)
            continue;
        int status;
        pid_t r = waitpid(run->pids[g], &status, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR))
            continue;
        int retry = wa->p->opts.retries > 0 && !wa->aborted && r > 0 &&
                    atomic_load(&run->hdr->stop) != PF__STOP_NOW;
        int err = r < 0 ? PF_EWORKER
                        : judge_exit(wa, g, status, wa->aborted || retry);
        run->pids[g] = -run->pids[g]; /* reaped; keep the pid for stats */
        wa->alive--;
        if (err != 0 && retry)
            err = pf__try_restart(wa, g, status, err);
        if (err != 0 && !wa->aborted)
            pf__fail_fast(wa, err);
    }
}

/* Handle the stop signals read from the signalfd and those forwarded
 * from other threads (signals.c). */
static void on_signals(struct pf__watch *wa)
{
    struct signalfd_siginfo si;
    for (;;) {
        int sig;
        if (read(wa->sfd, &si, sizeof si) == (ssize_t)sizeof si)
            sig = (int)si.ssi_signo;
        else if ((sig = pf__sigfwd_next(&wa->fwd)) == 0)
            break;
        if (sig != SIGINT && sig != SIGTERM)
            continue;
        if (wa->nsignals++ == 0) {
            wa->p->last_signal = sig;
            wa->t_drain = pf__now_ns();
            pf_log(NULL, PF_LOG_WARN,
                   "SIG%s: stopping sources and draining "
                   "(again to kill at once)",
                   sigabbrev_np(sig));
            atomic_store(&wa->run->hdr->stop, PF__STOP_SOURCES);
            wake_all(wa->run);
        } else {
            pf_log(NULL, PF_LOG_WARN, "SIG%s again: killing every worker",
                   sigabbrev_np(sig));
            pf__fail_fast(wa, PF_EINTR);
        }
    }
}

/* Bound the drain after a stop signal: a worker that has not finished
 * drain_ms after it (a finish hook that never returns, a source that
 * ignores pf_stopping) is killed with the others. */
static void check_drain(struct pf__watch *wa)
{
    unsigned ms = wa->p->opts.drain_ms;
    if (wa->t_drain == 0 || ms == 0 || wa->aborted || wa->alive == 0 ||
        pf__now_ns() - wa->t_drain < (uint64_t)ms * 1000000u)
        return;
    pf_log(NULL, PF_LOG_WARN,
           "the drain did not end within %u ms (drain_ms): killing every "
           "worker",
           ms);
    pf__fail_fast(wa, PF_EINTR);
}

static int want_progress(const pf_pipeline *p)
{
    if (p->opts.progress >= 0)
        return p->opts.progress;
    return isatty(2);
}

/* Fork every worker of the run; a failed fork fails the run fast. */
static void fork_all(struct pf__watch *wa)
{
    pf_pipeline *p = wa->p;
    struct pf__run *run = wa->run;
    fflush(NULL); /* or buffered output would be written by every child */
    for (int s = 0; s < p->nstages && !wa->aborted; s++) {
        for (int w = 0; w < p->stages[s]->workers; w++) {
            pid_t pid = fork();
            if (pid == 0) {
                child_setup(wa);
                pf__worker_main(p, run, s, w, 0);
            }
            if (pid < 0) {
                int e = errno;
                pf_failure f;
                pf__failure_init(&f, p, s, w, 0);
                f.error = e == ENOMEM || e == EAGAIN ? PF_ENOMEM : PF_ESYS;
                pf__failure_log(p, &f, PF_LOG_ERROR,
                                "fork for stage %s worker %d: %s",
                                p->stages[s]->name, w, strerror(e));
                pf__fail_fast(wa, f.error);
                break;
            }
            run->pids[run->first[s] + w] = pid;
            atomic_store(&run->wctl[run->first[s] + w].pid, pid);
            if (wa->fail != NULL) /* the stall watch counts from here */
                wa->fail[run->first[s] + w].since = pf__now_ns();
            wa->alive++;
        }
    }
}

/* Watch the workers until every one is reaped: signals, deaths, stalls,
 * and the progress line and callback every TICK_MS. */
static void watch(struct pf__watch *wa, int progress, uint64_t t0)
{
    pf_pipeline *p = wa->p;
    uint64_t last_tick = 0;
    while (wa->alive > 0) {
        struct pollfd pfd[2] = {{.fd = wa->sfd, .events = POLLIN},
                                {.fd = wa->fwd.fd[0], .events = POLLIN}};
        int timeout = progress || p->progress ? TICK_MS : 1000;
        if (p->opts.stall_ms > 0)
            timeout = p->opts.stall_ms / 4 < (unsigned)timeout
                          ? (int)(p->opts.stall_ms / 4) + 1
                          : timeout;
        if (wa->t_drain != 0 && p->opts.drain_ms > 0 &&
            (unsigned)timeout > p->opts.drain_ms / 4 + 1)
            timeout = (int)(p->opts.drain_ms / 4) + 1;
        if (poll(pfd, wa->fwd.active ? 2 : 1, timeout) < 0 && errno != EINTR)
            break;
        on_signals(wa);
        reap(wa);
        check_drain(wa);
        if (p->opts.stall_ms > 0 && !wa->aborted)
            pf__check_stalls(wa);
        uint64_t now = pf__now_ns();
        if ((progress || p->progress) &&
            now - last_tick >= TICK_MS * 1000000ull && wa->alive > 0) {
            last_tick = now;
            pf__stats_pull(p);
            if (progress)
                pf__progress_draw(p, now - t0, 0);
            if (p->progress)
                p->progress(p, 0, p->progress_arg);
        }
    }
}

int pf__run_processes(pf_pipeline *p)
{
    struct pf__run run;
    int err = run_layout(p, &run);
    pf_failure f;
    pf__failure_init(&f, p, -1, -1, 0);
    if (err != 0) {
        f.error = err;
        pf__failure_log(p, &f, PF_LOG_ERROR, "cannot set up shared memory: %s",
                        pf_strerror(err));
        run_release(&run);
        return err;
    }
    run.supervisor = getpid();

    sigset_t set, host_mask;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    if (p->opts.stop_signals) {
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
    }
    struct sigaction chld_dfl = {.sa_handler = SIG_DFL}, host_chld;
    sigaction(SIGCHLD, &chld_dfl, &host_chld);
    sigprocmask(SIG_BLOCK, &set, &host_mask);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        err = f.error = PF_ESYS;
        pf__failure_log(p, &f, PF_LOG_ERROR, "signalfd: %s", strerror(errno));
        goto restore_signals;
    }

    struct pf__watch wa = {
        .p = p, .run = &run, .sfd = sfd, .dl_fd = -1, .host_mask = host_mask};
    if (p->opts.stop_signals && pf__sigfwd_start(&wa.fwd) != 0) {
        err = f.error = PF_ESYS;
        pf__failure_log(p, &f, PF_LOG_ERROR, "pipe: %s", strerror(errno));
        close(sfd);
        goto restore_signals;
    }
    if (run.track) {
        wa.fail = calloc((size_t)run.nworkers, sizeof *wa.fail);
        if (wa.fail == NULL) {
            err = PF_ENOMEM;
            pf__sigfwd_stop(&wa.fwd);
            close(sfd);
            goto restore_signals;
        }
        for (int g = 0; g < run.nworkers; g++)
            wa.fail[g].ring = PF__RING_UNSET;
    }
    p->run = &run;
    fork_all(&wa);
    int progress = want_progress(p);
    uint64_t t0 = pf__now_ns();
    watch(&wa, progress, t0);
    /* Leftovers only if poll itself failed: make sure nothing survives. */
    if (wa.alive > 0) {
        kill_all(&run);
        for (int g = 0; g < run.nworkers; g++)
            if (run.pids[g] > 0)
                waitpid(run.pids[g], NULL, 0);
    }

    pf__stats_pull(p);
    if (progress)
        pf__progress_draw(p, pf__now_ns() - t0, 1);
    if (p->progress)
        p->progress(p, 1, p->progress_arg);
    p->run = NULL;
    err = wa.err != 0 ? wa.err : p->last_signal != 0 ? PF_EINTR : 0;
    if (wa.quarantined > 0) {
        pf_log(NULL, PF_LOG_WARN, "%llu record(s) quarantined%s%s",
               (unsigned long long)wa.quarantined,
               p->opts.dead_letter ? " in " : "",
               p->opts.dead_letter ? p->opts.dead_letter : "");
        if (err == 0)
            err = PF_EPOISON;
    }
    if (wa.dl_fd >= 0)
        close(wa.dl_fd);
    free(wa.fail);
    pf__sigfwd_stop(&wa.fwd);
    close(sfd);
restore_signals : {
    /* Drop the SIGCHLDs of our own workers before unblocking. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&chld, NULL, &zero) > 0)
        ;
}
    sigprocmask(SIG_SETMASK, &host_mask, NULL);
    sigaction(SIGCHLD, &host_chld, NULL);
    run_release(&run);
    return err;
}

/* Read one counter of a worker, with acquire: see pf__push_stats. */
static uint64_t counter(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_acquire);
}

/* A wait total plus the wait in progress (see pf__wctl.wait_in_since):
 * the total is read first, so a wait that just ended is never counted
 * twice. */
static uint64_t wait_now(_Atomic uint64_t *total, _Atomic uint64_t *since,
                         uint64_t now)
{
    uint64_t t = counter(total);
    uint64_t s = counter(since);
    return t + (s != 0 && now > s ? now - s : 0);
}

void pf__stats_pull(pf_pipeline *p)
{
    struct pf__run *run = p->run;
    if (run == NULL || p->stats == NULL)
        return;
    uint64_t now = pf__now_ns();
    /* Downstream workers first: a record counted in by a stage was
     * counted out by its upstream before it could be taken. */
    for (int g = run->nworkers - 1; g >= 0; g--) {
        struct pf__wctl *c = &run->wctl[g];
        pf_worker_stats *st = &p->stats[g];
        st->records_in = counter(&c->records_in);
        st->bytes_in = counter(&c->bytes_in);
        st->records_out = counter(&c->records_out);
        st->bytes_out = counter(&c->bytes_out);
        uint64_t end = atomic_load(&c->t_end);
        uint64_t at = end != 0 ? end : now;
        /* A worker killed while it waited never ended its wait. */
        uint64_t wat = run->pids[g] > 0 ? at : 0;
        st->ns_wait_in = wait_now(&c->ns_wait_in, &c->wait_in_since, wat);
        st->ns_wait_out = wait_now(&c->ns_wait_out, &c->wait_out_since, wat);
        uint64_t start = atomic_load(&c->t_start);
        uint64_t wall = start != 0 && at > start ? at - start : 0;
        uint64_t waits = st->ns_wait_in + st->ns_wait_out;
        st->ns_busy = wall > waits ? wall - waits : 0;
        st->pid = atomic_load(&c->pid);
        st->restarts = atomic_load(&c->restarts);
        st->quarantined = atomic_load(&c->quarantined);
    }
}
