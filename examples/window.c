/*
 * window.c - the seeds' live word cloud (a producer, consumers that
 * update a shared window, a display that reads it while the run goes
 * on), with pf_shared and the progress hook:
 *
 *   tweets  ->  4 x count  (each updates the shared window)
 *   main: the progress callback is the display, 5 times a second
 *
 * The window - the last WINDOW words and a count per word - lives in
 * pf_shared memory under a pf_mutex; the display takes the same lock to
 * read a consistent view.  At the end main prints the final counts and
 * checks them against a count made without pipefan.  PIPEFAN_SERIAL=1
 * prints the same.  (With pf_options.retries, a replayed consumer would
 * count its replayed words twice: shared memory is not rolled back.)
 *
 *   window [WORDS]      (default 200000; the live display goes to stderr)
 */
#include <pipefan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NWORDS 8
#define WINDOW 5
static const char *words[NWORDS] = {"beer", "ale",  "stout", "lager",
                                    "hops", "malt", "pint",  "cheers"};

struct window {
    pf_mutex lock;
    long count[NWORDS];
    int last[WINDOW]; /* the most recent words, a ring */
    long seen;
};

/* The i-th word of the stream: a fixed pseudo-random sequence. */
static int word_at(long i)
{
    unsigned long x = (unsigned long)i * 2654435761u;
    return (int)((x >> 13) % NWORDS);
}

static int tweets(pf_ctx *ctx, void *arg)
{
    long n = *(const long *)arg;
    for (long i = 0; i < n; i++) {
        const char *w = words[word_at(i)];
        if (pf_emit(ctx, w, strlen(w)) != 0)
            return -1;
    }
    return 0;
}

static int count(pf_ctx *ctx PF_UNUSED, const void *rec, size_t len, void *arg)
{
    struct window *win = arg;
    int k = 0;
    while (k < NWORDS &&
           !(strlen(words[k]) == len && memcmp(words[k], rec, len) == 0))
        k++;
    if (k == NWORDS || pf_shared_lock(&win->lock) < 0)
        return -1;
    win->count[k]++;
    win->last[win->seen % WINDOW] = k;
    win->seen++;
    return pf_shared_unlock(&win->lock);
}

/* The display: runs in main during the run, and once at the end. */
static void display(const pf_pipeline *p PF_UNUSED, int final, void *arg)
{
    struct window *win = arg;
    if (final || pf_shared_lock(&win->lock) < 0)
        return;
    fprintf(stderr, "\r%8ld words, latest:", win->seen);
    for (int i = 0; i < WINDOW && i < win->seen; i++)
        fprintf(stderr, " %s", words[win->last[(win->seen - 1 - i) % WINDOW]]);
    fprintf(stderr, "          ");
    pf_shared_unlock(&win->lock);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    pf_pipeline *p = pf_pipeline_new();
    struct window *win = pf_shared(p, sizeof *win); /* before pf_run */
    if (win == NULL || pf_mutex_init(&win->lock) != 0)
        return 1;
    pf_source(p, "tweets", tweets, &n);
    pf_stage_workers(pf_stage_add(p, "count", count, win), 4);
    pf_pipeline_on_progress(p, display, win);
    int rc = pf_run(p);
    fprintf(stderr, "\n");
    long expect[NWORDS] = {0}, total = 0;
    for (long i = 0; i < n; i++)
        expect[word_at(i)]++;
    for (int k = 0; k < NWORDS; k++) {
        printf("%-7s %ld\n", words[k], win->count[k]);
        total += win->count[k];
        if (win->count[k] != expect[k])
            rc = rc != 0 ? rc : -1;
    }
    printf("%ld words, %s\n", total, rc == 0 ? "as counted" : "WRONG");
    pf_pipeline_free(p);
    return rc != 0;
}
