/* state.c - state files: encode, decode (untrusted), read, write
 * atomically (state.h; the format is docs/STATE.md, which this file must
 * match).
 *
 *   header   "LGST" u32 version u32 nsections(3) u32 crc32(header[0..12))
 *   section  u32 kind u32 crc32(kind, length, payload) u64 length payload
 *   META     version:bytes options:bytes tabs_on ninputs
 *   INPUTS   ninputs x (name:bytes dev ino fplen fp offset lines comp fmt
 *            flags)
 *   AGG      a wire partial (docs/WIRE.md) of ninputs inputs
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "state.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pipefan.h>

#include "agg-save.h"
#include "agg-wire.h"
#include "buf.h"
#include "crc.h"
#include "esc.h"
#include "stream.h"
#include "wire-prim.h"

#define ST_MAGIC "LGST"
#define HDR_BYTES 16
#define SEC_BYTES 16
#define NSECTIONS 3
#define ST_MAX_FILE ((uint64_t)1 << 40)

enum {
    SEC_META = 1,
    SEC_INPUTS = 2,
    SEC_AGG = 3
};

uint64_t lg_state_fp(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

long lg_state_add(lg_state *s, const lg_state_input *in)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        lg_state_input *v = realloc(s->in, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        s->in = v;
        s->cap = cap;
    }
    lg_state_input *d = &s->in[s->n];
    *d = *in;
    d->name = strdup(in->name ? in->name : "");
    if (!d->name)
        return -ENOMEM;
    return (long)s->n++;
}

void lg_state_free(lg_state *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->in[i].name);
    free(s->in);
    free(s->version);
    free(s->options);
    lg_agg_free(s->agg);
    free(s->raw);
    memset(s, 0, sizeof *s);
}

/* ---- encoding ------------------------------------------------------------ */

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

static uint32_t sec_crc(const unsigned char *s, uint64_t len)
{
    return lg_crc32(lg_crc32(0, s, 4), s + 8, 8 + len);
}

static void put_var(lg_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        b->p[b->n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b->p[b->n++] = (unsigned char)v;
}

static void put_str(lg_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_var(b, n);
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
}

static size_t sec_begin(lg_buf *b, uint32_t kind)
{
    size_t at = b->n;
    memset(b->p + at, 0, SEC_BYTES);
    wr32(b->p + at, kind);
    b->n += SEC_BYTES;
    return at;
}

static void sec_end(lg_buf *b, size_t at)
{
    uint64_t len = b->n - at - SEC_BYTES, le = htole64(len);
    memcpy(b->p + at + 8, &le, 8);
    wr32(b->p + at + 4, sec_crc(b->p + at, len));
}

int lg_state_encode(lg_state *s, lg_buf *out)
{
    size_t names = 0;
    for (size_t i = 0; i < s->n; i++)
        names += strlen(s->in[i].name);
    size_t need = HDR_BYTES + 3 * SEC_BYTES + 64 +
                  (s->version ? strlen(s->version) : 0) +
                  (s->options ? strlen(s->options) : 0) + names + 100 * s->n;
    if (lg_buf_reserve(out, need) < 0)
        return -ENOMEM;
    size_t start = out->n;
    memcpy(out->p + start, ST_MAGIC, 4);
    wr32(out->p + start + 4, LG_STATE_VERSION);
    wr32(out->p + start + 8, NSECTIONS);
    wr32(out->p + start + 12, lg_crc32(0, out->p + start, 12));
    out->n += HDR_BYTES;
    size_t at = sec_begin(out, SEC_META);
    put_str(out, s->version ? s->version : PF_VERSION_STRING);
    put_str(out, s->options);
    put_var(out, s->tabs_on);
    put_var(out, s->n);
    sec_end(out, at);
    at = sec_begin(out, SEC_INPUTS);
    put_var(out, s->n);
    for (size_t i = 0; i < s->n; i++) {
        const lg_state_input *in = &s->in[i];
        put_str(out, in->name);
        put_var(out, in->dev);
        put_var(out, in->ino);
        put_var(out, in->fplen);
        put_var(out, in->fp);
        put_var(out, in->offset);
        put_var(out, in->lines);
        put_var(out, in->comp);
        put_var(out, in->fmt);
        put_var(out, in->flags);
    }
    sec_end(out, at);
    if (lg_buf_reserve(out, SEC_BYTES) < 0)
        return -ENOMEM;
    at = sec_begin(out, SEC_AGG);
    int rc;
    if (s->agg) {
        rc = lg_agg_save(s->agg, NULL, s->n, out);
    } else {
        lg_agg *e = lg_agg_new_sink(s->n, s->tabs_on, 1, 0);
        rc = e ? lg_agg_save(e, NULL, s->n, out) : -ENOMEM;
        lg_agg_free(e);
    }
    if (rc < 0)
        return rc;
    sec_end(out, at);
    return 0;
}

/* ---- decoding ------------------------------------------------------------ */

/* A string of at most max bytes with no NUL, malloc'ed; NULL (bad set)
 * when it does not hold, or out of memory (*oom set). */
static char *get_str(rd *r, size_t max, int *oom)
{
    uint64_t n = get_var(r);
    if (r->bad || n > max || n > (uint64_t)(r->end - r->p) ||
        memchr(r->p, 0, (size_t)n)) {
        r->bad = 1;
        return NULL;
    }
    char *s = strndup((const char *)r->p, (size_t)n);
    if (!s)
        *oom = 1;
    r->p += n;
    return s;
}

#define FAIL(code, ...)                                                        \
    do {                                                                       \
        snprintf(err, errlen, __VA_ARGS__);                                    \
        rc = (code);                                                           \
        goto fail;                                                             \
    } while (0)

/* The header and the three sections' bounds and checksums. */
static int check_frame(const unsigned char *b, size_t len,
                       const unsigned char **sp, size_t *sn, char *err,
                       size_t errlen)
{
    int rc;
    if (len < HDR_BYTES || memcmp(b, ST_MAGIC, 4) != 0)
        FAIL(LG_STATE_ECORRUPT, "not a pipefan state file (no LGST magic)");
    if (rd32(b + 12) != lg_crc32(0, b, 12))
        FAIL(LG_STATE_ECORRUPT, "header checksum does not match");
    if (rd32(b + 4) != LG_STATE_VERSION)
        FAIL(LG_STATE_EVERSION,
             "state format version %u; this pipefan reads version %u only",
             rd32(b + 4), LG_STATE_VERSION);
    if (rd32(b + 8) != NSECTIONS)
        FAIL(LG_STATE_ECORRUPT, "%u sections, expected %u", rd32(b + 8),
             NSECTIONS);
    size_t at = HDR_BYTES;
    for (uint32_t i = 0; i < NSECTIONS; i++) {
        if (len - at < SEC_BYTES)
            FAIL(LG_STATE_ECORRUPT, "truncated (section %u missing)", i + 1);
        const unsigned char *s = b + at;
        uint64_t n = rd64(s + 8);
        if (rd32(s) != i + 1)
            FAIL(LG_STATE_ECORRUPT, "section %u has kind %u", i + 1, rd32(s));
        if (n > len - at - SEC_BYTES)
            FAIL(LG_STATE_ECORRUPT, "truncated (section %u is cut short)",
                 i + 1);
        if (rd32(s + 4) != sec_crc(s, n))
            FAIL(LG_STATE_ECORRUPT, "section %u checksum does not match",
                 i + 1);
        sp[i] = s + SEC_BYTES;
        sn[i] = (size_t)n;
        at += SEC_BYTES + (size_t)n;
    }
    if (at != len)
        FAIL(LG_STATE_ECORRUPT, "%zu stray bytes after the last section",
             len - at);
    return 0;
fail:
    return rc;
}

static int decode_inputs(lg_state *s, rd *r, uint64_t nin, char *err,
                         size_t errlen)
{
    int rc, oom = 0;
    if (get_var(r) != nin || r->bad)
        FAIL(LG_STATE_ECORRUPT, "input count does not match the header");
    for (uint64_t i = 0; i < nin; i++) {
        lg_state_input in = {0};
        in.name = get_str(r, LG_STATE_MAX_NAME, &oom);
        if (oom)
            FAIL(-ENOMEM, "out of memory");
        in.dev = get_var(r);
        in.ino = get_var(r);
        uint64_t fplen = get_var(r);
        in.fp = get_var(r);
        in.offset = get_var(r);
        in.lines = get_var(r);
        uint64_t comp = get_var(r), fmt = get_var(r), flags = get_var(r);
        if (r->bad || fplen > LG_STATE_FP_MAX || fplen > in.offset ||
            in.lines > in.offset || comp >= LG_COMP_COUNT || fmt >= 256 ||
            flags > LG_STIN_STREAM) {
            free(in.name);
            FAIL(LG_STATE_ECORRUPT, "input %llu does not decode",
                 (unsigned long long)i + 1);
        }
        in.fplen = (uint32_t)fplen;
        in.comp = (uint32_t)comp;
        in.fmt = (uint32_t)fmt;
        in.flags = (uint32_t)flags;
        long ix = lg_state_add(s, &in);
        free(in.name);
        if (ix < 0)
            FAIL(-ENOMEM, "out of memory");
    }
    if (r->p != r->end)
        FAIL(LG_STATE_ECORRUPT, "stray bytes after the inputs");
    return 0;
fail:
    return rc;
}

/* Decode the frame, META and INPUTS; the AGG section's bytes to
 * s->agg_p, s->agg_len (in bv, not copied) and its input count to
 * s->agg_n. */
static int decode_head(lg_state *s, const void *bv, size_t len, char *err,
                       size_t errlen)
{
    const unsigned char *sp[NSECTIONS];
    size_t sn[NSECTIONS];
    int rc, oom = 0;
    memset(s, 0, sizeof *s);
    if ((rc = check_frame(bv, len, sp, sn, err, errlen)) < 0)
        return rc;
    rd m = {sp[0], sp[0] + sn[0], 0};
    s->version = get_str(&m, 64, &oom);
    s->options = get_str(&m, LG_STATE_MAX_OPTS, &oom);
    uint64_t tabs = get_var(&m), nin = get_var(&m);
    if (oom)
        FAIL(-ENOMEM, "out of memory");
    if (m.bad || m.p != m.end || tabs >= (1u << LG_TAB_COUNT))
        FAIL(LG_STATE_ECORRUPT, "the META section does not decode");
    if (nin > LG_STATE_MAX_INPUTS || nin > sn[1])
        FAIL(LG_STATE_ECORRUPT, "%llu inputs: too many",
             (unsigned long long)nin);
    s->tabs_on = (unsigned)tabs;
    rd in = {sp[1], sp[1] + sn[1], 0};
    if ((rc = decode_inputs(s, &in, nin, err, errlen)) < 0)
        goto fail;
    s->agg_p = sp[2];
    s->agg_len = sn[2];
    s->agg_n = s->n;
    return 0;
fail:
    lg_state_free(s);
    return rc;
}

int lg_state_load_agg(lg_state *s, size_t nfiles, size_t clients_top, char *err,
                      size_t errlen)
{
    int rc = -EINVAL;
    if (s->agg || !s->agg_p || nfiles < s->agg_n)
        FAIL(rc, "internal error: no aggregate to load");
    rc = lg_agg_load(s->agg_p, s->agg_len, s->agg_n, nfiles, s->tabs_on,
                     clients_top, &s->agg);
    if (rc == -ENOMEM)
        FAIL(rc, "out of memory");
    if (rc < 0)
        FAIL(rc == LG_WIRE_EVERSION ? LG_STATE_EVERSION : LG_STATE_ECORRUPT,
             "the aggregate does not decode: %s", lg_wire_strerror(rc));
    rc = 0;
fail:
    free(s->raw);
    s->raw = NULL;
    s->agg_p = NULL;
    s->agg_len = 0;
    return rc;
}

int lg_state_decode(lg_state *s, const void *bv, size_t len, size_t clients_top,
                    char *err, size_t errlen)
{
    int rc = decode_head(s, bv, len, err, errlen);
    if (rc == 0 &&
        (rc = lg_state_load_agg(s, s->n, clients_top, err, errlen)) < 0)
        lg_state_free(s);
    return rc;
}

/* ---- files --------------------------------------------------------------- */

/* lg_state_read, and lg_state_read_head when lazy. */
static int read_state(const char *path, lg_state *s, int lazy,
                      size_t clients_top, char *err, size_t errlen)
{
    char e[256] = "";
    struct stat st;
    unsigned char *b = NULL;
    int rc;
    memset(s, 0, sizeof *s);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        rc = -errno;
        snprintf(err, errlen, "%s: %s", lg_esc_name(path, (char[512]){0}, 512),
                 strerror(-rc));
        return rc;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > ST_MAX_FILE) {
        rc = -EINVAL;
        snprintf(err, errlen, "%s: not a regular file of a sane size",
                 lg_esc_name(path, (char[512]){0}, 512));
        goto out;
    }
    size_t len = (size_t)st.st_size, got = 0;
    b = malloc(len ? len : 1);
    if (!b) {
        rc = -ENOMEM;
        snprintf(err, errlen, "%s: out of memory",
                 lg_esc_name(path, (char[512]){0}, 512));
        goto out;
    }
    while (got < len) {
        ssize_t k = read(fd, b + got, len - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    rc = lazy ? decode_head(s, b, got, e, sizeof e)
              : lg_state_decode(s, b, got, clients_top, e, sizeof e);
    if (rc == 0 && lazy) {
        s->raw = b; /* s->agg_p points into it */
        b = NULL;
    }
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", lg_esc_name(path, (char[512]){0}, 512),
                 e);
    else
        rc = 1;
out:
    free(b);
    close(fd);
    return rc;
}

int lg_state_read(const char *path, lg_state *s, size_t clients_top, char *err,
                  size_t errlen)
{
    return read_state(path, s, 0, clients_top, err, errlen);
}

int lg_state_read_head(const char *path, lg_state *s, char *err, size_t errlen)
{
    return read_state(path, s, 1, 0, err, errlen);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* path's directory, opened, and its last component to *name (in *buf,
 * caller frees).  The fd or a negative errno. */
static int open_dir_of(const char *path, char **buf, const char **name)
{
    char *d = strdup(path), *b = strdup(path);
    int fd;
    free(*buf);
    *buf = b;
    if (!d || !b) {
        free(d);
        return -ENOMEM;
    }
    *name = basename(b);
    if (!**name || strcmp(*name, "/") == 0 || strcmp(*name, ".") == 0 ||
        strcmp(*name, "..") == 0 || path[strlen(path) - 1] == '/') {
        free(d);
        return -EISDIR;
    }
    fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fd = fd < 0 ? -errno : fd;
    free(d);
    return fd;
}

int lg_state_stage(const char *path, lg_state *s, char *tmp, size_t tmplen,
                   char *err, size_t errlen)
{
    if (tmp == NULL || tmplen == 0)
        return -EINVAL;
    lg_buf b = {0};
    char *buf = NULL;
    const char *name, *what = "encoding";
    int fd = -1, rc = lg_state_encode(s, &b);
    int dfd = rc < 0 ? rc : open_dir_of(path, &buf, &name);
    if (rc == 0 && dfd < 0) {
        what = "opening its directory";
        rc = dfd;
    }
    for (int k = 0; rc == 0 && fd < 0 && k < 100; k++) {
        snprintf(tmp, tmplen, ".%.40s.%ld.%d.tmp", name, (long)getpid(), k);
        fd = openat(dfd, tmp,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) {
            what = "creating the temporary file";
            rc = -errno;
        }
    }
    if (rc == 0 && fd < 0) {
        what = "creating the temporary file";
        rc = -EEXIST;
    }
    if (rc == 0) {
        what = "writing";
        rc = write_all(fd, b.p, b.n);
    }
    if (rc == 0 && fsync(fd) < 0) {
        what = "fsync";
        rc = -errno;
    }
    if (fd >= 0 && close(fd) < 0 && rc == 0) {
        what = "closing";
        rc = -errno;
    }
    if (rc < 0 && fd >= 0)
        unlinkat(dfd, tmp, 0);
    if (rc < 0)
        snprintf(err, errlen, "%s: saving the state: %s: %s",
                 lg_esc_name(path, (char[512]){0}, 512), what, strerror(-rc));
    if (dfd >= 0)
        close(dfd);
    free(buf);
    size_t bytes = b.n;
    lg_buf_free(&b);
    return rc < 0 ? rc : bytes > INT32_MAX ? INT32_MAX : (int)bytes;
}

int lg_state_commit(const char *path, const char *tmp, int keep, char *err,
                    size_t errlen)
{
    char *buf = NULL;
    const char *name, *what = "opening its directory";
    int rc = 0, dfd = open_dir_of(path, &buf, &name);
    if (dfd < 0) {
        rc = dfd;
    } else if (!keep) {
        unlinkat(dfd, tmp, 0);
    } else if (renameat(dfd, tmp, dfd, name) < 0) {
        what = "rename";
        rc = -errno;
        unlinkat(dfd, tmp, 0);
    } else if (fsync(dfd) < 0) {
        what = "fsync of the directory";
        rc = -errno;
    }
    if (rc < 0)
        snprintf(err, errlen, "%s: saving the state: %s: %s",
                 lg_esc_name(path, (char[512]){0}, 512), what, strerror(-rc));
    if (dfd >= 0)
        close(dfd);
    free(buf);
    return rc;
}

int lg_state_clean_stale(const char *path)
{
    char *buf = NULL, pre[64];
    const char *name;
    int n = 0, dfd = open_dir_of(path, &buf, &name);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *e;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        free(buf);
        return 0;
    }
    int np = snprintf(pre, sizeof pre, ".%.40s.", name);
    while ((e = readdir(d))) {
        long pid;
        int k;
        char tail[8];
        if (strncmp(e->d_name, pre, (size_t)np) != 0 ||
            sscanf(e->d_name + np, "%ld.%d%7s", &pid, &k, tail) != 3 ||
            strcmp(tail, ".tmp") != 0 || pid <= 0)
            continue;
        if (kill((pid_t)pid, 0) < 0 && errno == ESRCH &&
            unlinkat(dirfd(d), e->d_name, 0) == 0)
            n++;
    }
    closedir(d);
    free(buf);
    return n;
}

int lg_state_write(const char *path, lg_state *s, char *err, size_t errlen)
{
    char tmp[128];
    int rc = lg_state_stage(path, s, tmp, sizeof tmp, err, errlen);
    return rc < 0 ? rc : lg_state_commit(path, tmp, 1, err, errlen);
}
