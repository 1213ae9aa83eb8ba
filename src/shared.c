/*
 * shared.c - pf_shared: blocks mapped MAP_SHARED|MAP_ANONYMOUS in the
 * caller before any fork, so every worker process inherits the same
 * pages; and pf_shared_lock, a process-shared robust mutex that survives
 * a worker killed while holding it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "pipeline.h"
#include "shared.h"

/* One block; the list lives in the caller's heap (workers get a copy of
 * it with the rest of the pipeline and never free it). */
struct pf__shared_blk {
    struct pf__shared_blk *next;
    void *base;
    size_t size;
};

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(pf_mutex),
               "pf_mutex holds a pthread mutex");

void *pf_shared(pf_pipeline *p, size_t size)
{
    if (p == NULL)
        return NULL;
    if (p->running)
        return NULL;
    if (size == 0) {
        if (p->error == 0)
            p->error = PF_EINVAL;
        pf_log(NULL, PF_LOG_ERROR, "pf_shared: size 0");
        return NULL;
    }
    struct pf__shared_blk *b = malloc(sizeof *b);
    if (b == NULL)
        goto fail_mem;
    b->base = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b->base == MAP_FAILED) {
        free(b);
        goto fail_mem;
    }
    b->size = size;
    b->next = p->shared;
    p->shared = b;
    return b->base;

fail_mem:
    if (p->error == 0)
        p->error = PF_ENOMEM;
    pf_log(NULL, PF_LOG_ERROR, "pf_shared: cannot map %zu bytes", size);
    return NULL;
}

void pf__shared_free(pf_pipeline *p)
{
    struct pf__shared_blk *b = p->shared;
    while (b != NULL) {
        struct pf__shared_blk *next = b->next;
        munmap(b->base, b->size);
        free(b);
        b = next;
    }
    p->shared = NULL;
}

int pf_mutex_init(pf_mutex *m)
{
    if (m == NULL)
        return PF_EINVAL;
    pthread_mutexattr_t a;
    int rc = pthread_mutexattr_init(&a);
    if (rc != 0)
        return -rc;
    rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (rc == 0)
        rc = pthread_mutex_init((pthread_mutex_t *)(void *)m, &a);
    pthread_mutexattr_destroy(&a);
    return rc == 0 ? 0 : (rc == ENOMEM ? PF_ENOMEM : PF_ESYS);
}

int pf_shared_lock(pf_mutex *m)
{
    if (m == NULL)
        return PF_EINVAL;
    pthread_mutex_t *mx = (pthread_mutex_t *)(void *)m;
    int rc;
    while ((rc = pthread_mutex_lock(mx)) == EINTR)
        ;
    if (rc == 0)
        return 0;
    if (rc == EOWNERDEAD) {
        /* The holder died mid-update: the lock is ours, the data it
         * guards may be half-written.  Make the mutex usable again and
         * tell the caller, who decides whether to repair. */
        if (pthread_mutex_consistent(mx) != 0)
            return PF_ESYS;
        pf_log(NULL, PF_LOG_INFO,
               "pf_shared_lock: the previous holder died; recovered");
        return 1;
    }
    return rc == EINVAL ? PF_EINVAL : PF_ESYS;
}

int pf_shared_unlock(pf_mutex *m)
{
    if (m == NULL)
        return PF_EINVAL;
    int rc = pthread_mutex_unlock((pthread_mutex_t *)(void *)m);
    return rc == 0 ? 0 : (rc == EPERM ? PF_ESTATE : PF_ESYS);
}
