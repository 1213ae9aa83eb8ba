/*
 * run-spawn.c - starting `sh -c CMD` for pipefan run, and judging how it
 * ended.
 *
 * Each command runs under a guardian process that leads its process group
 * and kills the group when the worker dies (guardian()).
 *
 * All child-process hygiene is here (STYLE.md habit 10): every signal is
 * blocked around fork; the shell's child puts every disposition back to the
 * default (workers ignore SIGINT, SIGTERM and SIGPIPE), empties its mask,
 * asks for SIGKILL when its worker dies (PR_SET_PDEATHSIG) and checks the
 * worker did not die first; pipes are close-on-exec; the child leaves
 * only through exec or _exit; the environment is built before fork, so
 * the child calls nothing that may allocate.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PIPE_BYTES (1 << 20) /* pipe capacity asked for: fewer wake-ups */

void run_close(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* A pidfd for pid, or -1 where the kernel has none (or PIPEFAN_NO_PIDFD
 * is set, to run as there: the tests cover both ways). */
static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
    if (getenv("PIPEFAN_NO_PIDFD") != NULL)
        return -1;
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#else
    (void)pid;
    return -1;
#endif
}

/* environ plus PIPEFAN_STAGE, _WORKER, _BLOCK and _TRY, in one allocation
 * the caller frees. */
static char **make_env(const struct run_env *e)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    size_t text = 64 + strlen(e->stage) + 3 * 40;
    char **env = malloc((n + 5) * sizeof *env + text);
    if (env == NULL)
        return NULL;
    char *t = (char *)(env + n + 5), *end = t + text;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "PIPEFAN_STAGE=", 14) != 0 &&
            strncmp(environ[i], "PIPEFAN_WORKER=", 15) != 0 &&
            strncmp(environ[i], "PIPEFAN_BLOCK=", 14) != 0 &&
            strncmp(environ[i], "PIPEFAN_TRY=", 12) != 0)
            env[k++] = environ[i];
    env[k++] = t;
    t += snprintf(t, (size_t)(end - t), "PIPEFAN_STAGE=%s", e->stage) + 1;
    env[k++] = t;
    t += snprintf(t, (size_t)(end - t), "PIPEFAN_WORKER=%d", e->worker) + 1;
    env[k++] = t;
    t += snprintf(t, (size_t)(end - t), "PIPEFAN_BLOCK=%llu",
                  (unsigned long long)e->block) +
         1;
    env[k++] = t;
    snprintf(t, (size_t)(end - t), "PIPEFAN_TRY=%d", e->try);
    env[k] = NULL;
    return env;
}

/* The guardian's death signal: its worker died, so it kills its group. */
static void guard_fire(int sig)
{
    (void)sig;
    kill(0, SIGKILL); /* the whole group, the guardian too */
}

/* In the shell's child: wire the pipes, reset signals, exec the shell. */
static _Noreturn void shell(const char *cmd, char **env, int in_r, int out_w,
                            pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent)
        _exit(127); /* the guardian died before we could watch it */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    /* dup2 clears close-on-exec on 0 and 1; the originals vanish at exec. */
    if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    execve("/bin/sh", argv, env);
    _exit(127);
}

/*
 * The forked child of the worker: the guardian of one command run.  It
 * leads a process group of its own, in which it starts the shell, and
 * asks for a signal when its worker dies (however it dies, SIGKILL too):
 * it then kills the whole group, so the command's children - `sh -c
 * 'sleep 1000; :'`, `(sleep 1000)&` - do not outlive pipefan.  Otherwise
 * it holds no descriptor but stderr, waits for the shell and then for
 * whatever the shell left in the group, and ends the way the shell ended,
 * so the worker judges the command by the guardian.
 */
static _Noreturn void guardian(const char *cmd, char **env, int in_r, int out_w,
                               pid_t worker)
{
    struct sigaction fire;
    memset(&fire, 0, sizeof fire);
    fire.sa_handler = guard_fire;
    sigfillset(&fire.sa_mask);
    sigaction(SIGRTMIN, &fire, NULL);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGRTMIN, 0, 0, 0);
    if (getppid() != worker)
        _exit(127); /* the worker died before we could watch it */
    /* What the shell leaves behind comes to us, so we can wait for it. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    pid_t me = getpid();
    /* vfork: the shell's child only sets itself up and execs (or
     * _exits), and copies none of the worker's page tables. */
    pid_t sh = vfork();
    if (sh == 0)
        shell(cmd, env, in_r, out_w, me);
    if (sh < 0)
        _exit(127);
    /* Nothing of the worker's but stderr: its pipes must see their
     * ends when the command's side closes them. */
    close(0);
    close(1);
    closefrom(3);
    sigset_t only;
    sigfillset(&only);
    sigdelset(&only, SIGRTMIN);
    sigprocmask(SIG_SETMASK, &only, NULL);
    int st;
    while (waitpid(sh, &st, 0) < 0)
        if (errno != EINTR)
            _exit(127);
    /*
     * The shell ended, but what it left running in our group (`(sleep
     * 1000)& cat`: cat ended at the end of its input) is still ours to
     * kill should the worker die.  And the worker may be dying right now:
     * a dying process closes its descriptors (cat's stdin: cat ends, the
     * shell ends) before its children get their death signal, so leaving
     * now would leave the group unwatched.  Wait for the group first (its
     * orphans are ours: we are their subreaper); a background job that
     * holds the command's stdout keeps the worker reading until it ends
     * anyway.
     */
    while (waitpid(0, NULL, 0) > 0 || errno == EINTR)
        ;
    if (WIFEXITED(st))
        _exit(WEXITSTATUS(st));
    /* End by the same signal, without a core of our own. */
    int sig = WTERMSIG(st);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    _exit(128 + sig);
}

int run_spawn(const char *cmd, const struct run_env *e, struct run_proc *p)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err;
    memset(p, 0, sizeof *p);
    p->in_fd = p->out_fd = p->pidfd = -1;
    char **env = make_env(e);
    if (env == NULL)
        return -ENOMEM;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        err = -errno;
        goto close_pipes;
    }
    /* Larger pipes mean fewer context switches; a refusal (the per-user
     * pipe budget) only costs speed. */
    fcntl(in[1], F_SETPIPE_SZ, PIPE_BYTES);
    fcntl(out[0], F_SETPIPE_SZ, PIPE_BYTES);

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        guardian(cmd, env, in[0], out[1], parent);
    err = pid < 0 ? -errno : 0;
    if (pid > 0)
        setpgid(pid, pid); /* as the guardian does: kill(-pid) works now */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0)
        goto close_pipes;

    close(in[0]);
    close(out[1]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    p->pid = pid;
    p->in_fd = in[1];
    p->out_fd = out[0];
    p->pidfd = pidfd_of(pid);
    free(env);
    return 0;

close_pipes:
    for (int i = 0; i < 2; i++) {
        run_close(&in[i]);
        run_close(&out[i]);
    }
    free(env);
    return err;
}

void run_reap(struct run_proc *p)
{
    while (!p->reaped && p->pid > 0) {
        int st;
        pid_t r = waitpid(p->pid, &st, 0);
        if (r == p->pid) {
            p->status = st;
            p->reaped = 1;
        } else if (r < 0 && errno != EINTR) {
            p->status = 127 << 8; /* cannot happen: our own child */
            p->reaped = 1;
        }
    }
    run_close(&p->pidfd);
}

int run_ended(struct run_proc *p, int ms)
{
    if (p->reaped)
        return 1;
    if (p->pidfd >= 0) {
        struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
        if (poll(&pf, 1, ms) <= 0)
            return 0;
    } else if (ms > 0) {
        poll(NULL, 0, ms < 10 ? ms : 10); /* no pidfd: look again soon */
    }
    int st;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r != p->pid)
        return 0;
    p->status = st;
    p->reaped = 1; /* the pidfd stays open: a thread may poll it */
    return 1;
}

int run_exited_nowait(const struct run_proc *p)
{
    siginfo_t si;
    si.si_pid = 0;
    if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == ECHILD; /* reaped by the worker's own thread */
    return si.si_pid != 0;
}

void run_status_text(int status, char *buf, size_t n)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        snprintf(buf, n, "killed by signal %d (SIG%s)", sig,
                 abbrev != NULL ? abbrev : "?");
    } else {
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    }
}

/*
 * A block's command stalled: kill it, then end this worker with SIGALRM,
 * the signal of an expired timer.  The runtime handles that as any crash
 * on the block in progress: with --retries the worker is restarted and the
 * block replayed, and a block that stalls every time is a poison block
 * (quarantined); without them the run fails.  Returning an error instead
 * would not do: the runtime does not count a stage function's failure
 * against the record in progress.  No joblog line: the block is not done.
 */
_Noreturn void run_stall_crash(pf_ctx *ctx, const struct run_stage *st,
                               struct run_proc *p, uint64_t block)
{
    pf_log(ctx, PF_LOG_WARN,
           "block %llu: '%s' made no progress for %.1f s (--stall-timeout): "
           "killing it (pid %d) and this worker",
           (unsigned long long)block, st->cmd, st->cfg->stall_ms / 1e3,
           (int)p->pid);
    kill(-p->pid, SIGKILL); /* its group */
    run_reap(p);
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    signal(SIGALRM, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    raise(SIGALRM);
    _exit(128 + SIGALRM);
}
