/* format.c - built-in formats and the compiler for user format strings.
 *
 * A user format (nginx "$var" or Apache "%x" style) compiles to a flat
 * list of items: literals to match and fields to read. parse.c runs that
 * list; the built-ins instead use parse.c's tolerant NCSA parser and only
 * need a name here.
 */
#include "format.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format-int.h"
#include "parse-json.h"

#define NCSA_FIELDS                                                            \
    (LG_FIELD_CLIENT | LG_FIELD_VHOST | LG_FIELD_USER | LG_FIELD_TIME |        \
     LG_FIELD_REQUEST | LG_FIELD_STATUS | LG_FIELD_BYTES)

#define ALL_FIELDS                                                             \
    (NCSA_FIELDS | LG_FIELD_REFERER | LG_FIELD_AGENT | LG_FIELD_REQ_TIME)

/* Column maps of the fixed-layout formats (parse-cols.c). */
#define S LG_F_SKIP
static const uint8_t alb_cols[] = {
    S, LG_F_TIME_ISOF, S, LG_F_CLIENT_PORT, S, LG_F_RT_ADD, LG_F_RT_ADD,
    LG_F_RT_ADD, LG_F_STATUS, S, S, LG_F_BYTES, LG_F_REQUEST_URL, LG_F_AGENT};
static const uint8_t elb_cols[] = {
    LG_F_TIME_ISOF, S, LG_F_CLIENT_PORT, S, LG_F_RT_ADD, LG_F_RT_ADD,
    LG_F_RT_ADD, LG_F_STATUS, S, S, LG_F_BYTES, LG_F_REQUEST_URL, LG_F_AGENT};
static const uint8_t s3_cols[] = {
    S, LG_F_VHOST, LG_F_TIME_CLF, LG_F_CLIENT, S, S, S, S, LG_F_REQUEST,
    LG_F_STATUS, S, LG_F_BYTES, S, LG_F_RT_MS, S, LG_F_REFERER, LG_F_AGENT};
static const uint8_t squid_cols[] = {
    LG_F_TIME_MSEC, LG_F_RT_MS, LG_F_CLIENT, LG_F_STATUS_SLASH, LG_F_BYTES,
    LG_F_METHOD, LG_F_TARGET_URL, LG_F_USER};
static const uint8_t traefik_cols[] = {
    LG_F_CLIENT, LG_F_IDENT, LG_F_USER, LG_F_TIME_CLF, LG_F_REQUEST,
    LG_F_STATUS, LG_F_BYTES, LG_F_REFERER, LG_F_AGENT, S, S, S,
    LG_F_RT_MSSUF};
static const uint8_t gandi_cols[] = {
    LG_F_VHOST, LG_F_CLIENT, LG_F_IDENT, LG_F_USER, LG_F_TIME_CLF, S, S,
    LG_F_REQUEST, LG_F_STATUS, LG_F_BYTES, LG_F_REFERER, LG_F_AGENT};
#undef S

/* Key paths of the JSON formats (parse-json.c). */
#define SEG(a) {a, sizeof a - 1}
#define J1(a, f) {{SEG(a)}, 1, f}
#define J2(a, b, f) {{SEG(a), SEG(b)}, 2, f}
#define J3(a, b, c, f) {{SEG(a), SEG(b), SEG(c)}, 3, f}
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
    J1("ip", LG_F_CLIENT),           J1("remote_addr", LG_F_CLIENT),
    J1("host", LG_F_VHOST),          J1("http_host", LG_F_VHOST),
    J1("server_name", LG_F_VHOST),   J1("path", LG_F_TARGET_URL),
    J1("request_uri", LG_F_TARGET_URL), J1("uri", LG_F_TARGET_URL),
    J1("request", LG_F_REQUEST_URL), J1("method", LG_F_METHOD),
    J1("request_method", LG_F_METHOD), J1("status", LG_F_STATUS),
    J1("length", LG_F_BYTES),        J1("body_bytes_sent", LG_F_BYTES),
    J1("referrer", LG_F_REFERER),    J1("http_referer", LG_F_REFERER),
    J1("user_agent", LG_F_AGENT),    J1("http_user_agent", LG_F_AGENT),
    J1("date", LG_F_TIME_ANY),       J1("time_iso8601", LG_F_TIME_ANY),
    J1("time_local", LG_F_TIME_ANY), J1("msec", LG_F_TIME_ANY),
    J1("request_time", LG_F_RT_SEC), J1("generation_time_milli", LG_F_RT_MS),
    J1("remote_user", LG_F_USER),    J1("server_protocol", LG_F_PROTOCOL),
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

const char *lg_format_name(const lg_format *f)
{
    return f->name;
}

const char *lg_format_spec(const lg_format *f)
{
    return f->spec;
}

unsigned lg_format_fields(const lg_format *f)
{
    return f->fields;
}

int lg_format_has_headers(const lg_format *f)
{
    return f->engine == LG_ENGINE_W3C;
}

void lg_format_free(lg_format *f)
{
    if (!f || f->builtin)
        return;
    free(f->items);
    free((void *)f->keys);
    free((char *)f->spec); /* one block: spec copy followed by literals */
    free(f);
}

/* ---- the compiler ---- */

// clang-format off
static const struct {
    const char *name;
    enum lg_fld fld;
} nginx_vars[] = {
    {"remote_addr", LG_F_CLIENT},
    {"binary_remote_addr", LG_F_SKIP},
    {"realip_remote_addr", LG_F_XFF},
    {"http_x_forwarded_for", LG_F_XFF},
    {"proxy_add_x_forwarded_for", LG_F_XFF},
    {"http_x_real_ip", LG_F_XFF},
    {"remote_user", LG_F_USER},
    {"time_local", LG_F_TIME_CLF},
    {"time_iso8601", LG_F_TIME_ISO},
    {"msec", LG_F_TIME_MSEC},
    {"request", LG_F_REQUEST},
    {"request_method", LG_F_METHOD},
    {"request_uri", LG_F_TARGET},
    {"uri", LG_F_TARGET},
    {"document_uri", LG_F_TARGET},
    {"server_protocol", LG_F_PROTOCOL},
    {"status", LG_F_STATUS},
    {"body_bytes_sent", LG_F_BYTES},
    {"bytes_sent", LG_F_BYTES_SENT},
    {"http_referer", LG_F_REFERER},
    {"http_user_agent", LG_F_AGENT},
    {"host", LG_F_VHOST},
    {"server_name", LG_F_VHOST},
    {"http_host", LG_F_VHOST},
    {"request_time", LG_F_RT_SEC},
};
// clang-format on

/* Header names of Apache %{Name}i that we understand. */
// clang-format off
static const struct {
    const char *name;
    enum lg_fld fld;
} apache_headers[] = {
    {"Referer",         LG_F_REFERER},
    {"User-Agent",      LG_F_AGENT},
    {"Host",            LG_F_VHOST},
    {"X-Forwarded-For", LG_F_XFF},
    {"X-Real-IP",       LG_F_XFF},
};
// clang-format on

/* The compiler's working state. Literal bytes are appended to lits (sized
 * for the worst case up front, so item pointers into it stay valid). */
typedef struct comp {
    lg_item *items;
    int n;
    char *lits;
    size_t nlits;
    char *err;
    size_t errlen;
    const char *unknown; /* the first unknown variable or directive */
    int unknown_len;
    int n_unknown;
} comp;

static int fail(comp *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Store a message in the caller's err buffer and return -EINVAL. */
static int fail(comp *c, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* Append one literal byte, extending the previous literal item if any. */
static void add_lit(comp *c, char ch)
{
    if (c->n == 0 || c->items[c->n - 1].is_field) {
        lg_item *it = &c->items[c->n++];
        memset(it, 0, sizeof *it);
        it->lit = c->lits + c->nlits;
    }
    c->lits[c->nlits++] = ch;
    c->items[c->n - 1].len++;
}

/* Append a field; fails when it directly follows another field, since the
 * parser could not tell where the first one ends. */
static int add_field(comp *c, enum lg_fld fld, const char *what, int wlen)
{
    if (c->n > 0 && c->items[c->n - 1].is_field)
        return fail(c,
                    "field '%.*s' directly follows another field: "
                    "put a literal (such as a space) between them",
                    wlen, what);
    lg_item *it = &c->items[c->n++];
    memset(it, 0, sizeof *it);
    it->is_field = 1;
    it->fld = (uint8_t)fld;
    if (fld == LG_F_SKIP && c->n_unknown++ == 0) {
        c->unknown = what;
        c->unknown_len = wlen;
    }
    return 0;
}

static int is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_';
}

/* Compile an nginx log_format string. */
static int compile_nginx(comp *c, const char *s)
{
    for (size_t i = 0; s[i];) {
        if (s[i] != '$') {
            add_lit(c, s[i++]);
            continue;
        }
        const char *name;
        size_t n;
        if (s[i + 1] == '{') {
            const char *close = strchr(s + i + 2, '}');
            if (!close)
                return fail(c, "unterminated '${' at offset %zu", i);
            name = s + i + 2;
            n = (size_t)(close - name);
            i = (size_t)(close - s) + 1;
        } else {
            name = s + i + 1;
            n = 0;
            while (is_name_char(name[n]))
                n++;
            if (n == 0) { /* a lone '$' is text */
                add_lit(c, s[i++]);
                continue;
            }
            i += n + 1;
        }
        if (n == 0)
            return fail(c, "empty variable name '${}'");
        enum lg_fld fld = LG_F_SKIP;
        for (size_t k = 0; k < sizeof nginx_vars / sizeof nginx_vars[0]; k++)
            if (strlen(nginx_vars[k].name) == n &&
                memcmp(nginx_vars[k].name, name, n) == 0)
                fld = nginx_vars[k].fld;
        int rc = add_field(c, fld, name - 1, (int)n + 1);
        if (rc)
            return rc;
    }
    return 0;
}

/* The directives of Apache's mod_log_config (2.4) that take no argument.
 * With a {argument} any letter is accepted as a skipped field: modules add
 * their own (mod_ssl's %{VAR}x and %{VAR}c, mod_log_forensic...). */
#define APACHE_PLAIN                                                           \
    "%a %A %B %b %D %f %h %H %k %l %L %m %p %P %q %r %R %s %t %T %u %U %v %V " \
    "%X %I %O %S"

static int apache_known(char d, int has_arg)
{
    if (has_arg)
        return (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z');
    return d && strchr("aABbDfhHklLmpPqrRstTuUvVXIOS", d) != NULL;
}

/* Compile an Apache LogFormat string. */
static int compile_apache(comp *c, const char *s)
{
    for (size_t i = 0; s[i];) {
        if (s[i] == '\\' && s[i + 1]) { /* as written in httpd.conf */
            char e = s[i + 1];
            add_lit(c, e == 't' ? '\t' : e == 'n' ? '\n' : e);
            i += 2;
            continue;
        }
        if (s[i] != '%') {
            add_lit(c, s[i++]);
            continue;
        }
        size_t start = i++;
        if (s[i] == '%') {
            add_lit(c, '%');
            i++;
            continue;
        }
        while (s[i] == '<' || s[i] == '>' || s[i] == '!' || s[i] == ',' ||
               (s[i] >= '0' && s[i] <= '9'))
            i++;
        const char *arg = NULL;
        size_t argn = 0;
        if (s[i] == '{') {
            const char *close = strchr(s + i + 1, '}');
            if (!close)
                return fail(c, "unterminated '%%{' at offset %zu", start);
            arg = s + i + 1;
            argn = (size_t)(close - arg);
            i = (size_t)(close - s) + 1;
        }
        char d = s[i];
        if (!d)
            return fail(c, "'%%' at the end of the format");
        i++;
        if (d == '^' && arg && s[i] == 't' &&
            (s[i + 1] == 'i' || s[i + 1] == 'o'))
            i += 2; /* %{VARNAME}^ti, %{VARNAME}^to: trailers, skipped */
        else if (!apache_known(d, arg != NULL))
            return fail(c,
                        "unknown directive '%%%c' at offset %zu (Apache "
                        "knows %s; see docs/LOG-FORMATS.md)",
                        d, start, APACHE_PLAIN);
        enum lg_fld fld = LG_F_SKIP;
        switch (d) {
        case 'h':
        case 'a':
            fld = arg ? LG_F_SKIP : LG_F_CLIENT;
            break;
        case 'l':
            fld = LG_F_IDENT;
            break;
        case 'u':
            fld = LG_F_USER;
            break;
        case 't':
            fld = arg ? LG_F_SKIP : LG_F_TIME_CLF;
            break;
        case 'r':
            fld = LG_F_REQUEST;
            break;
        case 'm':
            fld = LG_F_METHOD;
            break;
        case 'U':
            fld = LG_F_TARGET;
            break;
        case 'H':
            fld = LG_F_PROTOCOL;
            break;
        case 's':
            fld = LG_F_STATUS;
            break;
        case 'b':
        case 'B':
            fld = LG_F_BYTES;
            break;
        case 'O':
            fld = LG_F_BYTES_SENT;
            break;
        case 'v':
        case 'V':
            fld = LG_F_VHOST;
            break;
        case 'D':
            fld = LG_F_RT_USEC;
            break;
        case 'T':
            fld = arg ? LG_F_SKIP : LG_F_RT_ISEC;
            break;
        case 'i':
            for (size_t k = 0;
                 arg && k < sizeof apache_headers / sizeof apache_headers[0];
                 k++)
                if (strlen(apache_headers[k].name) == argn &&
                    strncasecmp(apache_headers[k].name, arg, argn) == 0)
                    fld = apache_headers[k].fld;
            break;
        default:
            break;
        }
        /* "%U%q" is the usual way to log the target with its query:
         * the target field then simply runs on to the next literal. */
        if (d == 'q' && c->n > 0 && c->items[c->n - 1].is_field &&
            c->items[c->n - 1].fld == LG_F_TARGET)
            continue;
        /* Apache's %t prints its own brackets. */
        if (fld == LG_F_TIME_CLF)
            add_lit(c, '[');
        int rc = add_field(c, fld, s + start, (int)(i - start));
        if (rc)
            return rc;
        if (fld == LG_F_TIME_CLF)
            add_lit(c, ']');
    }
    return 0;
}

/* Turn nginx.conf quoting ('part one ' 'part two') into the bare string:
 * single-quoted segments separated by blanks are concatenated. */
static int unquote_nginx(comp *c, const char *spec, char *out)
{
    size_t o = 0;
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (*p != '\'')
            return fail(c, "text outside single quotes in a quoted format");
        const char *q = strchr(p + 1, '\'');
        if (!q)
            return fail(c, "unterminated single quote in the format");
        memcpy(out + o, p + 1, (size_t)(q - p - 1));
        o += (size_t)(q - p - 1);
        p = q + 1;
    }
    out[o] = '\0';
    return 0;
}

/* A format must read the request (or its method or target) or the
 * status: with neither, any line of the right shape ("hello" for
 * "$foo") would count as a request.  The message names the first field
 * that was not understood, the likely typo. */
static int fail_no_request(comp *c)
{
    char unk[160] = "";
    if (c->n_unknown)
        snprintf(unk, sizeof unk, "; not known: '%.*s'%s",
                 c->unknown_len > 64 ? 64 : c->unknown_len, c->unknown,
                 c->n_unknown > 1 ? " and more" : "");
    return fail(
        c,
        "the format reads neither the request nor the status: it "
        "needs $request, $request_method, $request_uri, $uri or $status "
        "(Apache: %%r, %%m, %%U or %%s)%s",
        unk);
}

/* Mark quoted fields, required items, and the fields bitmask. */
static int finish(comp *c, lg_format *f)
{
    int last_req = -1, nfields = 0;
    for (int i = 0; i < c->n; i++) {
        lg_item *it = &c->items[i];
        if (!it->is_field)
            continue;
        nfields++;
        if (i > 0 && i + 1 < c->n) {
            const lg_item *a = &c->items[i - 1], *b = &c->items[i + 1];
            it->quoted = a->lit[a->len - 1] == '"' && b->lit[0] == '"';
        }
        switch (it->fld) {
        case LG_F_CLIENT:
            f->has_client = 1;
            break;
        case LG_F_BYTES:
            f->has_body = 1;
            break;
        default:
            break;
        }
    }
    if (nfields == 0)
        return fail(c, "the format has no $variable or %%directive");
    for (int i = 0; i < c->n; i++) {
        lg_item *it = &c->items[i];
        if (!it->is_field)
            continue;
        unsigned bit = 0;
        int req = 0;
        switch ((enum lg_fld)it->fld) {
        case LG_F_CLIENT:
            bit = LG_FIELD_CLIENT;
            req = 1;
            break;
        case LG_F_XFF:
            bit = f->has_client ? 0 : LG_FIELD_CLIENT;
            req = !f->has_client;
            break;
        case LG_F_USER:
            bit = LG_FIELD_USER;
            break;
        case LG_F_VHOST:
            bit = LG_FIELD_VHOST;
            break;
        case LG_F_TIME_CLF:
        case LG_F_TIME_ISO:
        case LG_F_TIME_MSEC:
            bit = LG_FIELD_TIME;
            req = 1;
            break;
        case LG_F_REQUEST:
        case LG_F_METHOD:
        case LG_F_TARGET:
            bit = LG_FIELD_REQUEST;
            req = 1;
            break;
        case LG_F_STATUS:
            bit = LG_FIELD_STATUS;
            req = 1;
            break;
        case LG_F_BYTES:
            bit = LG_FIELD_BYTES;
            break;
        case LG_F_BYTES_SENT:
            bit = f->has_body ? 0 : LG_FIELD_BYTES;
            break;
        case LG_F_REFERER:
            bit = LG_FIELD_REFERER;
            break;
        case LG_F_AGENT:
            bit = LG_FIELD_AGENT;
            break;
        case LG_F_RT_SEC:
        case LG_F_RT_USEC:
        case LG_F_RT_ISEC:
            bit = LG_FIELD_REQ_TIME;
            break;
        default:
            break;
        }
        f->fields |= bit;
        if (req)
            last_req = i;
    }
    if (!(f->fields & (LG_FIELD_REQUEST | LG_FIELD_STATUS)))
        return fail_no_request(c);
    for (int i = 0; i <= last_req; i++)
        c->items[i].required = 1;
    return 0;
}

/* "json:client=ip,path=uri,...": a JSON-lines format with that mapping. */
static int compile_json(const char *spec, lg_format **out, char *err,
                        size_t errlen)
{
    char e[256] = "";
    lg_format *f = calloc(1, sizeof *f);
    lg_jkey *keys = calloc(LG_JSON_KEYS, sizeof *keys);
    size_t n = strlen(spec);
    char *block = malloc(2 * n + 2); /* spec | mapping the keys point into */
    int rc = -ENOMEM;
    if (!f || !keys || !block)
        goto out_free;
    memcpy(block, spec, n + 1);
    memcpy(block + n + 1, spec + 5, n - 4);
    int k = lg__json_map(block + n + 1, keys, LG_JSON_KEYS, e, sizeof e);
    if (k < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s", e);
        rc = -EINVAL;
        goto out_free;
    }
    static _Atomic unsigned next_id;
    f->id = ++next_id;
    f->engine = LG_ENGINE_JSON;
    f->name = "json";
    f->spec = block;
    f->keys = keys;
    f->n_keys = k;
    f->has_client = f->has_body = 1;
    f->fields = ALL_FIELDS;
    *out = f;
    return 0;
out_free:
    free(block);
    free(keys);
    free(f);
    return rc;
}

int lg_format_compile(const char *spec, lg_format **out, char *err,
                      size_t errlen)
{
    comp c = {.err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    if (!spec || !*spec)
        return fail(&c, "empty log format");
    const lg_format *b = lg_format_builtin(spec);
    if (b) {
        *out = (lg_format *)b; /* static; lg_format_free ignores it */
        return 0;
    }
    if (strcmp(spec, "auto") == 0)
        return fail(&c, "'auto' is not a format: detect it with lg_detect");
    if (strncmp(spec, "json:", 5) == 0)
        return compile_json(spec, out, err, errlen);
    if (strcmp(spec, "json") == 0)
        return fail(&c, "the json format needs a field mapping: "
                        "--json-fields 'client=KEY,path=KEY,status=KEY,...'");

    size_t n = strlen(spec);
    lg_format *f = calloc(1, sizeof *f);
    /* block = spec copy (n+1) | working copy (n+1) | literals (3n+8) */
    char *block = malloc(5 * n + 16);
    c.items = calloc(2 * n + 4, sizeof *c.items);
    int rc = -ENOMEM;
    if (!f || !block || !c.items)
        goto out_free;
    memcpy(block, spec, n + 1);
    char *work = block + n + 1;
    c.lits = work + n + 1;
    if (spec[0] == '\'') {
        rc = unquote_nginx(&c, spec, work);
        if (rc)
            goto out_free;
    } else {
        memcpy(work, spec, n + 1);
    }
    if (strchr(work, '$'))
        rc = compile_nginx(&c, work);
    else
        rc = compile_apache(&c, work);
    if (rc)
        goto out_free;
    rc = finish(&c, f);
    if (rc)
        goto out_free;
    f->engine = LG_ENGINE_ITEMS;
    f->name = "custom";
    f->spec = block;
    f->items = c.items;
    f->n_items = c.n;
    *out = f;
    return 0;

out_free:
    free(c.items);
    free(block);
    free(f);
    return rc;
}
