/* agg-wire.h - partial aggregates on the wire: the one serialisation of
 * an aggregate's counts (format: docs/WIRE.md).
 *
 * A partial is a self-contained blob: a 16-byte header (magic "LGAW", a
 * version, the section count, a CRC-32 of the header), then sections,
 * each with its kind, its length and a CRC-32 over kind, length and
 * payload.  lg_agg_merge checks the header and every section's bounds
 * and checksum before it applies anything, and decodes every number
 * against the bounds of its section, so hostile bytes are refused with
 * an error code and never read or write out of bounds.
 */
#ifndef LOGS_AGG_WIRE_H
#define LOGS_AGG_WIRE_H

#include <errno.h>
#include <stddef.h>

#include "agg.h"
#include "buf.h"

/* lg_agg_merge's errors besides -ENOMEM:
 * LG_WIRE_ECORRUPT: not a partial, or truncated, or a checksum that does
 *   not match, or a section that does not decode (malformed content);
 * LG_WIRE_EVERSION: a partial of another format version;
 * LG_WIRE_EMISMATCH: a well-formed partial that does not fit this
 *   aggregate: another input count, a gap in its feed's partials, or a
 *   dictionary id the feed never defined. */
#define LG_WIRE_ECORRUPT (-EBADMSG)
#define LG_WIRE_EVERSION (-EPROTONOSUPPORT)
#define LG_WIRE_EMISMATCH (-EINVAL)

/* The format version lg_agg_serialize writes and lg_agg_merge reads. */
#define LG_WIRE_VERSION 5

/* Append the partial of this batch to out: the batch's counts and the
 * keys and pairs the sink has not been sent yet.  The keyed counts are
 * taken (zeroed) as they are written.  Then call lg_agg_sent, or
 * lg_agg_forget when the partial could not be delivered.  Returns 0 or
 * -ENOMEM (then forget). */
int lg_agg_serialize(lg_agg *a, lg_buf *out);

/* Add the partial in blob[0..len) (borrowed for the call) to dst.
 * Returns 0, -ENOMEM, or one of the LG_WIRE_E* codes above.  A partial
 * refused for its framing or a checksum (LG_WIRE_ECORRUPT before any
 * section is applied, LG_WIRE_EVERSION) leaves dst as it was; one whose
 * checksums hold but whose content does not decode or fit may leave dst
 * holding part of it. */
int lg_agg_merge(lg_agg *dst, const void *blob, size_t len);

/* A static description of an lg_agg_merge error code. */
const char *lg_wire_strerror(int rc);

#endif
