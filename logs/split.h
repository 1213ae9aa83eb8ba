/* split.h - the source stage of pipefan logs: inputs -> chunk descriptors.
 *
 * Plain files are cut into ranges of about chunk_size bytes that end at a
 * line end; the source sends only {input, offset, length} and each parse
 * worker preads its own bytes (references, not data).  A compressed file
 * cannot be entered in the middle, so it is one descriptor, decompressed
 * by whichever worker gets it: many .gz files spread over the workers.
 * Standard input is read by the source itself and sent as data chunks of
 * whole lines.
 *
 * A descriptor is an lg_chunk, followed for LG_CHUNK_DATA and
 * LG_CHUNK_LONG by its bytes.  The layout is fixed-width so it could cross
 * hosts; it is only ever read by the same build.
 */
#ifndef LOGS_SPLIT_H
#define LOGS_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include <pipefan.h>

#define LG_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */

/* Kinds of descriptor. */
#define LG_CHUNK_RANGE 1 /* bytes [offset, offset+length) of a plain file */
#define LG_CHUNK_FILE 2  /* a whole compressed file */
#define LG_CHUNK_DATA 3  /* whole lines of stdin follow the header */
#define LG_CHUNK_LONG 4  /* one too-long stdin line: its head follows */

typedef struct lg_chunk {
    uint32_t magic; /* LG_CHUNK_MAGIC */
    uint8_t kind;   /* LG_CHUNK_* */
    uint8_t fmt;    /* format slot (job.h) */
    uint16_t hdr;   /* RANGE/DATA: bytes of W3C "#Fields:" header that
                       follow the descriptor (the layout in effect at the
                       chunk start, format.h), then DATA's lines */
    uint32_t file;  /* input index */
    uint32_t reserved2;
    uint64_t offset; /* RANGE: file offset; DATA/LONG: stream offset */
    uint64_t length; /* RANGE: bytes; DATA/LONG: bytes that follow */
    uint64_t line;   /* DATA/LONG: number of the first line (1-based) */
} lg_chunk;

_Static_assert(sizeof(lg_chunk) == 40, "lg_chunk is a wire format");

/* Default size of a plain-file chunk: the plain input split four ways
 * per worker, within these bounds.  Big chunks make few partials (each
 * costs the sink a merge); enough of them keep every worker busy to the
 * end. */
#define LG_CHUNK_MIN (1u << 20)
#define LG_CHUNK_MAX (32u << 20)
/* Largest stdin data chunk. */
#define LG_DATA_CHUNK (256u << 10)
/* Bytes of each queue between the stages (job.c). */
#define LG_RING_BYTES (1u << 20)

/* The source stage function; arg is the lg_job (job.h). */
int lg_split_source(pf_ctx *ctx, void *arg);

/* End of the line holding byte `pos` of fd (the offset just past its
 * '\n'), or `size` when the file ends first.  Reads forward in small
 * windows.  Returns the offset, or a negative errno. */
int64_t lg_split_line_end(int fd, uint64_t pos, uint64_t size);

#endif
