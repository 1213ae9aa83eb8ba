/* render.h - what the report's writers (render-text.h, render-json.h,
 * render-csv.h) share besides the escaping of esc.h: bucket labels.
 */
#ifndef LOGS_RENDER_H
#define LOGS_RENDER_H

#include <stdint.h>

/* Display text of an HOURS/DAYS bucket: "2015-05-19T14" / "2015-05-19". */
void lg_bucket_text(int id, int64_t bucket, char buf[32]);

#endif
