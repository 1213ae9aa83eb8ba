/* parse-cols.h - the column engines: logs written as blank-separated
 * columns, some quoted or bracketed, each column one field.
 *
 *  - LG_ENGINE_COLS: a fixed column map (AWS ALB and classic ELB, S3
 *    server access, Squid native, Traefik CLF);
 *  - LG_ENGINE_W3C: W3C extended logs (IIS, CloudFront, Incapsula,
 *    NetScaler, Windows Media): the columns are named by the last
 *    "#Fields:" line, which may change in mid-file. That layout is state
 *    of the calling thread: lg_parse_line() sets it when it meets a
 *    "#Fields:" line with a W3C format, and lg_w3c_begin() sets it at the
 *    start of a block of lines that does not begin with the header;
 *  - LG_ENGINE_HAPROXY: HAProxy's HTTP log, with or without a syslog
 *    prefix.
 */
#ifndef LOGS_PARSE_COLS_H
#define LOGS_PARSE_COLS_H

#include <stddef.h>

#include "format-int.h"
#include "record.h"

/* Most columns a "#Fields:" line may name; later ones are ignored. */
#define LG_W3C_MAX_COLS 96

/* Parse the line [p,e) (trimmed, not a comment) with a column engine.
 * Returns 0 or an LG_BAD_* reason. */
int lg__parse_cols(const lg_format *f, const char *p, const char *e, lg_rec *r);

/* A comment line [p,e) of a W3C log: a "#Fields:" line becomes the
 * thread's layout. */
void lg__w3c_comment(const char *p, const char *e);

/* Set the calling thread's W3C layout from the "#Fields:" line
 * hdr[0..len) (no '\n'); len 0 forgets it (lines then parse as
 * LG_BAD_FORMAT until a "#Fields:" line comes). Returns the number of
 * columns, or -1 (layout forgotten) when hdr is not a "#Fields:" line. */
int lg_w3c_begin(const char *hdr, size_t len);

/* Non-zero when line[0..len) is a "#Fields:" line. */
int lg_w3c_is_fields(const char *line, size_t len);

#endif
