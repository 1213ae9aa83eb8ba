/*
 * log.h - the process-wide identity that pf_log prints (each worker sets
 * it after fork; the supervisor's lines say "main"), and the write loop
 * that log lines and the stats reports share.
 */
#ifndef PF_LOG_H
#define PF_LOG_H

#include <stddef.h>

/* Name this process in log lines: stage[worker].  stage is copied. */
void pf__log_set_ident(const char *stage, int worker);

/* Write all of buf to fd, retrying on EINTR and short writes.  Returns 0,
 * or PF_EIO on any other error (log lines ignore it: diagnostics have
 * nowhere better to go; the stats reports return it). */
int pf__write_all(int fd, const char *buf, size_t len);

#endif
