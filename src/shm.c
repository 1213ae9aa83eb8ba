/*
 * shm.c - map and unmap the shared region; see shm.h for its layout.
 */
#include "shm.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pipefan.h"

const char *pf__wstate_name(int state)
{
    switch (state) {
#define PF__WSTATE_TEXT(name, value, text)                                     \
    case value:                                                                \
        return text;
        PF__WSTATE_MAP(PF__WSTATE_TEXT)
#undef PF__WSTATE_TEXT
    default:
        return "unknown";
    }
}

void *pf__shm_map(size_t size, int *err)
{
    int fd = memfd_create("pipefan", MFD_CLOEXEC);
    if (fd < 0) {
        *err = errno == ENOMEM ? PF_ENOMEM : PF_ESYS;
        return NULL;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        *err = errno == ENOMEM || errno == ENOSPC ? PF_ENOMEM : PF_ESYS;
        close(fd);
        return NULL;
    }
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int saved = errno;
    close(fd);
    if (base == MAP_FAILED) {
        *err = saved == ENOMEM ? PF_ENOMEM : PF_ESYS;
        return NULL;
    }
    return base;
}

void pf__shm_unmap(void *base, size_t size)
{
    if (base != NULL)
        munmap(base, size);
}
