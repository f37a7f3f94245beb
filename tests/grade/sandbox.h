/*
 * sandbox.h - runs one command (the compiler, the linker, one test program
 * with `--run NAME`, the unpacker) confined, and says how it went.
 *
 * A run gets: a scratch folder as its working directory and the only
 * place it may write (the caller makes it and removes it afterwards);
 * resource limits; a wall-clock deadline after which its whole process
 * group is killed; its stdout and stderr, merged, kept up to a cap (past
 * which the pipe is closed: the program's next write fails, so a flood
 * ends at once), with a truncation marker; a private network namespace
 * where the machine allows one; Landlock over the file system where the
 * kernel has it; and a seccomp filter whose refusals the supervisor
 * records by name (policy.h).
 *
 * Optionally the run gets the harness's result channel: a pipe whose
 * write end is descriptor 3 in the program, read by the grader only, so
 * that a test passes on what the harness writes there, never on what the
 * program prints.
 */
#ifndef GRADE_SANDBOX_H
#define GRADE_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#include "fence.h"
#include "isolate.h"
#include "policy.h"
#include "util.h"

enum { SANDBOX_RESULT_FD = 3, SANDBOX_MAX_RULES = 32 };

struct sandbox_spec {
    const char *const *argv;     /* argv[0] is an absolute path */
    const char *const *envp;
    const char *scratch;         /* cwd; the only writable folder */
    struct fence_rule rules[SANDBOX_MAX_RULES]; /* besides scratch */
    int nrules;
    struct policy_spec policy;
    struct isolate_limits limits;
    double wall;                 /* seconds before the group is killed */
    size_t out_cap;              /* bytes of output kept */
    int want_record;             /* give it the result channel on fd 3 */
    uid_t uid;                   /* the sandbox user (isolate_ids) */
    gid_t gid;
};

struct sandbox_result {
    int started;        /* the command was executed (setup went through) */
    int exited, status; /* exited with status */
    int signal;         /* or was killed by this signal */
    int timed_out;      /* killed at the wall-clock deadline */
    int cpu_out;        /* killed for exceeding its CPU seconds */
    double seconds, cpu_seconds;
    struct util_buf out;
    int truncated;
    char record[512];   /* what arrived on the result channel */
    size_t record_len;
    int record_overflow; /* more than fits: never a valid record */
    int landlock_abi;   /* what the child could apply */
    int netns;
    struct policy_state policy; /* the calls refused, by name */
};

/* Runs the command; fills res (free it with sandbox_result_free). Returns
 * 0 when the run happened, whatever the command did, and -1 only when the
 * grader itself could not start it (no pipe, no fork). */
int sandbox_run(const struct sandbox_spec *spec, const struct isolate_caps *caps,
                struct sandbox_result *res);

void sandbox_result_free(struct sandbox_result *res);

/* "exit status 1", "killed by signal 9 (Killed)", "timed out after 10 s",
 * "CPU limit (10 s) exceeded": how the run ended, in words. */
void sandbox_describe_end(const struct sandbox_result *res, double wall,
                          char *buf, size_t size);

#endif
