/*
 * stats.c - reading the per-worker counters: per stage sums, the
 * bottleneck, the end-of-run table, JSON, and the live progress line.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

#include "log.h"

int pf_pipeline_worker_stats(const pf_pipeline *p, int i, int w,
                             pf_worker_stats *out)
{
    if (p == NULL || out == NULL || i < 0 || i >= p->nstages ||
        p->stats == NULL || w < 0 || w >= p->stages[i]->workers)
        return PF_EINVAL;
    *out = p->stats[p->stats_first[i] + w];
    return 0;
}

int pf_pipeline_stage_stats(const pf_pipeline *p, int i, pf_stage_stats *out)
{
    if (p == NULL || out == NULL || i < 0 || i >= p->nstages)
        return PF_EINVAL;
    memset(out, 0, sizeof *out);
    out->name = p->stages[i]->name;
    out->workers = p->stages[i]->workers;
    if (p->stats == NULL)
        return 0;
    for (int w = 0; w < out->workers; w++) {
        const pf_worker_stats *s = &p->stats[p->stats_first[i] + w];
        pf_worker_stats *t = &out->total;
        t->records_in += s->records_in;
        t->bytes_in += s->bytes_in;
        t->records_out += s->records_out;
        t->bytes_out += s->bytes_out;
        t->ns_busy += s->ns_busy;
        t->ns_wait_in += s->ns_wait_in;
        t->ns_wait_out += s->ns_wait_out;
        t->restarts += s->restarts;
        t->quarantined += s->quarantined;
    }
    return 0;
}

/* The bottleneck is the stage whose workers each spent the most time
 * working: it limits the throughput of the whole chain.  (A busy share
 * would not do: a source that emits everything at once and ends is
 * busy 100% of its short life.) */
void pf__stats_bottleneck(pf_pipeline *p)
{
    uint64_t best = 0;
    p->bottleneck = -1;
    if (p->serial_now)
        return; /* one process: no stage waits for another */
    for (int i = 0; i < p->nstages; i++) {
        pf_stage_stats st;
        pf_pipeline_stage_stats(p, i, &st);
        uint64_t b = st.total.ns_busy / (uint64_t)st.workers;
        if (p->bottleneck < 0 || b > best) {
            best = b;
            p->bottleneck = i;
        }
    }
}

int pf_pipeline_bottleneck(const pf_pipeline *p)
{
    return p != NULL ? p->bottleneck : -1;
}

/* Human form of a count: 1234567 -> "1.23M". */
static void human(char *buf, size_t n, double v, const char *unit)
{
    const char *pre[] = {"", "k", "M", "G", "T"};
    int i = 0;
    while (v >= 1000 && i < 4) {
        v /= 1000;
        i++;
    }
    snprintf(buf, n, i ? "%.2f%s%s" : "%.0f%s%s", v, pre[i], unit);
}

int pf_pipeline_write_summary(const pf_pipeline *p, int fd)
{
    if (p == NULL)
        return PF_EINVAL;
    int err = 0;
    char line[512];
    int n = snprintf(line, sizeof line,
                     "%-16s %7s %12s %12s %10s %10s %6s %6s %6s\n", "stage",
                     "workers", "records in", "records out", "bytes in",
                     "bytes out", "busy", "w-in", "w-out");
    err |= pf__write_all(fd, line, (size_t)n);
    for (int i = 0; i < p->nstages; i++) {
        pf_stage_stats st;
        pf_pipeline_stage_stats(p, i, &st);
        uint64_t all =
            st.total.ns_busy + st.total.ns_wait_in + st.total.ns_wait_out;
        double d = all ? (double)all / 100.0 : 1.0;
        char bi[32], bo[32];
        human(bi, sizeof bi, (double)st.total.bytes_in, "B");
        human(bo, sizeof bo, (double)st.total.bytes_out, "B");
        n = snprintf(
            line, sizeof line,
            "%-16.16s %7d %12llu %12llu %10s %10s %5.1f%% %5.1f%% "
            "%5.1f%%%s\n",
            st.name, st.workers, (unsigned long long)st.total.records_in,
            (unsigned long long)st.total.records_out, bi, bo,
            (double)st.total.ns_busy / d, (double)st.total.ns_wait_in / d,
            (double)st.total.ns_wait_out / d,
            i == p->bottleneck ? "  <- bottleneck" : "");
        err |= pf__write_all(fd, line, (size_t)n);
    }
    return err != 0 ? PF_EIO : 0;
}

int pf_pipeline_write_stats_json(const pf_pipeline *p, int fd)
{
    if (p == NULL)
        return PF_EINVAL;
    int err = 0;
    char buf[768];
    int n = snprintf(buf, sizeof buf, "{\"bottleneck\":%d,\"stages\":[",
                     p->bottleneck);
    err |= pf__write_all(fd, buf, (size_t)n);
    for (int i = 0; i < p->nstages; i++) {
        pf_stage_stats st;
        pf_pipeline_stage_stats(p, i, &st);
        n = snprintf(buf, sizeof buf, "%s{\"name\":\"", i ? "," : "");
        err |= pf__write_all(fd, buf, (size_t)n);
        /* Stage names are the program's own; escape quotes anyway. */
        for (const char *c = st.name; *c; c++) {
            if (*c == '"' || *c == '\\')
                err |= pf__write_all(fd, "\\", 1);
            if ((unsigned char)*c >= 0x20)
                err |= pf__write_all(fd, c, 1);
        }
        n = snprintf(buf, sizeof buf,
                     "\",\"workers\":%d,\"records_in\":%llu,"
                     "\"records_out\":%llu,\"bytes_in\":%llu,"
                     "\"bytes_out\":%llu,\"ns_busy\":%llu,"
                     "\"ns_wait_in\":%llu,\"ns_wait_out\":%llu,"
                     "\"restarts\":%u}",
                     st.workers, (unsigned long long)st.total.records_in,
                     (unsigned long long)st.total.records_out,
                     (unsigned long long)st.total.bytes_in,
                     (unsigned long long)st.total.bytes_out,
                     (unsigned long long)st.total.ns_busy,
                     (unsigned long long)st.total.ns_wait_in,
                     (unsigned long long)st.total.ns_wait_out,
                     st.total.restarts);
        err |= pf__write_all(fd, buf, (size_t)n);
    }
    err |= pf__write_all(fd, "]}\n", 3);
    return err != 0 ? PF_EIO : 0;
}

void pf__progress_draw(const pf_pipeline *p, uint64_t elapsed_ns, int final)
{
    if (final) {
        pf__write_all(2, "\r\033[K", 4);
        return;
    }
    char line[512];
    size_t used = 0;
    double secs = (double)elapsed_ns / 1e9;
    used += (size_t)snprintf(line, sizeof line, "\r\033[K%5.1fs", secs);
    for (int i = 0; i < p->nstages && used < sizeof line - 64; i++) {
        pf_stage_stats st;
        pf_pipeline_stage_stats(p, i, &st);
        char rec[32], rate[32];
        human(rec, sizeof rec,
              (double)st.total.records_in +
                  (i == 0 ? (double)st.total.records_out : 0),
              "");
        human(rate, sizeof rate,
              secs > 0
                  ? (double)(i == 0 ? st.total.bytes_out : st.total.bytes_in) /
                        secs
                  : 0,
              "B/s");
        used += (size_t)snprintf(line + used, sizeof line - used,
                                 " | %.12s x%d %s rec %s", st.name, st.workers,
                                 rec, rate);
    }
    pf__write_all(2, line, used < sizeof line ? used : sizeof line - 1);
}
