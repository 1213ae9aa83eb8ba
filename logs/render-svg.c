/* render-svg.c - the HTML report's charts as inline SVG (render-svg.h).
 *
 * A bucket chart puts time on the x axis as it passed: bucket b of a span
 * first..last is slot b - first, so a quiet night is a gap rather than a
 * missing bar.  More slots than LG_SVG_MAX_BARS are summed into bins of
 * ceil(slots / LG_SVG_MAX_BARS) buckets.  Each bar carries a <title> with
 * its label and value (the browser's tooltip).
 */
#include "render-svg.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"

#include "rank.h"
#include "render.h"

/* The chart's box and the plot inside it (viewBox units). */
#define SVG_W 800
#define SVG_H 170
#define PLOT_L 58
#define PLOT_R 8
#define PLOT_T 22
#define PLOT_B 24
/* the status classes' box */
#define CLS_W 420

/* "12.3k" / "4.5M" for an axis, or "1.2 GiB" for bytes. */
static void short_num(uint64_t v, int bytes, char *buf, size_t cap)
{
    static const char *const si[] = {"", "k", "M", "G", "T", "P", "E"};
    static const char *const bin[] = {" B",   " KiB", " MiB", " GiB",
                                      " TiB", " PiB", " EiB"};
    double d = (double)v, step = bytes ? 1024 : 1000;
    int u = 0;
    while (d >= step && u < 6) {
        d /= step;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%" PRIu64 "%s", v, bytes ? " B" : "");
    else
        snprintf(buf, cap, d < 10 ? "%.1f%s" : "%.0f%s", d,
                 bytes ? bin[u] : si[u]);
}

/* Sum the buckets of table id into bins of width bw buckets from
 * first. */
static void bin_buckets(const lg_report *r, int id, int bytes, int64_t first,
                        int64_t bw, uint64_t *bins)
{
    for (size_t i = 0; i < r->nrows[id]; i++) {
        const lg_ent *e = r->rows[id][i];
        size_t b = (size_t)((lg_ent_bucket(e) - first) / bw);
        if (bytes)
            lg_bytes_add(&bins[b], e->bytes);
        else
            bins[b] += e->hits;
    }
}

/* The y axis: gridlines and labels at 0, max/2 and max. */
static void y_axis(FILE *f, uint64_t max, int bytes)
{
    int ph = SVG_H - PLOT_T - PLOT_B;
    for (int k = 0; k <= 2; k++) {
        char lab[32];
        double y = PLOT_T + ph - ph * k / 2.0;
        short_num(max / 2 * (uint64_t)k + (k == 2 ? max % 2 : 0), bytes, lab,
                  sizeof lab);
        fprintf(f,
                "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
                "y2=\"%.1f\"/><text x=\"%d\" y=\"%.1f\" "
                "text-anchor=\"end\">%s</text>",
                PLOT_L, y, SVG_W - PLOT_R, y, PLOT_L - 6, y + 4, lab);
    }
}

/* The bars and their titles; bins[0..nb) of bw buckets from first. */
static void bars(FILE *f, int id, int bytes, const uint64_t *bins, size_t nb,
                 int64_t first, int64_t bw, uint64_t max)
{
    double pw = SVG_W - PLOT_L - PLOT_R, ph = SVG_H - PLOT_T - PLOT_B;
    double w = pw / (double)nb;
    double gap = w > 3 ? w * 0.15 : 0;
    for (size_t i = 0; i < nb; i++) {
        char lab[32], val[32];
        if (!bins[i])
            continue;
        double h = ph * (double)bins[i] / (double)max;
        if (h < 0.5)
            h = 0.5;
        lg_bucket_text(id, first + (int64_t)i * bw, lab);
        if (bytes)
            short_num(bins[i], 1, val, sizeof val);
        else
            snprintf(val, sizeof val, "%" PRIu64, bins[i]);
        fprintf(f,
                "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\"><title>%s%s: %s</title></rect>",
                bytes ? "y" : "b", PLOT_L + w * (double)i + gap / 2,
                PLOT_T + ph - h, w - gap, h, lab, bw > 1 ? " +" : "", val);
    }
}

void lg_svg_buckets(FILE *f, const lg_report *r, int id, int bytes,
                    const char *caption)
{
    size_t n = r->nrows[id];
    if (!n)
        return;
    int64_t first = lg_ent_bucket(r->rows[id][0]);
    int64_t last = lg_ent_bucket(r->rows[id][n - 1]);
    uint64_t slots = (uint64_t)(last - first) + 1;
    int64_t bw = (int64_t)((slots + LG_SVG_MAX_BARS - 1) / LG_SVG_MAX_BARS);
    size_t nb = (size_t)((slots + (uint64_t)bw - 1) / (uint64_t)bw);
    uint64_t *bins = calloc(nb, sizeof *bins), max = 0;
    if (!bins)
        return;
    bin_buckets(r, id, bytes, first, bw, bins);
    for (size_t i = 0; i < nb; i++)
        if (bins[i] > max)
            max = bins[i];
    fprintf(f,
            "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "aria-label=\"",
            SVG_W, SVG_H);
    lg_esc_html(f, caption, strlen(caption), SIZE_MAX);
    fprintf(f, "\"><text class=\"cap\" x=\"%d\" y=\"12\">", PLOT_L);
    lg_esc_html(f, caption, strlen(caption), SIZE_MAX);
    fputs("</text>", f);
    y_axis(f, max, bytes);
    bars(f, id, bytes, bins, nb, first, bw, max ? max : 1);
    char a[32], b[32];
    lg_bucket_text(id, first, a);
    lg_bucket_text(id, last, b);
    fprintf(f,
            "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
            "text-anchor=\"end\">%s</text>",
            PLOT_L, SVG_H - 6, a, SVG_W - PLOT_R, SVG_H - 6, b);
    if (bw > 1)
        fprintf(
            f,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">one bar = %" PRId64
            " %s</text>",
            (SVG_W + PLOT_L) / 2, SVG_H - 6, bw,
            id == LG_TAB_HOURS ? "hours" : "days");
    fputs("</svg>\n", f);
    free(bins);
}

void lg_svg_classes(FILE *f, const uint64_t cls[10], uint64_t total)
{
    int rows = 0;
    uint64_t max = 0;
    for (int c = 1; c <= 5; c++) {
        if (cls[c])
            rows++;
        if (cls[c] > max)
            max = cls[c];
    }
    if (!rows)
        return;
    int rh = 24, h = rows * rh + 8, y = 4;
    double pw = CLS_W - 60 - 110;
    fprintf(f,
            "<svg class=\"chart cls\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "aria-label=\"Status classes\">",
            CLS_W, h);
    for (int c = 1; c <= 5; c++) {
        if (!cls[c])
            continue;
        double w = pw * (double)cls[c] / (double)max;
        fprintf(f,
                "<text x=\"4\" y=\"%d\">%dxx</text><rect class=\"c%d\" "
                "x=\"60\" y=\"%d\" width=\"%.2f\" height=\"%d\"><title>%dxx: "
                "%" PRIu64 "</title></rect><text x=\"%.2f\" y=\"%d\">%" PRIu64
                " (%.1f%%)</text>",
                y + 16, c, c, y + 3, w < 1 ? 1 : w, rh - 8, c, cls[c],
                60 + (w < 1 ? 1 : w) + 6, y + 16, cls[c],
                total ? 100.0 * (double)cls[c] / (double)total : 0.0);
        y += rh;
    }
    fputs("</svg>\n", f);
}
