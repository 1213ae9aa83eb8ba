/* resolve.h - --resolve: the host names of the report's clients by
 * reverse DNS, looked up by a stage of many worker processes.
 *
 * After the merge has ranked the clients, lg_resolve_report takes the
 * addresses to name (the clients panel's rows, or every client with
 * --resolve all), answers what it can from the --resolve-cache file, and
 * runs one more pipefan pipeline for the rest, through the public API
 * only:
 *
 *     addresses (source) -> N x lookup (c-ares, resolve-dns.h) -> names (sink)
 *
 * Each distinct address is asked once per run; N is --resolve-jobs
 * (default 32): a lookup mostly waits on the network, so many processes
 * wait at once - the seeds' `12 x whois`.  Each query has its own
 * timeout, the stage a total one: addresses not asked by then stay
 * unresolved.  The sink appends each answer to a memfd the caller reads
 * back when pf_run returns.  DNS trouble never fails the report: a name
 * that could not be had is shown as unresolved.
 */
#ifndef LOGS_RESOLVE_H
#define LOGS_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

/* What became of one address.  X(name, value, words). */
#define LG_RDNS_MAP(X)                                                         \
    X(OK, 0, "named")                                                          \
    X(NONE, 1, "no PTR record")                                                \
    X(TIMEOUT, 2, "timed out")                                                 \
    X(FAIL, 3, "failed")                                                       \
    X(UNCONFIRMED, 4, "not forward-confirmed")                                 \
    X(SKIPPED, 5, "not asked: out of time")                                    \
    X(NOTADDR, 6, "not an IP address")

enum lg_rdns_status {
#define LG__RDNS_ENUM(name, value, text) LG_RDNS_##name = (value),
    LG_RDNS_MAP(LG__RDNS_ENUM)
#undef LG__RDNS_ENUM
    LG_RDNS_COUNT
};

/* --resolve: which clients (lg_config.resolve) */
enum {
    LG_RESOLVE_OFF,
    LG_RESOLVE_TOP,
    LG_RESOLVE_ALL
};

/* Defaults of the lg_config fields left 0. */
#define LG_RESOLVE_JOBS 32
#define LG_RESOLVE_TIMEOUT_MS 2000u
#define LG_RESOLVE_TOTAL_MS 30000u

/* The name of one CLIENTS entry. */
typedef struct lg_host {
    char *name; /* owned, NUL-terminated (raw bytes: may hold NULs,
                   see len); NULL when unresolved */
    uint16_t len;
    uint8_t status; /* LG_RDNS_*; OK exactly when name is set */
    uint8_t cached; /* the answer came from --resolve-cache */
} lg_host;

struct lg_report;

/* Fill r->hosts (one per CLIENTS entry, r->nclients) by the lookups
 * described above, with r->job->cfg's resolve options.  0, or -ENOMEM;
 * DNS and cache-file trouble is logged, not returned. */
int lg_resolve_report(struct lg_report *r);

/* Free hosts[0..n) and the array.  Safely does nothing on NULL. */
void lg_hosts_free(lg_host *hosts, size_t n);

/* Words for an LG_RDNS_* status ("timed out"). */
const char *lg_rdns_text(int status);

/* Check a --resolve-server value, ADDR[:PORT] or [IPv6]:PORT: 0, or
 * -EINVAL. */
int lg_resolve_check_server(const char *s);

/* "c-ares 1.18.1", or NULL when this build has no resolver library. */
const char *lg_resolve_backend(void);

#endif
