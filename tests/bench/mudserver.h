/*
 * mudserver.h - the MUD benchmark's server (bench_mud.c), in a child
 * process of its own; and what the benchmark's other child, the hostile
 * clients (mudabuse.h), needs too: forking a child that dies with its
 * parent, stopping it, memory shared with it, room for open files.
 *
 * The server is step 09's reference solution (mud.h) with the world it
 * is given, the in-memory store and the default limits (or step 10's:
 * see mudserver_start) (10 commands a
 * second per connection after a burst of 10, a 64 KiB output queue),
 * except:
 *   - the cheapest password hashes the tests use: yescrypt at cost 1,
 *     still about 0.8 ms a hash, which runs on the server's one thread;
 *   - no idle limit in the game (the login's stays: 60 s);
 *   - SO_SNDBUF of MUDSERVER_SNDBUF on each connection (conn_config's
 *     sndbuf). Without it, Linux grows a loopback socket's send buffer up
 *     to net.ipv4.tcp_wmem's maximum (4 MiB by default): a client that
 *     never reads is then sent megabytes before the server's own 64 KiB
 *     queue even starts to fill, and none is dropped within a run.
 * It listens on 127.0.0.1, on a port the kernel picks, with a socket
 * made before the fork; the child runs mud_serve until it is stopped.
 *
 * Its hooks count the players who enter and leave the game, and those
 * who leave because their output queue overflowed (conn_dropped), in
 * memory this process shares: readable at any time.
 */
#ifndef MUDSERVER_H
#define MUDSERVER_H

#include <stddef.h>
#include <sys/types.h>

struct world;

#define MUDSERVER_SNDBUF (64 * 1024)

struct mudserver_counts {
    long entered, left, dropped;
};

struct mudserver {
    pid_t pid;
    int port;
    volatile struct mudserver_counts *counts;
};

/* Starts the server for world w (loaded by the caller, who frees it
 * after mudserver_stop): step 09's, or, when players_dir is not NULL,
 * step 10's living server (living.h) with the same settings, keeping its
 * players in files in players_dir (which the caller removes afterwards),
 * with its NPCs and its world tick at their defaults: a tick a second, a
 * 5-minute autosave spread over the ticks. 0, or -1 with errno (said on
 * stderr too). */
int mudserver_start(struct mudserver *s, struct world *w,
                    const char *players_dir);

/* Stops it (mudserver_reap) and frees the counts. */
void mudserver_stop(struct mudserver *s);

/* ---- child processes ---- */

/* child_fork() (child.h), for a child that also has
 * mudserver_allow_files' room. The child's pid, 0 in the child, or -1
 * with errno. */
pid_t mudserver_fork(void);

/* SIGTERM, then SIGKILL if the child has not ended within a second, and
 * waits for it. If it had ended already, says so on stderr, naming it
 * `what`. */
void mudserver_reap(pid_t pid, const char *what);

/* Zeroed memory shared with the children forked after; NULL on failure
 * (said on stderr). Free it with munmap. */
void *mudserver_shared(size_t size);

/* Raises the soft limit of open files to the hard one; returns it. */
long mudserver_allow_files(void);

#endif
