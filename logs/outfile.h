/* outfile.h - output files that never follow a symlink.
 *
 * A file pipefan creates inside a directory (--csv DIR/) is written under
 * a fresh temporary name, opened relative to the directory with
 * O_CREAT | O_EXCL | O_NOFOLLOW, and renamed over its final name when
 * complete: a symlink planted under the final name (in a shared
 * directory, say) is replaced, never written through, and a dangling one
 * never creates its target.  The directory itself is the one the user
 * named, followed if it is a symlink (docs/SECURITY.md).
 *
 * Files the user names one by one (--joblog, --dead-letter, --stats-json)
 * are opened by their own code as given: a symlink named on the command
 * line is the user's choice (/dev/stderr is one).
 *
 * Usable from logs/ and cli/: it needs libc only.
 */
#ifndef LOGS_OUTFILE_H
#define LOGS_OUTFILE_H

#include <stdio.h>

typedef struct lg_outfile {
    int dirfd;      /* borrowed */
    FILE *f;        /* write here between open and commit */
    char tmp[320];  /* the temporary name in dirfd */
    char name[256]; /* the final name in dirfd */
} lg_outfile;

/* Open the directory path for lg_outfile_open, creating it (mode 0777
 * less the umask) when missing.  The fd (O_DIRECTORY, O_CLOEXEC), or
 * -errno. */
int lg_outdir_open(const char *path);

/* Start the file name (one path component, no '/') in dirfd: a temporary
 * file beside it, opened for writing in o->f.  0, or -errno (-EINVAL for
 * a name with '/' or too long). */
int lg_outfile_open(lg_outfile *o, int dirfd, const char *name);

/* Flush and close o->f, then rename the temporary file to its name (an
 * existing file or symlink of that name is replaced).  On any error the
 * temporary file is removed.  0, or -errno. */
int lg_outfile_commit(lg_outfile *o);

/* Close and remove the temporary file (after an error elsewhere). */
void lg_outfile_abort(lg_outfile *o);

/* A file the user named by path (--html FILE), staged the same way: its
 * directory (which must exist) is opened into o->dirfd, owned by o until
 * lg_outfile_end.  0, or -errno (-EISDIR for a path ending in '/'). */
int lg_outfile_open_path(lg_outfile *o, const char *path);
/* Commit o when keep is non-zero, else abort it; then close o->dirfd.
 * 0, or the commit's -errno. */
int lg_outfile_end(lg_outfile *o, int keep);

#endif
