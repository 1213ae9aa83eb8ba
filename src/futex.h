/*
 * futex.h - sleeping on a 32-bit word in shared memory.  The words live
 * in a MAP_SHARED mapping used by several processes, so these are the
 * shared (not _PRIVATE) futex operations.
 */
#ifndef PF_FUTEX_H
#define PF_FUTEX_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *word == expect, at most timeout_ns; spurious returns are
 * fine: callers re-check their condition. */
static inline void pf__futex_wait(_Atomic uint32_t *word, uint32_t expect,
                                  uint64_t timeout_ns)
{
    struct timespec ts = {(time_t)(timeout_ns / 1000000000u),
                          (long)(timeout_ns % 1000000000u)};
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expect, &ts, NULL, 0);
}

/* Wake every sleeper on word. */
static inline void pf__futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static inline void pf__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
