/*
 * runner-checks.c - proving that a test leaked nothing: file descriptors,
 * shared-memory mappings, /dev/shm files and processes; plus the small
 * string helpers the runner shares.
 */
#include "runner-private.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- strings and sets --------------------------------------------------- */

/* Grow sb to hold extra more bytes plus the NUL; aborts when out of memory
 * (a test runner has no better answer). */
static void sb_reserve(struct runner_sb *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *p = realloc(sb->p, cap);
    if (p == NULL) {
        fprintf(stderr, "runner: out of memory\n");
        abort();
    }
    sb->p = p;
    sb->cap = cap;
}

void runner__sb_add(struct runner_sb *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void runner__sb_vaddf(struct runner_sb *sb, const char *fmt, va_list ap)
{
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    if (n < 0)
        return;
    runner__sb_add(sb, text, (size_t)n);
    free(text);
}

void runner__sb_addf(struct runner_sb *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    runner__sb_vaddf(sb, fmt, ap);
    va_end(ap);
}

void runner__sb_free(struct runner_sb *sb)
{
    free(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
}

int runner__set_add(struct runner_set *set, const char *s)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        char **p = realloc(set->s, cap * sizeof *p);
        if (p == NULL)
            return -1;
        set->s = p;
        set->cap = cap;
    }
    set->s[set->n] = strdup(s);
    if (set->s[set->n] == NULL)
        return -1;
    set->n++;
    return 0;
}

int runner__set_has(const struct runner_set *set, const char *s)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->s[i], s) == 0)
            return 1;
    return 0;
}

void runner__set_free(struct runner_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->s[i]);
    free(set->s);
    set->s = NULL;
    set->n = set->cap = 0;
}

/* ---- file descriptors --------------------------------------------------- */

int runner__fds_snapshot(struct runner_set *fds)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    char self[32];
    snprintf(self, sizeof self, "%d", dirfd(d));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
            continue;
        if (runner__set_add(fds, e->d_name) < 0)
            break;
    }
    closedir(d);
    return 0;
}

int runner__fds_check(const struct runner_set *before)
{
    struct runner_set now = {0};
    int leaks = 0;

    if (runner__fds_snapshot(&now) < 0)
        return 0;
    for (size_t i = 0; i < now.n; i++) {
        if (runner__set_has(before, now.s[i]))
            continue;
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%s", now.s[i]);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < 0)
            continue; /* closed meanwhile by another thread */
        target[n] = '\0';
        runner__report('F', "leaked fd %s -> %s", now.s[i], target);
        leaks++;
    }
    runner__set_free(&now);
    return leaks;
}

/* ---- shared-memory mappings --------------------------------------------- */

/* Whether a mapped path is shared memory a pipeline may leave behind: the
 * runtime's memfd is named "pipefan"; POSIX shm lives in /dev/shm. */
static int is_shared_memory(const char *path)
{
    return strstr(path, "pipefan") != NULL ||
           strncmp(path, "/memfd:", 7) == 0 ||
           strncmp(path, "/dev/shm/", 9) == 0;
}

/* Call fn on each mapping of this process: its address range and path. */
static int maps_each(int (*fn)(const char *range, const char *path, void *arg),
                     void *arg)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int total = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        /* start-end perms offset dev inode path */
        char range[64];
        int pos = 0;
        if (sscanf(line, "%63s %*s %*s %*s %*s %n", range, &pos) < 1 ||
            pos == 0)
            continue;
        const char *path = line + pos;
        if (*path == '\0' || !is_shared_memory(path))
            continue;
        total += fn(range, path, arg);
    }
    free(line);
    fclose(f);
    return total;
}

static int maps_add(const char *range, const char *path, void *arg)
{
    (void)range;
    runner__set_add(arg, path);
    return 0;
}

int runner__maps_snapshot(struct runner_set *maps)
{
    return maps_each(maps_add, maps) < 0 ? -1 : 0;
}

struct maps_check {
    const struct runner_set *before;
    struct runner_set seen;
};

static int maps_report(const char *range, const char *path, void *arg)
{
    struct maps_check *mc = arg;
    if (runner__set_has(mc->before, path) || runner__set_has(&mc->seen, path))
        return 0;
    runner__set_add(&mc->seen, path);
    runner__report('F', "leaked mapping %s %s", range, path);
    return 1;
}

int runner__maps_check(const struct runner_set *before)
{
    struct maps_check mc = {before, {0}};
    int leaks = maps_each(maps_report, &mc);
    runner__set_free(&mc.seen);
    return leaks < 0 ? 0 : leaks;
}

/* ---- /dev/shm ----------------------------------------------------------- */

int runner__dir_snapshot(const char *dir, struct runner_set *names)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        runner__set_add(names, e->d_name);
    }
    closedir(d);
    return 0;
}

/* Whether a /dev/shm name is one this project's code or tests make: the
 * others belong to whatever else runs on the machine meanwhile (Open
 * MPI's segments, a browser's, another test binary's), which the check
 * must neither blame on the test nor remove. */
static int ours(const char *name)
{
    return strncmp(name, "runner-", 7) == 0 || strstr(name, "pipefan") != NULL;
}

int runner__shm_check(const char *dir, const struct runner_set *before,
                      struct runner_sb *diag)
{
    struct runner_set now = {0};
    int leaks = 0;

    runner__dir_snapshot(dir, &now);
    for (size_t i = 0; i < now.n; i++) {
        if (runner__set_has(before, now.s[i]) || !ours(now.s[i]))
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, now.s[i]);
        runner__sb_addf(diag, "leaked %s (removed)\n", path);
        unlink(path);
        leaks++;
    }
    runner__set_free(&now);
    return leaks;
}

/* ---- processes ---------------------------------------------------------- */

/* Read /proc/PID/stat: the command name, state and parent.  0 or -1. */
static int proc_stat(pid_t pid, char *comm, size_t commsz, char *state,
                     pid_t *ppid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
    char *open = strchr(buf, '(');
    char *close = strrchr(buf, ')');
    if (open == NULL || close == NULL || close < open)
        return -1;
    int p = 0;
    if (sscanf(close + 1, " %c %d", state, &p) != 2)
        return -1;
    size_t len = (size_t)(close - open - 1);
    if (len >= commsz)
        len = commsz - 1;
    memcpy(comm, open + 1, len);
    comm[len] = '\0';
    *ppid = p;
    return 0;
}

/* Collect the pids of this process's children, up to max. */
static int list_children(pid_t *pids, int max)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 0;
    pid_t me = getpid();
    int n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d)) != NULL) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end != '\0' || v <= 0)
            continue;
        char comm[64], state;
        pid_t ppid;
        if (proc_stat((pid_t)v, comm, sizeof comm, &state, &ppid) == 0 &&
            ppid == me)
            pids[n++] = (pid_t)v;
    }
    closedir(d);
    return n;
}

int runner__reap_leftovers(struct runner_sb *diag)
{
    enum {
        MAX = 256,
        MAX_REPORTED = 20
    };
    pid_t pids[MAX];
    int found = 0;

    for (int round = 0; round < 1000; round++) {
        int n = list_children(pids, MAX);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            char comm[64] = "?", state = '?';
            pid_t ppid;
            proc_stat(pids[i], comm, sizeof comm, &state, &ppid);
            if (diag != NULL && found + i < MAX_REPORTED)
                runner__sb_addf(diag, "leaked process pid %d (%s)%s\n",
                                (int)pids[i], comm,
                                state == 'Z' ? " [zombie: never reaped]" : "");
            kill(pids[i], SIGKILL);
        }
        for (int i = 0; i < n; i++)
            while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
                ;
        found += n;
    }
    if (diag != NULL && found > MAX_REPORTED)
        runner__sb_addf(diag, "... %d leaked processes in all\n", found);
    return found;
}

/* ---- temporary directories ---------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int runner__rmtree(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}
