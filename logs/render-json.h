/* render-json.h - the report (report.h) as one JSON document
 * (docs/JSON.md).  Every outside string goes through lg_esc_json.
 */
#ifndef LOGS_RENDER_JSON_H
#define LOGS_RENDER_JSON_H

#include <stdio.h>

#include "report.h"

/* 0, or -errno when writing failed. */
int lg_render_json(const lg_report *r, FILE *out);

#endif
