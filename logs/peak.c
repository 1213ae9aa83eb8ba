/* peak.c - peak memory and distinct keys of a run, for --stats (peak.h). */
#include "peak.h"

#include "mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

uint64_t lg_peak_self_kib(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    uint64_t kib = 0;
    if (f) {
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "VmHWM:", 6) == 0) {
                kib = strtoull(line + 6, NULL, 10);
                break;
            }
        fclose(f);
    }
    if (!kib) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0)
            kib = (uint64_t)ru.ru_maxrss; /* KiB on Linux */
    }
    return kib;
}

void lg_peak_note(lg_peak *pk, int role)
{
    if (!pk)
        return;
    int pid = (int)getpid();
    uint64_t kib = lg_peak_self_kib();
    for (int i = 0; i < LG_PEAK_SLOTS; i++) {
        lg_peak_slot *s = &pk->slot[i];
        int cur = atomic_load(&s->pid);
        if (cur == 0) {
            int zero = 0;
            if (!atomic_compare_exchange_strong(&s->pid, &zero, pid) &&
                zero != pid)
                continue; /* another process took it */
            s->role = role;
            cur = pid;
        }
        if (cur != pid)
            continue;
        if (s->role != role) /* one process in several roles: --serial */
            s->role = LG_PEAK_CALLER;
        /* the peak only grows: the latest reading is the largest */
        if (kib > atomic_load(&s->kib))
            atomic_store(&s->kib, kib);
        if (lg_mem_peak() > atomic_load(&s->tables))
            atomic_store(&s->tables, lg_mem_peak());
        return;
    }
    atomic_fetch_add(&pk->dropped, 1);
}

void lg_peak_keys(lg_peak *pk, const lg_agg *a)
{
    if (!pk || !a)
        return;
    for (int i = 0; i < LG_TAB_COUNT; i++)
        pk->keys[i] = lg_agg_keys(a, i);
    pk->pairs = lg_agg_pairs(a);
    pk->keys_set = 1;
}

static const char *const tab_names[] = {
#define LG_TAB_NAME_(e, name) name,
    LG_TAB_MAP(LG_TAB_NAME_)
#undef LG_TAB_NAME_
};

void lg_peak_render(const lg_peak *pk, FILE *f)
{
    static const char *const role[LG_PEAK_ROLES] = {"caller", "split", "parse",
                                                    "sink"};
    uint64_t sum = 0, max = 0, tabs = 0, by[LG_PEAK_ROLES] = {0},
             tby[LG_PEAK_ROLES] = {0};
    int n = 0, nby[LG_PEAK_ROLES] = {0};
    for (int i = 0; i < LG_PEAK_SLOTS; i++) {
        const lg_peak_slot *s = &pk->slot[i];
        uint64_t k = atomic_load(&s->kib), t = atomic_load(&s->tables);
        if (!atomic_load(&s->pid) || s->role < 0 || s->role >= LG_PEAK_ROLES)
            continue;
        n++;
        sum += k;
        tabs += t;
        by[s->role] += k;
        tby[s->role] += t;
        nby[s->role]++;
        if (k > max)
            max = k;
    }
    fprintf(f,
            "peak memory: %.1f MiB, the sum of the peak RSS (VmHWM) of %d "
            "process%s; largest %.1f MiB; of it tables %.1f MiB\n",
            (double)sum / 1024, n, n == 1 ? "" : "es", (double)max / 1024,
            (double)tabs / (1 << 20));
    for (int r = 0; r < LG_PEAK_ROLES; r++)
        if (nby[r])
            fprintf(f, "  %-6s x%-3d %10.1f MiB  tables %10.1f MiB\n", role[r],
                    nby[r], (double)by[r] / 1024, (double)tby[r] / (1 << 20));
    if (atomic_load(&pk->dropped))
        fprintf(f, "  (%d processes not counted: no free slot)\n",
                atomic_load(&pk->dropped));
    if (!pk->keys_set)
        return;
    uint64_t keys = 0;
    fprintf(f, "distinct keys (the sink's tables):");
    for (int i = 0; i < LG_TAB_COUNT; i++) {
        fprintf(f, "%s %s %" PRIu64, i ? "," : "", tab_names[i], pk->keys[i]);
        keys += pk->keys[i];
    }
    fprintf(f, "; (path, client) pairs kept %" PRIu64 "\n", pk->pairs);
    if (keys + pk->pairs)
        fprintf(f,
                "tables' bytes per distinct key or pair: %.1f (all "
                "processes), %.1f (the sink)\n",
                (double)tabs / (double)(keys + pk->pairs),
                (double)tby[LG_PEAK_SINK] / (double)(keys + pk->pairs));
}
