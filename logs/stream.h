/* stream.h - the bytes of one input, decompressed.
 *
 * An lg_stream is a byte range of a plain file (read with pread, so many
 * workers can share one file), or a whole gzip/zstd file or pipe
 * decompressed as a stream.  Compression is found by magic bytes
 * (lg_comp_detect), never by name.  The decoders are one file each
 * (stream-zlib.c, stream-isal.c, stream-zstd.c); which of them a build has
 * is chosen by meson (logs/meson.build), and stream.c picks among those
 * built (stream-dec.h).
 *
 * Errors are negative errno values or the LG_E* codes below; a stream that
 * fails part way still delivered every byte decoded before the error.
 */
#ifndef LOGS_STREAM_H
#define LOGS_STREAM_H

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
    LG_COMP_COUNT
};

/* Stream errors beyond errno values. */
#define LG_ETRUNC (-5001)   /* compressed data ends in the middle */
#define LG_ECORRUPT (-5002) /* compressed data is not valid */
#define LG_ENOSUPP (-5003)  /* compression not compiled in */
#define LG_EWINDOW (-5004)  /* zstd window beyond the decoder's limit */
#define LG_EZMEM (-5005)    /* no memory for the zstd window */

/* Name of a compression ("gzip"); static. */
const char *lg_comp_name(int comp);

/* Compression found from the first n bytes of a file: gzip's 1f 8b, a
 * zstd frame (28 b5 2f fd) or a zstd skippable frame (5? 2a 4d 18, as
 * pzstd writes first), else NONE.  n >= 4 for zstd. */
int lg_comp_detect(const void *buf, size_t n);

/* Name of the decoder a stream of compression comp uses in this process
 * ("isa-l", "zlib", "zstd"), or NULL when the build has none; static.
 * PIPEFAN_GZIP=NAME picks a built gzip decoder by name (read once). */
const char *lg_stream_decoder(int comp);

/* Name of the gzip decoder in use: "isa-l", "zlib" (or "no"); static. */
const char *lg_gzip_backend(void);

/* Non-zero when zstd input is supported by this build. */
int lg_have_zstd(void);

typedef struct lg_stream lg_stream;

/* Open a stream over fd (borrowed: the caller closes it after
 * lg_stream_close).  comp NONE reads bytes [off, off+len) with pread;
 * GZIP/ZSTD read fd sequentially from its current position and ignore off
 * and len.  Returns 0 and *out (caller frees with lg_stream_close),
 * -ENOMEM or LG_ENOSUPP. */
int lg_stream_open(lg_stream **out, int fd, int comp, uint64_t off,
                   uint64_t len);

/* Open a sequential stream over fd (a pipe, FIFO or stdin): reads with
 * read(2) from the current position, after first handing out (or,
 * compressed, decoding) the nprefix bytes at prefix (copied), which the
 * caller already read to sniff the compression (prefix may be NULL when
 * nprefix is 0).  Same results as lg_stream_open, or -EINVAL when nprefix
 * is over 256 KiB. */
int lg_stream_open_seq(lg_stream **out, int fd, int comp, const void *prefix,
                       size_t nprefix);

/* Have a sequential stream call wait(arg, fd) before each read(2) of its
 * fd: 0 to go on and read, or a negative error that the read then
 * returns (and keeps returning).  For pipes and FIFOs, so that a reader
 * can poll and give up when told to stop rather than block in read(2). */
void lg_stream_set_wait(lg_stream *s, int (*wait)(void *arg, int fd),
                        void *arg);

/* Read up to cap decompressed bytes.  Returns the count (> 0), 0 at the
 * clean end, or a negative error (-errno, LG_ETRUNC, LG_ECORRUPT,
 * LG_EWINDOW, LG_EZMEM); an error is sticky. */
ssize_t lg_stream_read(lg_stream *s, void *buf, size_t cap);

/* Compressed (or, for plain streams, raw) bytes consumed so far. */
uint64_t lg_stream_consumed(const lg_stream *s);

/* Close a stream.  Accepts NULL. */
void lg_stream_close(lg_stream *s);

/* Message for a stream error code; static. */
const char *lg_stream_strerror(int err);

#endif
