/*
 * policy.h - the libseccomp filters of the sandbox, and the supervisor's
 * answers to what they refuse.
 *
 * Each filter is an allowlist. A call not on the stage's list does not
 * kill the process: it is sent to the grader through seccomp user
 * notification (SCMP_ACT_NOTIFY), which names it, counts it as a
 * violation of the step, and answers it with an error (EPERM, or ENOSYS
 * for another architecture's numbers), so the program goes on and can
 * still be graded. A process cannot hide a notification: the kernel
 * holds the call until the grader answers.
 *
 * Two calls are special. clone3 answers ENOSYS straight from the filter,
 * as a kernel without it would, so that glibc falls back to clone, whose
 * flags the filter can read (clone3 passes them in memory). And execve
 * always goes to the supervisor: the first of a test stage is the sandbox
 * starting the test program, which it lets through; after that, only a
 * test with the `exec` exception may execute, and only the programs its
 * spec lists (its step's trusted plain programs). The supervisor reads
 * the path from the caller's memory, so a thread or a shared mapping
 * could change it after the check: the Landlock fence, which grants
 * execute on those programs alone and is checked by the kernel on the
 * path it opens, is what holds then (see sandbox.c).
 *
 * The supervisor's half (policy_state_init, policy_handle) is in
 * policy_notify.c; the filters are in policy.c.
 */
#ifndef GRADE_POLICY_H
#define GRADE_POLICY_H

#include <sys/types.h>

enum policy_stage {
    POLICY_COMPILE, /* the compiler, assembler, archiver and linker */
    POLICY_TEST,    /* a test program, an unpacker: one process, no exec */
};

struct policy_spec {
    enum policy_stage stage;
    int net;     /* AF_INET, AF_INET6 and AF_UNIX sockets allowed */
    int fork;    /* plain fork allowed (never threads): the few tests that
                    watch a crash in a child process */
    int threads; /* threads allowed: an instructor's explicit exception
                    for a test that checks behaviour on another thread */
    const char *const *programs; /* NULL-ended: the absolute paths a test
                    with the `exec` exception may execute; NULL for none */
    pid_t self;  /* the sandboxed process, which may signal itself */
    const char *step; /* for the words of the report */
};

/* Loads the filter into the calling process (which must be single-
 * threaded) and returns the notification descriptor, or -1 with errno. */
int policy_load(const struct policy_spec *spec);

enum { POLICY_MAX_VIOLATIONS = 12 };

struct policy_violation {
    char call[96];    /* "clone (a thread)", "socket(AF_PACKET, SOCK_RAW)" */
    char reason[200]; /* why the step's policy refuses it */
    unsigned count;
};

/* The supervisor's side of one sandboxed run. */
struct policy_state {
    struct policy_spec spec;
    pid_t pgid;      /* the sandbox's process group */
    int execs;       /* execve calls let through: the sandbox's own, then
                        those of the spec's programs */
    struct policy_violation v[POLICY_MAX_VIOLATIONS];
    int nv;
    unsigned dropped; /* violations past the table, counted only */
};

void policy_state_init(struct policy_state *st, const struct policy_spec *spec,
                       pid_t pgid);

/* Receives one notification from fd, answers it and records what it
 * refused. Returns 0, or -1 when the descriptor is dead (every sandboxed
 * process gone). For a test's later execve it reads the path from the
 * caller's memory (/proc/PID/mem), which the grader may: it is root, or
 * the sandbox's user namespace is its child. */
int policy_handle(int fd, struct policy_state *st);

#endif
