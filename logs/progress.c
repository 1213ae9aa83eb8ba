/* progress.c - the terminal progress line (progress.h). */
#include "progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

#define RATE_AFTER_NS 500000000ull /* no rate (and no "0 B/s") before */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void lg_progress_bytes(uint64_t v, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double d = (double)v;
    int u = 0;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", d, units[u]);
}

/* Is the total the bytes the workers will read: only plain files? */
static int determinate(const lg_job *job)
{
    for (size_t i = 0; i < job->in.n; i++) {
        const lg_input *in = &job->in.v[i];
        if (!in->err && (in->is_stream || in->comp != LG_COMP_NONE))
            return 0;
    }
    return job->in.total_bytes > 0;
}

static void put(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(2, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Draw one frame: d bytes done after el_ns; last: the run is over. */
static void frame(const lg_job *job, uint64_t d, uint64_t el_ns, int last)
{
    char line[200], done[32], total[32], rate[48] = "", eta[32] = "";
    uint64_t tot = job->in.total_bytes, secs = el_ns / 1000000000u;
    double bps = 0;
    if (el_ns >= RATE_AFTER_NS && d > 0) {
        bps = (double)d / ((double)el_ns / 1e9);
        lg_progress_bytes((uint64_t)bps, rate + 2, sizeof rate - 4);
        memcpy(rate, "  ", 2);
        strcat(rate, "/s");
    }
    lg_progress_bytes(d, done, sizeof done);
    int n;
    if (determinate(job)) {
        if (d > tot || last)
            d = tot; /* replayed chunks after a restart; the end */
        double frac = (double)d / (double)tot;
        if (bps > 0 && !last) {
            uint64_t left = (uint64_t)((double)(tot - d) / bps);
            snprintf(eta, sizeof eta, "  ETA %" PRIu64 ":%02" PRIu64, left / 60,
                     left % 60);
        }
        char bar[31];
        int k = (int)(frac * 30);
        memset(bar, '#', (size_t)k);
        memset(bar + k, '.', (size_t)(30 - k));
        bar[30] = 0;
        lg_progress_bytes(d, done, sizeof done);
        lg_progress_bytes(tot, total, sizeof total);
        n = snprintf(line, sizeof line, "\r\033[K[%s] %3.0f%%  %s / %s%s%s",
                     bar, frac * 100, done, total, rate, eta);
    } else {
        /* compressed or streamed input: no total to measure against */
        n = snprintf(line, sizeof line,
                     "\r\033[K%s read%s  %" PRIu64 ":%02" PRIu64 "%s", done,
                     rate, secs / 60, secs % 60,
                     last ? "  done"
                          : "  (compressed or streamed input: "
                            "no ETA)");
    }
    if (n > 0)
        put(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* The last frame, then an empty line; the caller holds the terminal. */
static void finish(const lg_job *job, uint64_t el_ns)
{
    frame(job, atomic_load_explicit(&job->sh->bytes_done, memory_order_relaxed),
          el_ns, 1);
    put("\r\033[K", 4);
    atomic_store(&job->sh->bar_drawn, 0);
}

void lg_progress_cb(const pf_pipeline *p, int final, void *arg)
{
    lg_progress *pr = arg;
    const lg_job *job = pr->job;
    int free_ = LG_TERM_FREE;
    (void)p;
    if (!pr->t0_ns)
        pr->t0_ns = now_ns();
    if (!atomic_compare_exchange_strong(&job->sh->term, &free_,
                                        LG_TERM_DRAWING))
        return; /* the report has the terminal */
    uint64_t el = now_ns() - pr->t0_ns;
    if (final) { /* no report (the run failed or stopped): no 100 % */
        if (atomic_load(&job->sh->bar_drawn))
            put("\r\033[K", 4);
        atomic_store(&job->sh->term, LG_TERM_REPORT);
        return;
    }
    frame(job, atomic_load_explicit(&job->sh->bytes_done, memory_order_relaxed),
          el, 0);
    atomic_store(&job->sh->bar_drawn, 1);
    atomic_store(&job->sh->term, LG_TERM_FREE);
}

void lg_progress_handoff(const lg_job *job)
{
    if (!job->progress)
        return;
    for (;;) {
        int free_ = LG_TERM_FREE;
        if (atomic_compare_exchange_strong(&job->sh->term, &free_,
                                           LG_TERM_REPORT))
            break;
        if (free_ == LG_TERM_REPORT)
            return;
        struct timespec ts = {0, 1000000}; /* a frame is one write */
        nanosleep(&ts, NULL);
    }
    finish(job, 0); /* the last frame even when the run beat the first */
}
