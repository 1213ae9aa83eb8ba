/* outfile.c - output files that never follow a symlink (outfile.h). */
#define _GNU_SOURCE
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lg_outdir_open(const char *path)
{
    if (mkdir(path, 0777) < 0 && errno != EEXIST)
        return -errno;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int lg_outfile_open(lg_outfile *o, int dirfd, const char *name)
{
    static unsigned seq;
    memset(o, 0, sizeof *o);
    o->dirfd = dirfd;
    if (!*name || strchr(name, '/') || strlen(name) >= sizeof o->name)
        return -EINVAL;
    strcpy(o->name, name);
    for (int tries = 0; tries < 100; tries++) {
        snprintf(o->tmp, sizeof o->tmp, ".%s.%ld.%u.tmp", name, (long)getpid(),
                 seq++);
        int fd =
            openat(dirfd, o->tmp,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue; /* a leftover, or someone else's: another name */
        if (fd < 0)
            return -errno;
        o->f = fdopen(fd, "w");
        if (!o->f) {
            int e = errno;
            close(fd);
            unlinkat(dirfd, o->tmp, 0);
            return -e;
        }
        return 0;
    }
    return -EEXIST;
}

int lg_outfile_commit(lg_outfile *o)
{
    int rc = 0;
    if (!o->f)
        return -EBADF;
    if (fflush(o->f) != 0 || ferror(o->f))
        rc = -(errno ? errno : EIO);
    if (fclose(o->f) != 0 && rc == 0)
        rc = -(errno ? errno : EIO);
    o->f = NULL;
    if (rc == 0 && renameat(o->dirfd, o->tmp, o->dirfd, o->name) < 0)
        rc = -errno;
    if (rc < 0)
        unlinkat(o->dirfd, o->tmp, 0);
    return rc;
}

void lg_outfile_abort(lg_outfile *o)
{
    if (!o->f)
        return;
    fclose(o->f);
    o->f = NULL;
    unlinkat(o->dirfd, o->tmp, 0);
}

int lg_outfile_open_path(lg_outfile *o, const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 0;
    memset(o, 0, sizeof *o);
    o->dirfd = -1;
    if (slash && !slash[1])
        return -EISDIR;
    if (dl + 2 > sizeof dir)
        return -ENAMETOOLONG;
    memcpy(dir, path, dl);
    strcpy(dir + dl, !slash ? "." : dl ? "" : "/");
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return -errno;
    int rc = lg_outfile_open(o, d, slash ? slash + 1 : path);
    if (rc < 0) {
        close(d);
        o->dirfd = -1;
    }
    return rc;
}

int lg_outfile_end(lg_outfile *o, int keep)
{
    int rc = 0;
    if (keep)
        rc = lg_outfile_commit(o);
    else
        lg_outfile_abort(o);
    if (o->dirfd >= 0)
        close(o->dirfd);
    o->dirfd = -1;
    return rc;
}
