/* genlog-fmt.c - genlog's line writers: NCSA, W3C extended, nginx JSON.
 *
 * The same generated request is written in any format, so a log made in
 * W3C or JSON can be checked against the same log in combined format.
 */
#include "genlog.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static char *cat(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

static char *cats(char *o, const char *s)
{
    return cat(o, s, strlen(s));
}

static char *catu(char *o, uint64_t v)
{
    return o + sprintf(o, "%llu", (unsigned long long)v);
}

size_t gl_ncsa_line(char *out, const gl_rec *r, const char *tbuf, size_t tlen,
                    int dash, int tail)
{
    char *o = cat(out, r->client, r->client_n);
    o = cats(o, r->user[0] == 'a' ? " - alice " : " - - ");
    o = cat(o, tbuf, tlen);
    o = cats(o, " \"");
    o = cats(o, r->method);
    *o++ = ' ';
    o = cat(o, r->path, r->path_n);
    *o++ = ' ';
    o = cat(o, r->proto, 8);
    o = cats(o, "\" ");
    o = catu(o, (uint64_t)r->status);
    *o++ = ' ';
    if (dash)
        *o++ = '-';
    else
        o = catu(o, r->bytes);
    if (tail) {
        o = cats(o, " \"");
        o = cat(o, r->referer, r->referer_n);
        o = cats(o, "\" \"");
        o = cat(o, r->agent, r->agent_n);
        *o++ = '"';
    }
    *o++ = '\n';
    return (size_t)(o - out);
}

/* A W3C field: "-" when empty, spaces as '+'. */
static char *w3c_str(char *o, const char *s, size_t n)
{
    if (n == 0)
        return cats(o, "-");
    for (size_t i = 0; i < n; i++)
        *o++ = s[i] == ' ' ? '+' : s[i];
    return o;
}

static const char *const w3c_fields[2] = {
    "#Fields: date time c-ip cs-username cs-method cs-uri-stem "
    "cs-uri-query sc-status sc-bytes time-taken cs-version "
    "cs(User-Agent) cs(Referer)\n",
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port "
    "cs-username c-ip cs-version cs(User-Agent) cs(Referer) sc-status "
    "sc-substatus sc-win32-status sc-bytes time-taken\n",
};

size_t gl_w3c_header(char *out, int alt)
{
    char *o = cats(out, "#Software: genlog\n#Version: 1.0\n");
    o = cats(o, w3c_fields[alt]);
    return (size_t)(o - out);
}

size_t gl_w3c_line(char *out, const gl_rec *r, int alt)
{
    char *o = out;
    time_t tt = (time_t)r->t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    o += sprintf(o, "%04d-%02d-%02d %02d:%02d:%02d ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    const char *q = memchr(r->path, '?', r->path_n);
    size_t stem = q ? (size_t)(q - r->path) : r->path_n;
    char query[2048];
    char *qe = q ? w3c_str(query, q + 1, r->path_n - stem - 1) : query;
    if (qe == query)
        qe = cats(query, "-");
    if (alt == 0) {
        o = cat(o, r->client, r->client_n);
        *o++ = ' ';
        o = w3c_str(o, r->user, strlen(r->user));
        *o++ = ' ';
        o = cats(o, r->method);
        *o++ = ' ';
        o = cat(o, r->path, stem);
        *o++ = ' ';
        o = cat(o, query, (size_t)(qe - query));
        *o++ = ' ';
        o = catu(o, (uint64_t)r->status);
        *o++ = ' ';
        o = catu(o, r->bytes);
        *o++ = ' ';
        o = catu(o, r->time_us / 1000);
        *o++ = ' ';
        o = cat(o, r->proto, 8);
        *o++ = ' ';
        o = w3c_str(o, r->agent, r->agent_n);
        *o++ = ' ';
        o = w3c_str(o, r->referer, r->referer_n);
    } else {
        o = cats(o, "10.0.0.1 ");
        o = cats(o, r->method);
        *o++ = ' ';
        o = cat(o, r->path, stem);
        *o++ = ' ';
        o = cat(o, query, (size_t)(qe - query));
        o = cats(o, " 443 ");
        o = w3c_str(o, r->user, strlen(r->user));
        *o++ = ' ';
        o = cat(o, r->client, r->client_n);
        *o++ = ' ';
        o = cat(o, r->proto, 8);
        *o++ = ' ';
        o = w3c_str(o, r->agent, r->agent_n);
        *o++ = ' ';
        o = w3c_str(o, r->referer, r->referer_n);
        *o++ = ' ';
        o = catu(o, (uint64_t)r->status);
        o = cats(o, " 0 0 ");
        o = catu(o, r->bytes);
        *o++ = ' ';
        o = catu(o, r->time_us / 1000);
    }
    *o++ = '\n';
    return (size_t)(o - out);
}

/* A JSON string body, '"' and '\\' escaped. */
static char *json_str(char *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            *o++ = '\\';
        *o++ = s[i];
    }
    return o;
}

size_t gl_json_line(char *out, const gl_rec *r)
{
    char *o = out;
    time_t tt = (time_t)(r->t + r->tzmin * 60);
    struct tm tm;
    gmtime_r(&tt, &tm);
    int a = r->tzmin < 0 ? -r->tzmin : r->tzmin;
    o += sprintf(
        o,
        "{\"time_iso8601\":\"%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d\","
        "\"remote_addr\":\"",
        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
        tm.tm_sec, r->tzmin < 0 ? '-' : '+', a / 60, a % 60);
    o = cat(o, r->client, r->client_n);
    o = cats(o, "\",\"remote_user\":\"");
    o = json_str(o, r->user, strlen(r->user));
    o = cats(o, "\",\"request\":\"");
    o = cats(o, r->method);
    *o++ = ' ';
    o = json_str(o, r->path, r->path_n);
    *o++ = ' ';
    o = cat(o, r->proto, 8);
    o = cats(o, "\",\"status\":");
    o = catu(o, (uint64_t)r->status);
    o = cats(o, ",\"body_bytes_sent\":");
    o = catu(o, r->bytes);
    o += sprintf(o, ",\"request_time\":%u.%03u", r->time_us / 1000000,
                 r->time_us / 1000 % 1000);
    o = cats(o, ",\"http_referer\":\"");
    o = json_str(o, r->referer, r->referer_n);
    o = cats(o, "\",\"http_user_agent\":\"");
    o = json_str(o, r->agent, r->agent_n);
    o = cats(o, "\"}\n");
    return (size_t)(o - out);
}
