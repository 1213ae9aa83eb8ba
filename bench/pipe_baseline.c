/*
 * pipe_baseline.c - the same records as bench/throughput through a plain
 * pipe between two processes: the ceiling of the simplest alternative.
 *
 *   pipe_baseline --size BYTES --count N [--buffer BYTES] [--tsv]
 *
 * The writer (the child) makes each record the way throughput's source
 * does (one reused buffer, the index stamped into its first and last 8
 * bytes), frames it as [u32 len][bytes] into a 64 KiB buffer the way
 * stdio's fwrite would, and write()s the buffer when the next frame does
 * not fit; a frame larger than the buffer goes out directly with writev
 * after the buffer (as fwrite does for large writes).  The reader (the
 * parent) read()s into its own buffer, walks the complete frames, checks
 * each one exactly as throughput's sink does and keeps the partial frame
 * at the end for the next read.  Time runs from before fork to after
 * waitpid.  Same output line as throughput with "impl":"pipe".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr, "usage: pipe_baseline --size BYTES --count N "
                    "[--buffer BYTES] [--tsv]\n");
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t parse_u64(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s)
        usage();
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'm' || *end == 'M')
        v <<= 20, end++;
    else if (*end == 'g' || *end == 'G')
        v <<= 30, end++;
    if (*end != '\0')
        usage();
    return (uint64_t)v;
}

/* write(2) all of [p, p+n), retrying short writes and EINTR. */
static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* writev(2) all of iov[0..cnt), retrying short writes. */
static int writev_all(int fd, struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        ssize_t w = writev(fd, iov, cnt);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (cnt > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* The index is stamped into a record's first and last 8 bytes (records
 * are at least MIN_SIZE bytes). */
#define MIN_SIZE 16

static inline void stamp(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static inline uint64_t unstamp(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The writer process: N framed records into fd. */
static int writer(int fd, size_t size, uint64_t count, size_t bufsize)
{
    unsigned char *rec = malloc(size);
    unsigned char *buf = malloc(bufsize);
    if (rec == NULL || buf == NULL)
        return 1;
    for (size_t i = 0; i < size; i++)
        rec[i] = (unsigned char)(i * 131u + 7u);
    unsigned char *last = rec + size - 8;
    size_t used = 0, frame = 4 + size;
    uint32_t len = (uint32_t)size;
    for (uint64_t i = 0; i < count; i++) {
        stamp(rec, i);
        stamp(last, i);
        if (used + frame > bufsize) {
            if (frame > bufsize) {
                /* Like fwrite past the buffer: flush, then write direct. */
                struct iovec iov[3] = {{buf, used}, {&len, 4}, {rec, size}};
                if (writev_all(fd, iov, 3) != 0)
                    return 1;
                used = 0;
                continue;
            }
            if (write_all(fd, buf, used) != 0)
                return 1;
            used = 0;
        }
        memcpy(buf + used, &len, 4);
        memcpy(buf + used + 4, rec, size);
        used += frame;
    }
    if (used > 0 && write_all(fd, buf, used) != 0)
        return 1;
    free(buf);
    free(rec);
    return 0;
}

struct tally {
    uint64_t records, bytes, index_sum, bad;
};

/* The reader: read, walk the complete frames, keep the partial one. */
static int reader(int fd, size_t size, size_t bufsize, struct tally *t)
{
    size_t cap = bufsize;
    if (cap < 2 * (4 + size))
        cap = 2 * (4 + size);
    unsigned char *buf = malloc(cap);
    if (buf == NULL)
        return -1;
    uint64_t records = 0, bytes = 0, index_sum = 0, bad = 0;
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        size_t at = 0;
        while (have - at >= 4) {
            uint32_t len;
            memcpy(&len, buf + at, 4);
            if (have - at - 4 < len)
                break;
            const unsigned char *p = buf + at + 4;
            records++;
            bytes += len;
            at += 4 + len;
            if (len != size) {
                bad++;
                continue;
            }
            uint64_t i = unstamp(p);
            bad += unstamp(p + len - 8) != i;
            index_sum += i;
        }
        if (at > 0) {
            memmove(buf, buf + at, have - at);
            have -= at;
        }
    }
    free(buf);
    t->records = records;
    t->bytes = bytes;
    t->index_sum = index_sum;
    t->bad = bad;
    return have == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    size_t size = 100, bufsize = 64 << 10;
    uint64_t count = 1000000;
    int tsv = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--size") == 0 && v) {
            size = (size_t)parse_u64(v);
            i++;
        } else if (strcmp(a, "--count") == 0 && v) {
            count = parse_u64(v);
            i++;
        } else if (strcmp(a, "--buffer") == 0 && v) {
            bufsize = (size_t)parse_u64(v);
            i++;
        } else if (strcmp(a, "--tsv") == 0) {
            tsv = 1;
        } else {
            usage();
        }
    }
    if (size < MIN_SIZE || size > (16u << 20) || bufsize < 16)
        usage();

    double t0 = now_s();
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        return 1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        close(fds[0]);
        int rc = writer(fds[1], size, count, bufsize);
        close(fds[1]);
        _exit(rc);
    }
    close(fds[1]);
    struct tally t = {0};
    int rrc = reader(fds[0], size, bufsize, &t);
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    double el = now_s() - t0;

    uint64_t want_sum =
        count % 2 == 0 ? (count / 2) * (count - 1) : count * ((count - 1) / 2);
    int ok = rrc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
             t.records == count && t.bad == 0 && t.bytes == count * size &&
             t.index_sum == want_sum;
    if (!ok) {
        fprintf(stderr,
                "pipe_baseline: CHECK FAILED: records %llu of %llu, bad %llu, "
                "index sum %llu (want %llu)\n",
                (unsigned long long)t.records, (unsigned long long)count,
                (unsigned long long)t.bad, (unsigned long long)t.index_sum,
                (unsigned long long)want_sum);
        return 1;
    }
    double rps = (double)count / el;
    double gbps = (double)count * (double)size / el / 1e9;
    if (tsv)
        printf("pipe\tsource-sink\t0\t%zu\t%llu\t%.6f\t%.0f\t%.4f\n", size,
               (unsigned long long)count, el, rps, gbps);
    else
        printf("{\"impl\":\"pipe\",\"shape\":\"source-sink\",\"workers\":0,"
               "\"size\":%zu,\"count\":%llu,\"elapsed_s\":%.6f,"
               "\"records_per_s\":%.0f,\"gb_per_s\":%.4f}\n",
               size, (unsigned long long)count, el, rps, gbps);
    return 0;
}
