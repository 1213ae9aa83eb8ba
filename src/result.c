/*
 * result.c - pf_result_set and pf_pipeline_result: a value a worker
 * (usually the sink, from its finish hook) hands back to pf_run's caller.
 *
 * Two memfds made before fork hold two slots; a small MAP_SHARED page
 * holds which slot is current (gen) and each slot's length, under a
 * process-shared robust mutex.  A writer fills the slot that is not
 * current and only then publishes it, so a writer killed half-way leaves
 * the last complete value in place: the last complete write wins, and a
 * replayed worker writing again replaces its own earlier value instead of
 * adding to it.  Serial mode goes through the same slots, so both modes
 * give the caller the same bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctx.h"
#include "log.h"
#include "map.h"
#include "pipeline.h"
#include "result.h"

/* The shared page.  Written under lock by any worker; read by the caller
 * after every worker was reaped. */
struct pf__result_hdr {
    pf_mutex lock;
    _Atomic uint64_t gen; /* complete writes; slot gen-1 & 1 is current */
    uint64_t len[2];      /* bytes in each slot */
};

struct pf__result {
    struct pf__result_hdr *hdr; /* during a run */
    int fd[2];                  /* during a run, -1 otherwise */
    void *data;                 /* the caller's copy, owned */
    size_t len;
    int have;
};

static void slots_close(struct pf__result *r)
{
    for (int i = 0; i < 2; i++) {
        if (r->fd[i] >= 0)
            close(r->fd[i]);
        r->fd[i] = -1;
    }
    if (r->hdr != NULL)
        munmap(r->hdr, sizeof *r->hdr);
    r->hdr = NULL;
}

int pf__result_begin(pf_pipeline *p)
{
    struct pf__result *r = p->result;
    if (r == NULL) {
        r = calloc(1, sizeof *r);
        if (r == NULL)
            return PF_ENOMEM;
        r->fd[0] = r->fd[1] = -1;
        p->result = r;
    }
    free(r->data);
    r->data = NULL;
    r->len = 0;
    r->have = 0;
    void *hdr = mmap(NULL, sizeof *r->hdr, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (hdr == MAP_FAILED)
        return PF_ENOMEM;
    r->hdr = hdr; /* zero-filled: gen 0, no result */
    int err = pf_mutex_init(&r->hdr->lock);
    for (int i = 0; i < 2 && err == 0; i++) {
        r->fd[i] = memfd_create("pipefan-result", MFD_CLOEXEC);
        if (r->fd[i] < 0)
            err = errno == ENOMEM ? PF_ENOMEM : PF_ESYS;
    }
    if (err != 0)
        slots_close(r);
    return err;
}

/* Read n bytes at offset 0 of fd into buf; 0 or PF_EIO. */
static int read_all(int fd, unsigned char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(fd, buf + done, n - done, (off_t)done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return PF_EIO;
        done += (size_t)k;
    }
    return 0;
}

int pf__result_end(pf_pipeline *p)
{
    struct pf__result *r = p->result;
    if (r == NULL || r->hdr == NULL)
        return 0;
    int err = 0;
    uint64_t gen = atomic_load_explicit(&r->hdr->gen, memory_order_acquire);
    if (gen > 0) {
        int slot = (int)((gen - 1) & 1);
        size_t len = (size_t)r->hdr->len[slot];
        r->data = malloc(len + 1); /* + 1: a valid pointer for 0 bytes */
        if (r->data == NULL)
            err = PF_ENOMEM;
        else
            err = read_all(r->fd[slot], r->data, len);
        if (err == 0) {
            ((unsigned char *)r->data)[len] = 0; /* handy for text */
            r->len = len;
            r->have = 1;
        } else {
            free(r->data);
            r->data = NULL;
        }
    }
    slots_close(r);
    return err;
}

void pf__result_free(pf_pipeline *p)
{
    struct pf__result *r = p->result;
    if (r == NULL)
        return;
    slots_close(r);
    free(r->data);
    free(r);
    p->result = NULL;
}

/* Write n bytes at offset 0 of fd and cut it there; 0 or PF_EIO. */
static int write_all(int fd, const unsigned char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = pwrite(fd, buf + done, n - done, (off_t)done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return errno == ENOSPC || errno == ENOMEM ? PF_ENOMEM : PF_EIO;
        done += (size_t)k;
    }
    return ftruncate(fd, (off_t)n) == 0 ? 0 : PF_EIO;
}

int pf_result_set(pf_ctx *ctx, const void *data, size_t len)
{
    if (ctx == NULL || (data == NULL && len > 0))
        return PF_EINVAL;
    int rc = pf__map_capture(ctx, data, len);
    if (rc <= 0)
        return rc; /* a pf_map item's result, taken (0) or failed */
    struct pf__result *r = ctx->p->result;
    if (r == NULL || r->hdr == NULL)
        return PF_ESTATE;
    struct pf__result_hdr *h = r->hdr;
    rc = pf_shared_lock(&h->lock);
    if (rc < 0)
        return rc;
    /* rc 1: a writer died holding the lock.  It never published its
     * slot, so the current value is whole; go on. */
    uint64_t gen = atomic_load_explicit(&h->gen, memory_order_relaxed);
    int slot = (int)(gen & 1); /* the one not current */
    int err = write_all(r->fd[slot], data, len);
    if (err == 0) {
        h->len[slot] = len;
        atomic_store_explicit(&h->gen, gen + 1, memory_order_release);
    } else {
        pf_log(ctx, PF_LOG_ERROR, "pf_result_set: cannot store %zu bytes", len);
    }
    pf_shared_unlock(&h->lock);
    return err;
}

int pf_pipeline_result(const pf_pipeline *p, const void **data, size_t *len)
{
    if (p == NULL || data == NULL || len == NULL)
        return PF_EINVAL;
    if (p->running)
        return PF_EBUSY;
    const struct pf__result *r = p->result;
    if (r == NULL || !r->have)
        return PF_ENOENT;
    *data = r->data;
    *len = r->len;
    return 0;
}
