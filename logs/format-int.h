/* format-int.h - the compiled form of an lg_format, shared by format.c
 * (which builds it) and parse.c (which runs it). Not for other modules. */
#ifndef LOGS_FORMAT_INT_H
#define LOGS_FORMAT_INT_H

#include <stdint.h>

#include "format.h"

/* What a field item stores into the record. */
enum lg_fld {
    LG_F_SKIP,       /* unknown variable: matched, ignored */
    LG_F_CLIENT,     /* $remote_addr %h %a */
    LG_F_XFF,        /* $http_x_forwarded_for: first entry is the client
                        when the format has no LG_F_CLIENT */
    LG_F_IDENT,      /* %l */
    LG_F_USER,       /* $remote_user %u */
    LG_F_VHOST,      /* $host $server_name $http_host %v %V %{Host}i */
    LG_F_TIME_CLF,   /* $time_local %t (brackets are literals) */
    LG_F_TIME_ISO,   /* $time_iso8601 */
    LG_F_TIME_MSEC,  /* $msec: seconds.millis since the epoch */
    LG_F_REQUEST,    /* $request %r */
    LG_F_METHOD,     /* $request_method %m */
    LG_F_TARGET,     /* $request_uri $uri %U (%q is skipped) */
    LG_F_PROTOCOL,   /* $server_protocol %H */
    LG_F_STATUS,     /* $status %s %>s */
    LG_F_BYTES,      /* $body_bytes_sent %b %B */
    LG_F_BYTES_SENT, /* $bytes_sent %O: used when there is no LG_F_BYTES */
    LG_F_REFERER,    /* $http_referer %{Referer}i */
    LG_F_AGENT,      /* $http_user_agent %{User-Agent}i */
    LG_F_RT_SEC,     /* $request_time: seconds with a fraction */
    LG_F_RT_USEC,    /* %D: integer microseconds */
    LG_F_RT_ISEC,    /* %T: integer seconds */
};

/* One step of a user format: a literal to match or a field to read. */
typedef struct lg_item {
    uint8_t is_field;
    uint8_t fld;      /* enum lg_fld, fields only */
    uint8_t quoted;   /* field sits between '"' literals: find the closing
                         quote with escape handling */
    uint8_t required; /* the line is bad if it ends before this item */
    uint32_t len;     /* literal length */
    const char *lit;  /* literal bytes (owned by the format) */
} lg_item;

enum lg_engine {
    LG_ENGINE_NCSA,  /* the tolerant built-in parser */
    LG_ENGINE_ITEMS, /* the user-format interpreter */
};

struct lg_format {
    int engine;  /* enum lg_engine */
    int builtin; /* static storage: lg_format_free does nothing */
    const char *name;
    const char *spec;
    unsigned fields; /* LG_FIELD_* */
    int has_client;  /* an LG_F_CLIENT item exists (LG_F_XFF then ignored) */
    int has_body;    /* an LG_F_BYTES item exists (LG_F_BYTES_SENT ignored) */
    int n_items;
    lg_item *items;
};

#endif
