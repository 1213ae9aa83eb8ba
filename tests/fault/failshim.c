/*
 * failshim.c - an LD_PRELOAD library, built only for tests, that makes
 * chosen calls fail: FAILSHIM="fork:2,malloc:40+" fails the 2nd fork and
 * every malloc from the 40th on (counted per process; a child inherits
 * its parent's counts).  Functions: read write mmap fork memfd_create
 * malloc (malloc also covers calloc and realloc).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

enum {
    F_READ,
    F_WRITE,
    F_MMAP,
    F_FORK,
    F_MEMFD,
    F_MALLOC,
    F_COUNT
};

static const char *const names[F_COUNT] = {"read", "write",        "mmap",
                                           "fork", "memfd_create", "malloc"};
static long calls[F_COUNT];
static long fail_at[F_COUNT]; /* 0: never */
static int fail_on[F_COUNT];  /* 1: from fail_at on, not only at it */
static int ready;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

/* Read FAILSHIM once; getenv and strtol do not allocate. */
static void setup(void)
{
    if (ready)
        return;
    ready = 1;
    const char *spec = getenv("FAILSHIM");
    while (spec != NULL && *spec != '\0') {
        for (int i = 0; i < F_COUNT; i++) {
            size_t n = strlen(names[i]);
            if (strncmp(spec, names[i], n) == 0 && spec[n] == ':') {
                char *end;
                fail_at[i] = strtol(spec + n + 1, &end, 10);
                fail_on[i] = *end == '+';
                break;
            }
        }
        spec = strchr(spec, ',');
        if (spec != NULL)
            spec++;
    }
}

static int should_fail(int f)
{
    setup();
    long n = ++calls[f];
    return fail_at[f] > 0 &&
           (n == fail_at[f] || (fail_on[f] && n > fail_at[f]));
}

static void *next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

ssize_t read(int fd, void *buf, size_t n)
{
    if (should_fail(F_READ)) {
        errno = EIO;
        return -1;
    }
    ssize_t (*real)(int, void *, size_t) = next("read");
    return real(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    if (should_fail(F_WRITE)) {
        errno = EIO;
        return -1;
    }
    ssize_t (*real)(int, const void *, size_t) = next("write");
    return real(fd, buf, n);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (should_fail(F_MMAP)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    void *(*real)(void *, size_t, int, int, int, off_t) = next("mmap");
    return real(addr, len, prot, flags, fd, off);
}

pid_t fork(void)
{
    if (should_fail(F_FORK)) {
        errno = EAGAIN;
        return -1;
    }
    pid_t (*real)(void) = next("fork");
    return real();
}

int memfd_create(const char *name, unsigned flags)
{
    if (should_fail(F_MEMFD)) {
        errno = EMFILE;
        return -1;
    }
    int (*real)(const char *, unsigned) = next("memfd_create");
    return real(name, flags);
}

void *malloc(size_t n)
{
    if (should_fail(F_MALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (should_fail(F_MALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (should_fail(F_MALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n);
}
