/* report.h - the finished report: a read-only view of a ranked aggregate
 * that the renderers (render.h) read, and nothing else of it.
 *
 * lg_report_build ranks the sink's aggregate (rank.h), looks up the
 * clients' countries and names the log format; the view borrows the
 * aggregate's counts and entries, so the aggregate must outlive it.
 */
#ifndef LOGS_REPORT_H
#define LOGS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "job.h"

typedef struct lg_country {
    char code[3]; /* ISO 3166-1 alpha-2, "" = unknown */
    uint64_t hits, bytes, clients;
} lg_country;

typedef struct lg_report {
    const lg_job *job;
    unsigned panels; /* 1u << LG_PANEL_* to show */
    size_t top;      /* rows per ranked panel; 0 = all */
    /* the aggregate's counts, borrowed */
    const lg_totals *tot;
    const lg_status_cnt *status; /* LG_STATUS_MAX codes */
    const lg_file_stat *files;   /* nfiles, by input */
    size_t nfiles;
    const lg_sample *samples[LG_BAD_COUNT]; /* nsamples[reason] each */
    int nsamples[LG_BAD_COUNT];
    uint64_t unique_clients;
    uint64_t unique_paths;
    int has_paths;    /* the paths table was filled (unique_paths known) */
    int path_clients; /* paths[].clients (lg_ent.aux) was counted */
    /* rows of each table in display order (the first lg_report_shown) */
    const lg_ent **rows[LG_TAB_COUNT];
    size_t nrows[LG_TAB_COUNT];
    const lg_ent *clients; /* CLIENTS entries by id, nclients */
    size_t nclients;
    char (*client_cc)[3];  /* per CLIENTS entry, or NULL */
    lg_country *countries; /* sorted by hits, or NULL */
    size_t ncountries;
    const char *format_desc; /* "combined", "mixed"... */
    struct lg_host *hosts;   /* --resolve: per CLIENTS entry, else NULL */
} lg_report;

/* Build the report from a finalised aggregate (rank.h's
 * lg_agg_finalize), which it ranks; agg and job are borrowed until
 * lg_report_destroy.  0 or -ENOMEM. */
int lg_report_build(lg_report *r, const lg_job *job, lg_agg *agg);
/* Free what lg_report_build allocated. */
void lg_report_destroy(lg_report *r);
/* Rows to show of table id: min(top, rows), or all for a panel that
 * shows every row. */
size_t lg_report_shown(const lg_report *r, int id);
/* Country of a CLIENTS entry, "" when unknown or no database. */
const char *lg_report_country(const lg_report *r, const lg_ent *client);
/* --resolve: 1 and the host name of a CLIENTS entry in *name, *len
 * (raw bytes from the DNS: escape them for the output), or 0 when it has
 * none (unresolved, or --resolve not given: see r->hosts). */
int lg_report_host(const lg_report *r, const lg_ent *client, const char **name,
                   size_t *len);
/* Non-zero when panel p is shown. */
int lg_report_has(const lg_report *r, int panel);
/* Input files with an error. */
uint64_t lg_report_file_errors(const lg_report *r);

#endif
