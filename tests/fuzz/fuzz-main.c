/* fuzz-main.c - run a libFuzzer target without libFuzzer.
 *
 * Linked with a fuzz-*.c target when the compiler has no
 * -fsanitize=fuzzer (gcc), so the targets still run in the normal suite:
 *   fuzz-parse [FILE|DIR]...   each file is one input, a directory's
 *                              regular files too (not recursive);
 *   fuzz-parse                 with no argument (or "-"), stdin is one input.
 * Besides each whole file, every file larger than 4 KiB is also fed in
 * 4 KiB slices, the size of a typical fuzz input. Exits 0 when every
 * input ran (a failing check in the target aborts), 2 on a read error.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t n_inputs;

/* Read a whole stream into a malloc'd buffer; NULL on error. */
static uint8_t *read_all(FILE *fp, size_t *len)
{
    size_t cap = 1 << 16, n = 0, k;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return NULL;
    while ((k = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += k;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
    }
    if (ferror(fp)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Feed one buffer: whole, then in slices, each from its own allocation
 * so that the target's reads are bounded by ASan as under libFuzzer. */
static void feed(const uint8_t *buf, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    memcpy(copy, buf, len);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
    n_inputs++;
    if (len <= 4096)
        return;
    for (size_t off = 0; off < len; off += 4096) {
        size_t n = len - off < 4096 ? len - off : 4096;
        copy = malloc(n);
        if (!copy)
            abort();
        memcpy(copy, buf + off, n);
        LLVMFuzzerTestOneInput(copy, n);
        free(copy);
        n_inputs++;
    }
}

static int run_file(const char *path)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) {
        perror(path);
        return -1;
    }
    size_t len;
    uint8_t *buf = read_all(fp, &len);
    if (fp != stdin)
        fclose(fp);
    if (!buf) {
        fprintf(stderr, "%s: read error\n", path);
        return -1;
    }
    feed(buf, len);
    free(buf);
    return 0;
}

static int run_path(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) {
            perror(path);
            return -1;
        }
        int rc = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            if (stat(sub, &st) == 0 && S_ISREG(st.st_mode) && run_file(sub) < 0)
                rc = -1;
        }
        closedir(d);
        return rc;
    }
    return run_file(path);
}

int main(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2)
        rc = run_file("-");
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i]) < 0)
            rc = -1;
    printf("%zu inputs ran\n", n_inputs);
    return rc < 0 ? 2 : 0;
}
