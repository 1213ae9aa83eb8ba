/* progress.c - the terminal progress line (progress.h). */
#include "progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

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

void lg_progress_cb(const pf_pipeline *p, int final, void *arg)
{
    lg_progress *pr = arg;
    const lg_job *job = pr->job;
    char line[160], done[32], total[32], rate[32], eta[32] = "";
    (void)p;
    if (!pr->t0_ns)
        pr->t0_ns = now_ns();
    if (final) {
        if (pr->drawn)
            (void)!write(2, "\r\033[K", 4);
        pr->drawn = 0;
        return;
    }
    uint64_t d =
        atomic_load_explicit(&job->sh->bytes_done, memory_order_relaxed);
    if (job->in.total_bytes && d > job->in.total_bytes)
        d = job->in.total_bytes; /* replayed chunks after a restart */
    uint64_t tot = job->in.total_bytes;
    double secs = (double)(now_ns() - pr->t0_ns) / 1e9;
    double bps = secs > 0.05 ? (double)d / secs : 0;
    lg_progress_bytes(d, done, sizeof done);
    lg_progress_bytes(tot, total, sizeof total);
    lg_progress_bytes((uint64_t)bps, rate, sizeof rate);
    int n;
    if (tot && d <= tot) {
        double frac = (double)d / (double)tot;
        if (bps > 0) {
            uint64_t left = (uint64_t)((double)(tot - d) / bps);
            snprintf(eta, sizeof eta, "  ETA %" PRIu64 ":%02" PRIu64, left / 60,
                     left % 60);
        }
        char bar[31];
        int k = (int)(frac * 30);
        memset(bar, '#', (size_t)k);
        memset(bar + k, '.', (size_t)(30 - k));
        bar[30] = 0;
        n = snprintf(line, sizeof line, "\r\033[K[%s] %3.0f%%  %s / %s  %s/s%s",
                     bar, frac * 100, done, total, rate, eta);
    } else {
        n = snprintf(line, sizeof line, "\r\033[K%s  %s/s", done, rate);
    }
    if (n > 0)
        (void)!write(2, line,
                     (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    pr->drawn = 1;
}
