/* format-int.h - the compiled form of an lg_format, shared by format.c
 * and format-builtin.c (which build it) and parse*.c (which run it). Not
 * for other modules. */
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
    /* the fields of the column and JSON engines (parse-field.c) */
    LG_F_CLIENT_PORT,  /* "1.2.3.4:2817": the client, its port dropped */
    LG_F_CLIENT_OPT,   /* W3C c-ip: "-" is kept as the client "-" */
    LG_F_TIME_ISOF,    /* ISO-8601 to the second, fraction allowed */
    LG_F_TIME_ANY,     /* JSON: epoch seconds (number), ISO or CLF text */
    LG_F_TIME_CLFMS,   /* HAProxy "25/Sep/2018:06:05:27.584", no zone */
    LG_F_DATE,         /* W3C date "2012-04-01" (joined with LG_F_HMS) */
    LG_F_HMS,          /* W3C time "00:00:13" or "17:00:00.363" */
    LG_F_REQUEST_URL,  /* request whose target may be an absolute URL: the
                          host goes to vhost, the target keeps the path */
    LG_F_TARGET_URL,   /* target that may be an absolute URL (Squid) */
    LG_F_URI_HOST,     /* "www.x.com/page.php" (Incapsula cs-uri) */
    LG_F_STATUS_SLASH, /* Squid "TCP_MISS/200": the status after '/' */
    LG_F_RT_MS,        /* milliseconds, integer or with a fraction */
    LG_F_RT_NS,        /* integer nanoseconds (Traefik Duration) */
    LG_F_RT_AUTO,      /* W3C time-taken: "0.001" seconds, "1687" millis */
    LG_F_RT_ADD,       /* ALB/ELB: seconds added up, "-1" = not logged */
    LG_F_RT_MSSUF,     /* Traefik CLF "12ms" */
    LG_F_RT_SLASH,     /* HAProxy timers "0/0/0/72/72": the last, in ms */
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
    LG_ENGINE_NCSA,    /* the tolerant built-in parser */
    LG_ENGINE_ITEMS,   /* the user-format interpreter */
    LG_ENGINE_COLS,    /* blank-separated columns, fixed map (parse-cols.c) */
    LG_ENGINE_W3C,     /* columns named by the last #Fields: line */
    LG_ENGINE_HAPROXY, /* HAProxy's HTTP log (parse-cols.c) */
    LG_ENGINE_JSON,    /* one JSON object per line (parse-json.c) */
};

/* Every field but vhost-only layouts: what the column, W3C and JSON
 * formats may fill. */
#define LG_FIELDS_ALL                                                          \
    (LG_FIELD_CLIENT | LG_FIELD_VHOST | LG_FIELD_USER | LG_FIELD_TIME |        \
     LG_FIELD_REQUEST | LG_FIELD_STATUS | LG_FIELD_BYTES | LG_FIELD_REFERER |  \
     LG_FIELD_AGENT | LG_FIELD_REQ_TIME)

/* A JSON key path ("request.headers.User-Agent") read into one field. */
#define LG_JSON_DEPTH 4
typedef struct lg_jseg {
    const char *p;
    uint32_t n;
} lg_jseg;
typedef struct lg_jkey {
    lg_jseg seg[LG_JSON_DEPTH];
    uint8_t nseg;
    uint8_t fld; /* enum lg_fld */
} lg_jkey;
#define LG_JSON_KEYS 32 /* at most this many keys in a mapping */

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
    int n_cols;          /* LG_ENGINE_COLS: column i is field cols[i] */
    const uint8_t *cols; /* enum lg_fld; static for built-ins */
    unsigned id;         /* 0 for built-ins, else unique per compile: with
                            the address, names a format for caches */
    int n_keys;          /* LG_ENGINE_JSON: the key paths read */
    const lg_jkey *keys; /* static for built-ins, else owned */
};

#endif
