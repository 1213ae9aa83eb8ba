/* mpi-logs.c - pipefan logs as one rank of an Open MPI job
 * (mpi-logs.h; the user's view is docs/SCALE-OUT.md).
 *
 * Every rank goes through the same steps, so no rank waits for a message
 * that will not come:
 *   1. prepare (all ranks, in the job, before any worker is forked): an
 *      MPI_Allgather of each rank's status, input count and host; a rank
 *      that failed before it (no readable input, a bad option) joins it
 *      with its error, and every rank then stops with that rank named.
 *      With local inputs rank 0 also gathers every rank's input list.
 *   2. result (after pf_run): every rank but 0 sends a result header and
 *      then its aggregate in messages of at most LG_MPI_CHUNK bytes; rank
 *      0 receives them in rank order, merging each aggregate as it comes,
 *      so it holds at most one rank's bytes besides its merged tables.
 *   3. end: rank 0's exit code to every rank (MPI_Bcast), MPI_Finalize.
 * The loss of a whole rank is Open MPI's to handle: mpirun ends the job,
 * naming the rank (docs/RELIABILITY.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mpi-logs.h"

#include <errno.h>
#include <mpi.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pipefan.h>

#include "agg-wire.h"
#include "agg.h"
#include "buf.h"
#include "mpi-share.h"
#include "rank.h"

#define HOST_LEN 64
#define MSG_LEN 256
#define TAG_RESULT 1
#define TAG_BYTES 2

/* Step 1's record of one rank. */
typedef struct rank_info {
    int32_t status; /* 0, or the negative errno that stopped the rank */
    uint32_t ninputs;
    uint64_t list_len; /* local inputs: bytes of its encoded list */
    char host[HOST_LEN];
    char msg[MSG_LEN];
} rank_info;

/* Step 2's header of one rank. */
typedef struct rank_result {
    int32_t status; /* a setup error after step 1, else 0 */
    int32_t rc, signal, strict_failed, exported;
    uint32_t pad;
    uint64_t restarts, quarantined, blob_len;
    char msg[MSG_LEN];
} rank_result;

enum phase {
    BEFORE,
    PREPARED,
    DONE
};

static struct {
    int rank, ranks, local, phase;
    int agg_fd; /* the sink's aggregate (a memfd) */
    char host[HOST_LEN];
    rank_info *info; /* ranks entries, after step 1 */
    uint32_t *fmap;  /* local: input i of this rank -> the joined list */
    lg_inputs all;   /* local, rank 0: the joined list */
    uint8_t *all_fmt;
    lg_share_undo undo; /* shared: this rank's cut */
} M;

int lg_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") ||
           getenv("PMI_RANK");
}

/* "rank R on HOST" of rank r, into buf. */
static const char *rank_name(int r, char *buf, size_t len)
{
    snprintf(buf, len, "rank %d on %s", r,
             M.info && M.info[r].host[0] ? M.info[r].host : "?");
    return buf;
}

/* Wait for r without spinning: Open MPI's blocking calls poll at full
 * speed, and a rank waiting for another would take a core from the
 * other's workers (ranks of one host, or a busy host).  A few hundred
 * microseconds of latency per message is nothing next to an aggregate. */
static void wait_idle(MPI_Request *r)
{
    int done = 0;
    struct timespec nap = {0, 200 * 1000};
    for (;;) {
        MPI_Test(r, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        nanosleep(&nap, NULL);
    }
}

/* ---- step 1 ------------------------------------------------------------ */

/* Gather the input lists (mine: this rank's, encoded) at rank 0 and
 * join them (local inputs). */
static int gather_lists(const lg_buf *mine)
{
    int *counts = NULL, *displs = NULL, rc = 0;
    char *all = NULL;
    uint64_t total = 0;
    for (int r = 0; r < M.ranks; r++)
        total += M.info[r].list_len;
    if (M.rank == 0) {
        counts = calloc((size_t)M.ranks, sizeof *counts);
        displs = calloc((size_t)M.ranks, sizeof *displs);
        all = malloc(total ? total : 1);
        /* the others are sending already: no way back */
        if (!counts || !displs || !all || total > (uint64_t)INT32_MAX)
            MPI_Abort(MPI_COMM_WORLD, 1);
        for (int r = 0; r < M.ranks; r++) {
            counts[r] = (int)M.info[r].list_len;
            displs[r] = r ? displs[r - 1] + counts[r - 1] : 0;
        }
    }
    MPI_Request rq;
    MPI_Igatherv(mine->p, (int)mine->n, MPI_BYTE, all, counts, displs, MPI_BYTE,
                 0, MPI_COMM_WORLD, &rq);
    wait_idle(&rq);
    for (int r = 0; rc == 0 && M.rank == 0 && r < M.ranks; r++)
        rc = lg_share_list_decode(all + displs[r], (size_t)counts[r], &M.all,
                                  &M.all_fmt);
    free(counts);
    free(displs);
    free(all);
    return rc;
}

/* The rank's input i is input fmap[i] of the joined list. */
static int make_fmap(lg_job *job)
{
    uint32_t off = 0, total = 0;
    for (int r = 0; r < M.ranks; r++) {
        if (r < M.rank)
            off += M.info[r].ninputs;
        total += M.info[r].ninputs;
    }
    M.fmap = malloc((job->in.n ? job->in.n : 1) * sizeof *M.fmap);
    if (!M.fmap)
        return -ENOMEM;
    for (size_t i = 0; i < job->in.n; i++)
        M.fmap[i] = off + (uint32_t)i;
    job->export_fmap = M.fmap;
    job->export_nout = total;
    return 0;
}

/* Step 1 with this rank's status (0, or its error and msg). */
static int exchange_info(int status, uint32_t ninputs, uint64_t list_len,
                         const char *msg, char *err, size_t errlen)
{
    rank_info me;
    memset(&me, 0, sizeof me);
    me.status = status;
    me.ninputs = ninputs;
    me.list_len = list_len;
    snprintf(me.host, sizeof me.host, "%s", M.host);
    snprintf(me.msg, sizeof me.msg, "%s", msg ? msg : "");
    M.info = calloc((size_t)M.ranks, sizeof *M.info);
    if (!M.info)
        MPI_Abort(MPI_COMM_WORLD, 1); /* no way to agree on anything */
    MPI_Request rq;
    MPI_Iallgather(&me, sizeof me, MPI_BYTE, M.info, sizeof me, MPI_BYTE,
                   MPI_COMM_WORLD, &rq);
    wait_idle(&rq);
    M.phase = DONE; /* a failure now stops every rank: nothing more */
    for (int r = 0; r < M.ranks; r++)
        if (M.info[r].status < 0) {
            char n[HOST_LEN + 32];
            if (r != M.rank || status == 0)
                snprintf(err, errlen, "%s: %s", rank_name(r, n, sizeof n),
                         M.info[r].msg[0] ? M.info[r].msg
                                          : strerror(-M.info[r].status));
            return r == M.rank ? status : -ECANCELED;
        }
    M.phase = PREPARED;
    return 0;
}

static int prepare(lg_job *job, void *arg, char *err, size_t errlen)
{
    (void)arg;
    lg_buf list = {0};
    int rc;
    job->export_fd = M.agg_fd; /* the sink writes the aggregate there */
    job->export_nout = job->in.n;
    if (M.local && lg_share_list_encode(job, &list) < 0) {
        lg_buf_free(&list);
        return exchange_info(-ENOMEM, 0, 0, "out of memory", err, errlen);
    }
    rc = exchange_info(0, (uint32_t)job->in.n, list.n, NULL, err, errlen);
    if (rc == 0 && M.local) {
        rc = gather_lists(&list);
        if (rc == 0)
            rc = make_fmap(job);
    } else if (rc == 0) {
        rc = lg_share_take(job, M.rank, M.ranks, &M.undo);
    }
    lg_buf_free(&list);
    return rc;
}

/* ---- step 2 ------------------------------------------------------------ */

/* This rank's aggregate, mapped from the sink's memfd, or NULL. */
static void *map_blob(const lg_job *job, size_t *len)
{
    struct stat st;
    *len = 0;
    if (job->export_fd < 0 || fstat(job->export_fd, &st) < 0 || st.st_size <= 0)
        return NULL;
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED,
                   job->export_fd, 0);
    if (p == MAP_FAILED)
        return NULL;
    *len = (size_t)st.st_size;
    return p;
}

/* Send a result header and len bytes of blob to rank 0. */
static void send_result(rank_result *h, const unsigned char *blob, size_t len)
{
    h->blob_len = blob ? len : 0;
    MPI_Request rq;
    MPI_Isend(h, sizeof *h, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD, &rq);
    wait_idle(&rq);
    for (size_t at = 0; at < h->blob_len; at += LG_MPI_CHUNK) {
        size_t n = h->blob_len - at;
        n = n < LG_MPI_CHUNK ? n : LG_MPI_CHUNK;
        MPI_Isend(blob + at, (int)n, MPI_BYTE, 0, TAG_BYTES, MPI_COMM_WORLD,
                  &rq);
        wait_idle(&rq);
    }
}

/* Receive rank r's header and bytes; *blob malloc'd (NULL when none or
 * out of memory: then the bytes are received and dropped). */
static void recv_result(int r, rank_result *h, unsigned char **blob)
{
    static unsigned char spill[LG_MPI_CHUNK];
    MPI_Request rq;
    MPI_Irecv(h, sizeof *h, MPI_BYTE, r, TAG_RESULT, MPI_COMM_WORLD, &rq);
    wait_idle(&rq);
    *blob = h->blob_len ? malloc(h->blob_len) : NULL;
    for (uint64_t at = 0; at < h->blob_len; at += LG_MPI_CHUNK) {
        uint64_t n = h->blob_len - at;
        n = n < LG_MPI_CHUNK ? n : LG_MPI_CHUNK;
        MPI_Irecv(*blob ? *blob + at : spill, (int)n, MPI_BYTE, r, TAG_BYTES,
                  MPI_COMM_WORLD, &rq);
        wait_idle(&rq);
    }
}

/* Fold rank r's result header into the job's result. */
static void fold(lg_result *res, int r, const rank_result *h)
{
    char n[HOST_LEN + 32];
    res->restarts += h->restarts;
    res->quarantined += h->quarantined;
    if (h->strict_failed)
        res->strict_failed = 1;
    if (h->signal && !res->signal)
        res->signal = h->signal;
    if (h->strict_failed && h->status == 0) {
        /* said on that rank's stderr: --strict, no report */
    } else if (h->status < 0 || (h->rc != 0 && h->rc != PF_EPOISON)) {
        fprintf(stderr, "pipefan logs: %s: %s\n", rank_name(r, n, sizeof n),
                h->msg[0] ? h->msg
                          : pf_strerror(h->status ? h->status : h->rc));
        if (res->rc == 0 || res->rc == PF_EPOISON)
            res->rc = h->status ? h->status : h->rc;
    } else if (h->rc == PF_EPOISON && res->rc == 0) {
        res->rc = PF_EPOISON;
    }
}

/* This rank's own header. */
static void own_header(const lg_job *job, const lg_result *res, rank_result *h)
{
    memset(h, 0, sizeof *h);
    h->rc = res->rc;
    h->signal = res->signal;
    h->strict_failed = res->strict_failed;
    h->exported = atomic_load(&job->sh->sink_done);
    h->restarts = res->restarts;
    h->quarantined = res->quarantined;
    if (res->rc != 0)
        snprintf(h->msg, sizeof h->msg, "the run failed: %s%s",
                 pf_strerror(res->rc),
                 res->rc == PF_EWORKER && job->cfg->retries == 0
                     ? " (--retries N restarts crashed workers)"
                     : "");
}

/* Rank 0: the merged aggregate's report, and the job's totals in res. */
static void render(lg_job *job, lg_agg *a, int ok, lg_result *res)
{
    char err[512] = "";
    if (M.local) { /* the joined list is the report's */
        lg_inputs_free(&job->in);
        free(job->file_fmt);
        job->in = M.all;
        job->file_fmt = M.all_fmt;
        memset(&M.all, 0, sizeof M.all);
        M.all_fmt = NULL;
    } else {
        lg_share_restore(job, &M.undo);
    }
    res->report_written = 0;
    if (ok && !res->strict_failed) {
        int rc = lg_agg_finalize(a);
        if (rc == 0)
            rc = lg_merge_write_report(job, a, err, sizeof err);
        if (rc < 0 && rc != -EPIPE)
            fprintf(stderr, "pipefan logs: writing the report: %s\n",
                    err[0] ? err : strerror(-rc));
        res->report_written = rc == 0 || rc == -EPIPE;
    }
    const lg_totals *t = lg_agg_totals(a);
    res->requests = t->requests;
    res->bad_lines = t->bad_lines;
    size_t nf;
    const lg_file_stat *fs = lg_agg_files(a, &nf);
    res->file_errors = 0;
    for (size_t i = 0; i < nf; i++)
        res->file_errors += fs[i].err != 0;
}

/* Rank 0's step 2: every rank's aggregate into one, then the report. */
static void gather_results(lg_job *job, lg_result *res)
{
    size_t nout = job->export_nout, len;
    int ok = atomic_load(&job->sh->sink_done);
    lg_agg *a = lg_agg_new_sink(nout, job->tabs_on,
                                (job->panels & (1u << LG_PANEL_PATHS)) != 0,
                                job->cfg->top > 0 ? (size_t)job->cfg->top : 0);
    void *mine = map_blob(job, &len);
    pf_log(NULL, PF_LOG_INFO, "rank 0: aggregate of %zu bytes", len);
    int rc = !a ? -ENOMEM : ok && mine ? lg_agg_merge(a, mine, len) : 0;
    if (mine)
        munmap(mine, len);
    if (rc < 0) {
        fprintf(stderr, "pipefan logs: rank 0: merging: %s\n",
                lg_wire_strerror(rc));
        ok = 0;
        res->rc = res->rc ? res->rc : rc;
    }
    for (int r = 1; r < M.ranks; r++) {
        rank_result h;
        unsigned char *blob;
        recv_result(r, &h, &blob);
        fold(res, r, &h);
        ok = ok && h.exported && h.status == 0;
        if (ok && a && h.blob_len &&
            (rc = blob ? lg_agg_merge(a, blob, h.blob_len) : -ENOMEM) < 0) {
            char n[HOST_LEN + 32];
            fprintf(stderr, "pipefan logs: %s: its aggregate: %s\n",
                    rank_name(r, n, sizeof n), lg_wire_strerror(rc));
            ok = 0;
            if (res->rc == 0)
                res->rc = rc;
        }
        free(blob);
    }
    if (a)
        render(job, a, ok, res);
    else
        res->report_written = 0;
    lg_agg_free(a);
}

static void finish(lg_job *job, lg_result *res, void *arg)
{
    (void)arg;
    M.phase = DONE;
    if (M.rank == 0) {
        gather_results(job, res);
        return;
    }
    rank_result h;
    size_t len = 0;
    own_header(job, res, &h);
    void *blob = h.exported ? map_blob(job, &len) : NULL;
    if (h.exported && !blob) {
        h.exported = 0;
        h.status = -ENOMEM;
        snprintf(h.msg, sizeof h.msg, "its aggregate could not be read");
    }
    pf_log(NULL, PF_LOG_INFO, "rank %d: aggregate of %zu bytes to rank 0",
           M.rank, blob ? len : 0);
    send_result(&h, blob, len);
    if (blob)
        munmap(blob, len);
}

/* A rank whose job stopped before step 2 still takes its part. */
static void late_error(int rc, const char *msg)
{
    char e[MSG_LEN];
    if (M.phase == BEFORE) {
        exchange_info(rc, 0, 0, msg, e, sizeof e);
        return;
    }
    if (M.phase != PREPARED)
        return;
    M.phase = DONE;
    if (M.rank != 0) {
        rank_result h;
        memset(&h, 0, sizeof h);
        h.status = rc;
        snprintf(h.msg, sizeof h.msg, "%s", msg[0] ? msg : strerror(-rc));
        send_result(&h, NULL, 0);
        return;
    }
    lg_result drop;
    memset(&drop, 0, sizeof drop);
    for (int r = 1; r < M.ranks; r++) { /* so that no rank waits */
        rank_result h;
        unsigned char *blob;
        recv_result(r, &h, &blob);
        fold(&drop, r, &h);
        free(blob);
    }
}

/* MPI_Init, then this rank's part of the job; res as mpi-logs.h says. */
static int logs_run(const lg_config *cfg, int local, char *const *files,
                    int nfiles, lg_result *res, char *err, size_t errlen)
{
    int len = 0, rc;
    char name[MPI_MAX_PROCESSOR_NAME];
    /* Open MPI's threads must not take the signals the supervisor waits
     * for with a signalfd (SIGCHLD of its workers, SIGINT, SIGTERM): they
     * inherit this mask, made before they start, and only this thread
     * takes the signals again */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGCHLD);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    MPI_Init(NULL, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &M.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &M.ranks);
    MPI_Get_processor_name(name, &len);
    snprintf(M.host, sizeof M.host, "%.*s", len, name);
    M.local = local;
    memset(res, 0, sizeof *res);

    lg_scale scale = {.prepare = prepare, .finish = finish};
    M.agg_fd = memfd_create("pipefan-agg", MFD_CLOEXEC);
    lg_config c = *cfg;
    c.scale = &scale;
    /* mpirun hands a rank a pseudo-terminal for its stdout and stderr
     * whether its own are terminals or files: no colour, no terminal
     * width and no progress line unless asked for */
    if (c.color < 0)
        c.color = 0;
    if (c.width == 0)
        c.width = 100;
    if (c.progress < 0 || M.rank != 0)
        c.progress = M.rank == 0 && c.progress > 0;
    char **args = calloc((size_t)nfiles + 1, sizeof *args);
    for (int i = 0; args && i < nfiles; i++)
        if (!(args[i] = local ? lg_share_expand_arg(files[i], M.rank, M.host)
                              : strdup(files[i]))) {
            rc = -ENOMEM;
            goto out;
        }
    if (!args || M.agg_fd < 0) {
        rc = !args ? -ENOMEM : -errno;
    } else if (cfg->state) {
        snprintf(err, errlen,
                 "--state does not go with mpirun: save a "
                 "state per run without it (docs/SCALE-OUT.md)");
        rc = -EINVAL;
    } else {
        rc = lg_logs_run(&c, args, nfiles, res, err, errlen);
    }
out:
    if (rc < 0)
        late_error(rc, err);
    for (int i = 0; args && i < nfiles; i++)
        free(args[i]);
    free(args);
    free(M.fmap);
    lg_inputs_free(&M.all);
    free(M.all_fmt);
    lg_share_undo_free(&M.undo);
    if (M.agg_fd >= 0)
        close(M.agg_fd);
    return rc;
}

int lg_mpi_logs_main(const lg_config *cfg, int local, char *const *files,
                     int nfiles, lg_exit_code_fn exit_code, void *arg,
                     char *err, size_t errlen)
{
    lg_result res;
    int rc = logs_run(cfg, local, files, nfiles, &res, err, errlen), code = 0;
    if (M.rank == 0)
        code = exit_code(rc, &res, arg);
    else if (rc < 0 && rc != -ECANCELED) /* else rank 0 says it */
        fprintf(stderr, "pipefan logs: %s\n", err[0] ? err : strerror(-rc));
    /* every rank waits for rank 0's code, then leaves MPI together */
    MPI_Request rq;
    MPI_Ibcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD, &rq);
    wait_idle(&rq);
    free(M.info);
    M.info = NULL;
    MPI_Finalize();
    /* mpirun exits with the first non-zero code of a rank: rank 0's is
     * the job's, and others that also returned it would only make mpirun
     * tear the job down as failed, a second later */
    return M.rank == 0 ? code : 0;
}
