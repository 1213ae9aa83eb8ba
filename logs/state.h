/* state.h - a state file: what `pipefan logs --state FILE` has counted so
 * far, so the next run reads only what is new (format: docs/STATE.md).
 *
 * A state names every input it has read by content, not by name: a
 * fingerprint of its first bytes (decompressed) and the byte offset just
 * past the last complete line counted.  With it goes the aggregate of
 * everything counted, as one wire partial (agg-save.h) whose inputs are
 * the state's inputs, in order.
 *
 * Reading is for untrusted bytes: every length, count and index is
 * checked, the sections' CRC-32s too, and the aggregate is decoded into a
 * fresh one; a file that does not hold gives an error naming the reason,
 * never a crash.  Writing is atomic: a temporary file beside the target,
 * fsync, rename, fsync of the directory.
 */
#ifndef LOGS_STATE_H
#define LOGS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "buf.h"

#define LG_STATE_VERSION 1
/* A fingerprint covers at most this many first bytes of an input. */
#define LG_STATE_FP_MAX 4096
/* Limits a reader enforces. */
#define LG_STATE_MAX_INPUTS (1u << 20)
#define LG_STATE_MAX_NAME 4096
#define LG_STATE_MAX_OPTS 65536

/* lg_state_decode's errors besides -ENOMEM. */
#define LG_STATE_ECORRUPT (-EBADMSG)
#define LG_STATE_EVERSION (-EPROTONOSUPPORT)

/* Input flags. */
#define LG_STIN_STREAM 1 /* standard input or a pipe: never recognised */

/* One input a state has counted. */
typedef struct lg_state_input {
    char *name;        /* owned: the path it was last seen under */
    uint64_t dev, ino; /* its identity when last seen (informational) */
    uint32_t fplen;    /* bytes the fingerprint covers (<= LG_STATE_FP_MAX) */
    uint64_t fp;       /* FNV-1a 64 of the first fplen bytes */
    uint64_t offset;   /* bytes counted: just past the last whole line */
    uint64_t lines;    /* lines counted */
    uint32_t comp;     /* LG_COMP_* it was last read as */
    uint32_t fmt;      /* format slot (job.h) it was read with */
    uint32_t flags;    /* LG_STIN_* */
} lg_state_input;

/* A state: its inputs and aggregate (owned). */
typedef struct lg_state {
    char *version; /* pipefan version that wrote it */
    char *options; /* the options that shape the counts, canonical */
    unsigned tabs_on;
    lg_state_input *in;
    size_t n, cap;
    lg_agg *agg; /* n inputs; NULL until loaded or set */
    /* lg_state_read_head: the file's bytes (owned) and in them the AGG
     * section, a partial of agg_n inputs, until lg_state_load_agg */
    unsigned char *raw;
    const unsigned char *agg_p;
    size_t agg_len, agg_n;
} lg_state;

/* FNV-1a 64 of p[0..n). */
uint64_t lg_state_fp(const void *p, size_t n);

/* Append an input (name copied).  Its index, or -ENOMEM. */
long lg_state_add(lg_state *s, const lg_state_input *in);

/* Free what s holds (not s).  Accepts an all-zero state. */
void lg_state_free(lg_state *s);

/* Decode the state file bytes b[0..len) into s (zeroed first).  The
 * aggregate is made with clients_top (lg_agg_new_sink).  0, -ENOMEM,
 * LG_STATE_ECORRUPT or LG_STATE_EVERSION with the reason in err. */
int lg_state_decode(lg_state *s, const void *b, size_t len, size_t clients_top,
                    char *err, size_t errlen);

/* Encode s (its aggregate of s->n inputs, or an empty one when NULL)
 * into out.  0, -ENOMEM, -EINVAL. */
int lg_state_encode(lg_state *s, lg_buf *out);

/* Read the state file path into s.  1 when loaded, 0 when the file does
 * not exist (s empty), or a negative error with "PATH: reason" in err. */
int lg_state_read(const char *path, lg_state *s, size_t clients_top, char *err,
                  size_t errlen);

/* lg_state_read without decoding the aggregate: s->agg stays NULL and
 * the AGG section is kept (checksum verified) for lg_state_load_agg, so
 * that the aggregate can be decoded once, straight into one of more
 * inputs.  Same returns. */
int lg_state_read_head(const char *path, lg_state *s, char *err, size_t errlen);

/* Decode the AGG section kept by lg_state_read_head into s->agg, a sink
 * of nfiles >= s->agg_n inputs (the state's inputs first, then empty
 * ones), clients_top as lg_agg_new_sink; the kept bytes are freed either
 * way.  0, -ENOMEM, LG_STATE_ECORRUPT or LG_STATE_EVERSION with the
 * reason in err. */
int lg_state_load_agg(lg_state *s, size_t nfiles, size_t clients_top, char *err,
                      size_t errlen);

/* Write s to path atomically: a temporary file in the same directory
 * (O_EXCL|O_NOFOLLOW, relative to the opened directory), fsync, renameat
 * over path, fsync the directory.  A symlink at path is replaced, never
 * followed.  0, or a negative errno with "PATH: reason" in err. */
int lg_state_write(const char *path, lg_state *s, char *err, size_t errlen);

/* lg_state_write in two steps, so a run can decide late whether to keep
 * what it counted: lg_state_stage writes and fsyncs the temporary file
 * (its name, in path's directory, to tmp) and lg_state_commit renames it
 * over path and fsyncs the directory (keep set) or removes it.  Stage
 * returns the file's size (> 0, at most INT32_MAX), commit 0; either a
 * negative errno with "PATH: reason" in err. */
int lg_state_stage(const char *path, lg_state *s, char *tmp, size_t tmplen,
                   char *err, size_t errlen);
int lg_state_commit(const char *path, const char *tmp, int keep, char *err,
                    size_t errlen);

/* Remove the temporary files of path that a killed run left behind
 * (".NAME.PID.N.tmp" beside it, PID no longer running).  How many. */
int lg_state_clean_stale(const char *path);

#endif
