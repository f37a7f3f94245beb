/*
 * policy.c - seccomp allowlists per stage and step, and the supervisor
 * that answers what they refuse (see policy.h).
 *
 * The lists below are what a test program of the workbook, glibc and
 * cmocka use, grouped by purpose; a call missing from them shows up by
 * name in the report of the reference solutions, so `make grade-selftest`
 * catches an omission the day it matters.
 */
#define _GNU_SOURCE
#include "policy.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Every stage: memory, files (Landlock decides which), time, signals to
 * oneself, polling, and sendmsg (which carries the notification
 * descriptor to the grader before exec; without a socket of its own a
 * test program has nothing to send on). */
static const char *const base_calls[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
    "pwritev", "preadv2", "pwritev2", "open", "openat", "openat2", "creat",
    "close", "close_range", "stat", "fstat", "lstat", "newfstatat", "statx",
    "statfs", "fstatfs", "lseek", "mmap", "mprotect", "munmap", "brk",
    "mremap", "madvise", "mincore", "msync", "rt_sigaction",
    "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
    "rt_sigtimedwait", "sigaltstack", "pause", "alarm", "setitimer",
    "getitimer", "ioctl", "access", "faccessat", "faccessat2", "pipe",
    "pipe2", "dup", "dup2", "dup3", "fcntl", "flock", "getpid", "gettid",
    "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
    "getresuid", "getresgid", "getpgrp", "getpgid", "getsid", "uname",
    "getcwd", "chdir", "fchdir", "readlink", "readlinkat", "getdents",
    "getdents64", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "link", "linkat", "symlink",
    "symlinkat", "chmod", "fchmod", "fchmodat", "ftruncate", "truncate",
    "fsync", "fdatasync", "fallocate", "fadvise64", "umask", "utimensat",
    "exit", "exit_group", "arch_prctl", "set_tid_address",
    "set_robust_list", "get_robust_list", "rseq", "prlimit64", "getrlimit",
    "setrlimit", "getrusage", "times", "sysinfo", "getrandom",
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
    "gettimeofday", "time", "futex", "sched_yield", "sched_getaffinity",
    "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1",
    "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd",
    "eventfd2", "timerfd_create", "timerfd_settime", "timerfd_gettime",
    "wait4", "waitid", "sendmsg", "copy_file_range", "sendfile",
    "memfd_create", NULL,
};

/* The compiler driver runs cc1, as, collect2 and ld: it forks, execs and
 * signals its own children. No student code runs at this stage. */
static const char *const compile_calls[] = {
    "fork", "vfork", "execve", "execveat", "kill", "tgkill", "tkill", NULL,
};

/* A network step's sockets, once socket() has passed its own rule. */
static const char *const net_calls[] = {
    "bind", "listen", "accept", "accept4", "connect", "getsockname",
    "getpeername", "getsockopt", "setsockopt", "sendto", "recvfrom",
    "recvmsg", "sendmmsg", "recvmmsg", "shutdown", NULL,
};

/* Flags no stage may pass to clone: namespaces, another parent, tracing. */
#define CLONE_NEVER (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID | \
                     CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP |         \
                     CLONE_PARENT | CLONE_PTRACE | CLONE_THREAD)

static int allow_list(scmp_filter_ctx ctx, const char *const *names)
{
    for (; *names; names++) {
        int nr = seccomp_syscall_resolve_name(*names);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not on this architecture */
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        if (rc < 0) {
            errno = -rc;
            return -1;
        }
    }
    return 0;
}

/* Adds a rule, turning libseccomp's -errno into -1 and errno. */
#define RULE(ctx, action, call, ...)                                        \
    do {                                                                    \
        int rc_ = seccomp_rule_add(ctx, action, SCMP_SYS(call), __VA_ARGS__); \
        if (rc_ < 0) {                                                      \
            errno = -rc_;                                                   \
            goto fail;                                                      \
        }                                                                   \
    } while (0)

/* An int argument, compared on its low 32 bits whatever the caller left
 * in the upper half of the register. */
#define INT_EQ(arg, v) SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, 0xffffffffULL, \
                                (uint32_t)(v))

int policy_load(const struct policy_spec *spec)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
    if (!ctx) {
        errno = ENOMEM;
        return -1;
    }
    /* i386 (int 0x80) and x32 numbers fall outside the native filter: the
     * supervisor hears of them too, and answers ENOSYS. */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY) < 0)
        goto fail_inval;
    if (allow_list(ctx, base_calls) < 0)
        goto fail;
    RULE(ctx, SCMP_ACT_ERRNO(ENOSYS), clone3, 0);

    if (spec->stage == POLICY_COMPILE) {
        if (allow_list(ctx, compile_calls) < 0)
            goto fail;
        /* posix_spawn's clone(CLONE_VM | CLONE_VFORK) included. */
        RULE(ctx, SCMP_ACT_ALLOW, clone, 1,
             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEVER, 0));
    } else {
        pid_t self = spec->self;
        RULE(ctx, SCMP_ACT_ALLOW, kill, 1, INT_EQ(0, self));
        RULE(ctx, SCMP_ACT_ALLOW, kill, 1, INT_EQ(0, 0));      /* own group */
        RULE(ctx, SCMP_ACT_ALLOW, kill, 1, INT_EQ(0, -self));  /* the same */
        RULE(ctx, SCMP_ACT_ALLOW, tgkill, 1, INT_EQ(0, self)); /* raise */
        RULE(ctx, SCMP_ACT_ALLOW, tkill, 1, INT_EQ(0, self));
        if (spec->fork) {
            /* A plain fork: no shared memory, so no thread. */
            RULE(ctx, SCMP_ACT_ALLOW, clone, 1,
                 SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEVER | CLONE_VM, 0));
            RULE(ctx, SCMP_ACT_ALLOW, fork, 0);
        }
        if (spec->threads) {
            /* What pthread_create passes; still no namespace, no tracing. */
            uint64_t never = CLONE_NEVER & ~(uint64_t)CLONE_THREAD;
            RULE(ctx, SCMP_ACT_ALLOW, clone, 1,
                 SCMP_A0(SCMP_CMP_MASKED_EQ, never | CLONE_THREAD | CLONE_VM,
                         CLONE_THREAD | CLONE_VM));
        }
    }

    if (spec->net) {
        static const int domains[] = {AF_UNIX, AF_INET, AF_INET6};
        static const int types[] = {SOCK_STREAM, SOCK_DGRAM};
        for (size_t d = 0; d < 3; d++)
            for (size_t t = 0; t < 2; t++)
                RULE(ctx, SCMP_ACT_ALLOW, socket, 2, INT_EQ(0, domains[d]),
                     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, types[t]));
        RULE(ctx, SCMP_ACT_ALLOW, socketpair, 1, INT_EQ(0, AF_UNIX));
        if (allow_list(ctx, net_calls) < 0)
            goto fail;
    }

    int rc = seccomp_load(ctx);
    if (rc < 0) {
        errno = -rc;
        goto fail;
    }
    int fd = seccomp_notify_fd(ctx);
    if (fd < 0) {
        errno = -fd;
        goto fail;
    }
    seccomp_release(ctx);
    return fd;
fail_inval:
    errno = EINVAL;
fail:;
    int e = errno;
    seccomp_release(ctx);
    errno = e;
    return -1;
}

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

/* Describes the call and decides: 1 to let it through, 0 to refuse. */
static int judge(struct policy_state *st, const struct seccomp_notif *req,
                 char *call, size_t size)
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
    int allow = judge(st, req, call, sizeof call);
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
