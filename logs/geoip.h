/* geoip.h - client -> country, through libmaxminddb.
 *
 * Open once before the workers fork: the database is mmap'ed read-only and
 * shared; each process then fills its own copy of a small cache, so each
 * distinct client is looked up in the database at most once per worker.
 * One lg_geoip must not be used by two threads at once.
 */
#ifndef LOGS_GEOIP_H
#define LOGS_GEOIP_H

#include <stddef.h>

#include "record.h"

typedef struct lg_geoip lg_geoip;

/* Open a country (or city) database. With path == NULL, try in order:
 *   $PIPEFAN_GEOIP_DB, /usr/share/GeoIP/GeoLite2-Country.mmdb,
 *   /var/lib/GeoIP/GeoLite2-Country.mmdb,
 * /usr/share/GeoIP/dbip-country-lite.mmdb, /usr/share/GeoIP/dbip-country.mmdb,
 * /usr/share/GeoIP/GeoLite2-City.mmdb, /var/lib/GeoIP/GeoLite2-City.mmdb,
 * /usr/share/GeoIP/dbip-city-lite.mmdb Returns 0 and a handle in *out (caller
 * closes with lg_geoip_close), -ENOENT when path is NULL and no database was
 * found (not an error for a caller that treats GeoIP as optional), -EIO with a
 * message in err (may be NULL) when the file cannot be opened, is not an
 * MMDB or has no countries (an ASN or ISP database), -ENOMEM. */
int lg_geoip_open(const char *path, lg_geoip **out, char *err, size_t errlen);

/* Close and free. Accepts NULL. */
void lg_geoip_close(lg_geoip *g);

/* The path of the opened database (owned by g). */
const char *lg_geoip_path(const lg_geoip *g);

/* Country of the client (IPv4 or IPv6 text as logged): stores the ISO
 * 3166-1 alpha-2 code ("GB") in out, or "" when the client is not an
 * address or is not in the database. Returns 1 when a code was found,
 * 0 otherwise. Cached per process (by client string). */
int lg_geoip_country(lg_geoip *g, lg_str client, char out[3]);

/* Cache statistics, for tests and --stats: distinct clients looked up in
 * the database, and lookups answered from the cache. */
void lg_geoip_stats(const lg_geoip *g, size_t *db_lookups, size_t *cache_hits);

#endif
