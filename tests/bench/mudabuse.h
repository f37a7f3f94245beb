/*
 * mudabuse.h - hostile clients for the MUD benchmark's abuse run
 * (bench_mud.c): what a server facing the open internet meets, at a
 * bounded rate, on loopback only.
 *
 * Four kinds, per_kind clients of each, all at once:
 *
 *   DRIP    logs in and plays, but sends one byte at a time, at half of
 *           its 200 ms turns picked at random (2.5 bytes a second): a line
 *           takes seconds to arrive, each byte a wakeup of its session;
 *           reads what comes
 *   SILENT  never reads: a small receive buffer, the login sent blind,
 *           then "who" at half of its 100 ms turns, picked at random (5
 *           a second; the flood limit allows 10), whose answers pile up
 *           until the server's output queue overflows and the server
 *           drops it; then it connects again, as a new character
 *   NOISE   every 100 ms, 1 to 64 random bytes: many 255s, IAC commands
 *           (negotiations, subnegotiation starts, GA...), line ends, any
 *           byte at all; reads what comes
 *   CHURN   every 250 ms, in turn: connects (and on every other connection
 *           sends half a line, no line end) / closes: three times in four
 *           with a reset, once with a plain close. 4 connections a second
 *           per client
 *
 * Each client's actions are spread evenly over its period, so the load is
 * steady. A client whose connection the server ends connects again
 * after a random pause of up to 19 turns. Names are unique to each connection (a letter for the
 * kind, five more from a counter).
 *
 * mudabuse_run is meant to be the whole life of a child process: it runs
 * until it is killed, or max_s, and then _exits. What it did is counted
 * in *counts as it happens, for a parent that shares the memory (mmap
 * MAP_SHARED before the fork) and reads it after killing the child.
 */
#ifndef MUDABUSE_H
#define MUDABUSE_H

enum mudabuse_kind {
    MUDABUSE_DRIP,
    MUDABUSE_SILENT,
    MUDABUSE_NOISE,
    MUDABUSE_CHURN,
    MUDABUSE_KINDS
};

struct mudabuse_config {
    int port;      /* the server, on 127.0.0.1 */
    int per_kind;  /* clients of each kind */
    unsigned kinds;  /* bit k set: run kind k (0: run every kind) */
    double max_s;  /* a bound on the run, should no one kill it */
};

struct mudabuse_counts {
    long connects[MUDABUSE_KINDS]; /* connections made */
    long ended[MUDABUSE_KINDS];    /* of those, ended by the server (an end
                                      of stream, a reset, a failed send) */
    long failed;                   /* connects that failed */
    long bytes;                    /* bytes sent, all kinds */
};

/* Runs the clients (see above); never returns. */
_Noreturn void mudabuse_run(const struct mudabuse_config *c,
                            volatile struct mudabuse_counts *counts);

/* "drip", "silent", ... */
const char *mudabuse_kind_name(enum mudabuse_kind k);

#endif
