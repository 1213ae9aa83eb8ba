/* inputs.c - FILE arguments into a list of inputs (inputs.h). */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esc.h"

/* A name as messages show it (esc.h), in a local buffer b. */
#define ESC(s, b) lg_esc_name((s), (b), sizeof(b))

/* Append path: a regular file (size and compression read now) or, when
 * st says it is not one, a stream.  st is the path's stat, or NULL for
 * stdin. */
static int inputs_push(lg_inputs *in, const char *path, const struct stat *st,
                       char *err, size_t errlen)
{
    char b1[256], b2[256]; /* names for messages */
    lg_input v = {0};
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        lg_input *nv = realloc(in->v, cap * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        in->v = nv;
        in->cap = cap;
    }
    v.path = strdup(path);
    if (!v.path)
        return -ENOMEM;
    v.is_stdin = st == NULL;
    v.is_stream = st == NULL || !S_ISREG(st->st_mode);
    if (!v.is_stream) {
        unsigned char magic[4];
        struct stat fst;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &fst) < 0) {
            int e = errno;
            snprintf(err, errlen, "%s: %s", ESC(path, b1), strerror(e));
            if (fd >= 0)
                close(fd);
            free(v.path);
            return -e;
        }
        for (size_t i = 0; i < in->n; i++) {
            const lg_input *o = &in->v[i];
            if (!o->is_stream && !o->err && o->dev == (uint64_t)fst.st_dev &&
                o->ino == (uint64_t)fst.st_ino) {
                snprintf(err, errlen, "%s: the same file as %s, counted once",
                         ESC(path, b1), ESC(o->path, b2));
                in->n_dups++;
                close(fd);
                free(v.path);
                return 0;
            }
        }
        ssize_t r = pread(fd, magic, sizeof magic, 0);
        close(fd);
        v.dev = (uint64_t)fst.st_dev;
        v.ino = (uint64_t)fst.st_ino;
        v.size = (uint64_t)fst.st_size;
        v.comp = lg_comp_detect(magic, r > 0 ? (size_t)r : 0);
        in->total_bytes += v.size;
    }
    in->v[in->n++] = v;
    return 1;
}

/* stat path and push it; a message and -errno when it cannot be. */
static int push_path(lg_inputs *in, const char *path, char *err, size_t errlen)
{
    char b1[256]; /* names for messages */
    struct stat st;
    if (stat(path, &st) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", ESC(path, b1), strerror(e));
        return -e;
    }
    return inputs_push(in, path, &st, err, errlen);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the regular, non-hidden files of a directory, sorted by name. */
static int add_dir(lg_inputs *in, const char *dir, char *err, size_t errlen)
{
    char b1[256]; /* names for messages */
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, added = 0;
    struct dirent *e;
    if (!d) {
        int e0 = errno;
        snprintf(err, errlen, "%s: %s", ESC(dir, b1), strerror(e0));
        errno = e0;
        return -errno;
    }
    while ((e = readdir(d))) {
        char *full;
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (asprintf(&full, "%s/%s", dir, e->d_name) < 0) {
            rc = -ENOMEM;
            goto out;
        }
        if (stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(full);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                free(full);
                rc = -ENOMEM;
                goto out;
            }
            names = nn;
        }
        names[n++] = full;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && rc >= 0; i++) {
        rc = push_path(in, names[i], err, errlen);
        added += rc > 0;
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc < 0 ? rc : added;
}

/* Expand a glob: its files, and the files of its directories. */
static int add_glob(lg_inputs *in, const char *arg, char *err, size_t errlen)
{
    char b1[256]; /* names for messages */
    glob_t g;
    struct stat st;
    int added = 0, rc = 0;
    int gr = glob(arg, 0, NULL, &g); /* glob sorts its results */
    if (gr == GLOB_NOMATCH) {
        snprintf(err, errlen, "%s: no file matches", ESC(arg, b1));
        return -ENOENT;
    }
    if (gr != 0) {
        snprintf(err, errlen, "%s: cannot expand", ESC(arg, b1));
        return -EIO;
    }
    for (size_t i = 0; i < g.gl_pathc && rc >= 0; i++) {
        if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = add_dir(in, g.gl_pathv[i], err, errlen);
        else
            rc = push_path(in, g.gl_pathv[i], err, errlen);
        added += rc > 0 ? rc : 0;
    }
    globfree(&g);
    return rc < 0 ? rc : added;
}

int lg_inputs_add(lg_inputs *in, const char *arg, char *err, size_t errlen)
{
    char b1[256]; /* names for messages */
    struct stat st;
    if (strcmp(arg, "-") == 0)
        return inputs_push(in, "-", NULL, err, errlen);
    if (stat(arg, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return add_dir(in, arg, err, errlen);
        return inputs_push(in, arg, &st, err, errlen);
    }
    if (strpbrk(arg, "*?["))
        return add_glob(in, arg, err, errlen);
    int e0 = errno;
    snprintf(err, errlen, "%s: %s", ESC(arg, b1), strerror(e0));
    return -e0;
}

int lg_inputs_add_failed(lg_inputs *in, const char *arg, int err)
{
    size_t n = in->n;
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        lg_input *nv = realloc(in->v, cap * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        in->v = nv;
        in->cap = cap;
    }
    memset(&in->v[n], 0, sizeof in->v[n]);
    in->v[n].path = strdup(arg);
    if (!in->v[n].path)
        return -ENOMEM;
    in->v[n].err = err < 0 ? err : -EIO;
    in->n++;
    in->n_failed++;
    return 1;
}

void lg_inputs_free(lg_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->v[i].path);
    free(in->v);
    memset(in, 0, sizeof *in);
}
