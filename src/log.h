/*
 * log.h - the process-wide identity that pf_log prints.  Each worker sets
 * it after fork; the supervisor's lines say "main".
 */
#ifndef PF_LOG_H
#define PF_LOG_H

/* Name this process in log lines: stage[worker].  stage is copied. */
void pf__log_set_ident(const char *stage, int worker);

#endif
