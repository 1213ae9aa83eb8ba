/*
 * map.c - pf_map: Pool.map on a pipeline.  The source emits item indices
 * (8 bytes each: the items themselves are read where the caller put them,
 * in memory every worker inherited at fork); the "map" stage, N workers
 * with a prefetch of 1 so that a slow item never holds others back, calls
 * the user's function and emits [index][has][result]; the one-worker sink
 * appends those and hands the lot back with pf_result_set from its finish
 * hook.  The caller then places each result by index (input order) or
 * leaves them as they arrived (completion order).
 *
 * Crash handling is the pipeline's: fail fast by default; with
 * run.retries, a map worker that died is restarted, its uncommitted items
 * replayed and their first outputs discarded, so each item's result
 * reaches the sink once.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "map.h"
#include "pipeline.h"

#define HEAD 9 /* [u64 index][u8 has] before each result */
#define ALIGN 16

struct pf__map {
    const pf_item *items;
    size_t n;
    pf_record_fn fn;
    void *arg;
    /* The item being mapped, in this process (map stage). */
    unsigned char *cur; /* HEAD + result */
    size_t cur_len, cur_cap;
    int in_item;
    /* Results collected, in this process (sink): [u64 len][record]... */
    unsigned char *acc;
    size_t acc_len, acc_cap;
};

/* Grow *buf to hold need bytes; 0 or PF_ENOMEM. */
static int reserve(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    unsigned char *b = realloc(*buf, c);
    if (b == NULL)
        return PF_ENOMEM;
    *buf = b;
    *cap = c;
    return 0;
}

int pf__map_capture(pf_ctx *ctx, const void *data, size_t len)
{
    struct pf__map *m = ctx->p->map;
    if (m == NULL || ctx->st->index != 1 || !m->in_item)
        return 1;
    if (reserve(&m->cur, &m->cur_cap, HEAD + len) != 0)
        return PF_ENOMEM;
    if (len > 0)
        memcpy(m->cur + HEAD, data, len);
    m->cur[8] = 1;
    m->cur_len = HEAD + len;
    return 0;
}

static int map_source(pf_ctx *ctx, void *arg)
{
    const struct pf__map *m = arg;
    for (uint64_t i = 0; i < m->n; i++) {
        int rc = pf_emit(ctx, &i, sizeof i);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int map_item(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    struct pf__map *m = arg;
    uint64_t i;
    if (len != sizeof i)
        return PF_EINVAL;
    memcpy(&i, rec, sizeof i);
    if (reserve(&m->cur, &m->cur_cap, HEAD) != 0)
        return PF_ENOMEM;
    memcpy(m->cur, &i, sizeof i);
    m->cur[8] = 0;
    m->cur_len = HEAD;
    m->in_item = 1;
    int rc = m->fn(ctx, m->items[i].data, m->items[i].len, m->arg);
    m->in_item = 0;
    if (rc != 0)
        return rc;
    return pf_emit(ctx, m->cur, m->cur_len);
}

static int map_collect(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)ctx;
    struct pf__map *m = arg;
    uint64_t n = len;
    if (len < HEAD)
        return PF_EINVAL; /* a map function used pf_emit */
    if (reserve(&m->acc, &m->acc_cap, m->acc_len + sizeof n + len) != 0)
        return PF_ENOMEM;
    memcpy(m->acc + m->acc_len, &n, sizeof n);
    memcpy(m->acc + m->acc_len + sizeof n, rec, len);
    m->acc_len += sizeof n + len;
    return 0;
}

static int map_done(pf_ctx *ctx, void *arg)
{
    struct pf__map *m = arg;
    return pf_result_set(ctx, m->acc, m->acc_len);
}

static size_t round_up(size_t v)
{
    return (v + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

/* Build the caller's array from the sink's records; 0 or PF_ENOMEM.
 * Records are checked: a malformed one is PF_EIO. */
static int unpack(const struct pf__map *m, const unsigned char *b, size_t blen,
                  int completion, pf_item **out)
{
    size_t head = round_up(m->n * sizeof(pf_item));
    size_t bytes = head;
    for (size_t at = 0; at + 8 <= blen;) {
        uint64_t n;
        memcpy(&n, b + at, 8);
        if (n < HEAD || n > blen - at - 8)
            return PF_EIO;
        bytes += round_up((size_t)n - HEAD);
        at += 8 + (size_t)n;
    }
    unsigned char *blk = malloc(bytes ? bytes : 1);
    if (blk == NULL)
        return PF_ENOMEM;
    pf_item *it = (pf_item *)(void *)blk;
    unsigned char *seen = calloc(m->n ? m->n : 1, 1);
    if (seen == NULL) {
        free(blk);
        return PF_ENOMEM;
    }
    for (size_t i = 0; i < m->n; i++)
        it[i] = (pf_item){NULL, 0, i};
    size_t data_at = head, next = 0;
    for (size_t at = 0; at + 8 <= blen;) {
        uint64_t n, idx;
        memcpy(&n, b + at, 8);
        memcpy(&idx, b + at + 8, 8);
        int has = b[at + 16];
        const unsigned char *res = b + at + 8 + HEAD;
        at += 8 + (size_t)n;
        if (idx >= m->n || seen[idx]) {
            free(seen);
            free(blk);
            return PF_EIO;
        }
        seen[idx] = 1;
        size_t slot = completion ? next++ : (size_t)idx;
        it[slot].index = (size_t)idx;
        it[slot].data = NULL;
        it[slot].len = 0;
        if (has) {
            size_t rl = (size_t)n - HEAD;
            memcpy(blk + data_at, res, rl);
            it[slot].data = blk + data_at;
            it[slot].len = rl;
            data_at += round_up(rl);
        }
    }
    if (completion) /* items without an output: after, in input order */
        for (size_t i = 0; i < m->n; i++)
            if (!seen[i])
                it[next++] = (pf_item){NULL, 0, i};
    free(seen);
    *out = it;
    return 0;
}

void pf_map_options_init(pf_map_options *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof *o);
    pf_options_init(&o->run);
}

int pf_map(const pf_item *items, size_t n, pf_record_fn fn, void *arg,
           const pf_map_options *o, pf_item **out)
{
    if (out == NULL)
        return PF_EINVAL;
    *out = NULL;
    if (fn == NULL || (items == NULL && n > 0))
        return PF_EINVAL;
    pf_map_options defaults;
    if (o == NULL) {
        pf_map_options_init(&defaults);
        o = &defaults;
    }
    int workers = o->workers;
    if (workers == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        workers = c < 1 ? 1 : c > PF_MAX_WORKERS ? PF_MAX_WORKERS : (int)c;
    }
    if (n == 0)
        return 0;
    struct pf__map m = {.items = items, .n = n, .fn = fn, .arg = arg};
    pf_pipeline *p = pf_pipeline_new();
    if (p == NULL)
        return PF_ENOMEM;
    p->map = &m;
    pf_source(p, "items", map_source, &m);
    pf_stage *s = pf_stage_add(p, "map", map_item, &m);
    pf_stage_workers(s, workers);
    pf_stage_prefetch(s, 1);
    pf_stage *k = pf_stage_add(p, "results", map_collect, &m);
    pf_stage_hooks(k, NULL, map_done);
    pf_pipeline_set_options(p, &o->run);
    int rc = pf_run(p);
    const void *res;
    size_t rlen;
    if (rc == 0 || rc == PF_EPOISON) {
        int err = pf_pipeline_result(p, &res, &rlen);
        if (err == 0)
            err = unpack(&m, res, rlen, o->completion_order, out);
        if (err != 0)
            rc = err;
    }
    pf_pipeline_free(p);
    free(m.cur); /* set only in serial mode: workers' copies died */
    free(m.acc);
    return rc;
}
