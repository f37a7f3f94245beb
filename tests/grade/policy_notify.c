/*
 * policy_notify.c - the supervisor: answers what the filters of policy.c
 * send it, and records what it refuses, with the reason (see policy.h).
 *
 * It runs in the grader, one notification at a time, while the caller is
 * held in the kernel. Everything it reads of the caller (a path, a
 * process group) is checked against the request still being pending
 * before it counts, since a process that died meanwhile may have had its
 * pid reused.
 */
#define _GNU_SOURCE
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void policy_state_init(struct policy_state *st, const struct policy_spec *spec,
                       pid_t pgid)
{
    memset(st, 0, sizeof *st);
    st->spec = *spec;
    st->pgid = pgid;
}

static const char *domain_name(int d)
{
    switch (d) {
    case AF_UNIX: return "AF_UNIX";
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_NETLINK: return "AF_NETLINK";
    case AF_PACKET: return "AF_PACKET";
    case AF_ALG: return "AF_ALG";
    case AF_VSOCK: return "AF_VSOCK";
    default: return NULL;
    }
}

static const char *type_name(int t)
{
    switch (t & 0xf) {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_RAW: return "SOCK_RAW";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
    default: return "another type";
    }
}

/* Why a call is refused, in words a student can act on. */
static const char *reason_for(const char *name, const struct policy_state *st)
{
    static const struct { const char *prefix, *why; } table[] = {
        {"clone (a thread", "a green-thread runtime runs every tasklet on one "
         "OS thread: pthread_create fails in every step, by design"},
        {"clone", "the step needs no other process"},
        {"fork", "the step needs no other process"},
        {"vfork", "the step needs no other process"},
        {"execve", "running another program after start-up is not allowed"},
        {"ptrace", "tracing or controlling another process is not allowed"},
        {"process_vm", "reading another process's memory is not allowed"},
        {"kill", "signals may go only to the test's own process"},
        {"tgkill", "signals may go only to the test's own process"},
        {"tkill", "signals may go only to the test's own process"},
        {"mount", "changing the file system layout is not allowed"},
        {"umount", "changing the file system layout is not allowed"},
        {"pivot_root", "changing the file system layout is not allowed"},
        {"chroot", "changing the file system layout is not allowed"},
        {"unshare", "changing namespaces is not allowed"},
        {"setns", "changing namespaces is not allowed"},
        {"bpf", "loading kernel programs is not allowed"},
        {"io_uring", "io_uring would bypass the system-call filter"},
        {"keyctl", "kernel keyrings are not allowed"},
        {"add_key", "kernel keyrings are not allowed"},
        {"request_key", "kernel keyrings are not allowed"},
        {"perf_event_open", "performance counters are not allowed"},
        {"setsid", "leaving the sandbox's process group is not allowed"},
        {"setpgid", "leaving the sandbox's process group is not allowed"},
        {"arch:", "another architecture's system call numbers (i386, x32) "
         "are refused"},
    };
    if (strncmp(name, "execve", 6) == 0 && st->spec.programs)
        return "this test may run only its step's own plain programs "
               "(points.txt: exec), no other";
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strncmp(name, table[i].prefix, strlen(table[i].prefix)) == 0)
            return table[i].why;
    if (strncmp(name, "socket", 6) == 0)
        return st->spec.net ? "only AF_INET, AF_INET6 and AF_UNIX stream and "
                              "datagram sockets are allowed"
                            : "this step uses no network: no sockets at all";
    return "not needed by any step of the workbook";
}

/* Counts a refused call under its description. */
static void record(struct policy_state *st, const char *call)
{
    for (int i = 0; i < st->nv; i++)
        if (strcmp(st->v[i].call, call) == 0) {
            st->v[i].count++;
            return;
        }
    if (st->nv == POLICY_MAX_VIOLATIONS) {
        st->dropped++;
        return;
    }
    struct policy_violation *v = &st->v[st->nv++];
    snprintf(v->call, sizeof v->call, "%s", call);
    snprintf(v->reason, sizeof v->reason, "step %s: %s", st->spec.step,
             reason_for(call, st));
    v->count = 1;
}

/* The process group of pid, or -1. */
static pid_t group_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) state ppid pgrp": comm may hold spaces and parentheses,
     * so start after the last ')'. */
    char *p = strrchr(buf, ')');
    int ppid, pgrp;
    char state;
    if (!p || sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
        return -1;
    return pgrp;
}

/* Reads the NUL-terminated string at addr in the memory of the process
 * that made request req, into out. Page by page, since the string may end
 * just before an unmapped page. 0, or -1 (unreadable, too long, or the
 * request is no longer pending: then the pid may name another process). */
static int read_string(int nfd, const struct seccomp_notif *req, uint64_t addr,
                       char *out, size_t size)
{
    char mem[64];
    snprintf(mem, sizeof mem, "/proc/%d/mem", (int)req->pid);
    int fd = open(mem, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0, page = (size_t)sysconf(_SC_PAGESIZE);
    int rc = -1;
    while (len < size && addr + len < (uint64_t)INT64_MAX) {
        size_t want = page - (size_t)((addr + len) % page);
        if (want > size - len)
            want = size - len;
        ssize_t n = pread(fd, out + len, want, (off_t)(addr + len));
        if (n <= 0)
            break;
        int done = memchr(out + len, '\0', (size_t)n) != NULL;
        len += (size_t)n;
        if (done) {
            rc = seccomp_notify_id_valid(nfd, req->id) == 0 ? 0 : -1;
            break;
        }
    }
    close(fd);
    return rc;
}

/* Whether path is one of the programs the spec lets the test execute. */
static int may_execute(const struct policy_spec *spec, const char *path)
{
    for (const char *const *p = spec->programs; p && *p; p++)
        if (strcmp(*p, path) == 0)
            return 1;
    return 0;
}

/* A test's execve after start-up: 1 to let it through (a program of the
 * `exec` exception), 0 to refuse it. Names the path in call either way,
 * with whatever the caller could put there made printable. */
static int judge_execve(int nfd, struct policy_state *st,
                        const struct seccomp_notif *req, char *call, size_t size)
{
    char path[PATH_MAX];
    if (read_string(nfd, req, req->data.args[0], path, sizeof path) < 0) {
        snprintf(call, size, "execve (of a path the grader could not read)");
        return 0;
    }
    if (may_execute(&st->spec, path)) {
        st->execs++;
        return 1;
    }
    for (char *c = path; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            *c = '?';
    snprintf(call, size, "execve(%.60s%s)", path, strlen(path) > 60 ? "..." : "");
    return 0;
}

/* Describes the call and decides: 1 to let it through, 0 to refuse. */
static int judge(int nfd, struct policy_state *st,
                 const struct seccomp_notif *req, char *call, size_t size)
{
    const __u64 *a = req->data.args;
    if (req->data.arch != seccomp_arch_native() ||
        (req->data.nr & 0x40000000)) {
        const char *arch = req->data.arch == AUDIT_ARCH_I386 ? "i386" : "x32";
        char *nm = seccomp_syscall_resolve_num_arch(
            req->data.arch == AUDIT_ARCH_I386 ? SCMP_ARCH_X86 : SCMP_ARCH_X32,
            req->data.nr);
        snprintf(call, size, "arch: %s system call %s", arch, nm ? nm : "?");
        free(nm);
        return 0;
    }
    char *nm = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, req->data.nr);
    const char *name = nm ? nm : "an unknown system call";
    int allow = 0;
    if (strcmp(name, "clone") == 0) {
        snprintf(call, size, "clone (%s)", (a[0] & CLONE_THREAD) ?
                 "a thread, as pthread_create makes" :
                 "a new process, as fork makes");
    } else if (strcmp(name, "socket") == 0 || strcmp(name, "socketpair") == 0) {
        const char *d = domain_name((int)a[0]);
        char num[16];
        snprintf(num, sizeof num, "%d", (int)a[0]);
        snprintf(call, size, "%s(%s, %s)", name, d ? d : num,
                 type_name((int)a[1]));
    } else if (strcmp(name, "execve") == 0 && st->spec.stage == POLICY_TEST &&
               st->execs == 0) {
        st->execs++; /* the sandbox starting the test program itself */
        allow = 1;
    } else if (strcmp(name, "execve") == 0 && st->spec.stage == POLICY_TEST) {
        allow = judge_execve(nfd, st, req, call, size);
    } else if ((strcmp(name, "kill") == 0 || strcmp(name, "tgkill") == 0 ||
                strcmp(name, "tkill") == 0) && (int)a[0] > 0 &&
               group_of((pid_t)a[0]) == st->pgid) {
        allow = 1; /* a child of a fork-permitted test, in the sandbox */
    } else if (strcmp(name, "kill") == 0) {
        snprintf(call, size, "kill(%d) of %s", (int)a[0],
                 (int)a[0] == -1 ? "every process it may signal"
                                 : "a process outside the sandbox");
    } else {
        snprintf(call, size, "%s", name);
    }
    free(nm);
    return allow;
}

int policy_handle(int fd, struct policy_state *st)
{
    static struct seccomp_notif *req;
    static struct seccomp_notif_resp *resp;
    if (!req && seccomp_notify_alloc(&req, &resp) < 0) {
        req = NULL;
        errno = ENOMEM;
        return -1;
    }
    memset(req, 0, sizeof *req); /* the kernel insists on a zeroed buffer */
    int rc = seccomp_notify_receive(fd, req);
    if (rc == -ENOENT || rc == -EINTR)
        return 0; /* the caller died meanwhile */
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    char call[96] = "";
    int allow = judge(fd, st, req, call, sizeof call);
    memset(resp, 0, sizeof *resp);
    resp->id = req->id;
    if (allow) {
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    } else {
        int other_arch = strncmp(call, "arch:", 5) == 0;
        resp->error = other_arch ? -ENOSYS : -EPERM;
        record(st, call);
    }
    seccomp_notify_respond(fd, resp); /* fails only if the caller died */
    return 0;
}
