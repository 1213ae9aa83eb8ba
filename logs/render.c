/* render.c - what the report's writers share: bucket labels. */
#include "render.h"

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
