/*
 * sandbox.c - the child's side of a sandboxed run: from fork to execve
 * (see sandbox.h). watch.c is the grader's side.
 *
 * The child arranges itself in an order where each step still has the
 * right it needs: its own session and process group (so the grader can
 * kill all it forks with one kill(-pgid)); descriptors (0 /dev/null, 1
 * and 2 the output pipe, 3 the result channel, nothing else inherited);
 * namespaces and the sandbox user (isolate.c); limits; no_new_privs;
 * Landlock; and last the seccomp filter, whose notification descriptor it
 * hands to the grader over a socket before it executes the command.
 *
 * A status pipe, closed by execve, tells the grader what held ("ok
 * <landlock abi> <netns>") or which step failed; a child that fails
 * before execve exits 126 and its message is in the captured output.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "watch.h"

/* ELF interpreters a program may name (x86-64, aarch64). */
static const char *const interpreters[2] = {
    "/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1",
};

/* Descriptor numbers in the child while it sets up; all close-on-exec. */
enum { CHILD_STATUS_FD = 200, CHILD_SOCK_FD = 201, CHILD_HIGH = 300 };

/* Says on the status pipe which step failed, and ends the child. */
static _Noreturn void child_fail(const char *what)
{
    char msg[256];
    int e = errno;
    int n = snprintf(msg, sizeof msg, "fail %s: %s\n", what, strerror(e));
    if (n > 0) {
        util_write_all(CHILD_STATUS_FD, msg, (size_t)n);
        util_write_all(STDERR_FILENO, msg + 5, (size_t)n - 5);
    }
    _exit(126);
}

/* Sends the notification descriptor over the socket to the grader. */
static int send_fd(int sock, int fd)
{
    char byte = 'n';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Puts the inherited descriptors where the program expects them and
 * closes every other one. Everything is first moved above CHILD_HIGH so
 * that no dup2 overwrites a descriptor still to be moved. */
static void child_descriptors(const struct watch_fds *w, int record)
{
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        child_fail("open /dev/null");
    int out = fcntl(w->out_w, F_DUPFD_CLOEXEC, CHILD_HIGH);
    int rec = record ? fcntl(w->rec_w, F_DUPFD_CLOEXEC, CHILD_HIGH) : -1;
    int status = fcntl(w->status_w, F_DUPFD_CLOEXEC, CHILD_HIGH);
    int sock = fcntl(w->sock_child, F_DUPFD_CLOEXEC, CHILD_HIGH);
    int null = fcntl(devnull, F_DUPFD_CLOEXEC, CHILD_HIGH);
    if (out < 0 || status < 0 || sock < 0 || null < 0 || (record && rec < 0))
        child_fail("move descriptors");
    if (dup3(status, CHILD_STATUS_FD, O_CLOEXEC) < 0 ||
        dup3(sock, CHILD_SOCK_FD, O_CLOEXEC) < 0 || dup2(null, 0) < 0 ||
        dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
        (record && dup2(rec, SANDBOX_RESULT_FD) < 0))
        child_fail("place descriptors");
    int first = record ? SANDBOX_RESULT_FD + 1 : SANDBOX_RESULT_FD;
    if (close_range((unsigned)first, CHILD_STATUS_FD - 1, 0) < 0 ||
        close_range(CHILD_SOCK_FD + 1, ~0U, 0) < 0)
        child_fail("close inherited descriptors");
}

/* The child, from fork to execve; never returns. */
static _Noreturn void child(const struct sandbox_spec *spec,
                            const struct isolate_caps *caps,
                            const struct watch_fds *w, pid_t grader)
{
    if (setsid() < 0)
        child_fail("setsid");
    child_descriptors(w, spec->want_record);

    int netns = 0;
    if (isolate_enter(caps, spec->uid, spec->gid, &netns) < 0)
        child_fail("namespaces and sandbox user");
    /* Set after the change of user, which clears it; if the grader died
     * already, go now rather than run unwatched. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != grader)
        child_fail("parent-death signal");
    if (chdir(spec->scratch) < 0)
        child_fail("chdir to scratch");
    if (isolate_limit(&spec->limits) < 0)
        child_fail("resource limits");
    /* The grader ignores SIGPIPE, and ignored signals stay ignored across
     * execve: give the program the defaults (an output flood must die of
     * SIGPIPE when the grader stops reading) and an empty signal mask. */
    sigset_t none;
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail("no_new_privs");

    /* Beside the caller's rules: scratch, and the ELF interpreters, which
     * execve opens for execution like the program itself. */
    struct fence_rule rules[SANDBOX_MAX_RULES + 4];
    char interp[2][PATH_MAX];
    int n = spec->nrules;
    memcpy(rules, spec->rules, sizeof rules[0] * (size_t)n);
    rules[n++] = (struct fence_rule){spec->scratch, FENCE_WRITE};
    for (int i = 0; i < 2; i++)
        if (realpath(interpreters[i], interp[i]))
            rules[n++] = (struct fence_rule){interp[i], FENCE_EXEC};
    int abi = fence_restrict(rules, n);
    if (abi < 0)
        child_fail("Landlock");

    struct policy_spec ps = spec->policy;
    ps.self = getpid();
    int nfd = policy_load(&ps);
    if (nfd < 0)
        child_fail("seccomp filter");
    if (send_fd(CHILD_SOCK_FD, nfd) < 0)
        child_fail("hand over the notification descriptor");
    close(nfd);
    close(CHILD_SOCK_FD);

    char msg[64];
    n = snprintf(msg, sizeof msg, "ok %d %d\n", abi, netns);
    util_write_all(CHILD_STATUS_FD, msg, (size_t)n);
    execve(spec->argv[0], (char *const *)spec->argv, (char *const *)spec->envp);
    child_fail(spec->argv[0]);
}

int sandbox_run(const struct sandbox_spec *spec, const struct isolate_caps *caps,
                struct sandbox_result *res)
{
    memset(res, 0, sizeof *res);
    util_buf_init(&res->out);
    struct watch_fds w;
    if (watch_open(&w) < 0)
        return -1;
    pid_t grader = getpid();
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        watch_close(&w, 1);
        errno = e;
        return -1;
    }
    if (pid == 0)
        child(spec, caps, &w, grader);
    watch_close(&w, 0); /* the child's ends */
    /* The child's pgid is its pid once setsid ran; killing -pid before
     * then reaches nothing, and watch_run kills pid too. */
    policy_state_init(&res->policy, &spec->policy, pid);
    res->policy.spec.self = pid;
    watch_run(&w, pid, spec, res);
    if (caps->root && spec->policy.fork)
        isolate_sweep(spec->uid);
    return 0;
}

void sandbox_result_free(struct sandbox_result *res)
{
    util_buf_free(&res->out);
}

void sandbox_describe_end(const struct sandbox_result *res, double wall,
                          char *buf, size_t size)
{
    if (res->timed_out)
        snprintf(buf, size, "timed out after %.0f s (the whole process group "
                 "was killed)", wall);
    else if (res->cpu_out)
        snprintf(buf, size, "exceeded its CPU time limit (%.1f s used)",
                 res->cpu_seconds);
    else if (res->signal)
        snprintf(buf, size, "killed by signal %d (%s)", res->signal,
                 strsignal(res->signal));
    else
        snprintf(buf, size, "exit status %d", res->status);
}
