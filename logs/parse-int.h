/* parse-int.h - the helpers of parse.c that the other engines
 * (parse-items.c, parse-field.c, parse-cols.c, parse-json.c) share. Not for
 * other modules. */
#ifndef LOGS_PARSE_INT_H
#define LOGS_PARSE_INT_H

#include <stdint.h>

#include "format-int.h"
#include "record.h"

/* Store the value [p,e) of an NCSA-family field (enum lg_fld up to
 * LG_F_RT_ISEC) into r. Returns 0 or an LG_BAD_* reason. */
int lg__store_field(const lg_format *f, enum lg_fld fld, const char *p,
                    const char *e, lg_rec *r);

/* Non-zero when [s, s+n) may be a client address (IPv4, IPv6, host). */
int lg__valid_client(const char *s, size_t n);

/* "12.345" seconds or "-" (-1) into microseconds; 0 or -1. */
int lg__seconds_frac(const char *p, const char *e, int64_t *us);

/* The user-format interpreter (parse-items.c): 0 or an LG_BAD_* reason. */
int lg__parse_items(const lg_format *f, const char *p, const char *e,
                    lg_rec *r);

/* A virtual host without its ":port", absent for "-" and "". */
lg_str lg__vhost_str(const char *p, size_t n);

#endif
