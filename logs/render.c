/* render.c - what the report's writers share: bucket labels. */
#include "render.h"

#include <inttypes.h>
#include <stdio.h>

#include "agg.h"
#include "timefmt.h"

void lg_bucket_text(int id, int64_t bucket, char buf[32])
{
    lg_tm tm;
    if (id == LG_TAB_HOURS) {
        lg_time_civil(bucket * 3600, 0, &tm);
        snprintf(buf, 32, "%04lld-%02d-%02dT%02d", (long long)tm.year, tm.mon,
                 tm.mday, tm.hour);
    } else {
        lg_time_civil(bucket * 86400, 0, &tm);
        snprintf(buf, 32, "%04lld-%02d-%02d", (long long)tm.year, tm.mon,
                 tm.mday);
    }
}

/* "1,234,567" */
void lg_fmt_count(uint64_t v, char *buf, size_t cap)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
    for (int i = 0; i < n && (size_t)o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
}

/* "2.6 GiB" */
void lg_fmt_bytes(uint64_t v, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double d = (double)v;
    int u = 0;
    if (v == LG_BYTES_SATURATED) { /* the sum saturated (agg.h) */
        snprintf(buf, cap, ">= 16 EiB");
        return;
    }
    while (d >= 1024 && u < 5) {
        d /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%" PRIu64 " B", v);
    else
        snprintf(buf, cap, "%.1f %s", d, units[u]);
}
