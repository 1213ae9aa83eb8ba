/* parse-field.h - field values of the column and JSON engines: the
 * NCSA-family fields plus absolute URLs, split W3C date and time,
 * durations in any unit. Shared by parse-cols.c and parse-json.c. */
#ifndef LOGS_PARSE_FIELD_H
#define LOGS_PARSE_FIELD_H

#include <stdint.h>

#include "format-int.h"
#include "record.h"

/* What a line has given so far, beyond *r: the W3C date and time come in
 * separate fields and are joined at the end; `got` marks the fields seen
 * (1u << enum lg_fld), so the first of two alternatives wins. */
typedef struct lg_fstate {
    int64_t day;  /* the day's first second since the epoch, LG_F_DATE */
    int64_t sod;  /* second of the day, LG_F_HMS */
    uint64_t got; /* 1ull << fld for each field stored */
} lg_fstate;

/* Store the value [p,e) of field fld into r. Returns 0 or an LG_BAD_*
 * reason (parse.h). */
int lg__store_ext(const lg_format *f, int fld, const char *p, const char *e,
                  lg_rec *r, lg_fstate *st);

/* After the last field: join date and time, and check that the line had
 * a status and a request (or target). Returns 0 or an LG_BAD_* reason. */
int lg__finish_ext(lg_rec *r, lg_fstate *st);

#endif
