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

#include "parse.h"

int lg_detect(const char *buf, size_t len, const lg_format **out)
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
    return parsed;
}
