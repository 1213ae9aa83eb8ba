/*
 * wordcount.c - fan-out word count: read lines, count words in N worker
 * processes, merge the partial counts, print the most frequent words.
 *
 *   wordcount [-j N] [FILE]      (no FILE: a generated text)
 *
 * Each counter keeps a table of its own and emits it from its finish
 * hook; the sink merges the tables.  The result is the same for any -j,
 * and with PIPEFAN_SERIAL=1, where every stage runs in this one process:
 * so the tables are worker data (pf_worker_set_data), never a global
 * that two stages would share.
 */
#include <ctype.h>
#include <pipefan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE 65536 /* open addressing, power of two */

struct entry {
    char word[32];
    unsigned long count;
};

/* Add n to word's count in table. */
static void add(struct entry *table, const char *w, size_t len, unsigned long n)
{
    if (len >= sizeof table[0].word)
        len = sizeof table[0].word - 1;
    unsigned long h = 5381;
    for (size_t i = 0; i < len; i++)
        h = h * 33 + (unsigned char)w[i];
    for (unsigned long i = h & (TABLE - 1);; i = (i + 1) & (TABLE - 1)) {
        if (table[i].count == 0) {
            memcpy(table[i].word, w, len);
            table[i].word[len] = '\0';
            table[i].count = n;
            return;
        }
        if (strncmp(table[i].word, w, len) == 0 && table[i].word[len] == '\0') {
            table[i].count += n;
            return;
        }
    }
}

/* Init hook of both stages: this worker's own table. */
static int table_init(pf_ctx *ctx, void *arg)
{
    (void)arg;
    struct entry *table = calloc(TABLE, sizeof *table);
    if (table == NULL)
        return -1;
    return pf_worker_set_data(ctx, table);
}

/* Source: lines of FILE, or a generated text. */
static int read_lines(pf_ctx *ctx, void *arg)
{
    const char *path = arg;
    if (path == NULL) {
        static const char *words[] = {"pipe",  "fan",  "worker",
                                      "stage", "ring", "record",
                                      "the",   "a",    "of"};
        char line[128];
        for (unsigned i = 0; i < 200000; i++) {
            int n = snprintf(line, sizeof line, "%s %s %s", words[i % 9],
                             words[(i / 9) % 9], words[(i * 7) % 5]);
            if (pf_emit(ctx, line, (size_t)n) != 0)
                return -1;
        }
        return 0;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        pf_log(ctx, PF_LOG_ERROR, "%s: cannot open", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) > 0)
        rc = pf_emit(ctx, line, (size_t)n);
    free(line);
    fclose(f);
    return rc;
}

/* Counter: split a line into lower-case words. */
static int count_words(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    struct entry *table = pf_worker_data(ctx);
    const char *p = rec, *end = p + len;
    char w[32];
    while (p < end) {
        while (p < end && !isalnum((unsigned char)*p))
            p++;
        size_t n = 0;
        while (p < end && isalnum((unsigned char)*p)) {
            if (n < sizeof w)
                w[n++] = (char)tolower((unsigned char)*p);
            p++;
        }
        if (n > 0)
            add(table, w, n, 1);
    }
    return 0;
}

/* Counter's finish hook: emit "count word" for each entry. */
static int emit_partials(pf_ctx *ctx, void *arg)
{
    (void)arg;
    const struct entry *table = pf_worker_data(ctx);
    for (unsigned i = 0; i < TABLE; i++) {
        if (table[i].count == 0)
            continue;
        int rc = pf_emit(ctx, &table[i], sizeof table[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int merge(pf_ctx *ctx, const void *rec, size_t len, void *arg)
{
    (void)arg;
    struct entry e;
    if (len != sizeof e)
        return -1;
    memcpy(&e, rec, sizeof e);
    add(pf_worker_data(ctx), e.word, strlen(e.word), e.count);
    return 0;
}

static int by_count(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

static int print_top(pf_ctx *ctx, void *arg)
{
    (void)arg;
    struct entry *table = pf_worker_data(ctx);
    qsort(table, TABLE, sizeof *table, by_count);
    for (int i = 0; i < 10 && table[i].count > 0; i++)
        printf("%8lu %s\n", table[i].count, table[i].word);
    return 0;
}

int main(int argc, char **argv)
{
    int workers = 4, argi = 1;
    if (argc > 2 && strcmp(argv[1], "-j") == 0) {
        workers = atoi(argv[2]);
        argi = 3;
    }
    const char *path = argi < argc ? argv[argi] : NULL;

    pf_pipeline *p = pf_pipeline_new();
    if (p == NULL)
        return 1;
    pf_source(p, "read", read_lines, (void *)path);
    pf_stage *count = pf_stage_add(p, "count", count_words, NULL);
    pf_stage_workers(count, workers);
    pf_stage_hooks(count, table_init, emit_partials);
    pf_stage_data_free(count, free); /* serial mode: freed by pf_run */
    pf_stage *report = pf_stage_add(p, "merge", merge, NULL);
    pf_stage_hooks(report, table_init, print_top);
    pf_stage_data_free(report, free);

    int rc = pf_run(p);
    if (rc != 0)
        fprintf(stderr, "wordcount: %s\n", pf_strerror(rc));
    pf_pipeline_free(p);
    return rc == 0 ? 0 : 1;
}
