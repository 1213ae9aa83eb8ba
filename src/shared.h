/*
 * shared.h - memory shared by every worker and the caller (shared.c).
 */
#ifndef PF_SHARED_H
#define PF_SHARED_H

#include "pipefan.h"

/* Unmap every block pf_shared gave out for p; at pf_pipeline_free. */
void pf__shared_free(pf_pipeline *p);

#endif
