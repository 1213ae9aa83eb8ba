/* fuzz-format.c - libFuzzer target for the log-format compiler.
 *
 * The input's first line is a format spec; when it compiles, every
 * following line is parsed with it (from an exactly sized copy) and the
 * record checked. Compile errors must come with a message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../logs/format.h"
#include "../../logs/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *e = p + size;
    const char *nl = memchr(p, '\n', size);
    size_t sn = nl ? (size_t)(nl - p) : size;
    char *spec = malloc(sn + 1);
    if (!spec)
        abort();
    memcpy(spec, p, sn);
    spec[sn] = '\0';
    lg_format *f = NULL;
    char err[128];
    int rc = lg_format_compile(spec, &f, err, sizeof err);
    if (rc != 0) {
        if (rc != -EINVAL || f != NULL || err[0] == '\0')
            abort();
        free(spec);
        return 0;
    }
    if (!f || !lg_format_name(f) || !lg_format_spec(f))
        abort();
    (void)lg_format_fields(f);
    p = nl ? nl + 1 : e;
    while (p < e) {
        const char *le = memchr(p, '\n', (size_t)(e - p));
        size_t n = le ? (size_t)(le - p) : (size_t)(e - p);
        char *line = malloc(n ? n : 1);
        if (!line)
            abort();
        memcpy(line, p, n);
        lg_rec r;
        rc = lg_parse_line(f, line, n, &r);
        if (rc < 0 || rc >= LG_BAD_COUNT)
            abort();
        if (rc == LG_OK) {
            const lg_str *all[] = {
                &r.client, &r.vhost,  &r.ident,    &r.user,    &r.request,
                &r.method, &r.target, &r.protocol, &r.referer, &r.agent};
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                if (all[i]->n &&
                    (all[i]->p < line || all[i]->p + all[i]->n > line + n))
                    abort();
            if (r.status != 0 && (r.status < 100 || r.status > 999))
                abort();
        }
        free(line);
        p = le ? le + 1 : e;
    }
    lg_format_free(f);
    free(spec);
    return 0;
}
