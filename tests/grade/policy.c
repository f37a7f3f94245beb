/*
 * policy.c - seccomp allowlists per stage and step (see policy.h; the
 * supervisor that answers what they refuse is policy_notify.c).
 *
 * The lists below are what a test program of the workbook, glibc and
 * cmocka use, grouped by purpose; a call missing from them shows up by
 * name in the report of the reference solutions, so `make grade-selftest`
 * catches an omission the day it matters.
 */
#define _GNU_SOURCE
#include "policy.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
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
    "memfd_create", "signalfd", "signalfd4", NULL,
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
        /* A forked child asking to die with its parent (step 08's server
         * and step 10's saver do): it concerns the caller alone. No
         * other prctl. */
        RULE(ctx, SCMP_ACT_ALLOW, prctl, 1, INT_EQ(0, PR_SET_PDEATHSIG));
        RULE(ctx, SCMP_ACT_ALLOW, prctl, 1, INT_EQ(0, PR_GET_PDEATHSIG));
        /* execve is never allowed here: the supervisor hears of each one
         * (policy_notify.c), for the sandbox's own and for `exec`. */
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
