/* inputs.h - the command line's FILE arguments expanded (globs,
 * directories, "-" for stdin) into a list of inputs.
 *
 * A regular file is read in place: its size is known, its compression is
 * found from its first bytes, and plain ones are cut into ranges that the
 * workers pread.  Anything else - "-", a FIFO, a pipe such as bash's
 * <(...) (/dev/fd/N), /dev/stdin on a pipe, a character device - is a
 * stream: it is not opened here (opening a FIFO waits for its writer, and
 * every byte read from it is gone), but opened and read exactly once, by
 * the source stage (split.c).
 */
#ifndef LOGS_INPUTS_H
#define LOGS_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

/* One input. */
typedef struct lg_input {
    char *path;        /* owned; "-" for stdin */
    uint64_t size;     /* bytes on disk at expansion time; 0 for a stream */
    int comp;          /* LG_COMP_*; for a stream, found when it is read */
    int is_stdin;      /* "-": file descriptor 0 */
    int is_stream;     /* read once, in order (stdin, FIFO, pipe, device) */
    int err;           /* lg_inputs_add_failed: -errno, nothing to read */
    uint64_t dev, ino; /* a regular file's identity, for duplicates */
    /* --state (state-run.h): count bytes [start, size) only (decompressed
     * bytes for a compressed file), or nothing when skip is set */
    uint64_t start;
    int skip;
} lg_input;

/* The expanded list of inputs, in command-line order; within a directory
 * or glob, names are sorted so runs are reproducible. */
typedef struct lg_inputs {
    lg_input *v;
    size_t n, cap;
    uint64_t total_bytes; /* sum of sizes (compressed sizes for .gz/.zst) */
    size_t n_failed;      /* entries from lg_inputs_add_failed */
    size_t n_dups;        /* files skipped as named before */
} lg_inputs;

/* Expand one FILE argument and append what it names: "-" is stdin; a
 * directory adds its regular files (not recursively, hidden files
 * skipped); an argument that is not an existing path is tried as a glob;
 * any other existing path that is not a regular file is a stream.  A
 * file of a directory or glob that cannot be opened is added as failed
 * (lg_inputs_add_failed), not an error of the argument.  Each
 * regular file's first bytes are read to find its compression.  Returns
 * the number of inputs added (0 only for an empty directory), or -ENOENT
 * / -errno with a message in err (errlen bytes, NUL-terminated). */
int lg_inputs_add(lg_inputs *in, const char *arg, char *err, size_t errlen);

/* A regular file that is already in the list (the same device and inode:
 * named twice, or once through a symlink or a hard link) is not added
 * again: lg_inputs_add then counts it in n_dups, says so in err ("b.log:
 * the same file as a.log, counted once") and, when that was all the
 * argument named, returns 0. */

/* Append an entry for an argument that named nothing readable (err:
 * lg_inputs_add's negative result), so the report lists it with its
 * error; it is not read.  1, or -ENOMEM. */
int lg_inputs_add_failed(lg_inputs *in, const char *arg, int err);

/* Free the list's storage.  Accepts an all-zero list. */
void lg_inputs_free(lg_inputs *in);

#endif
