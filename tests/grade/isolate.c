/*
 * isolate.c - namespaces, the sandbox user and resource limits (see
 * isolate.h).
 *
 * Order matters in isolate_enter: the namespaces first, while the process
 * still has the right to make them; loopback up next, which needs
 * CAP_NET_ADMIN in the new network namespace; the user last, since
 * dropping to it drops every capability. RLIMIT_NPROC must be set after
 * the change of user: set before, the kernel would measure the new user's
 * process count against it at setuid time and fail the following execve.
 */
#define _GNU_SOURCE
#include "isolate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define NS_FLAGS (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

/* Writes a short text to a /proc file. */
static int write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = util_write_all(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* A new user namespace in which the caller keeps its own ids. */
static int enter_userns(void)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char map[64];
    if (unshare(CLONE_NEWUSER | NS_FLAGS) < 0)
        return -1;
    if (write_proc("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
        return -1;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_proc("/proc/self/uid_map", map) < 0)
        return -1;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    return write_proc("/proc/self/gid_map", map);
}

/* Brings the new namespace's loopback up: it starts down. */
static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    errno = e;
    return rc;
}

/* Runs fn in a child and says whether it returned 0. */
static int try_in_child(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0)
        _exit(fn() == 0 ? 0 : 1);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int probe_root_netns(void)
{
    return unshare(NS_FLAGS) < 0 ? -1 : loopback_up();
}

static int probe_userns(void)
{
    return enter_userns() < 0 ? -1 : loopback_up();
}

int isolate_probe(struct isolate_caps *caps, uid_t uid_base)
{
    memset(caps, 0, sizeof *caps);
    caps->root = geteuid() == 0;
    caps->uid_base = uid_base;
    if (caps->root) {
        caps->netns = try_in_child(probe_root_netns);
    } else {
        caps->userns = try_in_child(probe_userns);
        caps->netns = caps->userns;
    }
    return 0;
}

void isolate_ids(const struct isolate_caps *caps, int slot, uid_t *uid,
                 gid_t *gid)
{
    if (caps->root) {
        *uid = caps->uid_base + (uid_t)slot;
        *gid = (gid_t)*uid;
    } else {
        *uid = geteuid();
        *gid = getegid();
    }
}

int isolate_enter(const struct isolate_caps *caps, uid_t uid, gid_t gid,
                  int *netns)
{
    *netns = 0;
    if (caps->root) {
        if (caps->netns) {
            if (unshare(NS_FLAGS) < 0 || loopback_up() < 0)
                return -1;
            *netns = 1;
        }
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
            setresuid(uid, uid, uid) < 0)
            return -1;
    } else if (caps->userns) {
        if (enter_userns() < 0 || loopback_up() < 0)
            return -1;
        *netns = 1;
    }
    return 0;
}

int isolate_limit(const struct isolate_limits *lim)
{
    struct { int res; rlim_t soft, hard; } set[] = {
        {RLIMIT_CPU, lim->cpu, lim->cpu + 1},
        {RLIMIT_AS, lim->as, lim->as},
        {RLIMIT_FSIZE, lim->fsize, lim->fsize},
        {RLIMIT_NOFILE, lim->nofile, lim->nofile},
        {RLIMIT_NPROC, lim->nproc, lim->nproc},
        {RLIMIT_CORE, 0, 0},
    };
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        struct rlimit r = {set[i].soft, set[i].hard};
        if (setrlimit(set[i].res, &r) < 0)
            return -1;
    }
    return 0;
}

const char *isolate_describe(const struct isolate_caps *caps)
{
    if (caps->root && caps->netns)
        return "network: a private namespace per run with loopback only; "
               "user: an unprivileged sandbox user per slot, no capabilities";
    if (caps->root)
        return "network: NO private namespace on this kernel, sockets limited "
               "by seccomp alone; user: an unprivileged sandbox user per slot";
    if (caps->userns)
        return "network: a private namespace per run with loopback only "
               "(unprivileged user namespace); user: the grader's own, and "
               "RLIMIT_NPROC counts per namespace";
    return "network: NO private namespace (no root, no unprivileged user "
           "namespaces), sockets limited by seccomp alone; user: the "
           "grader's own, so RLIMIT_NPROC counts all of its processes";
}

/* The real uid of a process from /proc/PID/status, or -1. */
static long uid_of(const char *pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    long uid = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Uid: %ld", &uid) == 1)
            break;
    fclose(f);
    return uid;
}

void isolate_sweep(uid_t uid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
            uid_of(e->d_name) == (long)uid)
            kill((pid_t)atol(e->d_name), SIGKILL);
    closedir(d);
}
