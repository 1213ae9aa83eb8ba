/*
 * analyze.c - the seeds' pool of log analyzers (Python's Pool.map) with
 * pf_map: each file is analyzed by one of 4 worker processes, which
 * counts its requests by status class and sums the bytes sent; the
 * results come back to main in the order of the files.
 *
 *   analyze LOGFILE...     (Common or Combined Log Format)
 */
#include <pipefan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tally {
    long lines, status[6], bytes; /* status[k]: k00..k99 */
};

static int analyze(pf_ctx *ctx, const void *path, size_t len PF_UNUSED,
                   void *arg PF_UNUSED)
{
    struct tally t = {0};
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[8192], *q;
    int status;
    long bytes;
    while (fgets(line, sizeof line, f) != NULL) {
        t.lines++;
        if ((q = strstr(line, "\" ")) == NULL ||
            sscanf(q + 2, "%d", &status) != 1 || status < 100 || status > 599)
            continue;
        t.status[status / 100]++;
        if (sscanf(q + 2, "%*d %ld", &bytes) == 1)
            t.bytes += bytes;
    }
    fclose(f);
    return pf_result_set(ctx, &t, sizeof t); /* this file's result */
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)argc - 1 : 0;
    pf_item *files = calloc(n + 1, sizeof *files), *out;
    for (size_t i = 0; i < n; i++)
        files[i] = (pf_item){argv[i + 1], strlen(argv[i + 1]) + 1, 0};
    pf_map_options o;
    pf_map_options_init(&o);
    o.workers = 4;
    int rc = pf_map(files, n, analyze, NULL, &o, &out);
    if (rc != 0) {
        fprintf(stderr, "analyze: %s\n", pf_strerror(rc));
        return 1;
    }
    struct tally all = {0};
    for (size_t i = 0; i < n; i++) {
        const struct tally *t = out[i].data; /* out[i]: files[i]'s */
        printf("%s: %ld requests, %ld 4xx, %ld 5xx, %ld bytes\n", argv[i + 1],
               t->lines, t->status[4], t->status[5], t->bytes);
        all.lines += t->lines, all.bytes += t->bytes;
        all.status[4] += t->status[4], all.status[5] += t->status[5];
    }
    printf("total: %ld requests, %ld 4xx, %ld 5xx, %ld bytes\n", all.lines,
           all.status[4], all.status[5], all.bytes);
    free(out);
    free(files);
    return 0;
}
