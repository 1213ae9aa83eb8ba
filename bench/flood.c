/*
 * flood.c - hash flooding, the attack of issue 19, made and timed.
 *
 *   flood N BITS DIR
 *
 * An attacker who knew the hash key could pick paths whose hashes share
 * their low BITS bits, so that in a table of up to 2^BITS slots every one
 * starts probing at the same slot.  pipefan logs draws its key at random
 * per run, so no file can be made for it in advance; this program plays
 * the attacker who knows it anyway, through the test-only way of setting
 * the key (lg__hash_secret, which the pipefan binary offers no way to
 * set).  It crafts N such paths and N ordinary ones, writes them as
 * combined logs (DIR/attack.log and DIR/control.log, each path on
 * REPEAT lines), and times a worker's table taking each set under the
 * known key: what the probe bound and rehash (table.c) leave of the
 * attack.  bench/flood.sh then runs the pipefan binary on both logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hash.h"
#include "table.h"

#define REPEAT 10   /* lines per path in the logs */
#define PASSES 1000 /* passes over the keys when timing a table */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* N 16-byte paths; crafted: their hashes under the known key share the
 * low `bits` bits. */
static char (*make_keys(long n, int bits, int crafted))[17]
{
    char(*k)[17] = malloc((size_t)n * sizeof *k);
    if (!k)
        return NULL;
    unsigned long long c = 0;
    uint64_t mask = (1ull << bits) - 1;
    for (long i = 0; i < n; i++) {
        for (;; c++) {
            snprintf(k[i], sizeof k[i], crafted ? "/f%014llu" : "/c%014llu",
                     c % 100000000000000ull);
            if (!crafted || (lg_hash(k[i], 16) & mask) == 0)
                break;
        }
        c++;
    }
    return k;
}

/* Each key REPEAT times, as a busy site's log would hold it. */
static int write_log(const char *dir, const char *name, char (*k)[17], long n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    for (int r = 0; r < REPEAT; r++)
        for (long i = 0; i < n; i++)
            fprintf(f,
                    "10.%d.%ld.%ld - - [01/Mar/2024:00:%02d:%02ld +0000] "
                    "\"GET %s HTTP/1.1\" 200 512 \"-\" \"flood\"\n",
                    r, (i >> 8) & 255, i & 255, r, i % 60, k[i]);
    return fclose(f);
}

/* Slots the keys of t lie past their homes, summed: what a pass over
 * them all costs in probes beyond one each (as tests/logs/test-table.c). */
static uint64_t displacement(const lg_tab *t)
{
    uint64_t sum = 0;
    for (size_t id = 0; id < t->n; id++) {
        const lg_slot *s = lg_tab_slot(t, (uint32_t)id);
        sum += ((size_t)(s - t->slots) - (size_t)s->hash) & t->mask;
    }
    return sum;
}

/* Seconds for one worker table to take every key PASSES times; its
 * reseeds and the keys' displacement at the end. */
static double time_table(char (*k)[17], long n, unsigned *gen, uint64_t *disp)
{
    lg_tab t;
    if (lg_tab_init(&t, 0) != 0)
        return -1;
    double t0 = now();
    for (int r = 0; r < PASSES; r++)
        for (long i = 0; i < n; i++)
            if (lg_tab_upsert(&t, k[i], 16) < 0)
                return -1;
    double dt = now() - t0;
    *gen = t.gen;
    *disp = displacement(&t);
    lg_tab_destroy(&t);
    return dt;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: flood N BITS DIR\n");
        return 2;
    }
    long n = atol(argv[1]);
    int bits = atoi(argv[2]);
    if (n <= 0 || bits < 1 || bits > 30)
        return 2;
    static const lg_hash_key known = {
        0x0123456789abcdefULL, 0x0fedcba987654321ULL | 1,
        0x1111222233334445ULL | 1, 0x5555666677778888ULL};
    lg__hash_secret = known;
    double t0 = now();
    char(*attack)[17] = make_keys(n, bits, 1);
    char(*control)[17] = make_keys(n, bits, 0);
    if (!attack || !control)
        return 1;
    printf("crafted %ld paths sharing %d hash bits in %.1f s\n", n, bits,
           now() - t0);
    if (write_log(argv[3], "attack.log", attack, n) ||
        write_log(argv[3], "control.log", control, n))
        return 1;
    /* the first of each warms the allocator; the median of 5 counts */
    double ta[5], tc[5];
    unsigned ga = 0, gc = 0;
    uint64_t da = 0, dc = 0;
    for (int i = 0; i < 5; i++) {
        ta[i] = time_table(attack, n, &ga, &da);
        tc[i] = time_table(control, n, &gc, &dc);
        if (ta[i] < 0 || tc[i] < 0)
            return 1;
    }
    for (int i = 0; i < 5; i++) /* sort both: medians */
        for (int j = i + 1; j < 5; j++) {
            if (ta[j] < ta[i]) {
                double x = ta[i];
                ta[i] = ta[j], ta[j] = x;
            }
            if (tc[j] < tc[i]) {
                double x = tc[i];
                tc[i] = tc[j], tc[j] = x;
            }
        }
    printf("table, known key: attack %.4f s (rehashed %u times, %.2f "
           "probes a key past the first), control %.4f s (%u, %.2f): %.2fx\n",
           ta[2], ga, (double)da / (double)n, tc[2], gc, (double)dc / (double)n,
           ta[2] / tc[2]);
    free(attack);
    free(control);
    return 0;
}
