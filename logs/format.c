/* format.c - the compiler for user format strings (and "json:MAP").
 *
 * A user format (nginx "$var" or Apache "%x" style) compiles to a flat
 * list of items: literals to match and fields to read. parse.c runs that
 * list. The built-in formats are in format-builtin.c.
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
    f->fields = LG_FIELDS_ALL;
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
