/* parse-json.h - the JSON-lines engine: one JSON object per line, the
 * fields read from key paths ("request.headers.User-Agent"). */
#ifndef LOGS_PARSE_JSON_H
#define LOGS_PARSE_JSON_H

#include <stddef.h>

#include "format-int.h"
#include "record.h"

/* Parse the JSON object [p,e) with f's key paths. Strings are borrowed
 * from the line as written, escapes not decoded (record.h); an array
 * value gives its first element. Returns 0 or an LG_BAD_* reason:
 * LG_BAD_FORMAT for text that is not one JSON object. */
int lg__parse_json(const lg_format *f, const char *p, const char *e, lg_rec *r);

/* Compile a mapping "client=remote_ip,path=request.uri,duration=d:ms" into
 * keys[0..max): returns the number of keys, or -1 with a message in err
 * (errlen bytes). Segments point into `spec`, which must outlive keys. */
int lg__json_map(char *spec, lg_jkey *keys, int max, char *err, size_t errlen);

#endif
