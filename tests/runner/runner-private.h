/*
 * runner-private.h - what the runner's own files share; tests never include
 * it.
 */
#ifndef PIPEFAN_TEST_RUNNER_PRIVATE_H
#define PIPEFAN_TEST_RUNNER_PRIVATE_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit codes of a test child. */
#define RUNNER_EXIT_FAIL 1
#define RUNNER_EXIT_SKIP 77

/* Largest message sent from a test child: below PIPE_BUF so that each
 * message is one atomic write even from several processes. */
#define RUNNER_MSG_MAX 4000

/* A growable NUL-terminated string. */
struct runner_sb {
    char *p;
    size_t len, cap;
};

void runner__sb_add(struct runner_sb *sb, const char *s, size_t n);
void runner__sb_addf(struct runner_sb *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void runner__sb_vaddf(struct runner_sb *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void runner__sb_free(struct runner_sb *sb);

/* A growable set of strings (or, with the ints, of numbers). */
struct runner_set {
    size_t n, cap;
    char **s;
};

int runner__set_add(struct runner_set *set, const char *s);
int runner__set_has(const struct runner_set *set, const char *s);
void runner__set_free(struct runner_set *set);

/*
 * Report one message of the given type from wherever the runner is: in a
 * test child it goes to the parent runner (and stderr); elsewhere to
 * stderr.  Types: 'F' failure, 'S' skip reason, 'N' note, 'D' done.
 */
void runner__report(char type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Leak checks run inside the test process around the test body.  The
 * snapshot functions return 0 or -1; the check functions report each leak
 * with runner__report('F', ...) and return how many they found. */
int runner__fds_snapshot(struct runner_set *fds);
int runner__fds_check(const struct runner_set *before);
int runner__maps_snapshot(struct runner_set *maps);
int runner__maps_check(const struct runner_set *before);

/* Names in a directory (missing directory: empty set, 0). */
int runner__dir_snapshot(const char *dir, struct runner_set *names);
/* Remove and describe into diag each file of dir not in before. */
int runner__shm_check(const char *dir, const struct runner_set *before,
                      struct runner_sb *diag);

/* Find every process reparented to this (subreaper) process, describe each
 * into diag when diag is not NULL, SIGKILL and reap them, repeatedly until
 * none is left.  Returns how many there were. */
int runner__reap_leftovers(struct runner_sb *diag);

/* Remove a directory tree; 0 or -1. */
int runner__rmtree(const char *path);

#endif /* PIPEFAN_TEST_RUNNER_PRIVATE_H */
