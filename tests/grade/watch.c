/*
 * watch.c - supervises one sandboxed run from the grader (see watch.h).
 *
 * One poll loop serves everything the child can make the grader wait on:
 * its output, the result channel, the setup status, the socket that
 * brings the seccomp notification descriptor, the notifications
 * themselves, and a pidfd that becomes readable when the process ends.
 * Every wait in the loop is bounded by the deadline, so no submission can
 * hang the grader: not by sleeping, not by keeping a pipe open in a
 * forked child, not by blocking in a refused call.
 *
 * When the main process ends, its whole process group is killed at once
 * (forked children of fork-permitted tests included), and the pipes are
 * drained for a short grace period only.
 *
 * The grader is a subreaper, so the children of a fork test whose own
 * parent died (step 10's saver, killed as its parent exits) become its
 * children. Their zombies count against the sandbox user's RLIMIT_NPROC
 * until reaped, so the loop reaps them as they die, woken by SIGCHLD
 * through a signalfd, rather than only at the end.
 */
#define _GNU_SOURCE
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

enum { DRAIN_GRACE_MS = 300, KILL_GRACE_S = 3 };

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int watch_open(struct watch_fds *w)
{
    int p[4][2] = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}};
    for (int i = 0; i < 3; i++)
        if (pipe2(p[i], O_CLOEXEC) < 0)
            goto fail;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p[3]) < 0)
        goto fail;
    *w = (struct watch_fds){p[0][0], p[0][1], p[1][0], p[1][1],
                            p[2][0], p[2][1], p[3][0], p[3][1]};
    return 0;
fail:;
    int e = errno;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            if (p[i][j] >= 0)
                close(p[i][j]);
    errno = e;
    return -1;
}

void watch_close(struct watch_fds *w, int all)
{
    close_fd(&w->out_w);
    close_fd(&w->rec_w);
    close_fd(&w->status_w);
    close_fd(&w->sock_child);
    if (all) {
        close_fd(&w->out_r);
        close_fd(&w->rec_r);
        close_fd(&w->status_r);
        close_fd(&w->sock_parent);
    }
}

/* Receives the notification descriptor, or -1 (the child failed first). */
static int receive_fd(int sock)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) != 1)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

/* Reads what is there; keeps it up to cap and closes the pipe past the
 * cap, so the flooding program's next write fails. */
static void take_output(int *fd, struct sandbox_result *res, size_t cap)
{
    char chunk[65536];
    ssize_t n = util_read_some(*fd, chunk, sizeof chunk);
    if (n <= 0) {
        close_fd(fd);
        return;
    }
    size_t keep = (size_t)n;
    if (res->out.len + keep > cap) {
        keep = cap - res->out.len;
        res->truncated = 1;
    }
    util_buf_add(&res->out, chunk, keep);
    if (res->truncated) {
        util_buf_printf(&res->out, "\n[output truncated: more than %zu bytes; "
                        "the rest was not read]\n", cap);
        close_fd(fd);
    }
}

static void take_record(int *fd, struct sandbox_result *res)
{
    char chunk[4096];
    ssize_t n = util_read_some(*fd, chunk, sizeof chunk);
    if (n <= 0) {
        close_fd(fd);
        return;
    }
    size_t room = sizeof res->record - 1 - res->record_len;
    if ((size_t)n > room) {
        res->record_overflow = 1;
        n = (ssize_t)room;
    }
    memcpy(res->record + res->record_len, chunk, (size_t)n);
    res->record_len += (size_t)n;
    res->record[res->record_len] = '\0';
}

static void take_status(int *fd, char *status, size_t size, size_t *len)
{
    ssize_t n = util_read_some(*fd, status + *len, size - 1 - *len);
    if (n <= 0) {
        close_fd(fd);
        return;
    }
    *len += (size_t)n;
    status[*len] = '\0';
}

/* Reaps pid if it ended; 1 when reaped. */
static int try_reap(pid_t pid, struct sandbox_result *res, int hang)
{
    int status;
    struct rusage ru;
    pid_t r;
    do
        r = wait4(pid, &status, hang ? 0 : WNOHANG, &ru);
    while (r < 0 && errno == EINTR);
    if (r != pid)
        return 0;
    res->cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    if (WIFEXITED(status)) {
        res->exited = 1;
        res->status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
    }
    return 1;
}

/* Reaps every dead child but pid: orphans handed to the grader. It stops
 * at pid, dead too, whose status try_reap takes; the end of the run
 * reaps the rest. */
static void reap_orphans(int chldfd, pid_t pid)
{
    struct signalfd_siginfo si[8];
    while (read(chldfd, si, sizeof si) > 0)
        ; /* the signals only wake the loop */
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
            info.si_pid == 0 || info.si_pid == pid)
            return;
        waitpid(info.si_pid, NULL, WNOHANG);
    }
}

/* Kills the group and the process, then waits a bounded time for it. */
static int kill_and_reap(pid_t pid, struct sandbox_result *res)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    double until = util_now() + KILL_GRACE_S;
    while (util_now() < until) {
        if (try_reap(pid, res, 0))
            return 1;
        usleep(5000);
    }
    return 0; /* stuck in the kernel: left to the subreaper */
}

void watch_run(struct watch_fds *w, pid_t pid, const struct sandbox_spec *spec,
               struct sandbox_result *res)
{
    double start = util_now(), deadline = start + spec->wall, drain_end = 0;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int nfd = -1, reaped = 0;
    char status[512] = "";
    size_t status_len = 0;
    /* SIGCHLD, blocked while the run lasts, arrives through chldfd. */
    sigset_t chld, mask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &mask);
    int chldfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

    for (;;) {
        struct pollfd p[7];
        int *which[7], n = 0;
        int *fds[] = {&w->out_r, &w->rec_r, &w->status_r, &w->sock_parent,
                      &nfd, &chldfd, &pidfd};
        for (int i = 0; i < 7; i++)
            if (*fds[i] >= 0 && !(i == 6 && reaped)) {
                p[n] = (struct pollfd){.fd = *fds[i], .events = POLLIN};
                which[n++] = fds[i];
            }
        double now = util_now();
        if (reaped && (now >= drain_end || (w->out_r < 0 && w->rec_r < 0 &&
                                            w->status_r < 0)))
            break;
        if (!reaped && now >= deadline) {
            res->timed_out = 1;
            reaped = kill_and_reap(pid, res);
            break;
        }
        double until = reaped ? drain_end : deadline;
        int ms = (int)((until - now) * 1000) + 1;
        if (pidfd < 0 && !reaped && ms > 20)
            ms = 20; /* no pidfd: look for the end by polling */
        int r = poll(p, (nfds_t)n, ms);
        if (r < 0 && errno != EINTR)
            break;
        for (int i = 0; r > 0 && i < n; i++) {
            if (!p[i].revents)
                continue;
            int *fd = which[i];
            if (fd == &w->out_r)
                take_output(fd, res, spec->out_cap);
            else if (fd == &w->rec_r)
                take_record(fd, res);
            else if (fd == &w->status_r)
                take_status(fd, status, sizeof status, &status_len);
            else if (fd == &w->sock_parent) {
                nfd = receive_fd(*fd);
                close_fd(fd);
            } else if (fd == &nfd) {
                if ((p[i].revents & POLLIN) && policy_handle(nfd, &res->policy) == 0)
                    continue;
                close_fd(&nfd); /* hung up: every filtered process is gone */
            } else if (fd == &chldfd) {
                reap_orphans(chldfd, pid);
            }
        }
        if (!reaped && (pidfd < 0 || r > 0) && try_reap(pid, res, 0)) {
            reaped = 1;
            kill(-pid, SIGKILL); /* what it forked goes with it */
            drain_end = util_now() + DRAIN_GRACE_MS / 1000.0;
        }
    }
    /* Serve the last notifications so no straggler blocks, then close. */
    while (nfd >= 0) {
        struct pollfd q = {.fd = nfd, .events = POLLIN};
        if (poll(&q, 1, 0) <= 0 || !(q.revents & POLLIN) ||
            policy_handle(nfd, &res->policy) < 0)
            break;
    }
    close_fd(&nfd);
    close_fd(&pidfd);
    close_fd(&chldfd);
    watch_close(w, 1);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ; /* orphans handed to us as subreaper */
    sigprocmask(SIG_SETMASK, &mask, NULL);

    res->seconds = util_now() - start;
    res->started = strncmp(status, "ok ", 3) == 0 && !strstr(status, "fail ");
    sscanf(status, "ok %d %d", &res->landlock_abi, &res->netns);
    rlim_t cpu = spec->limits.cpu;
    res->cpu_out = !res->timed_out &&
                   (res->signal == SIGXCPU ||
                    (res->signal == SIGKILL && res->cpu_seconds >= (double)cpu));
}
