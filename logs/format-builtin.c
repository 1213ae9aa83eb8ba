/* format-builtin.c - the built-in formats: the NCSA family (parse.c's
 * tolerant parser), and the column, W3C, HAProxy and JSON formats with
 * their column maps and key paths (parse-cols.c, parse-json.c). All are
 * static and read-only. The names and fields are listed in
 * docs/LOG-FORMATS.md.
 */
#include "format.h"

#include <stddef.h>
#include <strings.h>

#include "format-int.h"

#define NCSA_FIELDS                                                            \
    (LG_FIELD_CLIENT | LG_FIELD_VHOST | LG_FIELD_USER | LG_FIELD_TIME |        \
     LG_FIELD_REQUEST | LG_FIELD_STATUS | LG_FIELD_BYTES)

#define ALL_FIELDS LG_FIELDS_ALL

/* Column maps of the fixed-layout formats (parse-cols.c). */
#define S LG_F_SKIP
static const uint8_t alb_cols[] = {S,
                                   LG_F_TIME_ISOF,
                                   S,
                                   LG_F_CLIENT_PORT,
                                   S,
                                   LG_F_RT_ADD,
                                   LG_F_RT_ADD,
                                   LG_F_RT_ADD,
                                   LG_F_STATUS,
                                   S,
                                   S,
                                   LG_F_BYTES,
                                   LG_F_REQUEST_URL,
                                   LG_F_AGENT};
static const uint8_t elb_cols[] = {LG_F_TIME_ISOF,
                                   S,
                                   LG_F_CLIENT_PORT,
                                   S,
                                   LG_F_RT_ADD,
                                   LG_F_RT_ADD,
                                   LG_F_RT_ADD,
                                   LG_F_STATUS,
                                   S,
                                   S,
                                   LG_F_BYTES,
                                   LG_F_REQUEST_URL,
                                   LG_F_AGENT};
static const uint8_t s3_cols[] = {
    S, LG_F_VHOST,   LG_F_TIME_CLF, LG_F_CLIENT, S,          S, S,
    S, LG_F_REQUEST, LG_F_STATUS,   S,           LG_F_BYTES, S, LG_F_RT_MS,
    S, LG_F_REFERER, LG_F_AGENT};
static const uint8_t squid_cols[] = {LG_F_TIME_MSEC,    LG_F_RT_MS, LG_F_CLIENT,
                                     LG_F_STATUS_SLASH, LG_F_BYTES, LG_F_METHOD,
                                     LG_F_TARGET_URL,   LG_F_USER};
static const uint8_t traefik_cols[] = {
    LG_F_CLIENT, LG_F_IDENT, LG_F_USER,    LG_F_TIME_CLF, LG_F_REQUEST,
    LG_F_STATUS, LG_F_BYTES, LG_F_REFERER, LG_F_AGENT,    S,
    S,           S,          LG_F_RT_MSSUF};
static const uint8_t gandi_cols[] = {
    LG_F_VHOST,   LG_F_CLIENT, LG_F_IDENT, LG_F_USER,    LG_F_TIME_CLF, S, S,
    LG_F_REQUEST, LG_F_STATUS, LG_F_BYTES, LG_F_REFERER, LG_F_AGENT};
#undef S

/* Key paths of the JSON formats (parse-json.c). */
#define SEG(a)                                                                 \
    {                                                                          \
        a, sizeof a - 1                                                        \
    }
#define J1(a, f)                                                               \
    {                                                                          \
        {SEG(a)}, 1, f                                                         \
    }
#define J2(a, b, f)                                                            \
    {                                                                          \
        {SEG(a), SEG(b)}, 2, f                                                 \
    }
#define J3(a, b, c, f)                                                         \
    {                                                                          \
        {SEG(a), SEG(b), SEG(c)}, 3, f                                         \
    }
static const lg_jkey caddy_keys[] = {
    J2("request", "remote_ip", LG_F_CLIENT),
    J2("request", "client_ip", LG_F_CLIENT),
    J2("request", "method", LG_F_METHOD),
    J2("request", "uri", LG_F_TARGET_URL),
    J2("request", "proto", LG_F_PROTOCOL),
    J2("request", "host", LG_F_VHOST),
    J3("request", "headers", "User-Agent", LG_F_AGENT),
    J3("request", "headers", "Referer", LG_F_REFERER),
    J1("status", LG_F_STATUS),
    J1("size", LG_F_BYTES),
    J1("ts", LG_F_TIME_ANY),
    J1("duration", LG_F_RT_SEC),
    J1("user_id", LG_F_USER),
};
static const lg_jkey nginx_json_keys[] = {
    J1("ip", LG_F_CLIENT),
    J1("remote_addr", LG_F_CLIENT),
    J1("host", LG_F_VHOST),
    J1("http_host", LG_F_VHOST),
    J1("server_name", LG_F_VHOST),
    J1("path", LG_F_TARGET_URL),
    J1("request_uri", LG_F_TARGET_URL),
    J1("uri", LG_F_TARGET_URL),
    J1("request", LG_F_REQUEST_URL),
    J1("method", LG_F_METHOD),
    J1("request_method", LG_F_METHOD),
    J1("status", LG_F_STATUS),
    J1("length", LG_F_BYTES),
    J1("body_bytes_sent", LG_F_BYTES),
    J1("referrer", LG_F_REFERER),
    J1("http_referer", LG_F_REFERER),
    J1("user_agent", LG_F_AGENT),
    J1("http_user_agent", LG_F_AGENT),
    J1("date", LG_F_TIME_ANY),
    J1("time_iso8601", LG_F_TIME_ANY),
    J1("time_local", LG_F_TIME_ANY),
    J1("msec", LG_F_TIME_ANY),
    J1("request_time", LG_F_RT_SEC),
    J1("generation_time_milli", LG_F_RT_MS),
    J1("remote_user", LG_F_USER),
    J1("server_protocol", LG_F_PROTOCOL),
};
static const lg_jkey traefik_json_keys[] = {
    J1("ClientHost", LG_F_CLIENT),
    J1("ClientUsername", LG_F_USER),
    J1("RequestMethod", LG_F_METHOD),
    J1("RequestPath", LG_F_TARGET_URL),
    J1("RequestProtocol", LG_F_PROTOCOL),
    J1("RequestHost", LG_F_VHOST),
    J1("DownstreamStatus", LG_F_STATUS),
    J1("DownstreamContentSize", LG_F_BYTES),
    J1("request_Referer", LG_F_REFERER),
    J1("request_User-Agent", LG_F_AGENT),
    J1("Duration", LG_F_RT_NS),
    J1("StartUTC", LG_F_TIME_ANY),
    J1("time", LG_F_TIME_ANY),
};
#undef J1
#undef J2
#undef J3
#undef SEG

// clang-format off
#define BUILTIN(nm, sp, fl)                                                    \
    {.engine = LG_ENGINE_NCSA, .builtin = 1, .name = nm, .spec = sp,           \
     .fields = fl, .has_client = 1, .has_body = 1}
#define COLS(nm, eng, sp, map)                                                 \
    {.engine = eng, .builtin = 1, .name = nm, .spec = sp,                      \
     .fields = ALL_FIELDS, .has_client = 1, .has_body = 1,                     \
     .n_cols = (int)sizeof map, .cols = map}
#define JSON(nm, sp, kt)                                                       \
    {.engine = LG_ENGINE_JSON, .builtin = 1, .name = nm, .spec = sp,           \
     .fields = ALL_FIELDS, .has_client = 1, .has_body = 1,                     \
     .n_keys = (int)(sizeof kt / sizeof kt[0]), .keys = kt}
static const struct lg_format builtins[] = {
    BUILTIN("common",         "%h %l %u %t \"%r\" %>s %b",
            NCSA_FIELDS),
    BUILTIN("combined",       "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"",
            NCSA_FIELDS | LG_FIELD_REFERER | LG_FIELD_AGENT),
    BUILTIN("vhost_common",   "%v %h %l %u %t \"%r\" %>s %b",
            NCSA_FIELDS),
    BUILTIN("vhost_combined", "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"",
            NCSA_FIELDS | LG_FIELD_REFERER | LG_FIELD_AGENT),
    {.engine = LG_ENGINE_W3C, .builtin = 1, .name = "w3c",
     .spec = "W3C extended: columns from the #Fields: line",
     .fields = ALL_FIELDS, .has_client = 1, .has_body = 1},
    COLS("alb", LG_ENGINE_COLS, "AWS Application Load Balancer", alb_cols),
    COLS("elb", LG_ENGINE_COLS, "AWS Classic Load Balancer", elb_cols),
    COLS("s3", LG_ENGINE_COLS, "AWS S3 server access", s3_cols),
    COLS("squid", LG_ENGINE_COLS, "Squid native", squid_cols),
    COLS("traefik", LG_ENGINE_COLS, "Traefik CLF", traefik_cols),
    COLS("gandi", LG_ENGINE_COLS, "Gandi hosting: vhost, CLF, (0 s)",
         gandi_cols),
    {.engine = LG_ENGINE_HAPROXY, .builtin = 1, .name = "haproxy",
     .spec = "HAProxy HTTP (option httplog)",
     .fields = ALL_FIELDS & ~(unsigned)(LG_FIELD_REFERER | LG_FIELD_AGENT),
     .has_client = 1, .has_body = 1},
    JSON("caddy", "Caddy JSON access log", caddy_keys),
    JSON("nginx_json", "nginx log_format escape=json", nginx_json_keys),
    JSON("traefik_json", "Traefik JSON access log", traefik_json_keys),
};
#undef BUILTIN
#undef COLS
#undef JSON
// clang-format on

// clang-format off
static const struct {
    const char *alias, *name;
} aliases[] = {
    {"clf", "common"},
    {"ncsa", "common"},
    {"nginx", "combined"},
    {"main", "combined"},
    {"common_vhost", "vhost_common"},
    {"iis", "w3c"},
    {"cloudfront", "w3c"},
    {"incapsula", "w3c"},
    {"netscaler", "w3c"},
    {"caddy_json", "caddy"},
    {"traefik_clf", "traefik"},
    {"aws_alb", "alb"},
    {"aws_elb", "elb"},
};
// clang-format on

const lg_format *lg_format_builtin(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0)
            name = aliases[i].name;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcasecmp(name, builtins[i].name) == 0)
            return &builtins[i];
    return NULL;
}
