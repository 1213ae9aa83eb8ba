/* detect.c - choose a built-in format from a sample of lines.
 *
 * All built-ins share parse.c's tolerant NCSA parser, so they accept the
 * same lines; what detection decides is the layout to report (and that
 * the sample is an access log at all). It relies on one detail of parse.c:
 * an optional field that was present in the line but written as "-" is
 * stored with n == 0 and p pointing at the '-', while a field that was
 * not in the line at all has p == NULL.
 */
#include "detect.h"

#include <string.h>

#include "parse-cols.h"
#include "parse.h"

/* Count the sample lines that format f parses; *lines gets the number of
 * lines that are not blank, comments or error-log lines. */
static int count_parsed(const lg_format *f, const char *buf, size_t len,
                        int *lines_out)
{
    int parsed = 0, lines = 0;
    const char *p = buf, *e = buf + len;
    int have_complete = memchr(buf, '\n', len) != NULL;
    while (p < e && lines < LG_DETECT_LINES) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl && have_complete && lines > 0)
            break; /* maybe cut short; used only when no other line is */
        const char *le = nl ? nl : e;
        lg_rec r;
        int rc = lg_parse_line(f, p, (size_t)(le - p), &r);
        p = nl ? nl + 1 : e;
        if (lg_bad_is_ignorable(rc) || rc == LG_BAD_ERROR_LOG)
            continue;
        lines++;
        parsed += rc == LG_OK;
    }
    *lines_out = lines;
    return parsed;
}

/* The first byte of the first line that is not blank, and whether some
 * line of the sample is a W3C "#Fields:" header. */
static char first_byte(const char *buf, size_t len, int *w3c)
{
    char first = 0;
    const char *p = buf, *e = buf + len;
    *w3c = 0;
    for (int k = 0; p < e && k < LG_DETECT_LINES; k++) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        const char *q = p;
        if (le - q >= 3 && memcmp(q, "\xEF\xBB\xBF", 3) == 0)
            q += 3;
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (lg_w3c_is_fields(q, (size_t)(le - q)))
            *w3c = 1;
        if (!first && q < le && *q != '#')
            first = *q;
        p = nl ? nl + 1 : e;
    }
    return first;
}

/* The format among names[] that parses the most sample lines (the first
 * on a tie), stored in *out with its count; 0 when none parses a line. */
static int best_of(const char *const *names, const char *buf, size_t len,
                   const lg_format **out)
{
    int best = 0, lines;
    for (int i = 0; names[i]; i++) {
        const lg_format *f = lg_format_builtin(names[i]);
        int n = count_parsed(f, buf, len, &lines);
        if (n > best) {
            best = n;
            *out = f;
        }
    }
    return best;
}

/* The NCSA family: all share one parser; the layout is what is decided. */
static int detect_ncsa(const char *buf, size_t len, const lg_format **out,
                       int *lines_out)
{
    const lg_format *base = lg_format_builtin("combined");
    int parsed = 0, tail = 0, vhost = 0, lines = 0;
    const char *p = buf, *e = buf + len;
    int have_complete = memchr(buf, '\n', len) != NULL;

    while (p < e && lines < LG_DETECT_LINES) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl && have_complete)
            break;
        const char *le = nl ? nl : e;
        lg_rec r;
        int rc = lg_parse_line(base, p, (size_t)(le - p), &r);
        p = nl ? nl + 1 : e;
        if (lg_bad_is_ignorable(rc) || rc == LG_BAD_ERROR_LOG)
            continue;
        lines++;
        if (rc != LG_OK)
            continue;
        parsed++;
        if (r.referer.p || r.agent.p)
            tail++;
        if (r.vhost.p)
            vhost++;
    }
    const char *name;
    if (parsed == 0)
        name = "combined";
    else if (2 * vhost > parsed)
        name = 2 * tail >= parsed ? "vhost_combined" : "vhost_common";
    else
        name = 2 * tail >= parsed ? "combined" : "common";
    *out = lg_format_builtin(name);
    *lines_out = lines;
    return parsed;
}

int lg_detect(const char *buf, size_t len, const lg_format **out)
{
    static const char *const json[] = {"caddy", "traefik_json", "nginx_json",
                                       NULL};
    static const char *const cols[] = {"alb",   "elb",   "s3", "haproxy",
                                       "squid", "gandi", NULL};
    int w3c, lines;
    char first = first_byte(buf, len, &w3c);
    int nw3c =
        w3c ? count_parsed(lg_format_builtin("w3c"), buf, len, &lines) : 0;
    if (nw3c > 0) { /* a "#Fields:" comment in an NCSA log parses nothing */
        *out = lg_format_builtin("w3c");
        return nw3c;
    }
    if (first == '{') {
        int n = best_of(json, buf, len, out);
        if (n > 0)
            return n;
    }
    int parsed = detect_ncsa(buf, len, out, &lines);
    if (parsed < lines) {
        const lg_format *alt = NULL;
        int n = best_of(cols, buf, len, &alt);
        if (n > parsed) {
            *out = alt;
            return n;
        }
    }
    return parsed;
}
