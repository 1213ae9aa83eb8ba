/* panels.h - the report's panels: one table that the job (which tables
 * to fill), the option parser and every renderer loop over.  Adding a
 * panel is a row here plus its counting code (and, for a panel that is
 * not a table of rows, its writer in each renderer).
 *
 * X(ENUM, name, table, kind, all_rows, title, row key, text column,
 *   CSV header of a panel that is not a table of rows)
 *   name:     --panels name, JSON key, CSV file <name>.csv
 *   table:    the aggregate table it shows (LG_TAB_*), or -1
 *   kind:     RANKED rows by hits, BUCKETS rows by time, OTHER
 *   all_rows: every row shown, not just the first --top
 *   title:    heading in the text report
 *   row key:  JSON key and CSV column of a row's key
 *   text col: heading of the key column in the text report
 */
#ifndef LOGS_PANELS_H
#define LOGS_PANELS_H

#include <stddef.h>

#include "agg.h"

#define LG_PANEL_MAP(X)                                                        \
    X(TOTALS, "totals", -1, OTHER, 0, "Totals", NULL, NULL, "key,value")       \
    X(STATUS, "status", -1, OTHER, 0, "Status codes", NULL, NULL,              \
      "status,hits,bytes")                                                     \
    X(METHODS, "methods", LG_TAB_METHODS, RANKED, 1, "Methods", "method",      \
      "method", NULL)                                                          \
    X(PROTOCOLS, "protocols", LG_TAB_PROTOCOLS, RANKED, 1, "Protocols",        \
      "protocol", "protocol", NULL)                                            \
    X(PATHS, "paths", LG_TAB_PATHS, RANKED, 0, "Top paths", "path", "path",    \
      NULL)                                                                    \
    X(CLIENTS, "clients", LG_TAB_CLIENTS, RANKED, 0, "Top clients", "client",  \
      "client", NULL)                                                          \
    X(COUNTRIES, "countries", -1, OTHER, 0, "Countries", NULL, NULL,           \
      "country,hits,bytes,clients")                                            \
    X(HOURS, "hours", LG_TAB_HOURS, BUCKETS, 1,                                \
      "Requests per hour (as logged)", "hour", NULL, NULL)                     \
    X(DAYS, "days", LG_TAB_DAYS, BUCKETS, 1, "Requests per day (as logged)",   \
      "day", NULL, NULL)                                                       \
    X(REFERRERS, "referrers", LG_TAB_REFERRERS, RANKED, 0, "Top referrers",    \
      "referrer", "referrer", NULL)                                            \
    X(AGENTS, "agents", LG_TAB_AGENTS, RANKED, 0, "Top user agents", "agent",  \
      "user agent", NULL)                                                      \
    X(NOT_FOUND, "not_found", LG_TAB_NOT_FOUND, RANKED, 0, "Top 404 paths",    \
      "path", "path", NULL)                                                    \
    X(VHOSTS, "vhosts", LG_TAB_VHOSTS, RANKED, 0, "Virtual hosts", "vhost",    \
      "vhost", NULL)                                                           \
    X(BAD, "bad", -1, OTHER, 0, "Bad lines", NULL, NULL, "reason,lines")       \
    X(FILES, "files", -1, OTHER, 0, "Files", NULL, NULL,                       \
      "path,format,compression,lines,requests,bad_lines,error")

enum lg_panel {
#define LG_PANEL_ENUM_(e, ...) LG_PANEL_##e,
    LG_PANEL_MAP(LG_PANEL_ENUM_)
#undef LG_PANEL_ENUM_
    LG_PANEL_COUNT
};

#define LG_PANELS_ALL ((1u << LG_PANEL_COUNT) - 1)

enum lg_panel_kind {
    LG_PANEL_KIND_OTHER,
    LG_PANEL_KIND_RANKED,
    LG_PANEL_KIND_BUCKETS
};

/* One row of the panel table. */
typedef struct lg_panel_info {
    const char *name;
    int table; /* LG_TAB_*, or -1 */
    int kind;  /* LG_PANEL_KIND_* */
    int all_rows;
    const char *title;
    const char *row_key;
    const char *text_col;
    const char *csv_head;
} lg_panel_info;

/* The panel table, by LG_PANEL_*. */
extern const lg_panel_info lg_panel_table[LG_PANEL_COUNT];

/* Name of a panel; static, "?" out of range. */
const char *lg_panel_name(int panel);
/* The panel called name, or -1. */
int lg_panel_find(const char *name);
/* The panel that shows table id, or -1. */
int lg_panel_of_table(int id);
/* Parse a comma list of panel names ("all" for every one) into a mask.
 * Returns 0, or -EINVAL with a message in err. */
int lg_panels_parse(const char *list, unsigned *mask, char *err, size_t errlen);
/* The tables (1u << LG_TAB_*) the panels in mask need: always clients. */
unsigned lg_panels_tables(unsigned mask);

#endif
