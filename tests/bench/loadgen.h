/*
 * loadgen.h - a closed-loop load generator for echo servers.
 *
 * It opens `conns` TCP connections to 127.0.0.1:port. Each connection
 * sends a message of `size` bytes, waits until the whole message has come
 * back, and sends the next one at once: one message in flight per
 * connection, so the server sets the pace (a "closed loop"). It measures
 * how many round trips complete per second over all connections, and how
 * long each one took (p50 and p99).
 *
 * A run has three phases:
 *
 *   setup    open the connections, at most LOADGEN_MAX_PENDING at a time
 *            so as never to overflow the server's listen backlog; each one
 *            makes one round trip, which proves that the server accepted
 *            it and echoes on it, and then waits. Bounded by setup_s.
 *   warmup   every connection that made its round trip starts its loop;
 *            nothing is counted yet (caches, buffers, threads settle).
 *   measure  seconds_s of counting: round trips that END in the window,
 *            their latencies, which connections made at least one, and
 *            the CPU time used by this process, by the server, and by
 *            everything else on the machine (a benchmark on a machine
 *            that others share measures less than the machine can do).
 *
 * Then every connection is closed with a reset (SO_LINGER 0), which
 * leaves no TIME_WAIT behind to use up local ports across runs.
 *
 * How: one thread, epoll directly (level-triggered, each socket registered
 * once, for reading). Not the workbook's tasklets: the load generator
 * must cost less per message than any server it measures, or it, not the
 * server, sets the pace. It makes the fewest system calls a closed-loop
 * client can (one send and one recv per round trip, plus one epoll_wait
 * for many of them), and it shares no code with the servers under test,
 * so a slow path in the runtime cannot slow both sides at once. The CPU
 * time it reports shows whether it was saturated.
 *
 * Loopback only; nothing here judges a number.
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <stddef.h>
#include <sys/types.h>

/* Connections being opened (connected, first echo not back yet) at once. */
#define LOADGEN_MAX_PENDING 256

struct loadgen_config {
    int port;          /* on 127.0.0.1 */
    int conns;         /* connections to hold open */
    size_t size;       /* bytes per message, >= 1 */
    double setup_s;    /* at most this long to open them all */
    double warmup_s;   /* loop this long before counting */
    double seconds_s;  /* count for this long */
    pid_t server;      /* > 0: also measure its CPU time (/proc/PID/stat) */
};

struct loadgen_result {
    int connected;        /* connections that made their first round trip */
    int failed;           /* connections that failed (refused, reset...) */
    int first_error;      /* errno of the first failure; 0 for EOF or none */
    int echoing;          /* connections with a round trip in the window */
    long messages;        /* round trips completed in the window */
    double seconds;       /* the window, as measured */
    double msgs_per_s;    /* messages / seconds */
    double p50_us;        /* round-trip latency percentiles, microseconds */
    double p99_us;
    double setup_s;       /* how long the setup took */
    double cpu_s;         /* this process's CPU time during the window */
    double server_cpu_s;  /* the server's, or -1 if it could not be read */
    double others_cpu_s;  /* everyone else's: other processes, and time the
                             hypervisor gave elsewhere (steal); -1 if
                             unknown (no /proc/stat, or no server pid) */
};

/* Runs the three phases. Returns 0, or -1 with errno when the run could
 * not take place at all (no epoll, no memory). Connections that fail are
 * counted in the result, not treated as errors. */
int loadgen_run(const struct loadgen_config *c, struct loadgen_result *r);

#endif
