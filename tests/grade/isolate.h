/*
 * isolate.h - who a sandboxed process is, and what it may consume:
 * namespaces (a private network with loopback only), the user it runs
 * as, and resource limits.
 *
 * What is possible depends on the machine, so the grader probes once at
 * start-up (isolate_probe) and every report says what held:
 *   - as root: a new network, IPC and UTS namespace per run, then the
 *     process drops to an unprivileged user of its own (one per grading
 *     slot), so that it holds no capability and RLIMIT_NPROC counts it;
 *   - not root, with unprivileged user namespaces: a new user namespace
 *     (mapping only the caller's own ids) with the same three namespaces;
 *   - otherwise: no namespace at all. Sockets are then limited by seccomp
 *     alone, and the report says so.
 */
#ifndef GRADE_ISOLATE_H
#define GRADE_ISOLATE_H

#include <sys/resource.h>
#include <sys/types.h>

struct isolate_caps {
    int root;     /* the grader runs as root */
    int netns;    /* private network namespaces work here */
    int userns;   /* ... through an unprivileged user namespace */
    uid_t uid_base; /* root: the sandbox users are uid_base + slot */
};

struct isolate_limits {
    rlim_t cpu;    /* seconds of CPU */
    rlim_t as;     /* bytes of address space */
    rlim_t fsize;  /* bytes in any one file written */
    rlim_t nofile; /* open descriptors */
    rlim_t nproc;  /* processes of the sandbox user */
};

/* Probes the machine (forks short-lived children). Returns 0 or -1. */
int isolate_probe(struct isolate_caps *caps, uid_t uid_base);

/* The sandbox user of a slot (as root), or the caller's own ids. */
void isolate_ids(const struct isolate_caps *caps, int slot, uid_t *uid,
                 gid_t *gid);

/* In the sandboxed child, before anything else of the sandbox: enters new
 * namespaces where the probe said they work, brings loopback up, and (as
 * root) becomes uid/gid with no supplementary groups and no capability.
 * *netns says whether the network namespace is in place. 0 or -1. */
int isolate_enter(const struct isolate_caps *caps, uid_t uid, gid_t gid,
                  int *netns);

/* Sets the limits (hard and soft; CPU gets one second of grace between
 * SIGXCPU and SIGKILL), and no core files. 0 or -1. */
int isolate_limit(const struct isolate_limits *lim);

/* The report's sentence on network and identity for these caps. */
const char *isolate_describe(const struct isolate_caps *caps);

/* Kills every process of uid (a root grader's last sweep after a run
 * whose processes could fork: anything that left the process group). */
void isolate_sweep(uid_t uid);

#endif
