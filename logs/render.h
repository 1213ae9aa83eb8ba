/* render.h - what the report's writers (render-text.h, render-json.h,
 * render-csv.h, render-html.h) share besides the escaping of esc.h:
 * bucket labels and the human forms of counts and byte sizes.
 */
#ifndef LOGS_RENDER_H
#define LOGS_RENDER_H

#include <stddef.h>
#include <stdint.h>

/* Display text of an HOURS/DAYS bucket: "2015-05-19T14" / "2015-05-19". */
void lg_bucket_text(int id, int64_t bucket, char buf[32]);

/* v with thousands separators: "1,234,567"; cut to fit cap. */
void lg_fmt_count(uint64_t v, char *buf, size_t cap);

/* v bytes in binary units: "512 B", "2.6 GiB"; ">= 16 EiB" for a sum
 * that saturated (LG_BYTES_SATURATED). */
void lg_fmt_bytes(uint64_t v, char *buf, size_t cap);

#endif
