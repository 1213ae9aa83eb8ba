/* genlog.h - one generated request, and the writers of the formats beyond
 * the NCSA family (genlog-fmt.c). */
#ifndef TOOLS_GENLOG_H
#define TOOLS_GENLOG_H

#include <stddef.h>
#include <stdint.h>

typedef struct gl_rec {
    int64_t t; /* seconds since the epoch, UTC */
    int tzmin; /* the log's zone, minutes east of UTC */
    const char *client, *user, *method, *path, *proto, *referer, *agent;
    size_t client_n, path_n, referer_n, agent_n;
    int status;
    uint64_t bytes;   /* 0 when the NCSA log writes "-" */
    uint32_t time_us; /* request time, microseconds */
} gl_rec;

/* One NCSA line after the optional vhost (already written): common, or
 * combined when `tail`; tbuf is the bracketed time, `dash` writes the
 * bytes as "-". */
size_t gl_ncsa_line(char *out, const gl_rec *r, const char *tbuf, size_t tlen,
                    int dash, int tail);

/* The W3C header block; `alt` picks the second column order (the log
 * switches between the two to exercise mid-file "#Fields:" changes). */
size_t gl_w3c_header(char *out, int alt);

/* One W3C line (IIS style: spaces in the agent become '+', the query
 * string goes to cs-uri-query) in the column order `alt`. out needs 4 KiB
 * plus the strings' lengths. */
size_t gl_w3c_line(char *out, const gl_rec *r, int alt);

/* One nginx escape=json line (the keys of nginx's variables). */
size_t gl_json_line(char *out, const gl_rec *r);

#endif
