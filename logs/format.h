/* format.h - access-log format descriptions.
 *
 * A format is compiled once (before the workers fork) and then only read:
 * it may be shared by any number of processes or threads. Two kinds exist:
 *
 *  - built-in formats, borrowed from static storage, obtained with
 *    lg_format_builtin() or lg_detect() (detect.h), or compiled by name.
 *    All built-ins use the same tolerant NCSA parser, which accepts on any
 *    line: an optional leading vhost ("www.x.com" or "www.x.com:443"), a
 *    missing ident and/or user field, an empty time zone, a bare vhost
 *    token between "]" and the request quote (Apache 2.2 custom), a line
 *    that ends after the bytes field (common) and extra fields after the
 *    user agent. They differ in name (reported to the user) and in which
 *    layout lg_detect() picks them for.
 */
// clang-format off
/*      name              layout (Apache LogFormat)
 *      "common"          %h %l %u %t "%r" %>s %b
 *      "combined"        %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"
 *                        (also nginx's default "main"/"combined")
 *      "vhost_combined"  %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"
 *      "vhost_common"    %v %h %l %u %t "%r" %>s %b
 *
 *    Aliases: "clf" and "ncsa" = common, "nginx" and "main" = combined,
 *    "common_vhost" = vhost_common.
 *
 *    Other built-ins (format-builtin.c, docs/LOG-FORMATS.md): "w3c" (W3C
 *    extended: IIS, CloudFront, Incapsula, NetScaler; columns from the
 *    "#Fields:" line), "alb", "elb", "s3", "squid", "traefik" (CLF),
 *    "gandi", "haproxy", and the JSON-lines "caddy", "nginx_json",
 *    "traefik_json". A spec "json:MAP" compiles a JSON-lines format with
 *    the field mapping MAP ("client=remote_ip,path=request.uri,...").
 *
 *  - user formats, compiled from a string written the nginx log_format way
 *        $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
 *    or the Apache LogFormat way
 *        %h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"
 *    (the Apache style is chosen when the string contains '%' and no '$').
 */
// clang-format on
/*    Text between fields must match literally (a single space in the format
 *    matches one or more spaces). Unknown $variables, the Apache directives
 *    pipefan does not read, and %{...}x with an argument it does not know
 *    become skipped fields; an unknown directive letter (%Z, %Q) is an
 *    error. A user format must read the request (or its method or target)
 *    or the status, else it is rejected ("$foo $bar" would count any two
 *    words as a request). User formats are parsed strictly: a line that
 *    does not match is LG_BAD_FORMAT (parse.h).
 *
 *    Known nginx variables: $remote_addr $http_x_forwarded_for (client),
 *    $remote_user, $time_local, $time_iso8601, $msec, $request,
 *    $request_method, $request_uri, $uri, $server_protocol, $status,
 *    $body_bytes_sent, $bytes_sent, $http_referer, $http_user_agent, $host,
 *    $server_name, $http_host, $request_time.  Apache: %h %a %l %u %t %r %m
 *    %U %q %H %s %>s %b %B %O %v %V %D %T %{Referer}i %{User-Agent}i
 *    %{Host}i read; %A %f %k %L %p %P %R %X %I %S and any %{...}x
 *    skipped ("%U%q" reads the target with its query string; a custom
 *    %{strftime}t is skipped). Full list and semantics:
 *    docs/LOG-FORMATS.md.
 */
#ifndef LOGS_FORMAT_H
#define LOGS_FORMAT_H

#include <stddef.h>

typedef struct lg_format lg_format;

/* Compile `spec`: a built-in name (see above) or a user format string.
 * Returns 0 and stores a new format in *out (caller frees with
 * lg_format_free), or a negative errno: -EINVAL with a one-line message
 * in err (err may be NULL; errlen bytes, always NUL-terminated) for a bad
 * spec (empty, unterminated ${ or %{, two adjacent fields with nothing
 * between them, no field at all, an unknown %directive letter, neither a
 * request nor a status field), -ENOMEM. "auto" is not a format: the
 * caller runs lg_detect() for it. */
int lg_format_compile(const char *spec, lg_format **out, char *err,
                      size_t errlen);

/* Free a compiled format. Accepts NULL; does nothing for built-ins. */
void lg_format_free(lg_format *f);

/* The built-in format called `name` (or an alias), NULL if none. Borrowed,
 * static: never freed. */
const lg_format *lg_format_builtin(const char *name);

/* Name for reports: the built-in name ("combined"...) or "custom". Static. */
const char *lg_format_name(const lg_format *f);

/* For a user format, the spec string it was compiled from (owned by f);
 * for a built-in, its Apache LogFormat equivalent. */
const char *lg_format_spec(const lg_format *f);

/* Non-zero when the format can produce the field; lets the aggregator skip
 * panels the format cannot fill. `field` is one of LG_FIELD_*. */
#define LG_FIELD_CLIENT (1u << 0)
#define LG_FIELD_VHOST (1u << 1)
#define LG_FIELD_USER (1u << 2)
#define LG_FIELD_TIME (1u << 3)
#define LG_FIELD_REQUEST (1u << 4) /* request or method/target */
#define LG_FIELD_STATUS (1u << 5)
#define LG_FIELD_BYTES (1u << 6)
#define LG_FIELD_REFERER (1u << 7)
#define LG_FIELD_AGENT (1u << 8)
#define LG_FIELD_REQ_TIME (1u << 9)
unsigned lg_format_fields(const lg_format *f);

/* Non-zero for a format whose lines are read by the layout of the last
 * "#Fields:" header before them (W3C extended): whoever cuts such a log
 * into blocks must pass each block the header in effect at its start
 * (lg_w3c_begin, parse-cols.h; split.c does). */
int lg_format_has_headers(const lg_format *f);

#endif
