/*
 * deadletter.h - the dead-letter file: where the supervisor appends the
 * records it quarantines, and the public reader of its entries.  Format
 * (docs/RELIABILITY.md), one entry per record:
 *
 *   PFDL1 stage=NAME worker=W pid=PID reason="WHY" bytes=LEN\n
 *   LEN bytes of the record\n
 */
#ifndef PF_DEADLETTER_H
#define PF_DEADLETTER_H

#include <stdint.h>
#include <sys/types.h>

#include "pipefan.h"

/* Append one entry to the dead-letter file at path, opening it into *fd
 * on first use (-1 before); with no path, only log that the record is
 * skipped.  Logs and records a failure of p, and
 * returns PF_EIO, when the file cannot be opened or written. */
int pf__dead_letter_append(pf_pipeline *p, int *fd, const char *path,
                           const char *stage, int worker, pid_t pid,
                           const char *reason, const void *rec, uint32_t len);

#endif
