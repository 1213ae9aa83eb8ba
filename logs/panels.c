/* panels.c - the panel table and panel names (panels.h). */
#include "panels.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const lg_panel_info lg_panel_table[LG_PANEL_COUNT] = {
#define LG_PANEL_ROW_(e, name, tab, kind, all, title, row, col, csv)           \
    {name, tab, LG_PANEL_KIND_##kind, all, title, row, col, csv},
    LG_PANEL_MAP(LG_PANEL_ROW_)
#undef LG_PANEL_ROW_
};

const char *lg_panel_name(int panel)
{
    return panel >= 0 && panel < LG_PANEL_COUNT ? lg_panel_table[panel].name
                                                : "?";
}

int lg_panel_find(const char *name)
{
    for (int i = 0; i < LG_PANEL_COUNT; i++)
        if (strcmp(name, lg_panel_table[i].name) == 0)
            return i;
    if (strcmp(name, "404") == 0 || strcmp(name, "404s") == 0)
        return LG_PANEL_NOT_FOUND;
    return -1;
}

int lg_panel_of_table(int id)
{
    for (int i = 0; i < LG_PANEL_COUNT; i++)
        if (lg_panel_table[i].table == id)
            return i;
    return -1;
}

int lg_panels_parse(const char *list, unsigned *mask, char *err, size_t errlen)
{
    char buf[512];
    unsigned m = 0;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        int p;
        if (strcmp(t, "all") == 0) {
            m |= LG_PANELS_ALL;
            continue;
        }
        if ((p = lg_panel_find(t)) < 0) {
            snprintf(err, errlen, "unknown panel '%s' (panels: all", t);
            for (int i = 0; i < LG_PANEL_COUNT; i++) {
                size_t l = strlen(err);
                snprintf(err + l, errlen - l, ", %s", lg_panel_table[i].name);
            }
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, ")");
            return -EINVAL;
        }
        m |= 1u << p;
    }
    if (!m) {
        snprintf(err, errlen, "no panel in '%s'", list);
        return -EINVAL;
    }
    *mask = m;
    return 0;
}

unsigned lg_panels_tables(unsigned mask)
{
    unsigned t = 1u << LG_TAB_CLIENTS;
    for (int i = 0; i < LG_PANEL_COUNT; i++)
        if ((mask & (1u << i)) && lg_panel_table[i].table >= 0)
            t |= 1u << lg_panel_table[i].table;
    return t;
}
