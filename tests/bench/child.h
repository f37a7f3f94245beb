/*
 * child.h - what the benchmarks that run servers share: a listening
 * socket on loopback, and a child process that cannot outlive the
 * benchmark.
 *
 * A server under measure runs in a child process of its own, so that its
 * CPU time can be read apart and a crash of it is seen, not suffered.
 * Such a child must never be left behind: it asks the kernel to kill it
 * when its parent dies (PR_SET_PDEATHSIG), checking that the parent did
 * not die before the request took effect.
 */
#ifndef BENCH_CHILD_H
#define BENCH_CHILD_H

#include <sys/types.h>

#define CHILD_BACKLOG 4096 /* the kernel caps it at net.core.somaxconn */

/* A listening TCP socket on 127.0.0.1, on a port the kernel picks (put
 * in *port). flags: 0, or SOCK_CLOEXEC (leave it out for a server that
 * inherits the socket through exec). The socket, or -1 with errno. */
int child_listener(int *port, int flags);

/* fork(), for a child that is killed if this process dies, ignores
 * SIGPIPE, and writes its stdout to stderr (stdout is for result rows).
 * The child's pid, 0 in the child, or -1 with errno. */
pid_t child_fork(void);

#endif
