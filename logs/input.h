/* input.h - where log bytes come from: file lists, compression, streams.
 *
 * Three layers, each usable alone:
 *  - lg_inputs: the command line's FILE arguments expanded (globs,
 *    directories, "-" for stdin) into a list of regular files, each with
 *    its size and compression, found by magic bytes rather than by name.
 *  - lg_stream: the bytes of one input, decompressed: a byte range of a
 *    plain file (read with pread, so many workers can share one file), or
 *    a whole gzip/zstd file or pipe decompressed as a stream.
 *  - lg_reader: blocks of whole lines on top of a stream, in a reused
 *    buffer, so memory stays bounded whatever the line or file length.
 *
 * Errors are negative errno values or the LG_E* codes below; a stream that
 * fails part way still delivered every complete line before the error.
 */
#ifndef LOGS_INPUT_H
#define LOGS_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Compression of an input, found from its first bytes. */
#define LG_COMP_MAP(X)                                                         \
    X(NONE, "none")                                                            \
    X(GZIP, "gzip")                                                            \
    X(ZSTD, "zstd")

enum lg_comp {
#define LG_COMP_ENUM_(e, name) LG_COMP_##e,
    LG_COMP_MAP(LG_COMP_ENUM_)
#undef LG_COMP_ENUM_
};

/* Stream errors beyond errno values. */
#define LG_ETRUNC (-5001)   /* compressed data ends in the middle */
#define LG_ECORRUPT (-5002) /* compressed data is not valid */
#define LG_ENOSUPP (-5003)  /* compression not compiled in */

/* Name of a compression ("gzip"); static. */
const char *lg_comp_name(int comp);

/* Compression found from the first n bytes of a file (n >= 4 for zstd). */
int lg_comp_detect(const void *buf, size_t n);

/* Name of the gzip decoder in use: "isa-l", "zlib"; static.  The choice is
 * made at build time and may be overridden with PIPEFAN_GZIP=zlib. */
const char *lg_gzip_backend(void);

/* Non-zero when zstd input is supported by this build. */
int lg_have_zstd(void);

/* One input. */
typedef struct lg_input {
    char *path;    /* owned; "-" for stdin */
    uint64_t size; /* bytes on disk at expansion time; 0 for stdin */
    int comp;      /* LG_COMP_* */
    int is_stdin;
} lg_input;

/* The expanded list of inputs, in command-line order; within a directory
 * or glob, names are sorted so runs are reproducible. */
typedef struct lg_inputs {
    lg_input *v;
    size_t n, cap;
    uint64_t total_bytes; /* sum of sizes (compressed sizes for .gz/.zst) */
} lg_inputs;

/* Expand one FILE argument and append what it names: "-" is stdin; a
 * directory adds its regular files (not recursively, hidden files
 * skipped); an argument that is not an existing path is tried as a glob.
 * Each file's first bytes are read to find its compression.  Returns the
 * number of inputs added (0 only for an empty directory), or -ENOENT /
 * -errno with a message in err (errlen bytes, NUL-terminated). */
int lg_inputs_add(lg_inputs *in, const char *arg, char *err, size_t errlen);

/* Free the list's storage.  Accepts an all-zero list. */
void lg_inputs_free(lg_inputs *in);

/* ---- streams ------------------------------------------------------------ */

typedef struct lg_stream lg_stream;

/* Open a stream over fd (borrowed: the caller closes it after
 * lg_stream_close).  comp NONE reads bytes [off, off+len) with pread;
 * GZIP/ZSTD read fd sequentially from its current position and ignore off
 * and len.  Returns 0 and *out (caller frees with lg_stream_close),
 * -ENOMEM or LG_ENOSUPP. */
int lg_stream_open(lg_stream **out, int fd, int comp, uint64_t off,
                   uint64_t len);

/* Open a sequential stream over fd (a pipe or stdin): reads with read(2)
 * from the current position, after first handing out (or, compressed,
 * decoding) the nprefix bytes at prefix (copied), which the caller already
 * read to sniff the compression (prefix may be NULL when nprefix is 0).
 * Same results as lg_stream_open. */
int lg_stream_open_seq(lg_stream **out, int fd, int comp, const void *prefix,
                       size_t nprefix);

/* Read up to cap decompressed bytes.  Returns the count (> 0), 0 at the
 * clean end, or a negative error (-errno, LG_ETRUNC, LG_ECORRUPT). */
ssize_t lg_stream_read(lg_stream *s, void *buf, size_t cap);

/* Compressed (or, for plain streams, raw) bytes consumed so far. */
uint64_t lg_stream_consumed(const lg_stream *s);

/* Close a stream.  Accepts NULL. */
void lg_stream_close(lg_stream *s);

/* Message for a stream error code; static. */
const char *lg_stream_strerror(int err);

/* ---- line blocks -------------------------------------------------------- */

/* A reader hands out blocks of whole lines from a stream.  Every block but
 * the last ends with '\n'; the last may end without one (a final line with
 * no newline).  A line longer than the buffer is handed out once as a
 * block holding only its first `cap` bytes with long_line set (it is then
 * one line, longer than any parser accepts), and the rest is skipped. */
typedef struct lg_reader {
    lg_stream *s; /* borrowed */
    char *buf;
    size_t cap;         /* buffer size */
    size_t start;       /* next byte not yet handed out */
    size_t end;         /* bytes in buf */
    int eof;            /* stream ended (cleanly or not) */
    int err;            /* the stream's error, once seen */
    int skipping;       /* inside the rest of a too-long line */
    int long_line;      /* the last block is a too-long line's head */
    uint64_t base;      /* stream offset of buf[0] */
    uint64_t block_off; /* stream offset of the last block handed out */
} lg_reader;

/* Set up a reader with a buffer of cap bytes (>= 64 KiB).  Returns 0 or
 * -ENOMEM. */
int lg_reader_init(lg_reader *r, lg_stream *s, size_t cap);

/* The next block: 1 with *p and *n set (borrowed until the next call), 0 at
 * the clean end, or the stream's negative error once every line before it
 * was handed out. */
int lg_reader_next(lg_reader *r, const char **p, size_t *n);

/* Start reading another stream with the same buffer. */
void lg_reader_attach(lg_reader *r, lg_stream *s);

/* Free the reader's buffer (not the stream). */
void lg_reader_destroy(lg_reader *r);

#endif
